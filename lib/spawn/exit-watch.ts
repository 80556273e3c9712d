/**
 * Knowing when a child exits, without blocking and without a thread per child.
 *
 * Two ways, one interface ({@link watchChildExit}):
 * - `pidfd` (Linux 5.3+, the default where the kernel has it): the child's pidfd is polled
 *   by the event loop (native/exit_watch.cc, a uv_poll_t); when it turns readable the child
 *   is reaped with `waitid(P_PIDFD, pidfd, WEXITED | WNOHANG)`, which cannot reap anything
 *   but that very process.
 * - `sigchld` (kernels without pidfd): a SIGCHLD watch on the event loop (a native
 *   uv_signal_t; `process.on('SIGCHLD')` works in plain Node but not where `process` is
 *   wrapped, as in jest), while children are pending, sweeps each known child with
 *   `waitpid(pid, WNOHANG)`. Never `waitpid(-1)`:
 *   that would take the exit statuses of child_process's children (libuv reaps them by pid
 *   and gives up silently on ECHILD).
 *
 * The mode is chosen once, at first use: the `UNIXPROC_EXIT_WATCH` environment variable
 * (`pidfd` or `sigchld`) when set, else `pidfd` if pidfd_open(2) works, else `sigchld`.
 * Tests switch it with {@link setExitWatchMode} so that both paths are exercised.
 * @internal
 */
import { systemError } from '../errors';
import {
  P_PIDFD,
  WEXITED,
  WNOHANG,
  binding,
  statusFromSiginfo,
  type WatchHandle,
} from './native-child';

/** How exits are watched. */
export type ExitWatchMode = 'pidfd' | 'sigchld';

/** What a watch reports: the raw wait status, or the error that prevented reaping. */
export type ExitReport = { readonly status: number } | { readonly error: Error };

/** A pending watch. */
export interface ExitWatcher {
  /** Stops watching (the child is not reaped). */
  cancel(): void;
  /** Whether the pending watch keeps the event loop alive (it does by default). */
  setRef(ref: boolean): void;
}

let mode: ExitWatchMode | undefined;

function detectMode(): ExitWatchMode {
  const forced = process.env.UNIXPROC_EXIT_WATCH;
  if (forced === 'pidfd' || forced === 'sigchld') return forced;
  const fd = binding().pidfdOpen(process.pid, 0);
  if (fd < 0) return 'sigchld'; // ENOSYS before Linux 5.3
  binding().closeFd(fd); // not fs.closeSync: Workers warn about fds fs did not open
  return 'pidfd';
}

/** The mode in force (detected at first use). @internal */
export function exitWatchMode(): ExitWatchMode {
  if (mode === undefined) mode = detectMode();
  return mode;
}

/**
 * Forces a mode for children spawned from now on (children already spawned keep theirs).
 * For tests; `undefined` re-runs detection.
 * @internal
 */
export function setExitWatchMode(next: ExitWatchMode | undefined): void {
  mode = next;
}

// ---- delivery ---------------------------------------------------------------------------

// Exits are reaped as soon as the kernel reports them, but delivered (promises resolved)
// EXITS_PER_TURN per turn of the event loop. Code awaiting an exit often starts the
// next child at once; a burst of 64 exits in one poll phase would otherwise run 64 spawns
// back to back, and timers and I/O would wait for all of them (bench/spawn-throughput.js
// measures this as event-loop delay: 95 ms p99 undeferred, 30 ms at 8 per turn, about 5 ms
// at 1, with the same throughput). Deferring costs one loop turn per exit.
const EXITS_PER_TURN = 1;
let queue: (() => void)[] = [];
let drainScheduled = false;

function drain(): void {
  drainScheduled = false;
  const now = queue.length > EXITS_PER_TURN ? queue.slice(0, EXITS_PER_TURN) : queue;
  queue = queue.length > EXITS_PER_TURN ? queue.slice(EXITS_PER_TURN) : [];
  if (queue.length > 0) scheduleDrain(); // the rest on the next turn
  for (const deliverOne of now) deliverOne();
}

function scheduleDrain(): void {
  if (drainScheduled) return;
  drainScheduled = true;
  setImmediate(drain);
}

function deliver(onExit: (report: ExitReport) => void, report: ExitReport): void {
  queue.push(() => onExit(report));
  scheduleDrain();
}

// ---- pidfd ----------------------------------------------------------------------------

/** Reaps the exited process behind `pidfd`; undefined when it has not exited yet. */
function reapPidfd(pidfd: number): ExitReport | undefined {
  const r = binding().waitid(P_PIDFD, pidfd, WEXITED | WNOHANG);
  if (typeof r === 'number') return { error: systemError(r, 'waitid') };
  if (r[0] === 0) return undefined;
  return { status: statusFromSiginfo(r[4], r[3]) };
}

function watchPidfd(
  pidfd: number,
  onExit: (report: ExitReport) => void,
  onReaped: () => void,
): ExitWatcher {
  let handle: WatchHandle | undefined;
  let ref = true;
  const arm = (): void => {
    const h = binding().watchPidfd(pidfd, () => {
      handle = undefined;
      const report = reapPidfd(pidfd);
      if (report === undefined) {
        arm(); // not exited after all: watch again
        return;
      }
      onReaped();
      deliver(onExit, report);
    });
    if (typeof h === 'number') {
      onExit({ error: systemError(h, 'uv_poll_init') });
      return;
    }
    handle = h;
    if (!ref) binding().refWatch(h, false);
  };
  arm();
  return {
    cancel(): void {
      if (handle !== undefined) binding().unwatch(handle);
      handle = undefined;
    },
    setRef(next: boolean): void {
      ref = next;
      if (handle !== undefined) binding().refWatch(handle, next);
    },
  };
}

// ---- SIGCHLD ---------------------------------------------------------------------------

interface Pending {
  readonly onExit: (report: ExitReport) => void;
  readonly onReaped: () => void;
  ref: boolean;
}
const pending = new Map<number, Pending>();
let sigchldWatch: WatchHandle | undefined;
let sigchldRef = true;
let sweepQueued = false;
const SIGCHLD = 17;

function sweep(): void {
  sweepQueued = false;
  for (const [pid, p] of pending) {
    const r = binding().waitpid(pid, WNOHANG);
    if (typeof r === 'number') {
      // ECHILD: someone else reaped it; the pid is free for reuse from now on too.
      pending.delete(pid);
      p.onReaped();
      deliver(p.onExit, { error: systemError(r, 'waitpid') });
    } else if (r[0] === pid) {
      pending.delete(pid);
      p.onReaped(); // at once: the pid may name another process before delivery
      deliver(p.onExit, { status: r[1] });
    }
  }
  updateListener();
}

/** Removes the SIGCHLD watch when nothing is pending (after a failed spawn). @internal */
export function settleSigchldWatch(): void {
  updateListener();
}

// The SIGCHLD watch exists while children are pending, and keeps the loop alive while
// one of them is referenced.
function updateListener(): void {
  if (pending.size === 0) {
    if (sigchldWatch !== undefined) binding().unwatch(sigchldWatch);
    sigchldWatch = undefined;
    return;
  }
  prepareSigchldWatch();
  const anyRef = [...pending.values()].some((p) => p.ref);
  if (anyRef !== sigchldRef && sigchldWatch !== undefined) {
    binding().refWatch(sigchldWatch, anyRef);
    sigchldRef = anyRef;
  }
}

/**
 * Starts the SIGCHLD watch before a child is started, so that its exit cannot be
 * signalled before anyone listens. @internal
 */
export function prepareSigchldWatch(): void {
  if (sigchldWatch !== undefined) return;
  const h = binding().watchSignal(SIGCHLD, sweep);
  if (typeof h === 'number') throw systemError(h, 'uv_signal_start');
  sigchldWatch = h;
  sigchldRef = true;
}

const ECHILD = 10;

function watchSigchld(pid: number, onExit: (report: ExitReport) => void, onReaped: () => void): ExitWatcher {
  // A new child got a pid that is still pending: the kernel reuses a pid only once its
  // process is reaped, so something outside this library reaped the old child (a raw
  // waitpid). Its watch ends with ECHILD now; left in place, it would have been overwritten
  // and its wait() would never settle.
  const stale = pending.get(pid);
  if (stale !== undefined) {
    pending.delete(pid);
    stale.onReaped();
    deliver(stale.onExit, { error: systemError(-ECHILD, 'waitpid') });
  }
  const entry: Pending = { onExit, onReaped, ref: true };
  pending.set(pid, entry);
  updateListener();
  // A SIGCHLD may have come before the entry existed: look once more, soon.
  if (!sweepQueued) {
    sweepQueued = true;
    setImmediate(sweep);
  }
  return {
    // By owner: once reaped, the pid may be pending again for a new child.
    cancel(): void {
      if (pending.get(pid) === entry) pending.delete(pid);
      updateListener();
    },
    setRef(ref: boolean): void {
      entry.ref = ref;
      updateListener();
    },
  };
}

/**
 * Watches one child of this process: `onExit` runs once, on the event loop, after the
 * child was reaped (or reaping failed, e.g. ECHILD when something else reaped it).
 * `onReaped` runs synchronously at the moment of reaping (or of that failure), before
 * `onExit`, which is deferred: from then on the pid may name another process, so the
 * owner must stop using it at once (no kill(2) on it) and leave every registry keyed by
 * pid (removing only its own entries: a new child may register the pid before `onExit`).
 * @param pidfd - the child's pidfd in `pidfd` mode, -1 in `sigchld` mode.
 * @internal
 */
export function watchChildExit(
  pid: number,
  pidfd: number,
  onExit: (report: ExitReport) => void,
  onReaped: () => void,
): ExitWatcher {
  return pidfd >= 0 ? watchPidfd(pidfd, onExit, onReaped) : watchSigchld(pid, onExit, onReaped);
}

/**
 * Watches a pidfd for the exit of any process (not necessarily a child); `onReady` runs
 * once when it has exited. @internal
 */
export function watchPidfdReady(pidfd: number, onReady: () => void): ExitWatcher {
  let handle: WatchHandle | undefined;
  const h = binding().watchPidfd(pidfd, () => {
    handle = undefined;
    onReady();
  });
  if (typeof h === 'number') throw systemError(h, 'uv_poll_init');
  handle = h;
  return {
    cancel(): void {
      if (handle !== undefined) binding().unwatch(handle);
      handle = undefined;
    },
    setRef(ref: boolean): void {
      if (handle !== undefined) binding().refWatch(handle, ref);
    },
  };
}
