/**
 * What every pidfd holder here does with it: ask whether its process has exited, send it a
 * signal unless it has, tell a zombie from a reaped process. Shared by {@link ProcessHandle}
 * (lib/proc/process-handle.ts), spawn()'s Subprocess and the leak guard.
 *
 * Why the exit check before a signal: pidfd_send_signal(2), like kill(2), succeeds on a
 * process that has exited but is not reaped yet (a zombie); only a reaped one answers ESRCH.
 * A pidfd polls readable once its process has exited (pidfd_open(2)), zombie or reaped.
 * @see pidfd_open(2), pidfd_send_signal(2), poll(2), proc(5) /proc/pid/fdinfo
 * @internal
 */
import { readFileSync } from 'node:fs';
import { check } from '../errors';
import { native } from '../native';

interface PidfdBinding {
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, sig: number): number;
  pidfdExited(pidfd: number): number;
  closeFd(fd: number): number;
}
/** The addon's pidfd calls (native/pidfd.cc). */
export const pidfdBinding = (): PidfdBinding => native<PidfdBinding>();

const ESRCH = 3;

/** Whether the process behind `pidfd` has exited (a zombie, or reaped). */
export function pidfdHasExited(pidfd: number): boolean {
  return check(pidfdBinding().pidfdExited(pidfd), 'poll') === 1;
}

/**
 * Sends `signo` through `pidfd` unless its process has exited: false then, nothing sent. It
 * may still exit between the check and the signal (the signal then reached it as it went).
 * @throws EPERM (not allowed to signal it) and other errors of pidfd_send_signal(2).
 */
export function sendThroughPidfd(pidfd: number, signo: number): boolean {
  if (pidfdHasExited(pidfd)) return false;
  const r = pidfdBinding().pidfdSendSignal(pidfd, signo);
  if (r === -ESRCH) return false;
  check(r, 'pidfd_send_signal');
  return true;
}

/**
 * Whether the process behind `pidfd` has been reaped: its fdinfo says `Pid: -1` then
 * (kernel/pid.c pidfd_show_fdinfo; proc(5)). Until it is reaped it keeps its pid, so a
 * /proc/<pid> entry read before this answered false was that very process. undefined where
 * fdinfo has no Pid line.
 */
export function pidfdReaped(pidfd: number): boolean | undefined {
  const text = readFileSync(`/proc/self/fdinfo/${pidfd}`, 'latin1');
  const m = /^Pid:\s*(-?\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]) === -1;
}
