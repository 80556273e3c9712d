'use strict';
// The leak guard's provenance (issue 12): what recording who started each process costs a
// spawn. child_process.spawn()+'exit' of /bin/true with provenance off and on, in
// alternating blocks (ABAB: off, on, off, on...), each block's "on" against the "off" next
// to it; the median of the blocks' overheads, with their spread, against the target
// (<= 5% of a child_process spawn). The same for spawnSync and for unixproc's spawn()+wait().
// What "on" adds: a stack capture, two appended JSON lines (write(2) each), an environment
// entry, and one read of the child's /proc/<pid>/stat for its start time.
//
//   npm run build:ts && node bench/provenance.js
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  cp.execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const unixproc = require(path.join(ROOT, 'dist', 'index.js'));
const { installProvenance, uninstallProvenance } = require(path.join(ROOT, 'dist', 'guard', 'provenance.js'));

const SPAWNS = Number(process.env.PROVENANCE_BENCH_SPAWNS ?? 40);
const BLOCKS = 10;
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(3).padStart(8)} ms`;
const pct = (x) => `${(x * 100).toFixed(1)}%`;

async function cpSpawn(n) {
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => cp.spawn('/bin/true', [], { stdio: 'ignore' }).once('exit', resolve).once('error', reject));
  }
  return (now() - t0) / n;
}

async function cpSpawnSync(n) {
  const t0 = now();
  for (let i = 0; i < n; i++) cp.spawnSync('/bin/true', [], { stdio: 'ignore' });
  return (now() - t0) / n;
}

async function upSpawn(n) {
  const t0 = now();
  for (let i = 0; i < n; i++) await unixproc.spawn('/bin/true', []).wait();
  return (now() - t0) / n;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-provenance-bench-'));
  const on = () => installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'bench > spawn' }) });
  try {
    console.log(`provenance: spawn overhead with recording on vs off (${BLOCKS} alternating blocks of ${SPAWNS})`);
    for (const [name, fn] of [
      ['child_process.spawn() of /bin/true', cpSpawn],
      ['child_process.spawnSync() of /bin/true', cpSpawnSync],
      ['unixproc spawn()+wait() of /bin/true', upSpawn],
    ]) {
      await fn(10);
      on();
      await fn(10);
      uninstallProvenance();
      const offs = [];
      const ons = [];
      for (let b = 0; b < BLOCKS; b++) {
        offs.push(await fn(SPAWNS));
        on();
        ons.push(await fn(SPAWNS));
        uninstallProvenance();
      }
      const overheads = ons.map((x, i) => x / offs[i] - 1);
      console.log(`  ${name.padEnd(44)} off ${fmt(median(offs))}  on ${fmt(median(ons))}`);
      console.log(
        `  ${'  overhead, median of the blocks'.padEnd(44)} ${pct(median(overheads)).padStart(8)}  (target <= 5%; blocks ${pct(Math.min(...overheads))} to ${pct(Math.max(...overheads))})`,
      );
    }
    const records = fs.readdirSync(dir).reduce((n, f) => n + fs.readFileSync(path.join(dir, f), 'utf8').split('\n').length - 1, 0);
    console.log(`  (${records} record lines written)`);
  } finally {
    uninstallProvenance();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
