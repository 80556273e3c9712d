'use strict';
// `npm pack` / `npm publish` (prepack): refuses to pack a tarball without the prebuilt
// binaries. The prebuilds are the install path that must work (a user's npm may not run
// install scripts, and may have no compiler), so a tarball without them is broken for most
// users although it looks fine here. Make them first with `npm run prebuild`.
//
// UNIXPROC_PACK_WITHOUT_PREBUILDS=1 packs anyway: for tests that only read the tarball's
// JavaScript and types (test/integration/package-types.test.ts); never for a release.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const required = ['prebuilds', path.join('fork-addon', 'prebuilds')];

/** The .node files under dir/<platform>-<arch>/ (prebuildify's layout). */
function binaries(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(abs, d.name)).filter((f) => f.endsWith('.node')).map((f) => path.join(dir, d.name, f)));
}

if (process.env.UNIXPROC_PACK_WITHOUT_PREBUILDS === '1') {
  process.stderr.write('unixproc prepack: UNIXPROC_PACK_WITHOUT_PREBUILDS=1, packing without checking the prebuilt binaries (not for a release)\n');
  process.exit(0);
}
const missing = required.filter((dir) => binaries(dir).length === 0);
if (missing.length > 0) {
  process.stderr.write(
    `unixproc prepack: refusing to pack: no prebuilt binary in ${missing.map((d) => `${d}/`).join(' or ')}.\n` +
      'Users without a compiler (or whose npm does not run install scripts) could not load the addon.\n' +
      'Run `npm run prebuild` first, then pack again.\n',
  );
  process.exit(1);
}
// The subreaper shepherd (docs/containment.md) is an executable, not an addon: each platform
// with a prebuilt main addon ships it beside it (scripts/prebuild.js), or `contain` would fail
// with ERR_UNIXPROC_SHEPHERD_UNAVAILABLE where no cgroup can be made.
const noShepherd = [...new Set(binaries('prebuilds').map((f) => path.dirname(f)))].filter(
  (dir) => !fs.existsSync(path.join(root, dir, 'unixproc-shepherd')),
);
if (noShepherd.length > 0) {
  process.stderr.write(
    `unixproc prepack: refusing to pack: no unixproc-shepherd in ${noShepherd.map((d) => `${d}/`).join(' or ')}.\n` +
      'Run `npm run prebuild` first, then pack again.\n',
  );
  process.exit(1);
}
