/**
 * Signals by identity and reaping by pid: the only two things the guard does to other
 * processes.
 *
 * A pid may be recycled once its process is reaped, so a signal aimed at a process seen in
 * an earlier scan goes through a pidfd: pidfd_open(pid), then a re-check that /proc/<pid>
 * still has the recorded start time, then pidfd_send_signal. If the start time matches after
 * the pidfd was opened, the pidfd names that very process (a pid cannot be reused before its
 * process is reaped, and a pidfd keeps naming its process even then), so the signal cannot
 * reach a newcomer. On kernels without pidfds (ENOSYS, Linux < 5.3) it falls back to kill(2)
 * right after the identity check: a race of microseconds, documented in docs/leak-guard.md.
 * @see pidfd_open(2), pidfd_send_signal(2), wait(2), proc(5)
 * @internal
 */
import { check, isErrnoException } from '../errors';
import { decodeWaitStatus, type ExitStatus } from '../exit-status';
import { pidfd_open } from '../os/misc';
import { WNOHANG } from '../os/status';
import { waitpid } from '../os/wait';
import { isSameProcess } from '../proc/identity';
import type { ProcessRef } from '../proc/process-info';
import { binding } from '../spawn/native-child';

const EPERM = 1;
const ESRCH = 3;

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

/**
 * Sends `signo` to the process `ref` names, only if it is still that process.
 * @returns `'gone'` when it has exited (or its pid now names another process), `'denied'`
 *   when this process may not signal it (EPERM): in both cases nothing was sent.
 * @see kill(2) for who may signal whom
 */
export function signalByIdentity(ref: ProcessRef, signo: number): SignalOutcome {
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
    const r = binding().pidfdSendSignal(fd, signo);
    if (r === -ESRCH) return 'gone';
    if (r === -EPERM) return 'denied';
    check(r, 'pidfd_send_signal');
    return 'sent';
  } finally {
    binding().closeFd(fd);
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
