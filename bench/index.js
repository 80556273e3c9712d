'use strict';
// `npm run bench`: builds dist/, then runs every bench/<concern>.js in its own Node process.
// Each one builds its own workload and prints its figures beside the anchors it measured in
// the same run (C loop, child_process, ps-list, pidusage, CPython/psutil), as ratios against
// the targets. A bench file may ask for Node flags in a first-lines comment:
//   // bench-flags: --single-threaded --expose-gc
// The fork soak is summarised with a short run here (`npm run soak` is the full one).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const only = process.argv.slice(2);

function flagsOf(file) {
  const head = fs.readFileSync(file, 'utf8').split('\n').slice(0, 15).join('\n');
  const m = /\/\/ bench-flags:(.*)/.exec(head);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

const build = spawnSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const runs = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('soak'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => ({ name: f, args: [] }));
if (fs.existsSync(path.join(__dirname, 'soak-fork.js')) && (only.length === 0 || only.some((o) => 'soak-fork.js'.includes(o)))) {
  runs.push({ name: 'soak-fork.js', args: ['100'] });
}

let failed = 0;
for (const { name, args } of runs) {
  const file = path.join(__dirname, name);
  console.log(`\n=== ${name} ${args.join(' ')}`.trimEnd());
  const r = spawnSync(process.execPath, [...flagsOf(file), file, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`!!! ${name} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
