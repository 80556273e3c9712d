'use strict';
// What the fuzz calls: every function and class exported by `unixproc`, `unixproc/os` and
// the integration entry points, found at run time (so an export added later is fuzzed
// with hostile arguments even before it gets a line here), plus the /proc readers on
// hostile procfs trees (`tree:<reader>`).
//
// PARAMS gives, per export, the arbitrary of each parameter (kinds() in arbitraries.js);
// an export without a line gets up to three hostile values. FLAGS marks what a call may do
// to the worker that runs it:
// - ends: may end or stop the worker (exec*, _exit, signals to itself or its group); such
//   an end is the call's expected outcome, not a crash (a SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT
//   still is, except from kill/killpg, which may send exactly that);
// - sandboxOnly: only ever run inside the worker's own pid namespace (signals to random
//   pids, setsid, blocking waits after killing the namespace's processes, daemons);
// - waits: blocks in waitpid(2); the worker first SIGKILLs every other process in its
//   namespace so the call returns (a real hang is then a defect);
// - share: fraction of --runs for targets that restart the worker on success.
const fc = require('fast-check');
const { hostile, hostileNonString, maybe } = require('./arbitraries');

const upTo = (n, arb) => fc.array(arb, { maxLength: n });

// Each entry: (k, ctx) => array of per-parameter arbitraries.
// spawn's user/group/extraGroups (names, ids, and the former uid/gid, which must fail cleanly).
const credentialOptions = (k) => ({
  user: fc.oneof(k.int, fc.constantFrom('nobody', 'root', 'no-such-user', '', '0')),
  group: fc.oneof(k.int, fc.constantFrom('nogroup', 'users', 'no-such-group')),
  extraGroups: fc.oneof(upTo(3, fc.oneof(k.int, fc.constantFrom('users', 'nogroup', 'x'))), k.hostile),
  uid: k.int,
  gid: k.int,
});
const PARAMS = {
  // unixproc
  isErrnoException: (k) => [k.hostile],
  // unixproc/resource (plausible limits: small, large, -1 = RLIM_INFINITY, and hostile ones)
  getrlimit: (k) => [fc.oneof(fc.integer({ min: -2, max: 20 }), k.int)],
  setrlimit: (k) => [fc.oneof(fc.integer({ min: -2, max: 20 }), k.int), fc.oneof(fc.tuple(k.int, k.int), fc.tuple(fc.constant(-1), fc.constant(-1)), k.hostile)],
  prlimit: (k) => [k.pid, fc.oneof(fc.integer({ min: -2, max: 20 }), k.int), fc.oneof(fc.constant(null), fc.tuple(k.int, k.int), k.hostile)],
  getrusage: (k) => [fc.oneof(fc.integer({ min: -3, max: 3 }), k.int)],
  nameOfSignal: (k) => [k.signal],
  decodeWaitStatus: (k) => [fc.oneof(k.int, fc.integer({ min: 0, max: 0xffff }))],
  stateOf: () => [fc.oneof(fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I', 'P', 'W', 'K', '?', '', 'RS'), hostile)],
  listProcesses: (k) => [k.options({ procfs: k.path, cmdline: k.boolish, exe: k.boolish, credentials: k.boolish })],
  getProcess: (k) => [k.pid, k.procfsOptions],
  threads: (k) => [k.pid, k.procfsOptions],
  openFds: (k) => [k.pid, k.procfsOptions],
  children: (k) => [k.pid, k.procfsOptions],
  descendants: (k) => [k.pid, k.procfsOptions],
  ancestors: (k) => [k.pid, k.procfsOptions],
  processTree: (k) => [k.pid, k.procfsOptions],
  isRunning: (k) => [k.processRef, k.procfsOptions],
  isSameProcess: (k) => [k.processRef, k.procfsOptions],
  findZombies: (k) => [k.options({ procfs: k.path, subreapers: upTo(3, k.pid) })],
  findOrphans: (k) => [k.options({ procfs: k.path, subreapers: upTo(3, k.pid) })],
  findDaemons: (k) => [k.options({ procfs: k.path, subreapers: upTo(3, k.pid) })],
  orphanedProcessGroups: (k) => [k.procfsOptions],
  stateSummary: (k) => [k.procfsOptions],
  waitForExit: (k) => [fc.oneof(k.pid, fc.constant('$subprocess')), k.options({ signal: k.abortSignal, reap: k.boolish })],
  Subprocess: (k, ctx) => [fc.oneof(fc.constant({ pid: ctx.childPid, pidfd: -1 }), fc.constant({ pid: ctx.pid, pidfd: -1, file: 'x', args: [] }), hostile)],
  // Contained handles: the same forged records (the constructor refuses them all), and usage.
  ContainedSubprocess: (k, ctx) => [fc.oneof(fc.constant({ pid: ctx.childPid, pidfd: -1 }), hostile), fc.oneof(fc.constant({ kind: 'cgroup', dir: '/' }), hostile)],
  processUsage: (k) => [k.pid, k.options({ tree: k.boolish, fullMemory: k.boolish })],
  CalledProcessError: () => upTo(5, hostile),
  TimeoutExpiredError: () => upTo(5, hostile),
  AbortError: () => upTo(2, hostile),
  startLeakGuard: (k) => [k.options({ ignore: fc.constant(null).map(() => () => false), subreaper: k.boolish })],
  LeakGuard: () => upTo(3, hostile),
  formatLeakReport: (k, ctx) => [
    fc.oneof(
      fc.record({
        ok: k.boolish,
        leaked: upTo(2, fc.oneof(fc.constant({}), fc.record({ pid: k.pid, startTime: k.int, command: fc.string(), state: fc.string(), parent: fc.oneof(fc.constant(undefined), fc.record({ pid: k.pid })) }), hostile)),
        zombies: upTo(2, hostile),
        reaped: upTo(2, fc.oneof(fc.record({ pid: k.pid, status: hostile }), hostile)),
      }),
      fc.constant({ ok: true, leaked: [], zombies: [], reaped: [] }),
      hostile,
    ),
  ],
  supervise: (k) => [
    k.file,
    maybe(k.args),
    k.options({
      restart: fc.constantFrom('always', 'on-failure', 'never', 'no', 1), backoff: k.options({ initial: k.timeoutMs, factor: k.int, max: k.timeoutMs, resetAfter: k.timeoutMs }),
      startLimit: k.options({ maxRestarts: k.int, window: k.timeoutMs }), stopSignal: k.signal, stopTimeout: k.timeoutMs,
      killSignal: k.signal, killGracePeriod: k.timeoutMs, cwd: k.path, env: k.env, stdio: k.stdio, ...credentialOptions(k),
    }),
  ],
  Supervisor: () => upTo(3, hostile),
  daemonize: (k) => [
    k.file,
    maybe(k.args),
    k.options({ cwd: k.path, umask: k.int, stdout: k.path, stderr: k.path, stdio: k.stdio, env: k.env, pidfile: k.path, lineage: k.boolish }),
  ],
  readPidfile: (k) => [k.path],
  // unixproc/os
  getpgid: (k) => [k.pid],
  getsid: (k) => [k.pid],
  setpgid: (k) => [k.pid, k.pid],
  tcgetpgrp: (k) => [k.fd],
  tcsetpgrp: (k) => [k.fd, k.pid],
  kill: (k) => [k.pid, k.signal],
  killpg: (k) => [k.pid, k.signal],
  waitpid: (k) => [k.pid, k.flags],
  wait3: (k) => [k.flags],
  wait4: (k) => [k.pid, k.flags],
  waitid: (k) => [fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, -1), k.int), k.pid, k.flags],
  pidfd_open: (k) => [k.pid, k.flags],
  _exit: (k) => [k.int],
  system: () => [fc.oneof(fc.constantFrom('true', 'exit 3', 'kill -TERM $$', 'echo x >/dev/null', ''), hostileNonString)],
  register_at_fork: (k) => [k.options({ before: fc.constant(null).map(() => () => {}), after_in_parent: hostile, after_in_child: hostile })],
  isSingleThreaded: () => [fc.oneof(fc.constantFrom([], ['--single-threaded'], ['--v8-options'], 'x'), hostile)],
  fork: (k) => [k.options({ unsafe: k.boolish, allowThreads: k.boolish })],
  forkpty: (k) => [k.options({ unsafe: k.boolish })],
  execv: (k) => [k.file, k.argv],
  execve: (k) => [fc.oneof(k.file, k.fd), k.argv, k.env],
  execvp: (k) => [k.file, k.argv],
  execvpe: (k) => [k.file, k.argv, k.env],
  execl: (k) => [k.file, ...[1, 2].map(() => fc.oneof(fc.constantFrom('x', '-c', 'exit 2'), hostileNonString))],
  execle: (k) => [k.file, fc.constantFrom('x', '-c'), k.env],
  execlp: (k) => [k.file, fc.constantFrom('x', '-c'), fc.constantFrom('exit 4', 'x')],
  execlpe: (k) => [k.file, fc.constantFrom('x', '-c'), k.env],
  get_inheritable: (k) => [k.fd],
  set_inheritable: (k) => [k.fd, k.boolish],
  get_blocking: (k) => [k.fd],
  set_blocking: (k) => [k.fd, k.boolish],
  // integrations
  'jest/global-setup': () => upTo(2, hostile),
  'jest/global-teardown': () => upTo(2, hostile),
  leakGuard: (k) => [k.options({ ignore: fc.constant(null).map(() => () => false), kill: k.boolish })],
};
for (const w of ['WIFEXITED', 'WEXITSTATUS', 'WIFSIGNALED', 'WTERMSIG', 'WCOREDUMP', 'WIFSTOPPED', 'WSTOPSIG', 'WIFCONTINUED', 'waitstatus_to_exitcode']) {
  PARAMS[w] = (k) => [fc.oneof(k.int, fc.integer({ min: 0, max: 0xffff }))];
}
const posixSpawnArgs = (k, ctx) => [
  k.file,
  k.argv,
  maybe(k.env),
  k.options({
    file_actions: upTo(3, fc.oneof(
      fc.tuple(fc.constantFrom(0, 1, 2, 3, 9), k.fd, fc.oneof(k.path, k.fd), k.flags, k.int),
      fc.constantFrom([0, 1, '/dev/null', 0, 0], [1, 5], [2, 1, 9], [3, 3], [0, 1, ctx.paths[0], 0o1101, 0o600]),
      hostile,
    )),
    setpgroup: fc.oneof(k.pid, fc.constant(null)), resetids: k.boolish, setsid: k.boolish,
    setsigmask: upTo(3, k.signal), setsigdef: upTo(3, k.signal),
    scheduler: fc.oneof(fc.tuple(fc.oneof(fc.constant(null), k.int), fc.oneof(k.int, fc.record({ sched_priority: k.int }))), fc.constant(null)),
  }),
];
PARAMS.posix_spawn = posixSpawnArgs;
PARAMS.posix_spawnp = posixSpawnArgs;
const spawnOptions = (k) =>
  k.options({
    cwd: k.path, env: k.env, stdio: k.stdio, setsid: k.boolish, processGroup: fc.oneof(k.boolish, k.pid),
    killOnParentDeath: fc.oneof(k.boolish, k.signal), signal: k.abortSignal, timeout: k.timeoutMs,
    killSignal: k.signal, killGracePeriod: k.timeoutMs, ...credentialOptions(k), lineage: k.boolish,
    input: fc.constantFrom('x', '', Buffer.from('y')), capture: fc.constantFrom(true, false, 'text', 'buffer', 'x'),
    encoding: fc.constantFrom('utf8', 'latin1', 'bogus'), check: k.boolish,
  });
PARAMS.spawn = (k) => [k.file, maybe(k.args), spawnOptions(k)];
PARAMS.run = (k) => [fc.oneof(k.argv, k.file), fc.oneof(k.args, spawnOptions(k)), spawnOptions(k)];

const EXEC = ['execv', 'execve', 'execvp', 'execvpe', 'execl', 'execle', 'execlp', 'execlpe'];
const FLAGS = {
  kill: { ends: 'signal', sandboxOnly: true },
  killpg: { ends: 'signal', sandboxOnly: true },
  _exit: { ends: 'exit', sandboxOnly: true, share: 0.25 },
  system: { ends: 'signal', sandboxOnly: true, share: 0.5 },
  setsid: { sandboxOnly: true },
  setpgid: { sandboxOnly: true },
  setpgrp: { sandboxOnly: true },
  tcsetpgrp: { sandboxOnly: true },
  set_blocking: { sandboxOnly: true },
  set_inheritable: { sandboxOnly: true },
  fork: { ends: 'exit', sandboxOnly: true },
  forkpty: { ends: 'exit', sandboxOnly: true },
  wait: { waits: true, sandboxOnly: true },
  waitpid: { waits: true, sandboxOnly: true },
  wait3: { waits: true, sandboxOnly: true },
  wait4: { waits: true, sandboxOnly: true },
  waitid: { waits: true, sandboxOnly: true },
  spawn: { sandboxOnly: true },
  run: { sandboxOnly: true },
  posix_spawn: { sandboxOnly: true },
  posix_spawnp: { sandboxOnly: true },
  supervise: { sandboxOnly: true },
  daemonize: { sandboxOnly: true },
  Subprocess: { sandboxOnly: true },
  ContainedSubprocess: { sandboxOnly: true },
  startLeakGuard: { sandboxOnly: true },
  leakGuard: { sandboxOnly: true },
  'jest/global-setup': { sandboxOnly: true },
  'jest/global-teardown': { sandboxOnly: true },
  'node-test/register': { sandboxOnly: true },
  waitForExit: { sandboxOnly: true },
};
for (const e of EXEC) FLAGS[e] = { ends: 'exec', sandboxOnly: true, share: 0.5 };
FLAGS.abort = { ends: 'signal', sandboxOnly: true, share: 0.25 };
// Calls on the worker's own descriptors may close or block on what node itself uses (its
// epoll fd, its signal pipe, a pipe nobody writes): a death or a hang is then their expected
// outcome, as it is for Python's os.close/os.read on CPython's own fds.
for (const f of ['close', 'closerange', 'dup2', 'read', 'write', 'login_tty']) FLAGS[f] = { ends: 'fd', sandboxOnly: true, share: 0.5 };
// Scheduling: only inside the sandbox, and the worker puts itself back to SCHED_OTHER, nice
// 0 after each call (a real-time fuzz worker would starve the shared machine's other work).
for (const f of ['sched_setscheduler', 'sched_setparam', 'sched_setaffinity', 'setpriority', 'nice']) FLAGS[f] = { sandboxOnly: true, resetScheduling: true };
// Limits: only on the worker itself or its namespace, and a limit it cannot live with (RLIMIT_AS
// or RLIMIT_CPU too low for node) may end it, as it would end a Python process.
for (const f of ['setrlimit', 'prlimit']) FLAGS[f] = { ends: 'limit', sandboxOnly: true, share: 0.5 };
for (const f of ['spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'openpty', 'pipe', 'pipe2', 'dup']) FLAGS[f] = { sandboxOnly: true };

// The /proc readers fuzzed on hostile trees, and how each is called: (fn, pid, options).
const TREE_READERS = {
  listProcesses: (f, pid, o) => f({ ...o, cmdline: true, exe: true, credentials: true }),
  getProcess: (f, pid, o) => f(pid, o),
  threads: (f, pid, o) => f(pid, o),
  openFds: (f, pid, o) => f(pid, o),
  children: (f, pid, o) => f(pid, o),
  descendants: (f, pid, o) => f(pid, o),
  ancestors: (f, pid, o) => f(pid, o),
  processTree: (f, pid, o) => (pid % 2 ? f(undefined, o) : f(pid, o)),
  isRunning: (f, pid, o) => f({ pid, startTime: 1 }, o),
  isSameProcess: (f, pid, o) => f({ pid, startTime: 1 }, o),
  findZombies: (f, pid, o) => f(o),
  findOrphans: (f, pid, o) => f({ ...o, subreapers: [pid] }),
  findDaemons: (f, pid, o) => f(o),
  orphanedProcessGroups: (f, pid, o) => f(o),
  stateSummary: (f, pid, o) => f(o),
};

// The entry points, as package subpaths (package.json "exports") and their sources.
const MODULES = {
  unixproc: 'lib/index.ts',
  'unixproc/os': 'lib/os/index.ts',
  'unixproc/resource': 'lib/resource/index.ts',
  'unixproc/jest/global-setup': 'lib/integrations/jest/global-setup.ts',
  'unixproc/jest/global-teardown': 'lib/integrations/jest/global-teardown.ts',
  'unixproc/node-test': 'lib/integrations/node-test/index.ts',
  'unixproc/node-test/register': 'lib/integrations/node-test/register.ts',
};

function isClass(fn) {
  return typeof fn === 'function' && /^class\b/.test(Function.prototype.toString.call(fn));
}

/**
 * The targets of loaded modules, in a stable order: [{ name, module, exportName, call }].
 * `name` is what reports show: `unixproc:spawn`, `unixproc/os:waitpid`, `tree:findZombies`.
 */
function listTargets(loaded) {
  const out = [];
  for (const [mod, exports] of Object.entries(loaded)) {
    if (mod === 'unixproc/node-test/register') {
      out.push({ name: `${mod}`, module: mod, key: 'node-test/register', kind: 'require' });
      continue;
    }
    if (typeof exports === 'function') {
      const key = mod.replace(/^unixproc\//, '');
      out.push({ name: mod, module: mod, key, kind: 'call', fn: exports });
      continue;
    }
    for (const [exportName, value] of Object.entries(exports).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (typeof value !== 'function') continue;
      out.push({ name: `${mod}:${exportName}`, module: mod, key: exportName, kind: isClass(value) ? 'construct' : 'call', fn: value });
    }
  }
  for (const reader of Object.keys(TREE_READERS)) {
    out.push({ name: `tree:${reader}`, module: 'unixproc', key: reader, kind: 'tree', fn: loaded.unixproc[reader] });
  }
  return out;
}

const flagsOf = (t) => (t.kind === 'tree' ? {} : FLAGS[t.key] ?? {});

module.exports = { PARAMS, FLAGS, TREE_READERS, MODULES, listTargets, flagsOf };
