'use strict';
// bench-flags: --expose-gc
// Soak: a signal storm during waits. A helper process sends this one SIGUSR1, SIGUSR2,
// SIGWINCH and SIGCHLD as fast as it can while this one makes N waits (default 2,000):
// half spawn()/wait() of `sh -c 'exit 5'`, half posix_spawn()/blocking waitpid() of the
// same. Every wait must return exit code 5: no EINTR surfaced (PEP 475: retried inside),
// no status lost or wrong. Prints one line; exits 1 on any wrong wait.
// `node bench/soak-signals.js [count]`. The storm only ever targets this process (its
// parent pid), and stops when this process ends.
const { spawn: spawnChild } = require('node:child_process');
const { lib, zombieChildren } = require('./soak-common');

const { spawn } = lib('index.ts');
const os = lib('os/index.ts');
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);

const received = { SIGUSR1: 0, SIGUSR2: 0, SIGWINCH: 0, SIGCHLD: 0 };
for (const s of Object.keys(received)) process.on(s, () => received[s]++);

const STORM = `
const parent = process.ppid;
const signals = ['SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCHLD'];
let sent = 0;
const deadline = Date.now() + 300000;
function burst() {
  if (process.ppid !== parent || Date.now() > deadline) process.exit(0);
  try { for (let i = 0; i < 200; i++) process.kill(parent, signals[sent++ % 4]); } catch { process.exit(0); }
  setImmediate(burst);
}
process.on('SIGTERM', () => { process.stdout.write(String(sent)); process.exit(0); });
burst();`;

async function main() {
  const storm = spawnChild(process.execPath, ['-e', STORM], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sentText = '';
  storm.stdout.on('data', (d) => (sentText += d));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  let wrong = 0;
  let eintr = 0;
  for (let n = 0; n < count; n++) {
    try {
      if (n % 2 === 0) {
        const st = await spawn('/bin/sh', ['-c', 'exit 5']).wait();
        if (!(st.kind === 'exited' && st.code === 5)) wrong++;
      } else {
        const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 5']);
        const [got, status] = os.waitpid(pid, 0);
        if (got !== pid || os.waitstatus_to_exitcode(status) !== 5) wrong++;
      }
    } catch (e) {
      if (e && e.code === 'EINTR') eintr++;
      else wrong++;
    }
  }
  const exited = new Promise((r) => storm.once('exit', r));
  storm.kill('SIGTERM');
  await exited;
  const secs = (Date.now() - started) / 1000;
  const got = Object.values(received).reduce((a, b) => a + b, 0);
  const zombies = zombieChildren().length;
  const ok = wrong === 0 && eintr === 0 && zombies === 0;
  console.log(`soak-signals: ${count} waits in ${secs.toFixed(1)} s under a storm of ${sentText || '?'} signals (${got} handled): ${wrong} wrong, ${eintr} EINTR, ${zombies} zombies${ok ? '' : '  FAIL'}`);
  process.exitCode = ok ? 0 : 1;
}
main();
