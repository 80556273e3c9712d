'use strict';
// Serial posix_spawn + waitpid of /bin/true (issue 2's benchmark).
//
// unixproc/os posix_spawn + waitpid, against anchors measured in the same run:
// - a C loop inside this Node process (bench/anchor-spawn, a tiny separate addon built here
//   with node-gyp if needed): "hygienic" does what unixproc's posix_spawn always does (all
//   signals to default, empty mask, 0..2 passed on, closefrom(3)), "plain" is a bare
//   posix_spawn; the hygienic loop is the limit the target is measured against;
// - child_process.spawnSync('/bin/true');
// - CPython's os.posix_spawn + os.waitpid, timed by python3 itself.
// Targets: unixproc <= 1.15x the C loop; >= 2x faster than spawnSync.
// Figures are the median per-spawn time over interleaved rounds (CPython, one python3 per
// round, interleaved too); ratios are per round, printed as median (p25..p75).
// Run: node bench/posix-spawn.js (BENCH_ROUNDS, BENCH_PER_ROUND)
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ratios, fmtRatio, record } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || 300);
const PROGRAM = '/bin/true';

function loadUnixprocOs() {
  const dist = path.join(ROOT, 'dist', 'os', 'index.js');
  if (!fs.existsSync(dist)) {
    console.error('building dist/ (tsc -p tsconfig.build.json)...');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  return require(dist);
}

function loadAnchor() {
  const dir = path.join(__dirname, 'anchor-spawn');
  const built = path.join(dir, 'build', 'Release', 'anchor_spawn.node');
  if (!fs.existsSync(built)) {
    console.error('building bench/anchor-spawn (node-gyp)...');
    const gyp = require.resolve('node-gyp/bin/node-gyp.js');
    const args = [gyp, 'rebuild'];
    // Use the headers of the running node when they are installed next to it.
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
    execFileSync(process.execPath, args, { cwd: dir, stdio: 'pipe' });
  }
  return require(built);
}

const PYTHON = `
import os, sys, time, json
rounds, n, prog = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
env = dict(os.environ)
out = []
for _ in range(10):
    os.waitpid(os.posix_spawn(prog, [prog], env), 0)
for _ in range(rounds):
    t = time.perf_counter_ns()
    for _ in range(n):
        os.waitpid(os.posix_spawn(prog, [prog], env), 0)
    out.append((time.perf_counter_ns() - t) / n / 1000)
print(json.dumps(out))
`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main() {
  const os = loadUnixprocOs();
  const anchor = loadAnchor();
  const methods = {
    'unixproc posix_spawn+waitpid': (n) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) os.waitpid(os.posix_spawn(PROGRAM, ['true'], null), 0);
      return Number(process.hrtime.bigint() - t) / n / 1000;
    },
    'unixproc, env=process.env': (n) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) os.waitpid(os.posix_spawn(PROGRAM, ['true'], process.env), 0);
      return Number(process.hrtime.bigint() - t) / n / 1000;
    },
    'C loop, same attributes (limit)': (n) => {
      const ns = anchor.hygienic(n, PROGRAM);
      if (ns < 0) throw new Error(`anchor failed: errno ${-ns}`);
      return ns / n / 1000;
    },
    'C loop, bare posix_spawn': (n) => {
      const ns = anchor.plain(n, PROGRAM);
      if (ns < 0) throw new Error(`anchor failed: errno ${-ns}`);
      return ns / n / 1000;
    },
    'child_process.spawnSync': (n) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) spawnSync(PROGRAM);
      return Number(process.hrtime.bigint() - t) / n / 1000;
    },
  };
  const samples = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
  for (const fn of Object.values(methods)) fn(50); // warm-up
  const CPY = 'CPython os.posix_spawn+waitpid';
  let pyOk = true;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(methods)) samples[name].push(fn(PER_ROUND));
    if (pyOk) {
      const py = spawnSync('python3', ['-c', PYTHON, '1', String(PER_ROUND), PROGRAM], { encoding: 'utf8' });
      if (py.status === 0) (samples[CPY] ??= []).push(JSON.parse(py.stdout)[0]);
      else {
        pyOk = false;
        delete samples[CPY];
        console.error('python3 not available: CPython anchor skipped');
      }
    }
  }
  const us = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));

  const ours = us['unixproc posix_spawn+waitpid'];
  const limit = us['C loop, same attributes (limit)'];
  console.log(`posix_spawn + waitpid of ${PROGRAM}, serial; median of ${ROUNDS} rounds x ${PER_ROUND} (us per spawn)`);
  for (const [name, v] of Object.entries(us)) {
    console.log(`  ${name.padEnd(34)} ${v.toFixed(1).padStart(8)} us   ${(v / ours).toFixed(2)}x unixproc`);
  }
  const mine = samples['unixproc posix_spawn+waitpid'];
  const rC = ratios(mine, samples['C loop, same attributes (limit)']);
  const rSync = ratios(samples['child_process.spawnSync'], mine);
  const vsC = rC.ratio;
  const vsSync = rSync.ratio;
  console.log(`ratios per round, median (p25..p75):`);
  console.log(`target: unixproc <= 1.15x the C loop: ${fmtRatio(rC)} ${vsC <= 1.15 ? 'MET' : 'MISSED'}`);
  console.log(`target: >= 2x faster than spawnSync: ${fmtRatio(rSync)} ${vsSync >= 2 ? 'MET' : 'MISSED'}`);
  record({ name: 'posix_spawn+waitpid of /bin/true', value: ours, unit: 'us', anchor: 'C loop, same attributes', ...rC, target: '<= 1.15x' });
  record({ name: 'spawnSync / unixproc posix_spawn+waitpid (times faster)', value: ours, unit: 'us', anchor: 'child_process.spawnSync', ...rSync, target: '>= 2x' });
  if (samples[CPY] !== undefined) {
    const rPy = ratios(samples[CPY], mine);
    console.log(`CPython / unixproc: ${fmtRatio(rPy)}`);
    record({ name: 'CPython / unixproc posix_spawn+waitpid (times faster)', value: ours, unit: 'us', anchor: 'CPython os.posix_spawn+waitpid', ...rPy });
  }
}

main();
