'use strict';
// The leak guard and the supervisor, each beside an anchor measured in the same run, as
// ratios per interleaved round or alternating block, median (p25..p75). No issue sets
// targets for these: every ratio says "(no target)". Node processes are started without
// NODE_EXTRA_CA_CERTS.
//
// 1. Leak guard, with a workload of 500 sleeping children of one sh, started AFTER the guard
//    (so all 501 are leaks): check() vs one listProcesses() scan vs the C loop of
//    bench/anchor-proc (readdir + openat + read of every <pid>/stat, the floor of a scan);
//    cleanup({ killGracePeriod: 1000 }) of the 501 (SIGTERM, all gone and reaped) vs the same done by
//    hand: process.kill(SIGTERM) of each sleeper, the sh's own `wait` reaps them, then sh
//    exits (the floor).
// 2. `unixproc guard -- /bin/true` end to end vs `node -e 0` (Node's start, the floor) vs a
//    bare /bin/true: what the guard costs beyond Node's start.
// 3. Supervisor: restart latency of a program that exits 1 at once (/bin/false, restart
//    'on-failure', backoff.initial 0, no start limit) vs a naive supervisor written with
//    child_process (child.on('exit', () => spawn again)), in alternating blocks; and the
//    graceful terminate() of a child that dies of SIGTERM vs child_process kill() + 'exit'.
//
// The guard makes this process a child subreaper; only what it adopted is reaped (by the
// guard, by pid); everything else is ended by pid. At the end this process must have no
// child left: otherwise they are named, SIGKILLed by pid, and the exit code is 1.
//
//   npm run build:ts && node bench/guard-supervise.js
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { ratios, fmtRatio, record, envWithoutExtraCa } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
const SLEEPERS = Number(process.env.GUARD_BENCH_SLEEPERS ?? 500);
const CLEANUP_ROUNDS = Number(process.env.GUARD_BENCH_CLEANUP_ROUNDS ?? 3);
const RESTARTS = Number(process.env.SUPERVISE_BENCH_RESTARTS ?? 200);
const RESTART_BLOCKS = 4;
const STOP_ROUNDS = Number(process.env.SUPERVISE_BENCH_STOPS ?? 15);
const GRACE = 1000;

function loadAnchor() {
  const dir = path.join(__dirname, 'anchor-proc');
  const file = path.join(dir, 'build', 'Release', 'anchor_proc.node');
  if (!fs.existsSync(file)) {
    // Outside npm (no npm_config_nodedir), the headers installed beside this node, if any:
    // node-gyp would otherwise try to download them.
    const prefix = path.dirname(path.dirname(process.execPath));
    const nodedir =
      process.env.npm_config_nodedir ??
      (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
    const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--directory', dir];
    if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);
    cp.execFileSync(process.execPath, args, { stdio: 'ignore' });
  }
  return require(file);
}

if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  // Not `npm run build`: npm would run the `prebuild` (prebuildify) script first.
  cp.execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const unixproc = require(path.join(ROOT, 'dist', 'index.js'));
const os = require(path.join(ROOT, 'dist', 'os', 'index.js'));
// This process's cgroup keeper (contained supervisors start it once; it lives as long as we
// do, by design, and removes the cgroups when we exit): not a leftover.
const { isOwnKeeper } = require(path.join(ROOT, 'dist', 'contain', 'owner.js'));

// ---- figures ---------------------------------------------------------------------------

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const median = (xs) => quantile(xs, 0.5);
const p90 = (xs) => quantile(xs, 0.9);
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fmt(ms) {
  return ms >= 100 ? `${ms.toFixed(0).padStart(7)} ms` : `${ms.toFixed(2).padStart(7)} ms`;
}
function line(name, ms, extra) {
  console.log(`  ${name.padEnd(46)} ${fmt(ms)}  ${extra ?? ''}`);
}
const x = (a, b) => `${(a / b).toFixed(2)}x`;

/** Interleaved rounds of synchronous contenders, medians (and p90s). */
function timeInterleaved(fns, rounds) {
  const ts = fns.map((fn) => {
    fn();
    return [];
  });
  for (let i = 0; i < rounds; i++) {
    fns.forEach((fn, k) => {
      const t = process.hrtime.bigint();
      fn();
      ts[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    });
  }
  return ts.map((t) => ({ median: median(t), p90: p90(t), samples: t }));
}

// ---- workload: SLEEPERS x `sleep 600`, children of one sh that waits for them ----------

function readPids(stream, n) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        stream.off('data', onData);
        resolve(lines.slice(0, n).map(Number));
      }
    };
    stream.on('data', onData);
    stream.on('error', reject);
  });
}

const workloads = new Set();

async function startWorkload() {
  const sh = cp.spawn('sh', ['-c', `i=0; while [ $i -lt ${SLEEPERS} ]; do sleep 600 >/dev/null & echo $!; i=$((i+1)); done; wait`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const w = { sh, sleepers: [], exited: new Promise((r) => sh.once('exit', r)) };
  workloads.add(w);
  w.sleepers = await readPids(sh.stdout, SLEEPERS);
  sh.stdout.destroy();
  return w;
}

/**
 * Ends a workload whatever state it is in, by pid: SIGKILL to the sleepers and the sh; a
 * sleeper re-parented to this process (its sh died first) is reaped by its pid.
 */
async function endWorkload(w) {
  for (const pid of [w.sh.pid, ...w.sleepers]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await w.exited;
  for (const pid of w.sleepers) {
    for (let i = 0; i < 500; i++) {
      let got;
      try {
        [got] = os.waitpid(pid, os.WNOHANG);
      } catch {
        break; // ECHILD: not ours (the sh reaped it), or already reaped
      }
      if (got === pid) break;
      await sleep(2);
    }
  }
  workloads.delete(w);
}

// ---- 1. leak guard ---------------------------------------------------------------------

async function benchGuard(anchor) {
  const guard = unixproc.startLeakGuard();
  try {
    const w = await startWorkload();
    const report = guard.check();
    const leaks = report.leaked.length;
    if (leaks < SLEEPERS + 1) throw new Error(`check() found ${leaks} leaks, expected ${SLEEPERS + 1}`);
    const total = unixproc.listProcesses().length;
    console.log(`leak guard: ${leaks} leaked descendants (${SLEEPERS} sleep + their sh), ${total} processes on the machine`);

    const [c, scan, check] = timeInterleaved(
      [() => anchor.scan('/proc'), () => unixproc.listProcesses(), () => guard.check()],
      11,
    );
    line('C loop (readdir+openat+read stat)', c.median);
    line('listProcesses() (one scan)', scan.median, `${x(scan.median, c.median)} C`);
    const rCheck = ratios(check.samples, scan.samples);
    line(`check() with ${leaks} leaks`, check.median, `${fmtRatio(rCheck)} a scan, ${x(check.median, c.median)} C; p90 ${fmt(check.p90).trim()} (no target)`);
    record({ name: `leak guard check() with ${leaks} leaks`, value: check.median, unit: 'ms', anchor: 'listProcesses()', ...rCheck });
    await endWorkload(w);

    // Kill-and-reap of the whole workload: the guard's cleanup() vs by hand, alternating.
    const byGuard = [];
    const byHand = [];
    const details = [];
    for (let r = 0; r < CLEANUP_ROUNDS; r++) {
      {
        const v = await startWorkload();
        await sleep(50); // the sh is in `wait`
        const t = now();
        const res = await guard.cleanup({ killGracePeriod: GRACE });
        byGuard.push(now() - t);
        if (!res.remaining.ok) throw new Error(`cleanup() left ${res.remaining.leaked.length} processes`);
        details.push({ signaled: res.signaled.length, reaped: res.reaped.length });
        await v.exited;
        workloads.delete(v);
      }
      {
        const v = await startWorkload();
        await sleep(50);
        const t = now();
        for (const pid of v.sleepers) process.kill(pid, 'SIGTERM');
        await v.exited; // the sh's `wait` has reaped every sleeper, then it exited
        byHand.push(now() - t);
        workloads.delete(v);
      }
    }
    const g = median(byGuard);
    const h = median(byHand);
    const d = details[details.length - 1];
    line(`by hand: kill(SIGTERM) x${SLEEPERS}, sh's wait reaps`, h, `max ${fmt(Math.max(...byHand)).trim()} (the floor)`);
    const rClean = ratios(byGuard, byHand);
    record({ name: `cleanup() of ${SLEEPERS + 1}`, value: g, unit: 'ms', anchor: 'kill(SIGTERM) by hand', ...rClean });
    line(`cleanup({ killGracePeriod: ${GRACE} }) of ${SLEEPERS + 1}`, g, `${fmtRatio(rClean)} by hand; max ${fmt(Math.max(...byGuard)).trim()}; ${d.signaled} signals sent, ${d.reaped} adopted reaped (no target)`);
    const after = guard.check();
    if (!after.ok) throw new Error(`the guard still sees ${after.leaked.length} leaks and ${after.zombies.length} zombies`);
  } finally {
    for (const w of [...workloads]) await endWorkload(w);
    guard.dispose();
  }
}

// ---- 2. the guard CLI, end to end ------------------------------------------------------

function benchCli() {
  const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
  const env = envWithoutExtraCa();
  const run = (file, args) => () => {
    const r = cp.spawnSync(file, args, { stdio: 'ignore', env });
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  };
  const [bare, nodeStart, guarded] = timeInterleaved(
    [run('/bin/true', []), run(process.execPath, ['-e', '0']), run(process.execPath, [cli, 'guard', '--', '/bin/true'])],
    11,
  );
  console.log('unixproc guard -- /bin/true, end to end (spawnSync, 11 interleaved rounds):');
  line('/bin/true', bare.median);
  line('node -e 0 (Node start, the floor)', nodeStart.median);
  const rGuard = ratios(guarded.samples, nodeStart.samples);
  record({ name: 'unixproc guard -- /bin/true', value: guarded.median, unit: 'ms', anchor: 'node -e 0', ...rGuard });
  line('unixproc guard -- /bin/true', guarded.median, `${fmtRatio(rGuard)} node -e 0: ${(guarded.median - nodeStart.median).toFixed(1)} ms beyond Node's start; p90 ${fmt(guarded.p90).trim()} (no target)`);
}

// ---- 3. supervisor ---------------------------------------------------------------------

/**
 * `n` restarts of /bin/false under supervise(): 'exit' event -> next 'spawn' event, and
 * 'spawn' -> 'spawn' (one whole cycle, the exit's detection included: the time a child
 * really exits cannot be seen from here). Between an 'exit' and the next 'spawn' the
 * supervisor looks for leftovers in the group (one /proc scan), kills and reaps the group
 * keeper, waits for the backoff timer (setTimeout 0), spawns the child and a new keeper.
 */
async function supervisedBlock(n) {
  const exitToSpawn = [];
  const cycle = [];
  let lastExit;
  let lastSpawn = now();
  let spawns = 0;
  const sup = unixproc.supervise('/bin/false', [], {
    restart: 'on-failure',
    backoff: { initial: 0 },
    startLimit: { maxRestarts: Infinity },
    stdio: 'ignore',
  });
  const finished = new Promise((resolve) => {
    sup.on('exit', () => {
      lastExit = now();
    });
    sup.on('spawn', () => {
      const t = now();
      exitToSpawn.push(t - lastExit);
      cycle.push(t - lastSpawn);
      lastSpawn = t;
      if (++spawns >= n) resolve();
    });
  });
  await finished;
  await sup.terminate();
  if (sup.state !== 'stopped') throw new Error(`supervisor ended ${sup.state}`);
  return { exitToSpawn, cycle };
}

/**
 * The naive supervisor: child_process, respawn in 'exit' (no process group, no keeper, no
 * leftover check). Timed after spawn() returns, i.e. once the child has exec'd.
 */
function naiveBlock(n) {
  return new Promise((resolve, reject) => {
    const exitToSpawn = [];
    const cycle = [];
    let lastSpawn = now();
    let spawns = 0;
    const start = (exitedAt) => {
      const c = cp.spawn('/bin/false', [], { stdio: 'ignore' });
      const t = now();
      if (exitedAt !== undefined) {
        exitToSpawn.push(t - exitedAt);
        cycle.push(t - lastSpawn);
      }
      lastSpawn = t;
      c.on('error', reject);
      c.on('exit', (code) => {
        const e = now();
        if (code !== 1) reject(new Error(`/bin/false exited with ${code}`));
        else if (spawns++ < n) start(e);
        else resolve({ exitToSpawn, cycle });
      });
    };
    start(undefined);
  });
}

async function benchSupervise() {
  // Warm-up of both paths (code loading, JIT), not measured.
  await supervisedBlock(10);
  await naiveBlock(10);
  const sup = { exitToSpawn: [], cycle: [] };
  const naive = { exitToSpawn: [], cycle: [] };
  const per = Math.ceil(RESTARTS / RESTART_BLOCKS);
  const blockMedians = { sup: [], naive: [], supCycle: [], naiveCycle: [] };
  for (let b = 0; b < RESTART_BLOCKS; b++) {
    const s = await supervisedBlock(per);
    const c = await naiveBlock(per);
    sup.exitToSpawn.push(...s.exitToSpawn);
    sup.cycle.push(...s.cycle);
    naive.exitToSpawn.push(...c.exitToSpawn);
    naive.cycle.push(...c.cycle);
    blockMedians.sup.push(median(s.exitToSpawn));
    blockMedians.naive.push(median(c.exitToSpawn));
    blockMedians.supCycle.push(median(s.cycle));
    blockMedians.naiveCycle.push(median(c.cycle));
  }
  const rRestart = ratios(blockMedians.sup, blockMedians.naive);
  const rCycle = ratios(blockMedians.supCycle, blockMedians.naiveCycle);
  record({ name: "supervise: 'exit' -> 'spawn'", value: median(sup.exitToSpawn), unit: 'ms', anchor: 'child_process respawn loop', ...rRestart });
  record({ name: 'supervise: spawn -> next spawn', value: median(sup.cycle), unit: 'ms', anchor: 'child_process respawn loop', ...rCycle });
  console.log(`supervise('/bin/false', restart 'on-failure', backoff 0): ${sup.cycle.length} restarts vs a child_process respawn loop, ${RESTART_BLOCKS} alternating blocks:`);
  line("naive: 'exit' event -> next child spawned", median(naive.exitToSpawn), `p90 ${fmt(p90(naive.exitToSpawn)).trim()} (the floor)`);
  line("supervise: 'exit' event -> 'spawn' event", median(sup.exitToSpawn), `${fmtRatio(rRestart)} naive (per block); p90 ${fmt(p90(sup.exitToSpawn)).trim()} (no target)`);
  line('naive: spawn -> next spawn (one whole cycle)', median(naive.cycle), `p90 ${fmt(p90(naive.cycle)).trim()}`);
  line('supervise: spawn -> next spawn (one cycle)', median(sup.cycle), `${fmtRatio(rCycle)} naive (per block); p90 ${fmt(p90(sup.cycle)).trim()} (no target)`);

  // Graceful stop of a child that dies of SIGTERM, alternating with child_process.
  const stops = [];
  const kills = [];
  for (let r = 0; r < STOP_ROUNDS; r++) {
    const s = unixproc.supervise('sleep', ['600'], { stdio: 'ignore' });
    await sleep(20);
    let t = now();
    const status = await s.terminate();
    stops.push(now() - t);
    if (status === undefined || status.kind !== 'signaled' || status.signal !== 'SIGTERM') {
      throw new Error(`terminate(): the child ended ${JSON.stringify(status)}`);
    }
    const c = cp.spawn('sleep', ['600'], { stdio: 'ignore' });
    const exited = new Promise((res) => c.once('exit', (code, signal) => res(signal)));
    await sleep(20);
    t = now();
    c.kill('SIGTERM');
    const signal = await exited;
    kills.push(now() - t);
    if (signal !== 'SIGTERM') throw new Error(`child_process child ended by ${signal}`);
  }
  console.log(`graceful terminate() of \`sleep 600\` (dies of SIGTERM), ${STOP_ROUNDS} alternating rounds:`);
  line("child_process: kill('SIGTERM') -> 'exit'", median(kills), `p90 ${fmt(p90(kills)).trim()} (the floor)`);
  const rStop = ratios(stops, kills);
  record({ name: 'supervise: terminate() of sleep 600', value: median(stops), unit: 'ms', anchor: "child_process kill('SIGTERM') -> 'exit'", ...rStop });
  line('supervise: await stop()', median(stops), `${fmtRatio(rStop)} child_process; p90 ${fmt(p90(stops)).trim()} (no target)`);
}

// ---- nothing left behind ---------------------------------------------------------------

async function leftoverChildren() {
  const self = process.pid;
  let left = [];
  for (let i = 0; i < 100; i++) {
    left = unixproc.listProcesses({ cmdline: true }).filter((p) => p.readable !== false && p.ppid === self && !isOwnKeeper(p.cmdline ?? []));
    if (left.length === 0) return [];
    await sleep(20);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return left;
}

async function main() {
  const anchor = loadAnchor();
  const t0 = now();
  await benchGuard(anchor);
  benchCli();
  await benchSupervise();
  const left = await leftoverChildren();
  console.log(`  (whole bench ${((now() - t0) / 1000).toFixed(1)} s; load average ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(' ')} on ${require('node:os').cpus().length} cores)`);
  if (left.length > 0) {
    console.error(`guard-supervise: ${left.length} children left behind: ${left.map((p) => `${p.pid} ${p.comm} ${p.state.letter}`).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    console.error(e);
    for (const w of [...workloads]) await endWorkload(w).catch(() => undefined);
    process.exit(1);
  },
);
