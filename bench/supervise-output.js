'use strict';
// Output throughput through sup.stdout (issue 11, item 1): MB/s of a program's stdout read
//   A. through supervise(..., { stdio: 'pipe' }).stdout (the run's pipe joined onto the
//      supervisor's stream),
//   C. the same with line mode and a prefix (output: { prefix: 'web.1 | ' }: every line cut
//      and prefixed, informational),
// against the anchor, measured in the same run:
//   B. a plain child_process.spawn pipe of the same program (child.stdout 'data').
// The program: `yes <a 40-byte log line> | head -c SIZE` (text, so that line mode has lines).
// Timed from the first byte to the byte that completes SIZE (the start-up and the teardown of
// either side are not throughput). Interleaved blocks (A B C A B C ...), one run each; printed:
// the median MB/s with its p25..p75, and A/B, C/B as the median of the per-block ratios.
// Target: A/B >= 0.9x.
//
//   npm run build:ts && node bench/supervise-output.js
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { quantile, ratios, fmtRatio, record } = require('./support/report');

const ROOT = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  cp.execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const { supervise } = require(path.join(ROOT, 'dist', 'index.js'));

const SIZE = Number(process.env.OUTPUT_BENCH_MB ?? 64) * 1024 * 1024;
const BLOCKS = Number(process.env.OUTPUT_BENCH_BLOCKS ?? 8);
const LINE = 'web 200 GET /index.html 0.0012s ok';
const SCRIPT = `yes '${LINE}' | head -c ${SIZE}`;
const PREFIX = 'web.1 | ';

/** How many bytes line mode delivers for the program's SIZE: a prefix per line, a newline after the partial last one. */
function prefixedSize() {
  const len = LINE.length + 1;
  const rest = SIZE % len;
  return Math.floor(SIZE / len) * (len + PREFIX.length) + (rest > 0 ? rest + PREFIX.length + 1 : 0);
}

/** MB/s of the program's SIZE bytes, from the first byte to the last of the `total` that `stream` delivers for them. */
function throughput(stream, total = SIZE) {
  return new Promise((resolve, reject) => {
    let n = 0;
    let t0 = 0;
    stream.on('data', (c) => {
      if (n === 0) t0 = performance.now();
      n += c.length;
      if (n >= total) {
        stream.removeAllListeners('data');
        stream.resume();
        resolve(SIZE / (1024 * 1024) / ((performance.now() - t0) / 1000));
      }
    });
    stream.once('error', reject);
    stream.once('end', () => {
      if (n < total) reject(new Error(`only ${n} of ${total} bytes`));
    });
  });
}

async function viaSupervisor(output) {
  const sup = supervise('/bin/sh', ['-c', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], restart: 'never', output });
  // In line mode the prefix adds bytes: the figure is of the program's own bytes.
  const mbps = await throughput(sup.stdout, output === undefined ? SIZE : prefixedSize());
  await sup.done();
  return mbps;
}

async function viaChildProcess() {
  const child = cp.spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const mbps = await throughput(child.stdout);
  await exited;
  return mbps;
}

async function main() {
  const a = [];
  const b = [];
  const c = [];
  await viaChildProcess(); // warm-up: page cache, the shell, the JIT
  await viaSupervisor(undefined);
  for (let k = 0; k < BLOCKS; k++) {
    a.push(await viaSupervisor(undefined));
    b.push(await viaChildProcess());
    c.push(await viaSupervisor({ prefix: PREFIX }));
  }
  const mb = (xs) => `${quantile(xs, 0.5).toFixed(0).padStart(6)} MB/s (${quantile(xs, 0.25).toFixed(0)}..${quantile(xs, 0.75).toFixed(0)})`;
  // Higher is better: the ratio is A's MB/s over B's.
  const ab = ratios(a, b);
  const cb = ratios(c, b);
  console.log(`stdout throughput, ${SIZE / (1024 * 1024)} MB per run, ${BLOCKS} interleaved blocks (median, p25..p75)`);
  console.log(`  A sup.stdout (stdio 'pipe')                 ${mb(a)}`);
  console.log(`  B child_process pipe (anchor)               ${mb(b)}`);
  console.log(`  C sup.stdout, output: { prefix }            ${mb(c)}  (the prefix's bytes not counted)`);
  console.log(`  A/B ${fmtRatio(ab)} (target >= 0.9x)   C/B ${fmtRatio(cb)}`);
  record({ name: "sup.stdout throughput (stdio 'pipe')", value: quantile(a, 0.5), unit: 'MB/s', anchor: 'child_process pipe', ...ab, target: '>= 0.9x' });
  record({ name: 'sup.stdout throughput, line mode with a prefix', value: quantile(c, 0.5), unit: 'MB/s', anchor: 'child_process pipe', ...cb });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
