'use strict';
// `npm run soak [-- name...]`: every bench/soak-*.js in its own Node process (with the flags
// its `// bench-flags:` line asks for), full size: 10,000 spawn/wait cycles, 2,000
// posix_spawn/waitpid cycles, a signal storm during 2,000 waits, 10 s of /proc reads under
// churn, forced pid reuse for every pair of owners, 1,000 forks. Each prints a one-line
// figure; exits 1 when any of them failed. docs/reliability.md has the latest figures.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const only = process.argv.slice(2);
let failed = 0;
const files = fs.readdirSync(__dirname).filter((f) => /^soak-.*\.js$/.test(f) && f !== 'soak-common.js').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
for (const f of files) {
  const file = path.join(__dirname, f);
  const head = fs.readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n');
  const m = /\/\/ bench-flags:(.*)/.exec(head);
  const flags = m ? m[1].trim().split(/\s+/) : ['--expose-gc'];
  const r = spawnSync(process.execPath, [...flags, file], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`!!! ${f} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
