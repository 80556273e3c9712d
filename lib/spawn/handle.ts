/**
 * The handle of a spawned child: its pid, its exit (awaitable, decoded), signals sent
 * through its pidfd, its piped streams, and the timeout/abort termination sequence.
 */
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { illegalConstructor } from '../errors';
import { decodeWaitStatus, type ExitStatus } from '../exit-status';
import { registerForeignChild, unregisterForeignChild } from '../os/foreign-children';
import { sendThroughPidfd } from '../proc/pidfd';
import { validateSignal } from '../validate';
import { AbortError } from './errors';
import { watchChildExit, type ExitReport, type ExitWatcher } from './exit-watch';
import { validateTerminateOptions, type TerminateOptions } from './options';
import { binding, P_PID, WEXITED, WNOHANG, WNOWAIT } from './native-child';

/** Why this library terminated the child, if it did. */
export type TerminationReason = 'timeout' | 'abort';

/** What the handle needs to know at birth. @internal */
export interface ChildInit {
  readonly pid: number;
  /** -1 in `sigchld` mode. */
  readonly pidfd: number;
  readonly args: readonly (string | Buffer)[];
  /** Parent ends of the pipes, -1 where a stream is not piped. */
  readonly fds: readonly [number, number, number];
  readonly timeout: number;
  readonly killSignal: number;
  readonly killGracePeriod: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Children spawned here and not yet reaped, by pid (for waitForExit(pid)). A handle removes
 * only its own entry ({@link forgetLiveChild}): once its child is reaped, a new child may
 * get the same pid and register before the old handle has settled. @internal
 */
export const liveChildren = new Map<number, Subprocess>();

function forgetLiveChild(sub: Subprocess): void {
  if (liveChildren.get(sub.pid) === sub) liveChildren.delete(sub.pid);
}

let abandon: (sub: Subprocess) => void;

/** Only {@link createSubprocess} (that is, spawn()) holds this. */
const CONSTRUCT = Symbol('Subprocess.construct');

/**
 * The handle of a child spawn() has just started. `make` builds a subclass instead (the
 * contain layer's ContainedSubprocess): it is handed the token for its `super()` call, and
 * nothing else ever sees it. @internal
 */
export function createSubprocess(init: ChildInit): Subprocess;
/** With a subclass factory. @internal */
export function createSubprocess<T extends Subprocess>(init: ChildInit, make: (token: symbol, init: ChildInit) => T): T;
export function createSubprocess(init: ChildInit, make?: (token: symbol, init: ChildInit) => Subprocess): Subprocess {
  return make === undefined ? new Subprocess(CONSTRUCT, init) : make(CONSTRUCT, init);
}

/**
 * In a forked child: makes a handle copied from the parent inert. Its process is the
 * parent's child, not this one's: no signal (kill() returns false, timeout and abort
 * send nothing), no exit watch (in the SIGCHLD fallback its sweep would reap nothing
 * and reject with ECHILD). Its `wait()` never settles in the child. @internal
 */
export function abandonInForkedChild(sub: Subprocess): void {
  abandon(sub);
}

/**
 * A running (or finished) child started by {@link spawn}.
 *
 * Pid-reuse safety: the handle holds the child's pidfd until it has reaped the child, and
 * every signal goes through it (pidfd_send_signal(2)); once the child is reaped the pidfd
 * is closed and `kill` does nothing. So a signal can never reach another process that got
 * the same pid later.
 */
export class Subprocess {
  /** The child's pid. */
  readonly pid: number;
  /** The command as started: `[file, ...args]` (`file` as given: a Buffer stays a Buffer). */
  readonly args: readonly (string | Buffer)[];
  /**
   * The write end of the child's stdin when `stdio[0]` is `'pipe'`, else null. Destroyed
   * when the child exits (as child_process does): writes after that fail.
   */
  readonly stdin: Writable | null;
  /**
   * The read end of the child's stdout when `stdio[1]` is `'pipe'`, else null. It closes
   * itself at end of file, once everything the child (and whatever inherited the pipe) wrote
   * has been read: read it, or `destroy()` it, or its fd stays open.
   */
  readonly stdout: Readable | null;
  /** The read end of the child's stderr when `stdio[2]` is `'pipe'`, else null. */
  readonly stderr: Readable | null;

  #pidfd: number;
  #status: ExitStatus | undefined;
  #error: Error | undefined;
  #waiters: { resolve: (s: ExitStatus) => void; reject: (e: Error) => void }[] = [];
  #watcher: ExitWatcher;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #abortSignal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #killSignal: number;
  #killGracePeriod: number;
  #terminationReason: TerminationReason | undefined;
  /** The status, when an "any child" wait of unixproc/os reaped the child and handed it back. */
  #handedBack: number | undefined;
  /**
   * Set synchronously when the child has been reaped (by the exit watch, or found reaped
   * by someone else), before its exit is delivered: from then on its pid may be reused,
   * so nothing is sent to it any more.
   */
  #reaped = false;
  /** This handle's entry in the foreign-children registry (removal is by owner). */
  readonly #handBack: (status: number) => void;

  /**
   * @internal Handles are made by {@link spawn}: a handle built by hand could signal any
   * pid, so the constructor refuses every caller that lacks this module's token.
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, init: ChildInit) {
    if (token !== CONSTRUCT) throw illegalConstructor();
    this.pid = init.pid;
    this.args = init.args;
    this.#pidfd = init.pidfd;
    this.#killSignal = init.killSignal;
    this.#killGracePeriod = init.killGracePeriod;
    this.stdin = init.fds[0] >= 0 ? new Socket({ fd: init.fds[0], readable: false, writable: true }) : null;
    this.stdout = init.fds[1] >= 0 ? new Socket({ fd: init.fds[1], readable: true, writable: false }) : null;
    this.stderr = init.fds[2] >= 0 ? new Socket({ fd: init.fds[2], readable: true, writable: false }) : null;
    liveChildren.set(init.pid, this);
    // unixproc/os wait(), waitpid(-1) and friends may reap this child first: they hand the
    // status back here instead of swallowing it (lib/os/foreign-children.ts). Registered
    // before the watch starts: a watch that fails at once ends the handle (#onExit, which
    // unregisters) right inside watchChildExit.
    this.#handBack = (status) => {
      this.#markReaped();
      this.#watcher.cancel();
      this.#handedBack = status;
      setImmediate(() => this.#onExit({ status }));
    };
    registerForeignChild(init.pid, this.#handBack);
    this.#watcher = watchChildExit(
      init.pid,
      init.pidfd,
      (report) => this.#onExit(report),
      () => this.#markReaped(),
    );
    if (init.timeout > 0) {
      this.#timeoutTimer = setTimeout(() => this.#terminate('timeout'), init.timeout);
      this.#timeoutTimer.unref(); // the exit watch keeps the loop alive, or not (unref())
    }
    if (init.signal !== undefined) {
      this.#abortSignal = init.signal;
      this.#onAbort = () => this.#terminate('abort');
      if (init.signal.aborted) queueMicrotask(this.#onAbort);
      else init.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Whether the child has exited and been reaped (its status is known). */
  get exited(): boolean {
    return this.#status !== undefined || this.#error !== undefined;
  }

  /** How the child ended, once it has (`undefined` before). */
  get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  /** `'timeout'` or `'abort'` when this library started terminating the child, else undefined. */
  get terminationReason(): TerminationReason | undefined {
    return this.#terminationReason;
  }

  /**
   * Resolves with how the child ended, once it has exited and been reaped. Never blocks
   * the event loop; may be called any number of times.
   * @throws (rejects) ECHILD (`syscall` 'waitid' or 'waitpid') when something outside this
   *   library reaped the child first (unixproc/os's `wait()`/`waitpid(-1)` hand the status
   *   back here instead).
   * @see waitid(2)
   */
  wait(): Promise<ExitStatus> {
    if (this.#status !== undefined) return Promise.resolve(this.#status);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Sends a signal to the child through its pidfd (pidfd_send_signal(2)).
   * @param signal - a signal name or number (default `'SIGTERM'`); 0 probes.
   * @returns true when the signal was sent; false when the child has already exited,
   *   reaped or not (a zombie, or reaped while `wait()` has not settled yet): nothing is
   *   sent then, and no other process can be hit.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
   *   signal; EPERM when not allowed to signal the child (it changed uid).
   * @see pidfd_send_signal(2), kill(2)
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const signo = validateSignal(signal, 'signal');
    if (this.exited || this.#reaped) return false;
    // An exited child not reaped yet (a zombie) still accepts signals, from kill(2) and
    // pidfd_send_signal(2) alike: ask whether it has exited first (issue 8, defect 8). It may
    // still exit between the question and the signal: then the signal reached it as it went.
    if (this.#pidfd >= 0) return sendThroughPidfd(this.#pidfd, signo);
    // sigchld mode (no pidfd): the sweep has not reaped it (#reaped is set synchronously
    // when it does, before the exit is delivered). waitid(WNOWAIT) tells whether it has
    // exited without reaping it (the sweep will), and ECHILD means something outside this
    // library reaped it: its pid may name a newcomer. Otherwise the pid still names it.
    const peek = binding().waitid(P_PID, this.pid, WEXITED | WNOHANG | WNOWAIT);
    if (typeof peek === 'number' || peek[0] === this.pid) return false;
    try {
      process.kill(this.pid, signo);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw e;
    }
  }

  /**
   * Ends the child gracefully, as a timeout would: `killSignal` now, SIGKILL after
   * `killGracePeriod` if it is still alive; resolves once it is gone (exited and reaped).
   * Sends nothing once it has exited. A second call while the first is under way sends the
   * signal again and keeps the first SIGKILL deadline.
   * @param options - `killSignal` and `killGracePeriod` for this call (default: those
   *   given to {@link spawn}).
   * @returns how the child ended (as {@link Subprocess.wait}).
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options
   *   (thrown, not rejected); (rejects) as {@link Subprocess.wait}.
   * @see pidfd_send_signal(2), docs/conventions.md
   */
  terminate(options?: TerminateOptions): Promise<ExitStatus> {
    const o = validateTerminateOptions(options, this.#killSignal, this.#killGracePeriod);
    this.#terminate(undefined, o.killSignal, o.killGracePeriod);
    return this.wait();
  }

  /** Lets the event loop end while this child runs (as child_process's `unref()`). Streams are unaffected. */
  unref(): void {
    this.#watcher.setRef(false);
  }

  /** Undoes {@link Subprocess.unref}. */
  ref(): void {
    this.#watcher.setRef(true);
  }

  static {
    abandon = (sub) => sub.#abandon();
  }

  #abandon(): void {
    this.#reaped = true; // kill() sends nothing from now on
    clearTimeout(this.#timeoutTimer);
    clearTimeout(this.#graceTimer);
    if (this.#onAbort !== undefined) this.#abortSignal?.removeEventListener('abort', this.#onAbort);
    this.#abortSignal = undefined;
    // The pidfd watch was made inactive natively at the fork (fork-addon/src/inherited.cc);
    // the SIGCHLD fallback's pending entry is plain JS and goes here.
    if (this.#pidfd < 0) this.#watcher.cancel();
  }

  /**
   * The child has just been reaped (synchronously, before its exit is delivered): its pid
   * is free for reuse from now on, so this handle stops sending to it and leaves the
   * registries keyed by pid, removing only its own entries (issue 8, defect 3).
   */
  #markReaped(): void {
    this.#reaped = true;
    unregisterForeignChild(this.pid, this.#handBack);
    forgetLiveChild(this);
  }

  #terminate(reason: TerminationReason | undefined, killSignal = this.#killSignal, killGracePeriod = this.#killGracePeriod): void {
    if (this.exited) return;
    if (reason !== undefined) this.#terminationReason ??= reason;
    this.kill(killSignal);
    if (this.#graceTimer === undefined && Number.isFinite(killGracePeriod)) {
      this.#graceTimer = setTimeout(() => this.kill('SIGKILL'), killGracePeriod);
      this.#graceTimer.unref();
    }
  }

  #onExit(report: ExitReport): void {
    if (this.exited) return;
    if (this.#handedBack !== undefined) report = { status: this.#handedBack };
    unregisterForeignChild(this.pid, this.#handBack);
    forgetLiveChild(this);
    if (this.#pidfd >= 0) {
      binding().closeFd(this.#pidfd); // not fs.closeSync: Workers warn about fds fs did not open
      this.#pidfd = -1;
    }
    clearTimeout(this.#timeoutTimer);
    clearTimeout(this.#graceTimer);
    if (this.#onAbort !== undefined) this.#abortSignal?.removeEventListener('abort', this.#onAbort);
    this.#abortSignal = undefined;
    // Nobody reads the pipe any more: without this its fd and handle stayed until exit, one
    // per child (issue 8, defect 4). As child_process does on exit. stdout and stderr close
    // themselves at end of file, once what the child wrote has been read.
    this.stdin?.destroy();
    const waiters = this.#waiters;
    this.#waiters = [];
    if ('status' in report) {
      this.#status = decodeWaitStatus(report.status);
      for (const w of waiters) w.resolve(this.#status);
    } else {
      this.#error = report.error;
      for (const w of waiters) w.reject(report.error);
    }
  }
}

/** Rejects with an AbortError when `signal` aborts first. @internal */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

