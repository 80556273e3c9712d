/**
 * Signals by identity and reaping by pid: the only two things the guard does to other
 * processes.
 *
 * A pid may be recycled once its process is reaped, so a signal aimed at a process seen in
 * an earlier scan goes through a pidfd: pidfd_open(pid), then a re-check that /proc/<pid>
 * still has the recorded start time (and that the pidfd's process was not reaped in
 * between: lib/proc/process-handle.ts), then pidfd_send_signal. The pidfd then names the
 * process that has that (pid, start time) now.
 *
 * What is left of the reuse hole, and how it is kept small: a (pid, start time) pair can be
 * fooled by a newcomer that took the pid within the clock tick (10 ms) in which the recorded
 * process started (issue 8, defect 6). So the pidfd is opened as early as possible, at first
 * sight, and held: {@link FirstSightHandles} opens one per process the first time a
 * clean-up signals it and sends every later signal (SIGCONT, the SIGKILL after the grace
 * period) through that same pidfd, exact from then on; and {@link signalByIdentity} uses an
 * open {@link ProcessHandle}'s own pidfd when given one. Only the window between the scan
 * that recorded the process and that first pidfd_open relies on (pid, start time) alone.
 * On kernels without pidfds (ENOSYS, Linux < 5.3) it falls back to kill(2) right after the
 * identity check: a race of microseconds, documented in docs/leak-guard.md.
 * @see pidfd_open(2), pidfd_send_signal(2), wait(2), proc(5)
 * @internal
 */
import { isErrnoException } from '../errors';
import { decodeWaitStatus, type ExitStatus } from '../exit-status';
import { pidfd_open } from '../os/misc';
import { WNOHANG } from '../os/status';
import { waitpid } from '../os/wait';
import { isSameProcess } from '../proc/identity';
import type { ProcessRef } from '../proc/process-info';
import { openProcess, ProcessHandle } from '../proc/process-handle';
import { sendThroughPidfd } from '../proc/pidfd';
import { binding } from '../spawn/native-child';

/**
 * What an identity-checked signal did: `'sent'`; `'gone'` (exited, or its pid now names
 * another process: nothing sent); `'denied'` (EPERM: this process may not signal it,
 * e.g. a setuid program that switched all its ids; nothing sent, it is still there).
 */
export type SignalOutcome = 'sent' | 'gone' | 'denied';

function sameProcess(ref: ProcessRef): boolean {
  try {
    return isSameProcess(ref);
  } catch (e) {
    if (isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'ESRCH')) return false;
    throw e;
  }
}

/** Sends through an open handle's pidfd: exact, whatever got the pid since. */
function signalHandle(handle: ProcessHandle, signo: number): SignalOutcome {
  try {
    return handle.kill(signo) ? 'sent' : 'gone';
  } catch (e) {
    if (isErrnoException(e) && e.code === 'EPERM') return 'denied';
    throw e;
  }
}

/**
 * Sends `signo` to the process `ref` names, only if it is still that process. An open
 * {@link ProcessHandle} is signalled through its own pidfd (exact); any other ref through a
 * pidfd opened now, after which its start time is re-checked (fooled only by a newcomer
 * started within the same clock tick as the recorded process, see the module notes).
 * @returns `'gone'` when it has exited (or its pid now names another process), `'denied'`
 *   when this process may not signal it (EPERM): in both cases nothing was sent.
 * @see kill(2) for who may signal whom
 */
export function signalByIdentity(ref: ProcessRef, signo: number): SignalOutcome {
  if (ref instanceof ProcessHandle && !ref.closed) return signalHandle(ref, signo);
  let fd: number;
  try {
    fd = pidfd_open(ref.pid);
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ESRCH') return 'gone';
    // The pid now names a thread that is not a thread-group leader (EINVAL; ENOENT since
    // Linux 6.9, pidfd_open(2)): the recorded process, a leader, was reaped and its pid
    // recycled as another process's thread id.
    if (isErrnoException(e) && (e.code === 'EINVAL' || e.code === 'ENOENT')) return 'gone';
    if (isErrnoException(e) && e.code === 'ENOSYS') {
      if (!sameProcess(ref)) return 'gone';
      try {
        process.kill(ref.pid, signo);
        return 'sent';
      } catch (k) {
        if (isErrnoException(k) && k.code === 'ESRCH') return 'gone';
        if (isErrnoException(k) && k.code === 'EPERM') return 'denied';
        throw k;
      }
    }
    throw e;
  }
  try {
    if (!sameProcess(ref)) return 'gone';
    // A zombie accepts signals: it has exited all the same ('gone').
    return sendThroughPidfd(fd, signo) ? 'sent' : 'gone';
  } catch (e) {
    if (isErrnoException(e) && e.code === 'EPERM') return 'denied';
    throw e;
  } finally {
    binding().closeFd(fd);
  }
}

/**
 * Pidfds opened at first sight and held: the first signal to a process opens a
 * {@link ProcessHandle} on it (pidfd_open, then the start time re-checked), and every later
 * signal to the same (pid, start time) goes through that pidfd, so a newcomer that takes the
 * pid meanwhile (even within the same clock tick) is never signalled. Close it when done.
 */
export class FirstSightHandles {
  /** By `pid:startTime`: the handle, 'gone' (no such process at first sight), or 'kill' (no pidfds). */
  readonly #seen = new Map<string, ProcessHandle | 'gone' | 'kill'>();

  #open(ref: ProcessRef): ProcessHandle | 'gone' | 'kill' {
    try {
      return openProcess(ref);
    } catch (e) {
      // ESRCH: gone or replaced; EINVAL/ENOENT: its pid now names a thread (see signalByIdentity).
      if (isErrnoException(e) && (e.code === 'ESRCH' || e.code === 'EINVAL' || e.code === 'ENOENT')) return 'gone';
      if (isErrnoException(e) && e.code === 'ENOSYS') return 'kill';
      throw e;
    }
  }

  /** Like {@link signalByIdentity}, through the pidfd opened the first time `ref` was signalled. */
  signal(ref: ProcessRef, signo: number): SignalOutcome {
    const k = `${ref.pid}:${ref.startTime}`;
    let h = this.#seen.get(k);
    if (h === undefined) {
      h = this.#open(ref);
      this.#seen.set(k, h);
    }
    if (h === 'gone') return 'gone';
    if (h === 'kill') return signalByIdentity(ref, signo); // ENOSYS: kill(2) after the check
    return signalHandle(h, signo);
  }

  /** Closes every pidfd held. */
  close(): void {
    for (const h of this.#seen.values()) if (h instanceof ProcessHandle) h.close();
    this.#seen.clear();
  }
}

/**
 * Reaps child `pid` if it has exited: waitpid(pid, WNOHANG), never an "any child" wait.
 * The caller must know the pid is an adopted orphan (no one else in this process will
 * wait for it).
 * @returns its exit status, or undefined when it is still running or is not our child.
 */
export function reapPid(pid: number): ExitStatus | undefined {
  try {
    const [got, status] = waitpid(pid, WNOHANG);
    return got === pid ? decodeWaitStatus(status) : undefined;
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ECHILD') return undefined;
    throw e;
  }
}
