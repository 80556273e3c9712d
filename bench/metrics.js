'use strict';
// One `unixproc metrics` scrape (every collector, then the text exposition) against one
// listProcesses() scan, measured in the same run, interleaved call by call. Builds its own
// workload: 1900 sleeping processes and 10 zombies (with the machine's own, about 2000
// processes), all ended and reaped at the end, by pid. Issue 14 target: a scrape costs at
// most 2x one listProcesses() scan. Also shown: a scrape with a --group that matches every
// sleep (its open fd counts are read: one readdir per member).
//
//   node bench/metrics.js            (needs `npm run build:ts` for dist/)
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ratios, fmtRatio, record } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
const SLEEPERS = Number(process.env.METRICS_BENCH_SLEEPERS ?? 1900);
const ZOMBIES = 10;
const ROUNDS = Number(process.env.METRICS_BENCH_ROUNDS ?? 41);

function load() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'metrics', 'collect.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  return {
    proc: require(path.join(ROOT, 'dist', 'proc')),
    collect: require(path.join(ROOT, 'dist', 'metrics', 'collect.js')),
    exposition: require(path.join(ROOT, 'dist', 'metrics', 'exposition.js')),
  };
}

function readLines(stream, n) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        stream.off('data', onData);
        resolve(lines.slice(0, n));
      }
    };
    stream.on('data', onData);
    stream.on('error', reject);
  });
}

function stateOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2)[0];
  } catch {
    return '?';
  }
}

// The sleeps are children of one sh that prints their pids and waits for them; the zombies
// are children of a python3 that reaps them when its stdin closes.
async function buildWorkload() {
  const sh = spawn('sh', ['-c', `i=0; while [ $i -lt ${SLEEPERS} ]; do sleep 600 & echo $!; i=$((i+1)); done; wait`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const shExit = new Promise((r) => sh.once('exit', r));
  const sleepers = (await readLines(sh.stdout, SLEEPERS)).map(Number);
  const holder = spawn(
    'python3',
    [
      '-c',
      `import os, sys\npids = []\nfor _ in range(${ZOMBIES}):\n    p = os.fork()\n    if p == 0: os._exit(0)\n    pids.append(p)\n    print(p, flush=True)\nsys.stdin.read()\nfor p in pids: os.waitpid(p, 0)`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const holderExit = new Promise((r) => holder.once('exit', r));
  const zombies = (await readLines(holder.stdout, ZOMBIES)).map(Number);
  for (let i = 0; i < 200 && !zombies.every((z) => stateOf(z) === 'Z'); i++) await new Promise((r) => setTimeout(r, 10));
  return { sh, shExit, sleepers, holder, holderExit, zombies };
}

async function teardown(w) {
  w.holder.stdin.end(); // it reaps its zombies, then exits
  await w.holderExit;
  for (const pid of w.sleepers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await w.shExit; // sh's `wait` reaped every sleep; child_process reaps sh
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Median and spread (10th to 90th percentile) of each function, interleaved call by call. */
function timeInterleaved(fns) {
  const ts = fns.map((fn) => {
    fn();
    return [];
  });
  for (let i = 0; i < ROUNDS; i++) {
    fns.forEach((fn, k) => {
      const t = process.hrtime.bigint();
      fn();
      ts[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    });
  }
  return ts.map((xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: xs };
  });
}

// The ratio is per round (call by call, interleaved), median (p25..p75).
function show(name, t, anchor, target) {
  const r = ratios(t.samples, anchor.samples);
  const ratio = r.ratio;
  const spread = `p10-p90 ${t.p10.toFixed(2)}-${t.p90.toFixed(2)} ms`;
  const verdict = target === undefined ? '' : ratio <= target ? `  (target <= ${target}x: met)` : `  (target <= ${target}x: NOT met)`;
  console.log(`  ${name.padEnd(44)} ${t.median.toFixed(2).padStart(8)} ms  ${spread.padEnd(26)} ${fmtRatio(r)}${verdict}`);
  if (t !== anchor) record({ name, value: t.median, unit: 'ms', anchor: 'listProcesses()', ...r, ...(target === undefined ? {} : { target: `<= ${target}x` }) });
}

async function main() {
  const { proc, collect, exposition } = load();
  const w = await buildWorkload();
  try {
    const n = proc.listProcesses().length;
    const plain = new collect.ProcessMetricsCollector();
    const grouped = new collect.ProcessMetricsCollector({ groups: [{ name: 'sleep', pattern: /^sleep$/ }] });
    const zombies = plain.collect().find((f) => f.name === 'unixproc_zombies').samples.reduce((s, x) => s + x.value, 0);
    console.log(`metrics: ${n} processes (${SLEEPERS} sleeping + ${zombies} zombies + the machine's own), ${ROUNDS} interleaved rounds`);
    const [scan, scrape, groupScrape] = timeInterleaved([
      () => proc.listProcesses(),
      () => exposition.formatExposition(plain.collect(), 'text'),
      () => exposition.formatExposition(grouped.collect(), 'text'),
    ]);
    show('listProcesses() (the anchor)', scan, scan);
    show('one scrape (every collector + text exposition)', scrape, scan, 2);
    show('one scrape with --group sleep=^sleep$', groupScrape, scan);
  } finally {
    await teardown(w);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
