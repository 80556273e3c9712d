'use strict';
// Containment (issue 10), per mechanism (cgroup, subreaper), each figure beside its anchor
// measured in the same run, as a ratio against the issue's target:
//
// 1. contained spawn()+wait() of /bin/true vs plain spawn()+wait() (target <= 1.5x), in
//    alternating blocks (the median of the blocks' ratios, with their spread); beside it
//    for the subreaper, the kernel's floor: the same two processes from a C loop
//    (bench/anchor-contain, built here with cc), against posix_spawn+waitpid of /bin/true;
// 2. terminate() of a 100-process tree (sh, 98 sleeps, one setsid'd sleep) until "all gone"
//    (target <= 20 ms); beside it, the same tree ended by hand with a process-group SIGKILL,
//    which misses the setsid'd sleep (the reason for containment);
// 3. usage() of a 100-process tree vs one listProcesses() scan of /proc (target <= 1x);
// 4. the owner (a node process) SIGKILLed: until every member is gone (the guarantee says
//    within 1 s), polled in /proc by pid + start time.
//
// This process is a child subreaper (what the owner leaves is re-parented here and reaped
// by pid); at the end it must have no child left.
//
//   npm run build:ts && node bench/contain.js
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { quantile, record } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  cp.execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const unixproc = require(path.join(ROOT, 'dist', 'index.js'));
const { setChildSubreaper } = require(path.join(ROOT, 'dist', 'guard', 'subreaper.js'));
const os = require(path.join(ROOT, 'dist', 'os', 'index.js'));
const { shepherdPath } = require(path.join(ROOT, 'dist', 'contain', 'launch.js'));

const SPAWNS = Number(process.env.CONTAIN_BENCH_SPAWNS ?? 50);
const BLOCKS = 10;
const TREES = Number(process.env.CONTAIN_BENCH_TREES ?? 5);
const OWNERS = Number(process.env.CONTAIN_BENCH_OWNERS ?? 3);
const TREE_SHELL = `${'sleep 300 & '.repeat(98)}setsid sleep 300 & wait`;

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 100 ? `${ms.toFixed(0).padStart(8)} ms` : `${ms.toFixed(3).padStart(8)} ms`);
const line = (name, ms, extra = '') => console.log(`  ${name.padEnd(52)} ${fmt(ms)}  ${extra}`);
const ratio = (a, b, target) => `${(a / b).toFixed(2)}x (target <= ${target})`;

function stat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
const aliveMember = (m) => {
  const f = stat(m.pid);
  return f !== undefined && Number(f[19]) === m.startTime && f[0] !== 'Z';
};

async function spawnWait(options, n) {
  const t0 = now();
  for (let i = 0; i < n; i++) await unixproc.spawn('/bin/true', [], options).wait();
  return (now() - t0) / n;
}

const spread = (xs) => `(${BLOCKS} blocks of ${SPAWNS}: ${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)} ms)`;

/** The C loop's figures (bench/anchor-contain/contain_floor.c), built with cc into a temp dir. */
function cFloor() {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'unixproc-bench-'));
  try {
    const exe = path.join(dir, 'contain_floor');
    cp.execFileSync('cc', ['-O2', '-o', exe, path.join(__dirname, 'anchor-contain', 'contain_floor.c')], { stdio: 'pipe' });
    const out = cp.execFileSync(exe, [shepherdPath(), String(BLOCKS), String(SPAWNS)], { encoding: 'utf8' });
    const rows = out.trim().split('\n').map((l) => l.split(' '));
    const p = rows.map((r) => Number(r[1]) / 1000);
    const s = rows.map((r) => Number(r[3]) / 1000);
    const r = p.map((x, i) => s[i] / x);
    line('  anchor, C loop: posix_spawn+waitpid of /bin/true', median(p), spread(p));
    line('  anchor, C loop: the shepherd + /bin/true, R, waitpid', median(s), spread(s));
    console.log(`  ${'  the kernel\'s floor for the subreaper: ratio'.padEnd(52)} ${`${median(r).toFixed(2)}x`.padStart(11)}  (blocks ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`);
  } catch (e) {
    console.log(`  anchor, C loop: not run (${e.message.split('\n')[0]})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function untilTree(child, n) {
  while (child.members().length < n) await sleep(5);
}

/** Reaps whatever this subreaper adopted, by pid (never waitpid(-1)). */
function reapAdopted() {
  let text = '';
  try {
    text = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1');
  } catch {
    return;
  }
  for (const w of text.split(' ')) {
    const pid = Number(w);
    if (!(pid > 0) || stat(pid)?.[0] !== 'Z') continue;
    try {
      os.waitpid(pid, os.WNOHANG);
    } catch {
      // one of our spawn() children: its handle reaps it
    }
  }
}

async function benchMechanism(mechanism) {
  console.log(`\n-- ${mechanism}`);
  // 1. spawn+wait
  await spawnWait({}, 10);
  await spawnWait({ contain: mechanism }, 10);
  const plain = [];
  const contained = [];
  for (let b = 0; b < BLOCKS; b++) {
    plain.push(await spawnWait({}, SPAWNS));
    contained.push(await spawnWait({ contain: mechanism }, SPAWNS));
  }
  const ratios = plain.map((p, i) => contained[i] / p);
  line('plain spawn()+wait() of /bin/true', median(plain), spread(plain));
  line(`contained spawn()+wait() (${mechanism})`, median(contained), spread(contained));
  console.log(`  ${'  ratio, median of the blocks'.padEnd(52)} ${`${median(ratios).toFixed(2)}x`.padStart(11)}  (target <= 1.5x; blocks ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
  record({ name: `contained spawn()+wait() (${mechanism})`, value: median(contained), unit: 'ms', anchor: 'plain spawn()+wait()', ratio: median(ratios), p25: quantile(ratios, 0.25), p75: quantile(ratios, 0.75), target: '<= 1.5x' });
  if (mechanism === 'subreaper') cFloor();

  // 2. terminate() of a 100-process tree with a setsid'd escapee
  const terminateTimes = [];
  const usageTimes = [];
  const scanTimes = [];
  for (let i = 0; i < TREES; i++) {
    const child = unixproc.spawn('/bin/sh', ['-c', TREE_SHELL], { contain: mechanism, killGracePeriod: 1000 });
    await untilTree(child, 100);
    // 3. usage() vs one listProcesses() scan, interleaved
    for (let k = 0; k < 5; k++) {
      let t0 = now();
      child.usage();
      usageTimes.push(now() - t0);
      t0 = now();
      unixproc.listProcesses();
      scanTimes.push(now() - t0);
    }
    const members = child.members();
    const t0 = now();
    await child.terminate();
    terminateTimes.push(now() - t0);
    if (members.some(aliveMember)) throw new Error('a member survived terminate()');
    reapAdopted();
  }
  line(`terminate() of 100 processes, 1 setsid'd (${mechanism})`, median(terminateTimes), `(target <= 20 ms)`);
  record({ name: `terminate() of 100 processes (${mechanism})`, value: median(terminateTimes), unit: 'ms', p25: quantile(terminateTimes, 0.25), p75: quantile(terminateTimes, 0.75), target: '<= 20 ms', met: median(terminateTimes) <= 20 });
  {
    const rs = usageTimes.map((u, i) => u / scanTimes[i]);
    record({ name: `usage() of a 100-process tree (${mechanism})`, value: median(usageTimes), unit: 'ms', anchor: 'listProcesses()', ratio: median(rs), p25: quantile(rs, 0.25), p75: quantile(rs, 0.75), target: '<= 1x' });
  }
  line(`usage() of the 100-process tree (${mechanism})`, median(usageTimes), ratio(median(usageTimes), median(scanTimes), '1x'));
  line('  one listProcesses() scan of /proc', median(scanTimes));

  // 4. the owner SIGKILLed
  const ownerTimes = [];
  for (let i = 0; i < OWNERS; i++) {
    const script = `const { spawn } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
const c = spawn('/bin/sh', ['-c', ${JSON.stringify(TREE_SHELL)}], { contain: ${JSON.stringify(mechanism)} });
const tick = () => { const m = c.members(); if (m.length >= 100) process.stdout.write(JSON.stringify(m) + '\\n'); else setTimeout(tick, 5); };
tick(); setInterval(() => {}, 1000);`;
    const owner = unixproc.spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    for await (const chunk of owner.stdout) {
      text += chunk;
      if (text.includes('\n')) break;
    }
    const members = JSON.parse(text);
    const t0 = now();
    owner.kill('SIGKILL');
    for (;;) {
      reapAdopted();
      if (!members.some(aliveMember)) break;
      if (now() - t0 > 10000) throw new Error('members still alive 10 s after the owner was SIGKILLed');
      await sleep(1);
    }
    ownerTimes.push(now() - t0);
    await owner.wait();
  }
  line(`owner SIGKILLed -> 100 members gone (${mechanism})`, median(ownerTimes), '(guarantee: within 1000 ms)');
  record({ name: `owner SIGKILLed -> members gone (${mechanism})`, value: median(ownerTimes), unit: 'ms', target: '<= 1000 ms', met: Math.max(...ownerTimes) <= 1000 });
}

async function anchorGroupKill() {
  // The same tree, not contained, in its own process group, ended by one killpg: fast,
  // and it misses the setsid'd sleep, which is then killed by pid here.
  const child = unixproc.spawn('/bin/sh', ['-c', TREE_SHELL], { processGroup: true });
  const pids = () => unixproc.listProcesses().filter((p) => p.pgid === child.pid || p.ppid === child.pid);
  while (pids().length < 100) await sleep(5);
  const all = pids().map((p) => p.pid);
  const t0 = now();
  process.kill(-child.pid, 'SIGKILL');
  await child.wait();
  const ms = now() - t0;
  const escaped = all.filter((p) => stat(p)?.[0] !== undefined && stat(p)[0] !== 'Z');
  line('anchor: killpg(SIGKILL) of the same tree, not contained', ms, `(${escaped.length} process(es) escaped)`);
  for (const p of escaped) process.kill(p, 'SIGKILL');
  await sleep(50);
  reapAdopted();
}

(async () => {
  setChildSubreaper(true);
  await anchorGroupKill();
  for (const m of ['cgroup', 'subreaper']) await benchMechanism(m);
  await sleep(100);
  reapAdopted();
  const left = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim();
  const keeperOnly = left.split(' ').filter(Boolean).every((p) => (fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[1] ?? '') === 'keeper');
  if (left !== '' && !keeperOnly) {
    console.log(`!!! children left: ${left}`);
    process.exit(1);
  }
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
