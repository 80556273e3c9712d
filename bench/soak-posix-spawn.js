'use strict';
// bench-flags: --expose-gc
// Soak for unixproc/os posix_spawn()/waitpid(): N cycles (default 2,000; `node --expose-gc
// bench/soak-posix-spawn.js [count]`), each /bin/true (every 5th /bin/sh -c 'exit 3' with
// file actions: /dev/null on 0, dup2 1 -> 2), reaped by a blocking waitpid(pid, 0).
// Prints one line: fds, threads, RSS after GC (within 5 MB), zombies (0), registries;
// exits 1 when one is out of bounds or a status is wrong.
const { lib, snapshot, compare } = require('./soak-common');

const os = lib('os/index.ts');
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);

function cycle(n) {
  const shell = n % 5 === 0;
  const pid = shell
    ? os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 3'], undefined, { file_actions: [[os.POSIX_SPAWN_OPEN, 0, '/dev/null', 0, 0], [os.POSIX_SPAWN_DUP2, 1, 2]] })
    : os.posix_spawn('/bin/true', ['true']);
  const [reaped, status] = os.waitpid(pid, 0);
  return reaped === pid && os.waitstatus_to_exitcode(status) === (shell ? 3 : 0);
}

for (let i = 1; i <= 50; i++) cycle(i);
const before = snapshot();
const started = Date.now();
let wrong = 0;
for (let n = 1; n <= count; n++) if (!cycle(n)) wrong++;
const after = snapshot();
const c = compare(before, after);
const secs = (Date.now() - started) / 1000;
console.log(`soak-posix-spawn: ${count} posix_spawn/waitpid cycles in ${secs.toFixed(1)} s: ${wrong} wrong statuses, ${c.text}${c.ok && wrong === 0 ? '' : '  FAIL'}`);
process.exitCode = c.ok && wrong === 0 ? 0 : 1;
