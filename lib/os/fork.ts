/**
 * `fork()` that continues in JavaScript in the child, `forkpty()`, and
 * `register_at_fork()`, as in Python's `os`.
 *
 * A forked Node child can only be trusted when V8 runs no background threads: run the
 * program with `node --single-threaded`. Without it fork() refuses with
 * `ERR_UNIXPROC_FORK_UNSAFE` (overridable, with a warning). See docs/safety.md for what
 * survives into a child and what does not.
 */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { isMainThread, Worker } from 'node:worker_threads';
import { check, invalidArgType, invalidArgValue } from '../errors';
import { ERR_FORK_UNAVAILABLE, forkNative, native } from '../native';
import { recordOwnChild } from '../own-children';
import { spawnProvenanceHook } from '../provenance-hook';
import { optionKeys, validateOptions, validateStringArray } from '../validate';

interface ForkBinding {
  forkNode(): number;
  forkptyNode(): number | [number, number];
  guardChildLoop(end: (phase: string) => void): number;
}
const f = (): ForkBinding => forkNative<ForkBinding>();
const getpid = (): number => native<{ getpid(): number }>().getpid();

/** Code of the error fork()/forkpty() throw when a child could not be trusted to run. @group Constants: errors and environment */
export const ERR_FORK_UNSAFE = 'ERR_UNIXPROC_FORK_UNSAFE';

/**
 * Code of the error fork()/forkpty() throw when their native part (the fork addon, built
 * for one Node ABI) cannot be loaded into this Node; the message says how to rebuild it.
 */
export { ERR_FORK_UNAVAILABLE };

/** Environment variable that, set to `1`, has the effect of `unsafeAllowThreads: true`. @group Constants: errors and environment */
export const FORK_UNSAFE_ENV = 'UNIXPROC_FORK_UNSAFE_ALLOW_THREADS';

/** Options of {@link fork} and {@link forkpty}. */
export interface ForkOptions {
  /**
   * Fork even though V8's background threads are on (the process was not started with
   * `node --single-threaded`). The child may then hang or crash; a process warning is
   * emitted once. Default: `false`, or `true` when `UNIXPROC_FORK_UNSAFE_ALLOW_THREADS=1`.
   */
  readonly unsafeAllowThreads?: boolean;
}

/** Hooks of {@link register_at_fork}. */
export interface AtForkHooks {
  /** Called in the parent before the fork (hooks in reverse registration order). */
  readonly before?: () => void;
  /** Called in the parent after the fork, also when it failed (registration order). */
  readonly after_in_parent?: () => void;
  /** Called in the child after the fork (registration order). */
  readonly after_in_child?: () => void;
}

const AT_FORK_KEYS = optionKeys<AtForkHooks>({ before: true, after_in_parent: true, after_in_child: true });
const FORK_KEYS = optionKeys<ForkOptions>({ unsafeAllowThreads: true });

const hooks = { before: [] as (() => void)[], parent: [] as (() => void)[], child: [] as (() => void)[] };

/**
 * Registers callables run around {@link fork} and {@link forkpty}, with Python's rules:
 * `before` hooks run in reverse registration order, `after_in_parent` and
 * `after_in_child` in registration order. An exception in a hook is reported on stderr
 * ("Exception ignored in ...", as CPython's unraisable hook does) and the others still run.
 * @throws ERR_INVALID_ARG_TYPE when a given hook is not a function; ERR_INVALID_ARG_VALUE
 *   when no hook is given (Python: "At least one argument is required").
 * @see pthread_atfork(3)
 */
export function register_at_fork(options: AtForkHooks): void {
  const o = validateOptions<AtForkHooks>(options, 'options', AT_FORK_KEYS);
  const keys = ['before', 'after_in_parent', 'after_in_child'] as const;
  for (const k of keys) {
    if (o[k] !== undefined && typeof o[k] !== 'function') {
      throw invalidArgType(`options.${k}`, 'of type function', o[k]);
    }
  }
  if (keys.every((k) => o[k] === undefined)) {
    throw invalidArgValue('options', options, 'must have at least one of before, after_in_parent, after_in_child');
  }
  if (o.before) hooks.before.push(o.before);
  if (o.after_in_parent) hooks.parent.push(o.after_in_parent);
  if (o.after_in_child) hooks.child.push(o.after_in_child);
}

function runHooks(list: readonly (() => void)[], reverse: boolean): void {
  const order = reverse ? [...list].reverse() : [...list];
  for (const hook of order) {
    try {
      hook();
    } catch (err) {
      const shown = err instanceof Error && err.stack ? err.stack : String(err);
      writeAllSync(2, `Exception ignored in fork hook ${hook.name || '<anonymous>'}:\n${shown}\n`);
    }
  }
}

/**
 * Whether this process runs with V8's background threads off (`node --single-threaded`),
 * the condition for {@link fork}. V8 flags are only honoured at start-up and cannot be read
 * back from JavaScript; they reach Node through argv, so `process.execArgv` holds them
 * (NODE_OPTIONS does not accept V8's `--single-threaded`). The last mention wins, as in
 * V8's own flag parsing.
 * @param execArgv - the flags to read; default `process.execArgv`.
 * @throws ERR_INVALID_ARG_TYPE when `execArgv` is not an array of strings.
 */
export function isSingleThreaded(execArgv: readonly string[] = process.execArgv): boolean {
  let on = false;
  for (const raw of validateStringArray(execArgv, 'execArgv')) {
    const arg = raw.replace(/_/g, '-');
    if (arg === '--single-threaded' || arg === '--single-threaded=true') on = true;
    else if (arg === '--no-single-threaded' || arg === '--nosingle-threaded' || arg === '--single-threaded=false') {
      on = false;
    }
  }
  return on;
}

// Live worker threads, known from process 'worker' events (Node >= 16.2), listened to from
// the first fork()/forkpty() on (importing installs nothing, DESIGN.md). Workers made before
// that are found in the diagnostic report, which lists every live worker by threadId, until
// a report shows none that the listener does not know: from then on the listener sees them all.
const liveWorkers = new Set<Worker>();
let trackingWorkers = false;
let untrackedWorkersPossible = true;

function liveWorkerCount(): number {
  if (!trackingWorkers) {
    trackingWorkers = true;
    process.on('worker', (worker: Worker) => {
      liveWorkers.add(worker);
      worker.once('exit', () => liveWorkers.delete(worker));
    });
  }
  if (!untrackedWorkersPossible) return liveWorkers.size;
  const known = new Set([...liveWorkers].map((w) => w.threadId));
  const report = process.report?.getReport() as { workers?: { header?: { threadId?: number } }[] } | undefined;
  const reported = report?.workers ?? [];
  const untracked = reported.filter((w) => !known.has(w.header?.threadId ?? -1)).length;
  if (untracked === 0) untrackedWorkersPossible = false;
  return liveWorkers.size + untracked;
}

function unsafe(message: string): Error & { code: string } {
  const err = new Error(message) as Error & { code: string };
  err.code = ERR_FORK_UNSAFE;
  return err;
}

let warned = false;

/** `word` quoted for a POSIX shell when it needs it. */
function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line of this process with `--single-threaded` added, shell-quoted: the same
 * node, flags (an `-e` script included), script and arguments.
 */
function restartCommand(
  argv0: string = process.argv0,
  execArgv: readonly string[] = process.execArgv,
  argv: readonly string[] = process.argv,
): string {
  const flags = execArgv.filter((a) => !/^--(no-?)?single[-_]threaded(=.*)?$/.test(a));
  return [argv0 || 'node', '--single-threaded', ...flags, ...argv.slice(1)].map(shellQuote).join(' ');
}

function checkConditions(options: unknown): void {
  const o = validateOptions<ForkOptions>(options, 'options', FORK_KEYS);
  if (o.unsafeAllowThreads !== undefined && typeof o.unsafeAllowThreads !== 'boolean') {
    throw invalidArgType('options.unsafeAllowThreads', 'of type boolean', o.unsafeAllowThreads);
  }
  if (!isMainThread) {
    throw unsafe('fork() cannot be called from a worker thread: only the calling thread would exist in the child');
  }
  const workers = liveWorkerCount();
  if (workers > 0) {
    throw unsafe(
      `fork() refused: ${workers} worker thread(s) alive; they would not exist in the child. ` +
        'Terminate them (await worker.terminate()) before forking.',
    );
  }
  if (isSingleThreaded()) return;
  const allow = o.unsafeAllowThreads ?? process.env[FORK_UNSAFE_ENV] === '1';
  if (!allow) {
    throw unsafe(
      'fork() refused: V8 background threads are on, and a forked child could hang or crash. ' +
        `Add --single-threaded to the node command line, to run the program with V8's background threads off:\n` +
        `  ${restartCommand()}\n` +
        `(or pass { unsafeAllowThreads: true } / set ${FORK_UNSAFE_ENV}=1 to fork anyway).`,
    );
  }
  if (!warned) pendingWarning = true;
}

// Set by checkConditions, emitted by doFork in the parent after the fork: a warning emitted
// before it is copied into the child with its pending write to stderr and its listeners'
// effects, and CPython warns in the parent only (issue 13).
let pendingWarning = false;

function warnUnsafeFork(): void {
  pendingWarning = false;
  warned = true;
  const warning = new Error(
    'fork() with V8 background threads on: the child may hang or crash. Run with node --single-threaded.',
  ) as Error & { code: string };
  warning.name = 'UnixprocWarning';
  warning.code = 'UNIXPROC_FORK_UNSAFE';
  Error.captureStackTrace(warning, doFork);
  process.emit('warning', warning);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// write(2) until done; O_NONBLOCK on a shared pipe means EAGAIN, which waits and retries.
function writeAllSync(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      sleepMs(1);
    }
  }
}

// In the child, stdout/stderr on pipes write synchronously, so that nothing queued in
// libuv is lost when the child leaves through _exit (files are synchronous already).
// After forkpty(), whatever their type: fds 1 and 2 are the new terminal, but a TTY stream
// made before the fork writes to its own fd, which libuv opened on the parent's terminal
// (uv_tty_init reopens the tty by its path), so they are made to write to fds 1 and 2.
function synchronousStdio(onNewTerminal: boolean): void {
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    const s = stream as unknown as { _type?: string; _write: unknown; _writev?: unknown };
    if (s._type !== 'pipe' && !onNewTerminal) continue;
    s._writev = undefined;
    s._write = (chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void => {
      try {
        writeAllSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    };
  }
}

// child_process children of this process, so that a forked child can let go of their
// stdio pipes and IPC channel (see forgetParentsChildren). The set and the wrapper live on
// ChildProcess.prototype under a Symbol.for key, so that every copy of this module shares
// them; children spawned before the wrap are found among the active handles at fork time.
const CHILD_PROCESSES = Symbol.for('unixproc.fork.childProcesses.v1');
function trackChildProcesses(): Set<ChildProcess> {
  const proto = ChildProcess.prototype as unknown as Record<PropertyKey, unknown> & {
    spawn: (this: ChildProcess, ...args: unknown[]) => unknown;
  };
  const existing = proto[CHILD_PROCESSES] as Set<ChildProcess> | undefined;
  if (existing !== undefined) return existing;
  const set = new Set<ChildProcess>();
  Object.defineProperty(proto, CHILD_PROCESSES, { value: set, enumerable: false });
  const originalSpawn = proto.spawn;
  proto.spawn = function spawn(this: ChildProcess, ...args: unknown[]) {
    const result = originalSpawn.apply(this, args);
    set.add(this);
    const forget = (): void => {
      set.delete(this);
    };
    // 'close' comes once the child has exited and its stdio is closed, also after a failed
    // spawn (ENOENT...); an 'error' listener would change what an unhandled spawn error
    // does, so none is added.
    this.once('close', forget);
    return result;
  };
  return set;
}
// Installed by the first fork()/forkpty(), not at import; children spawned before that are
// found among the active handles at fork time (forgetParentsChildren).
let childProcesses: Set<ChildProcess> = new Set();

/** The foreign-children registry of lib/os/foreign-children.ts (shared through Symbol.for). */
const FOREIGN_REGISTRY = Symbol.for('unixproc.foreignChildren.v1');

// In the child: the parent's children are not ours. Their process and exit-watch handles
// were made inactive natively (fork-addon/src/inherited.cc); here the child closes its
// copies of their stdio pipes and IPC channels (reading them would take data meant for the
// parent, and keep the child alive until the sibling ends) and forgets them in the
// registry that "any child" waits consult.
function forgetParentsChildren(): void {
  const all = new Set(childProcesses);
  const active = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  if (typeof active === 'function') {
    for (const h of active.call(process)) if (h instanceof ChildProcess) all.add(h);
  }
  for (const cp of all) {
    // also when it has exited: its pipes may still be open (a grandchild holds them)
    for (const stream of cp.stdio) {
      if (stream !== null && stream !== undefined) (stream as { destroy(): void }).destroy();
    }
    try {
      if (cp.connected) cp.disconnect();
    } catch {
      // no channel after all
    }
  }
  childProcesses.clear();
  const registry = (ChildProcess.prototype as unknown as Record<PropertyKey, unknown>)[FOREIGN_REGISTRY] as
    | { children: Map<number, unknown> }
    | undefined;
  registry?.children.clear();
}

// In the child, `new Worker(...)` throws: a Worker's teardown waits for the V8 platform to
// drain its tasks (NodePlatform::DrainTasks), which no thread runs in a forked child, so
// the child hung for ever. Every Worker constructor (subclasses and references taken
// before the fork included) starts with super(), that is with a call of Worker's
// [[Prototype]]: that prototype is replaced by a function that throws, with EventEmitter's
// statics and prototype behind it.
function refuseWorkers(): void {
  const base = Object.getPrototypeOf(Worker) as (new () => object) & { prototype: object };
  const refused = function WorkerInForkedChild(): never {
    throw unsafe(
      'new Worker() in a forked child: worker threads cannot run in a process made by fork() ' +
        '(the V8 platform it would share with them was not copied, and the child would hang when ' +
        'the worker ends). Start workers before forking, in the parent, or exec a fresh Node in ' +
        'the child (execv(process.execPath, [...])).',
    );
  };
  Object.setPrototypeOf(refused, base);
  refused.prototype = base.prototype;
  Object.setPrototypeOf(Worker, refused);
}

// Node's crypto keeps random bytes ahead of use: randomUUID() 128 UUIDs' worth
// (kBatchSize), randomInt() a 6 KiB cache read 6 bytes per draw (Node 20,
// lib/internal/crypto/random.js). A child would draw the same values as the parent from
// its copy. Drawing one full cycle of each cache makes it refill in the child, after
// which everything left in it is the child's own: 128 UUIDs, and 1024 draws of 6 bytes
// (a draw that is rejected consumes 6 more, which only adds to the refill). Skipped when
// the parent never loaded that part of crypto (its caches are then still empty).
function freshRandomCaches(): void {
  const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  if (loaded !== undefined && !loaded.includes('NativeModule internal/crypto/random')) return;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  for (let i = 0; i < 128; i++) crypto.randomUUID();
  for (let i = 0; i < 1024; i++) crypto.randomInt(2);
}

function setUpChild(onNewTerminal: boolean): void {
  // process.pid is cached at start-up; the child's must be its own.
  Object.defineProperty(process, 'pid', {
    value: getpid(),
    writable: false,
    enumerable: true,
    configurable: true,
  });
  synchronousStdio(onNewTerminal);
  forgetParentsChildren();
  refuseWorkers();
  freshRandomCaches();
  check(
    f().guardChildLoop((phase: string) => {
      if (phase === 'beforeExit') process.emit('beforeExit', process.exitCode === undefined ? 0 : Number(process.exitCode));
      else process.exit();
    }),
    'uv_prepare_start',
  );
}

function doFork<T>(options: unknown, call: () => number | [number, number], name: string): T {
  checkConditions(options);
  childProcesses = trackChildProcesses();
  f(); // loaded (or ERR_UNIXPROC_FORK_UNAVAILABLE) before any hook runs
  runHooks(hooks.before, true);
  // The leak guard's provenance (lib/provenance-hook.ts): the child, a copy of this
  // process, is recorded by its identity (its environment is this process's).
  const provenance = spawnProvenanceHook()?.begin(`unixproc.${name}`, process.argv, doFork, 2);
  const r = call();
  const pid = typeof r === 'number' ? r : r[0];
  if (pid === 0) {
    setUpChild(name === 'forkpty');
    pendingWarning = false;
    runHooks(hooks.child, false);
  } else {
    recordOwnChild(pid); // a subreaper's own child is not an orphan (lib/proc/orphans.ts)
    if (pid > 0) provenance?.done(pid);
    runHooks(hooks.parent, false);
    if (pendingWarning) warnUnsafeFork();
  }
  if (typeof r === 'number' && r < 0) check(r, name);
  return r as T;
}

/**
 * Forks the process (Python's `os.fork`): returns the child's pid in the parent and 0 in
 * the child, which goes on running JavaScript (timers, promises, fs, crypto,
 * child_process, nested forks, but not worker threads: `new Worker()` throws
 * ERR_UNIXPROC_FORK_UNSAFE in the child; `process.exit`, `process.exitCode`, uncaught exceptions and
 * the natural end behave as usual). In the child, `process.pid` is the child's, and
 * stdout/stderr on pipes write synchronously so that no output is lost.
 *
 * Requires `node --single-threaded` (see docs/safety.md); the parent must reap the child
 * (`waitpid`).
 * @throws ERR_UNIXPROC_FORK_UNSAFE when V8 background threads are on (unless
 *   `unsafeAllowThreads`), when called from a worker thread, or while worker threads are
 *   alive; ERR_UNIXPROC_FORK_UNAVAILABLE when fork's native part is not built for this
 *   Node (rebuild with `npm rebuild unixproc`); ERR_INVALID_ARG_TYPE for bad options; EAGAIN, ENOMEM from fork; EBUSY when
 *   threadpool work in flight (DNS lookups included) did not finish within 5 s, or the V8 platform's worker
 *   threads could not be parked within 2 s (fork waits for both: docs/safety.md).
 * @see fork(2)
 */
export function fork(options?: ForkOptions): number {
  return doFork<number>(options, () => f().forkNode(), 'fork');
}

/**
 * Forks with the child on a new pseudo-terminal as its controlling terminal and on its
 * fds 0..2 (Python's `os.forkpty`): returns `[pid, masterFd]` in the parent and `[0, -1]`
 * in the child. The master fd is not inheritable. Same conditions as {@link fork}.
 * @throws as {@link fork}; ENOENT / EAGAIN when no pseudo-terminal is available.
 * @see forkpty(3)
 */
export function forkpty(options?: ForkOptions): [number, number] {
  return doFork<[number, number]>(options, () => f().forkptyNode(), 'forkpty');
}
