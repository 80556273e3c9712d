'use strict';
// fork() cost at a parent RSS of ~200 MB, beside CPython's os.fork() at a similar RSS in the
// same run (issue 3 target: <= 1.0x CPython). Both sides time the fork call in the parent
// (child _exit immediately) and fork + waitpid round trips.
// Run: node --single-threaded bench/fork-cost.js  (re-execs itself with --single-threaded
// when needed). Loads dist/ when built, else lib/ through test/helpers/ts-register.js.
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
if (!process.execArgv.includes('--single-threaded')) {
  const r = spawnSync(process.execPath, ['--single-threaded', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const fromSource = process.argv.includes('--from-source') || !fs.existsSync(path.join(root, 'dist', 'os', 'fork.js'));
if (fromSource) require(path.join(root, 'test', 'helpers', 'ts-register'));
const { fork } = require(path.join(root, fromSource ? 'lib/os/fork.ts' : 'dist/os/fork.js'));
const binding = require('node-gyp-build')(root);
const forkBinding = require('node-gyp-build')(path.join(root, 'fork-addon'));

const ROUNDS = 40;
const TARGET_RSS_MB = 200;

// Grow the JS heap until RSS is about the target.
const ballast = [];
while (process.memoryUsage().rss < TARGET_RSS_MB * 1024 * 1024) {
  const chunk = [];
  for (let i = 0; i < 50000; i++) chunk.push({ i, s: `b${i}`, a: [i, i + 1] });
  ballast.push(chunk);
}
const rssMb = process.memoryUsage().rss / 1048576;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// RssAnon (the memory whose page tables fork copies) and VmPTE (page-table size), in MB.
function memFigures() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]) / 1024;
  return { anon: kb('RssAnon'), pte: kb('VmPTE') };
}

const PHASES = ['park', 'scan', 'dofork', 'fork(2)', 'dontfork'];

function measureNode(forkFn) {
  const call = [];
  const round = [];
  const phases = PHASES.map(() => []);
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    const pid = forkFn();
    if (pid === 0) binding._exit(0);
    const t1 = process.hrtime.bigint();
    binding.waitpid(pid, 0);
    const t2 = process.hrtime.bigint();
    call.push(Number(t1 - t0) / 1e6);
    round.push(Number(t2 - t0) / 1e6);
    forkBinding.lastForkPhases().forEach((ms, i) => phases[i].push(ms));
  }
  return { call: median(call), round: median(round), phases: phases.map(median) };
}

const PY = `
import os, time, resource, statistics
target = ${Math.round(rssMb)} * 1024 * 1024
ballast = []
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
def status_mb(key):
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ':')) / 1024
while rss() < target:
    ballast.append([{'i': i, 's': 'b%d' % i, 'a': [i, i + 1]} for i in range(50000)])
call, rnd = [], []
for _ in range(${ROUNDS}):
    t0 = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    t1 = time.perf_counter_ns()
    os.waitpid(pid, 0)
    t2 = time.perf_counter_ns()
    call.append((t1 - t0) / 1e6); rnd.append((t2 - t0) / 1e6)
print(rss() / 1048576, statistics.median(call), statistics.median(rnd), status_mb('RssAnon'), status_mb('VmPTE'))
`;

const node = measureNode(() => fork());
const nodeMem = memFigures();
// The DOFORK dance alone: /proc/self/smaps read and parse (what fork() adds to fork(2)).
const scanTimes = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = process.hrtime.bigint();
  forkBinding.dontForkRanges();
  scanTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const [dcCount, dcBytes] = forkBinding.dontForkRanges();
const py = spawnSync('python3', ['-c', PY], { encoding: 'utf8' });
const fmt = (x) => x.toFixed(2);
console.log(`fork-cost (${ROUNDS} rounds, medians, ${fromSource ? 'lib/ sources' : 'dist/'})`);
console.log(
  `  unixproc fork(), parent RSS ${rssMb.toFixed(0)} MB (anon ${nodeMem.anon.toFixed(0)} MB, page tables ${nodeMem.pte.toFixed(1)} MB): ` +
    `call ${fmt(node.call)} ms, fork+waitpid ${fmt(node.round)} ms`,
);
console.log(`    phases (medians): ${PHASES.map((p, i) => `${p} ${fmt(node.phases[i])}`).join(', ')} ms`);
console.log(`  of which the smaps scan: ${fmt(median(scanTimes))} ms (${dcCount} MADV_DONTFORK mappings, ${(dcBytes / 1048576).toFixed(0)} MB)`);
if (py.status === 0) {
  const [pyRss, pyCall, pyRound, pyAnon, pyPte] = py.stdout.trim().split(/\s+/).map(Number);
  console.log(
    `  CPython os.fork(),  RSS ${pyRss.toFixed(0)} MB (anon ${pyAnon.toFixed(0)} MB, page tables ${pyPte.toFixed(1)} MB): ` +
      `call ${fmt(pyCall)} ms, fork+waitpid ${fmt(pyRound)} ms`,
  );
  console.log(`  ratio vs CPython: call ${fmt(node.call / pyCall)}x, fork+waitpid ${fmt(node.round / pyRound)}x (target <= 1.00x)`);
  console.log(`  fork(2) alone in the Node parent vs CPython's whole os.fork(): ${fmt(node.phases[3] / pyCall)}x`);
} else {
  console.log(`  CPython anchor unavailable: ${py.stderr.trim().split('\n').pop()}`);
}
