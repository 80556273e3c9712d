'use strict';
// bench-flags: --expose-gc
// Soak: the /proc readers during process churn. A shell of ours starts and reaps short-lived
// processes as fast as it can for D seconds (default 10; `node bench/soak-proc-churn.js
// [seconds]`) while this process reads the table, the tree, the zombies, the orphans and
// the churner's descendants in a loop. Processes vanish mid-scan all the time: no reader may
// throw, and every entry must be whole (pid > 0, ppid >= 0, a state, a start time). Prints
// one line; exits 1 on any error or torn entry.
const { spawn: spawnChild } = require('node:child_process');
const { lib } = require('./soak-common');

const proc = lib('proc/index.ts');
const seconds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10);

function whole(e) {
  return Number.isSafeInteger(e.pid) && e.pid > 0 && (e.readable === false || (Number.isSafeInteger(e.ppid) && e.ppid >= 0 && typeof e.state === 'object' && Number.isFinite(e.startTime)));
}

async function main() {
  const script = `n=0; end=$(( $(date +%s) + ${seconds} )); while [ $(date +%s) -lt $end ]; do /bin/true & /bin/true & (/bin/true &); wait; n=$((n+3)); done; echo $n`;
  const churn = spawnChild('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  churn.stdout.on('data', (d) => (out += d));
  const exited = new Promise((r) => churn.once('exit', r));
  let done = false;
  exited.then(() => (done = true));
  let reads = 0;
  let errors = 0;
  let torn = 0;
  let firstError;
  const started = Date.now();
  while (!done) {
    try {
      const table = proc.listProcesses({ cmdline: true });
      for (const e of table) if (!whole(e)) torn++;
      proc.processTree();
      proc.findZombies();
      proc.findOrphans();
      proc.stateSummary();
      for (const e of proc.descendants(churn.pid)) if (!whole(e)) torn++;
      proc.getProcess(churn.pid);
      reads += 7;
    } catch (e) {
      errors++;
      firstError ??= e;
    }
    await new Promise((r) => setImmediate(r));
  }
  const secs = (Date.now() - started) / 1000;
  const ok = errors === 0 && torn === 0;
  console.log(`soak-proc-churn: ${reads} /proc reads in ${secs.toFixed(1)} s while ${out.trim() || '?'} processes came and went: ${errors} errors, ${torn} torn entries${ok ? '' : `  FAIL (${firstError && firstError.stack})`}`);
  process.exitCode = ok ? 0 : 1;
}
main();
