'use strict';
// The leak guard's provenance (issue 12): what recording who started each process costs a
// spawn. child_process.spawn()+'exit' of /bin/true with provenance off and on, in
// alternating blocks (ABAB: off, on, off, on...), each block's "on" against the "off" next
// to it; the median of the blocks' overheads, with their spread, against the target
// (<= 5% of a child_process spawn: on/off <= 1.05x). The same for spawnSync and for
// unixproc's spawn()+wait().
// What "on" adds: one capture of V8's structured stack with only the chosen frame formatted,
// one JSON line copied into the record file's shared mapping, an environment entry, and
// the birth window (two monotonic clock reads); for the asynchronous forms all of it but
// the entry after the spawn, while the child starts. That work alone is also timed, warm
// and outside any spawn, against child_process.spawn()'s wall and CPU time in the same run:
// a diagnostic (between real spawns the same work runs with cold caches).
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
const { withSpawnProvenance } = require(path.join(ROOT, 'dist', 'provenance-hook.js'));
const { fmtRatio, ratios, record } = require('./support/report');

const SPAWNS = Number(process.env.PROVENANCE_BENCH_SPAWNS ?? 40);
const BLOCKS = 16;
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

/** A call `depth` frames down, as a spawn in a test sits below the runner's frames. */
function nested(depth, fn) {
  return depth === 0 ? fn() : nested(depth - 1, fn);
}

/**
 * The recording alone, per spawn: unixproc's hook point as its spawns call it (the
 * environment entry added to a copy of this environment, the stack captured, the record
 * written with the pid and birth window), around a "spawn" that does nothing.
 */
function hookAlone(n) {
  const argv = ['/bin/true'];
  const envp = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  const c0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < n; i++) nested(12, () => withSpawnProvenance('unixproc.spawn', argv, envp, (e) => e, () => process.pid));
  const wall = (now() - t0) / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / n };
}

/** fn(n) timed in wall and CPU (this process, all threads) per spawn. */
async function timed(fn, n) {
  const c0 = process.cpuUsage();
  const wall = await fn(n);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / n };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-provenance-bench-'));
  const on = () => installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'bench > spawn' }) });
  try {
    console.log(`provenance: spawn overhead with recording on vs off (${BLOCKS} blocks of ${SPAWNS}, ABBA)`);
    let spawnCost; // child_process.spawn() per spawn, off, per block: the yardstick
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
      // ABBA: the side that goes first alternates, so that neither always runs after the
      // other (its garbage, its warm caches).
      for (let b = 0; b < BLOCKS; b++) {
        if (b % 2 === 0) offs.push(await timed(fn, SPAWNS));
        on();
        ons.push(await timed(fn, SPAWNS));
        uninstallProvenance();
        if (b % 2 === 1) offs.push(await timed(fn, SPAWNS));
      }
      if (spawnCost === undefined) spawnCost = offs;
      const r = ratios(ons.map((x) => x.wall), offs.map((x) => x.wall));
      console.log(`  ${name.padEnd(44)} off ${fmt(median(offs.map((x) => x.wall)))}  on ${fmt(median(ons.map((x) => x.wall)))}  on/off ${fmtRatio(r)} (target <= 1.05x)`);
      record({ name: `${name}, recording on`, value: median(ons.map((x) => x.wall)), unit: 'ms', anchor: 'recording off', ...r, target: '<= 1.05x' });
    }
    // What recording adds to a spawn, measured alone (the spawns above swing by more than
    // it costs), against a child_process.spawn() measured in the same run.
    on();
    hookAlone(200);
    const alone = [];
    for (let b = 0; b < BLOCKS; b++) alone.push(hookAlone(SPAWNS * 5));
    uninstallProvenance();
    for (const kind of ['wall', 'cpu']) {
      const r = ratios(alone.map((x) => x[kind]), spawnCost.map((x) => x[kind]));
      console.log(
        `  recording alone, ${kind === 'wall' ? 'wall' : 'CPU '} ${fmt(median(alone.map((x) => x[kind])))} per spawn = ${pct(r.ratio)} of a child_process.spawn() (${pct(r.p25)}..${pct(r.p75)}; diagnostic: warm, outside any spawn)`,
      );
      record({ name: `provenance recording per spawn (${kind}, warm, alone)`, value: median(alone.map((x) => x[kind])), unit: 'ms', anchor: `child_process.spawn() (${kind})`, ...r });
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
