'use strict';
// `unixproc ps` end to end (a fresh Node, the bin, the addon, the scan, the table on a pipe)
// beside, in the same run and interleaved round by round, procps
// `ps -e -o pid,ppid,pgid,sid,tty,stat,time,comm` (the same columns) and `node -e 0` (Node's
// own start, the floor of any Node command), in an environment without NODE_EXTRA_CA_CERTS
// (below). Builds its own workload: 1900 sleeping
// processes, children of this process, killed and reaped at the end (child_process reaps
// its own). Issue 14 item 4: `unixproc ps` <= 1.3x procps `ps` at ~2000 processes.
//
// Wall time is what a user waits for; CPU time (user + system, from getrusage(RUSAGE_CHILDREN)
// around each run) is printed beside it because it moves far less when the machine is busy.
// The spread is the interquartile range (p25..p75) of the rounds.
//
//   node bench/cli-startup.js        (needs `npm run build:ts`; CLI_BENCH_SLEEPERS, CLI_BENCH_ROUNDS)
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { record } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
const SLEEPERS = Number(process.env.CLI_BENCH_SLEEPERS ?? 1900);
const ROUNDS = Number(process.env.CLI_BENCH_ROUNDS ?? 21);
const PS_COLUMNS = 'pid,ppid,pgid,sid,tty,stat,time,comm';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const bin = path.join(ROOT, pkg.bin.unixproc);
const { getrusage, RUSAGE_CHILDREN } = require(path.join(ROOT, 'dist', 'resource'));
const FLOOR_SCRIPT = `require(${JSON.stringify(path.join(ROOT, 'build', 'Release', 'unixproc.node'))}).procScan('/proc', -1, 8, false)`;

function childCpuMs() {
  const r = getrusage(RUSAGE_CHILDREN);
  return (r.ru_utime + r.ru_stime) * 1000;
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const file = path.join(dir || '.', cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

// NODE_EXTRA_CA_CERTS makes every Node process read and parse that file of certificates
// while it starts, before any JavaScript runs (Node 20 loads it eagerly): on the machines
// this project is measured on it is set to the whole system bundle and costs ~90 ms per
// start, most of `node -e 0`, whatever the program. It is a setting of the environment, not
// of unixproc, so the figures are taken without it; when it is set, its cost is printed
// beside them (the last line).
const CA_VAR = 'NODE_EXTRA_CA_CERTS';
const ENV = { ...process.env };
delete ENV[CA_VAR];

/** Runs argv once with stdout on a pipe (read to the end, as `| less` would): wall and CPU ms, and the output. */
function runOnce(argv, env = ENV) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = childCpuMs() - cpu0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 300)}`);
  return { wall, cpu, stdout: String(r.stdout) };
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function spawnSleepers(n) {
  const kids = [];
  for (let i = 0; i < n; i++) kids.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
  return kids;
}

async function endSleepers(kids) {
  await Promise.all(
    kids.map(
      (k) =>
        new Promise((resolve) => {
          if (k.exitCode !== null || k.signalCode !== null) return resolve();
          k.once('exit', resolve);
          k.kill('SIGKILL');
        }),
    ),
  );
}

async function main() {
  const ps = which('ps');
  if (ps === undefined) {
    console.log('cli-startup: procps ps is not installed (apt-get install procps); nothing to compare with');
    return;
  }
  const kids = spawnSleepers(SLEEPERS);
  try {
    // Let every sleep reach exec (a fork not yet exec'd shows as node in the table).
    await new Promise((r) => setTimeout(r, 300));
    const cases = [
      { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { name: 'unixproc ps', argv: [process.execPath, bin, 'ps'] },
      { name: `procps ps -e -o ${PS_COLUMNS}`, argv: [ps, '-e', '-o', PS_COLUMNS] },
      // The floor of any Node ps: Node's start, the addon and the native scan ps makes
      // (stat + status of every process: mask 8 is Extra.status, lib/proc/binding.ts), nothing
      // built, nothing printed.
      { name: 'floor: node + addon + native scan', argv: [process.execPath, '-e', FLOOR_SCRIPT] },
    ];
    if (process.env[CA_VAR] !== undefined) {
      cases.push({ name: `node -e 0, with ${CA_VAR} as set here`, argv: [process.execPath, '-e', '0'], env: process.env });
    }
    // One warm-up round (page cache, the addon's pages), then ABAB rounds.
    const rows = cases.map((c) => ({ ...c, lines: runOnce(c.argv, c.env).stdout.split('\n').length - 1, wall: [], cpu: [] }));
    for (let i = 0; i < ROUNDS; i++) {
      for (const c of rows) {
        const r = runOnce(c.argv, c.env);
        c.wall.push(r.wall);
        c.cpu.push(r.cpu);
      }
    }
    const ours = rows[1];
    const procps = rows[2];
    const node = rows[0];
    console.log(
      `cli-startup: ${ours.lines - 1} processes listed by unixproc ps, ${procps.lines - 1} by procps ps -e (which also lists ` +
        `kernel threads); ${SLEEPERS} sleeping + the machine's own; ${ROUNDS} interleaved rounds`,
    );
    const fmt = (x) => x.toFixed(1).padStart(7);
    console.log(`  ${'command'.padEnd(50)}    wall median (p25..p75)       cpu median (p25..p75)`);
    for (const c of rows) {
      console.log(
        `  ${c.name.padEnd(50)} ${fmt(quantile(c.wall, 0.5))} ms (${quantile(c.wall, 0.25).toFixed(1)}..${quantile(c.wall, 0.75).toFixed(1)})` +
          `   ${fmt(quantile(c.cpu, 0.5))} ms (${quantile(c.cpu, 0.25).toFixed(1)}..${quantile(c.cpu, 0.75).toFixed(1)})`,
      );
    }
    // Ratios per round (the rounds are interleaved, so a busy moment hits both sides), then their median.
    const ratio = (a, b, key) => quantile(a[key].map((x, i) => x / b[key][i]), 0.5);
    const spread = (a, b, key) => {
      const rs = a[key].map((x, i) => x / b[key][i]);
      return `${quantile(rs, 0.25).toFixed(2)}..${quantile(rs, 0.75).toFixed(2)}`;
    };
    const wallRatio = ratio(ours, procps, 'wall');
    const rec = (name, a, b, anchor, target) => {
      const rs = a.wall.map((x, i) => x / b.wall[i]);
      record({ name, value: quantile(a.wall, 0.5), unit: 'ms', anchor, ratio: quantile(rs, 0.5), p25: quantile(rs, 0.25), p75: quantile(rs, 0.75), ...(target ? { target } : {}) });
    };
    rec('unixproc ps, wall', ours, procps, `procps ps -e -o ${PS_COLUMNS}`, '<= 1.3x');
    rec('unixproc ps, wall', ours, node, 'node -e 0');
    rec('floor: node + addon + native scan, wall', rows[3], procps, `procps ps -e -o ${PS_COLUMNS}`);
    console.log(`  unixproc ps / procps ps: wall ${wallRatio.toFixed(2)}x (${spread(ours, procps, 'wall')}), cpu ${ratio(ours, procps, 'cpu').toFixed(2)}x (${spread(ours, procps, 'cpu')})   target <= 1.3x wall: ${wallRatio <= 1.3 ? 'met' : 'NOT met'}`);
    console.log(`  unixproc ps / node -e 0: wall ${ratio(ours, node, 'wall').toFixed(2)}x (${spread(ours, node, 'wall')}), cpu ${ratio(ours, node, 'cpu').toFixed(2)}x (${spread(ours, node, 'cpu')})`);
    const floor = rows[3];
    console.log(`  floor / procps ps: wall ${ratio(floor, procps, 'wall').toFixed(2)}x (${spread(floor, procps, 'wall')}), cpu ${ratio(floor, procps, 'cpu').toFixed(2)}x (${spread(floor, procps, 'cpu')})`);
    const over = ours.wall.map((x, i) => x - node.wall[i]);
    console.log(`  unixproc ps beyond Node's own start: ${quantile(over, 0.5).toFixed(1)} ms wall (${quantile(over, 0.25).toFixed(1)}..${quantile(over, 0.75).toFixed(1)})`);
    if (rows.length > 4) {
      const ca = rows[4].wall.map((x, i) => x - node.wall[i]);
      console.log(
        `  ${CA_VAR}=${process.env[CA_VAR]} is set here: it adds ${quantile(ca, 0.5).toFixed(1)} ms (${quantile(ca, 0.25).toFixed(1)}..${quantile(ca, 0.75).toFixed(1)}) ` +
          `to every Node start (node -e 0 included); the figures above are without it`,
      );
    }
  } finally {
    await endSleepers(kids);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
