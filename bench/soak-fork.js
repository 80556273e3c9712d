'use strict';
// bench-flags: --single-threaded --expose-gc
// Soak for fork(): N forks (default 1000; `node --single-threaded --expose-gc
// bench/soak-fork.js [count]`), each child allocating ~100k objects, forcing a GC, running
// a hot loop, a timer, an fs read, a crypto.pbkdf2, a DNS lookup, every 50th forking a
// grandchild; the parent allocates between forks, and every 10th fork happens with DNS
// lookups of the parent in flight (libuv's slow-I/O queue). A watchdog kills any child alive after 10 s. Prints
// hung/crashed counts; exits 1 unless both are 0 (issue 3: required 0 hung, 0 crashed).
//
// Loads dist/ when built (`npm run build:ts`), else the TypeScript sources through
// test/helpers/ts-register.js. `--from-source` forces the sources.
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const dns = require('node:dns');

const root = path.resolve(__dirname, '..');
const fromSource = process.argv.includes('--from-source') || !fs.existsSync(path.join(root, 'dist', 'os', 'fork.js'));
let forkModule;
if (fromSource) {
  require(path.join(root, 'test', 'helpers', 'ts-register'));
  forkModule = require(path.join(root, 'lib', 'os', 'fork.ts'));
} else {
  forkModule = require(path.join(root, 'dist', 'os', 'fork.js'));
}
const { fork } = forkModule;
const binding = require('node-gyp-build')(root);

const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
const WATCHDOG_MS = 10000;
const WNOHANG = 1;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (typeof global.gc !== 'function') {
  console.error('run with --expose-gc (npm run soak)');
  process.exit(2);
}

// Reaps pid; SIGKILLs it after the watchdog. -> 'ok' | 'hung' | 'crashed' | 'failed'
function reap(pid) {
  const deadline = Date.now() + WATCHDOG_MS;
  for (;;) {
    const r = binding.waitpid(pid, WNOHANG);
    if (typeof r === 'number') return 'failed';
    if (r[0] === pid) {
      const status = r[1];
      if ((status & 0x7f) !== 0) return 'crashed'; // killed by a signal
      return (status >> 8) === 0 ? 'ok' : 'failed';
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      binding.waitpid(pid, 0);
      return 'hung';
    }
    sleep(1);
  }
}

function childWork(withGrandchild) {
  const objects = [];
  for (let i = 0; i < 100000; i++) objects.push({ i, s: `o${i}` });
  global.gc();
  let acc = 0;
  for (let i = 0; i < 5e6; i++) acc = (acc + i * 7) % 1000003;
  let pending = 4;
  let failed = false;
  const done = (ok) => {
    if (!ok) failed = true;
    if (--pending === 0) process.exitCode = failed ? 3 : 0;
  };
  setTimeout(() => done(objects.length === 100000 && acc >= 0), 5);
  fs.promises.readFile(__filename).then((b) => done(b.length > 0), () => done(false));
  crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', (err, key) => done(!err && key.length === 32));
  dns.lookup('localhost', (err) => done(!err));
  if (withGrandchild) {
    const pid = fork();
    if (pid === 0) {
      const more = [];
      for (let i = 0; i < 10000; i++) more.push({ i });
      global.gc();
      setTimeout(() => process.exit(more.length === 10000 ? 0 : 3), 1);
      return;
    }
    pending++;
    setImmediate(() => done(reap(pid) === 'ok'));
  }
}

const counts = { ok: 0, hung: 0, crashed: 0, failed: 0 };
const keep = [];
const started = Date.now();
for (let n = 1; n <= count; n++) {
  for (let i = 0; i < 20000; i++) keep.push({ n, i }); // the parent allocates between forks
  if (keep.length > 400000) keep.splice(0, 200000);
  if (n % 10 === 0) for (let i = 0; i < 8; i++) dns.lookup('localhost', () => {}); // in flight at the fork
  const pid = fork();
  if (pid === 0) {
    childWork(n % 50 === 0);
    return;
  }
  counts[reap(pid)]++;
  if (n % 100 === 0) process.stderr.write(`${n} forks: ${JSON.stringify(counts)}\n`);
}
const secs = (Date.now() - started) / 1000;
console.log(
  `soak-fork: ${count} forks in ${secs.toFixed(1)} s (${fromSource ? 'lib/ sources' : 'dist/'}): ` +
    `${counts.hung} hung, ${counts.crashed} crashed, ${counts.failed} failed, ${counts.ok} ok ` +
    `(required: 0 hung, 0 crashed)`,
);
process.exitCode = counts.hung === 0 && counts.crashed === 0 && counts.failed === 0 ? 0 : 1;
