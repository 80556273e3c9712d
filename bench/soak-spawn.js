'use strict';
// bench-flags: --expose-gc
// Soak for spawn()/wait(): N cycles (default 10,000; `node --expose-gc bench/soak-spawn.js
// [count]`), 16 children in flight, every 10th with stdio 'pipe' (its stdin, stdout and
// stderr), the rest with stdio 'ignore'; each child is /bin/true, every 7th /bin/false.
// Then the same count of posix_spawn()/waitpid() cycles is not this file's job
// (bench/soak-posix-spawn.js). Prints one line: fds, threads, RSS after GC (within 5 MB),
// zombies (0) and the registries keyed by pid (empty); exits 1 when one is out of bounds
// or a status is wrong.
const { lib, snapshot, compare } = require('./soak-common');

const { spawn } = lib('index.ts');
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10000);
const IN_FLIGHT = 16;

async function cycle(n) {
  const fail = n % 7 === 0;
  const sub = spawn(fail ? '/bin/false' : '/bin/true', [], { stdio: n % 10 === 0 ? 'pipe' : 'ignore' });
  const status = await sub.wait();
  return status.kind === 'exited' && status.code === (fail ? 1 : 0);
}

async function main() {
  // Warm up (first use loads the addon, starts the exit watch), then measure.
  for (let i = 1; i <= 200; i++) await cycle(i);
  const before = snapshot();
  const started = Date.now();
  let next = 1;
  let wrong = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next <= count) {
        const n = next++;
        if (!(await cycle(n))) wrong++;
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  const after = snapshot();
  const c = compare(before, after);
  const secs = (Date.now() - started) / 1000;
  console.log(`soak-spawn: ${count} spawn/wait cycles (${count / 10} with stdio 'pipe') in ${secs.toFixed(1)} s: ${wrong} wrong statuses, ${c.text}${c.ok && wrong === 0 ? '' : '  FAIL'}`);
  process.exitCode = c.ok && wrong === 0 ? 0 : 1;
}
main();
