'use strict';
// A 20-service Procfile under `unixproc supervise --procfile`, beside foreman (the original,
// Debian's ruby-foreman) running the same file, interleaved round by round:
// - to all-ready: from the manager's spawn until every service's first line ("up") has come
//   out of the manager's stdout, prefixed with its name;
// - to all-stopped: from SIGTERM to the manager until it has exited, every service ended.
// unixproc starts the services in order, each once the previous one is ready (exec'd, with
// the default readiness), and stops them in reverse order; foreman starts them all at once
// and signals them all at once. Without foreman installed, unixproc's figures are printed alone.
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { ratios, fmtRatio, record, envWithoutExtraCa, quantile } = require('./support/report');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const SERVICES = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-procfile-bench-'));
const procfile = path.join(dir, 'Procfile');
fs.writeFileSync(
  procfile,
  Array.from({ length: SERVICES }, (_, i) => `s${String(i).padStart(2, '0')}: echo up; exec sleep 600\n`).join(''),
);

function hasForeman() {
  return cp.spawnSync('foreman', ['version'], { stdio: 'ignore' }).status === 0;
}

/** One start and stop: { ready, stopped } in ms. */
function round(argv) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = cp.spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], env: envWithoutExtraCa(), cwd: dir });
    const seen = new Set();
    let buf = '';
    let ready;
    let tStop;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        const m = /\b(s\d\d)(?:\.1)?\s*\| up$/.exec(l);
        if (m) seen.add(m[1]);
      }
      if (ready === undefined && seen.size === SERVICES) {
        ready = performance.now() - t0;
        tStop = performance.now();
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (ready === undefined) reject(new Error(`${argv.join(' ')} exited (${code ?? signal}) before every service was up: saw ${seen.size}`));
      else resolve({ ready, stopped: performance.now() - tStop });
    });
  });
}

async function main() {
  const foreman = hasForeman();
  const ours = [process.execPath, BIN, 'supervise', '--procfile', procfile, '--kill-grace-period', '5000'];
  const theirs = ['foreman', 'start', '-f', procfile, '-d', dir];
  const a = { ready: [], stopped: [] };
  const b = { ready: [], stopped: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const x = await round(ours);
    a.ready.push(x.ready);
    a.stopped.push(x.stopped);
    if (foreman) {
      const y = await round(theirs);
      b.ready.push(y.ready);
      b.stopped.push(y.stopped);
    }
  }
  const ms = (xs) => `${quantile(xs, 0.5).toFixed(1)} ms (${quantile(xs, 0.25).toFixed(1)}..${quantile(xs, 0.75).toFixed(1)})`;
  console.log(`procfile: ${SERVICES} services, ${ROUNDS} interleaved rounds, median (p25..p75)`);
  console.log(`  unixproc supervise --procfile: to all-ready ${ms(a.ready)}, to all-stopped ${ms(a.stopped)}`);
  if (!foreman) {
    console.log('  foreman (anchor) not installed: apt-get install ruby-foreman');
  } else {
    console.log(`  foreman start (anchor):        to all-ready ${ms(b.ready)}, to all-stopped ${ms(b.stopped)}`);
    const r = ratios(a.ready, b.ready);
    const s = ratios(a.stopped, b.stopped);
    console.log(`  ratio to foreman: all-ready ${fmtRatio(r)}, all-stopped ${fmtRatio(s)}`);
    record({ name: 'procfile all-ready (20 services)', value: quantile(a.ready, 0.5), unit: 'ms', anchor: 'foreman', ...r });
    record({ name: 'procfile all-stopped (20 services)', value: quantile(a.stopped, 0.5), unit: 'ms', anchor: 'foreman', ...s });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
