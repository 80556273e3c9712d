'use strict';
// Restart latency, spawn to ready (issue 11): how long from "restart it" to "the new child is
// ready", for
//   A. supervise() with ready: 'notify' (the child runs the real systemd-notify --ready and
//      then execs sleep; the supervisor checks the sender against the tree),
//   C. supervise() with ready: { fd: 3 } (the child writes a newline to its fd 3),
// against the anchor, measured in the same run:
//   B. the naive child_process respawn loop: kill the child, on 'exit' spawn it again, ready
//      at its first stdout byte (`echo ready`), no containment, no readiness protocol.
// Interleaved blocks (A B C A B C ...), each the median of RESTARTS restarts; printed: the
// median of the blocks, their spread (min..max), and A/B, C/B as the median of the blocks'
// ratios with their spread.
//
//   npm run build:ts && node bench/supervise-ready.js
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  cp.execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const { supervise } = require(path.join(ROOT, 'dist', 'index.js'));

const RESTARTS = Number(process.env.READY_BENCH_RESTARTS ?? 20);
const BLOCKS = Number(process.env.READY_BENCH_BLOCKS ?? 6);
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(2).padStart(8)} ms`;

async function supervisorBlock(options, script) {
  const sup = supervise('/bin/sh', ['-c', script], { killGracePeriod: 2000, ...options });
  await sup.ready();
  const times = [];
  for (let i = 0; i < RESTARTS; i++) {
    const t0 = now();
    await sup.restart();
    await sup.ready();
    times.push(now() - t0);
  }
  await sup.terminate();
  return median(times);
}

function naiveStart() {
  return new Promise((resolve, reject) => {
    const child = cp.spawn('/bin/sh', ['-c', 'echo ready; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.once('error', reject);
    child.stdout.once('data', () => resolve(child));
  });
}

async function naiveBlock() {
  let child = await naiveStart();
  const times = [];
  for (let i = 0; i < RESTARTS; i++) {
    const t0 = now();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    child = await naiveStart();
    times.push(now() - t0);
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return median(times);
}

async function main() {
  const a = [];
  const b = [];
  const c = [];
  for (let k = 0; k < BLOCKS; k++) {
    a.push(await supervisorBlock({ ready: 'notify' }, 'systemd-notify --ready; exec sleep 300'));
    b.push(await naiveBlock());
    c.push(await supervisorBlock({ ready: { fd: 3 } }, 'echo >&3; exec sleep 300'));
  }
  const spread = (xs) => `${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}`;
  const ratios = (xs) => xs.map((x, i) => x / b[i]);
  console.log(`restart to ready, median of ${BLOCKS} blocks of ${RESTARTS} restarts (spread of the block medians)`);
  console.log(`  A supervise ready:'notify' (systemd-notify)   ${fmt(median(a))}  (${spread(a)})`);
  console.log(`  B child_process respawn loop (anchor)         ${fmt(median(b))}  (${spread(b)})`);
  console.log(`  C supervise ready:{ fd: 3 }                   ${fmt(median(c))}  (${spread(c)})`);
  console.log(`  A/B ${median(ratios(a)).toFixed(2)}x (${spread(ratios(a))})   C/B ${median(ratios(c)).toFixed(2)}x (${spread(ratios(c))})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
