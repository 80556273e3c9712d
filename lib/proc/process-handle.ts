/**
 * Process handles: an identity that pid reuse cannot fool, because it holds a pidfd on the
 * process, taken when it was first seen.
 *
 * Why (pid, startTime) is not enough: the start time has the resolution of a clock tick
 * (stat field 22, in 1/CLK_TCK s: 10 ms on Linux). A process that exits and is reaped within
 * the tick it started in can hand its pid to a newcomer that starts in the same tick: same
 * pid, same start time, another program (issue 8, defect 6: 99 of 100 forced reuses). A pidfd
 * names one process, never a pid number: it keeps naming it after it has exited and been
 * reaped, and a signal through it cannot reach a newcomer (pidfd_open(2)).
 *
 * How a handle proves that its pidfd is the process it describes: pidfd_open(pid), then the
 * start time is read from /proc/<pid>/stat, then the pidfd's fdinfo is read: `Pid: <pid>`
 * there means the process had not been reaped yet, so it still held the pid when its stat
 * was read (a pid is reused only after its process is reaped). `Pid: -1` means it was reaped
 * meanwhile: ESRCH. So `startTime` is exact for the pidfd; when the caller gives a start
 * time, a mismatch means the pid names another process now: ESRCH too.
 * @see pidfd_open(2), pidfd_send_signal(2), proc(5) /proc/pid/stat, /proc/pid/fdinfo
 */
import { illegalConstructor, invalidArgType, invalidState, systemError } from '../errors';
import { validateInteger, validatePid, validateSignal } from '../validate';
import { validateProcfsOptions } from './options';
import type { ProcessRef } from './process-info';
import { pidfdBinding, pidfdHasExited, pidfdReaped, sendThroughPidfd } from './pidfd';
import { readOne } from './table';

/** The real /proc: a pidfd is a handle on this kernel's processes, never on a fixture tree. */
const REAL_PROC = validateProcfsOptions(undefined);
const ESRCH = 3;

/** Only {@link openProcess} holds this. */
const CONSTRUCT = Symbol('ProcessHandle.construct');

/**
 * Closes the pidfd of a handle that was dropped without {@link ProcessHandle.close}: one fd
 * per forgotten handle would otherwise stay open until the process ends.
 */
const finalizer = new FinalizationRegistry<number>((pidfd) => {
  pidfdBinding().closeFd(pidfd);
});

/**
 * A process this one holds a pidfd on: `{ pid, startTime }` (so it is a `ProcessRef`, usable
 * wherever one is) plus answers that pid reuse cannot fool. Made by {@link openProcess}.
 *
 * Close it when done ({@link ProcessHandle.close}); a handle that is garbage-collected
 * unclosed has its pidfd closed then.
 */
export class ProcessHandle implements ProcessRef {
  /** The pid the process had when the handle was opened (it keeps it until reaped). */
  readonly pid: number;
  /** Its start time, in clock ticks after boot (stat field 22), read and proven at opening. */
  readonly startTime: number;
  #pidfd: number;

  /**
   * @internal Handles are made by {@link openProcess}.
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, pid: number, startTime: number, pidfd: number) {
    if (token !== CONSTRUCT) throw illegalConstructor();
    this.pid = pid;
    this.startTime = startTime;
    this.#pidfd = pidfd;
    finalizer.register(this, pidfd, this);
  }

  /**
   * The pidfd (a file descriptor this handle owns, O_CLOEXEC), or -1 once closed. Poll it,
   * or pass it to `os.waitid(os.P_PIDFD, ...)` for a child; do not close it yourself.
   */
  get pidfd(): number {
    return this.#pidfd;
  }

  /** Whether {@link ProcessHandle.close} has been called. */
  get closed(): boolean {
    return this.#pidfd < 0;
  }

  #fd(method: string): number {
    if (this.#pidfd < 0) throw invalidState(`ProcessHandle.${method}() called after close()`);
    return this.#pidfd;
  }

  /**
   * Whether the process is still running: it has not exited (a zombie has). Never fooled by
   * a newcomer that got its pid, even one started in the same clock tick. A process whose
   * main thread has exited while other threads run is still running.
   * @throws ERR_INVALID_STATE after {@link ProcessHandle.close}.
   * @see pidfd_open(2) ("poll")
   */
  isRunning(): boolean {
    return !pidfdHasExited(this.#fd('isRunning'));
  }

  /**
   * Whether the process has been reaped (its exit status collected by its parent): its pid
   * may name another process from then on. A zombie is exited but not reaped.
   * @throws ERR_INVALID_STATE after {@link ProcessHandle.close}; ENOENT where /proc is not
   *   mounted.
   * @see proc(5) /proc/pid/fdinfo
   */
  isReaped(): boolean {
    const fd = this.#fd('isReaped');
    // Where fdinfo has no Pid line (older kernels) only "exited" can be told.
    return pidfdReaped(fd) ?? pidfdHasExited(fd);
  }

  /**
   * Sends one signal to the process through the pidfd (pidfd_send_signal(2)), and nothing
   * more.
   * @param signal - a signal name or number (default `'SIGTERM'`); 0 probes.
   * @returns true when the signal was sent; false when the process has already exited
   *   (zombie or reaped): nothing is sent then, and never to another process.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
   *   signal; ERR_INVALID_STATE after {@link ProcessHandle.close}; EPERM when this process
   *   may not signal it (kill(2)'s permission rule).
   * @see pidfd_send_signal(2)
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const signo = validateSignal(signal, 'signal');
    return sendThroughPidfd(this.#fd('kill'), signo);
  }

  /** Closes the pidfd. Idempotent. The process is not affected. */
  close(): void {
    if (this.#pidfd < 0) return;
    finalizer.unregister(this);
    pidfdBinding().closeFd(this.#pidfd);
    this.#pidfd = -1;
  }
}

function validateTarget(target: unknown): { pid: number; startTime: number | undefined } {
  if (typeof target === 'number') return { pid: validatePid(target, 'target'), startTime: undefined };
  if (typeof target !== 'object' || target === null) {
    throw invalidArgType('target', 'of type number or an object with pid and startTime', target);
  }
  const r = target as { pid?: unknown; startTime?: unknown };
  return {
    pid: validatePid(r.pid, 'target.pid'),
    startTime: validateInteger(r.startTime, 'target.startTime', 0),
  };
}

/**
 * Opens a handle on a process: a pidfd on it, taken now, with its start time proven to be
 * that process's (see the module notes). Open it when the process is first seen (right
 * after a /proc scan found it, or right after starting it); from then on the handle names
 * that process only, whatever later takes its pid.
 *
 * @example
 * ```ts
 * const { openProcess } = require('unixproc');
 * const handle = openProcess(process.pid);
 * console.log(handle.isRunning()); // true
 * handle.close();
 * ```
 * @param target - a pid, or a `{ pid, startTime }` seen earlier (e.g. a `ProcessInfo`): then
 *   the process must still be that one.
 * @returns an open {@link ProcessHandle}; close it when done.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad target; ESRCH (`syscall`
 *   'pidfd_open') when there is no such process, when it was reaped while being opened, or
 *   when `target.startTime` does not match (its pid names another process now); EINVAL /
 *   ENOENT (Linux 6.9+) when the pid is a thread that is not a thread-group leader; ENOSYS
 *   before Linux 5.3; EMFILE; EACCES when its stat cannot be read (hidepid).
 * @see pidfd_open(2), proc(5)
 */
export function openProcess(target: number | ProcessRef): ProcessHandle {
  const { pid, startTime } = validateTarget(target);
  const b = pidfdBinding();
  const fd = b.pidfdOpen(pid, 0);
  if (fd < 0) throw systemError(fd, 'pidfd_open');
  try {
    const seen = readOne(REAL_PROC, pid, 0)?.info;
    // Read after the stat: not reaped then means it still held the pid when its stat was read.
    const reaped = pidfdReaped(fd) ?? pidfdHasExited(fd);
    if (seen === undefined || reaped || (startTime !== undefined && seen.startTime !== startTime)) {
      throw systemError(-ESRCH, 'pidfd_open');
    }
    return new ProcessHandle(CONSTRUCT, pid, seen.startTime, fd);
  } catch (e) {
    b.closeFd(fd);
    throw e;
  }
}
