/**
 * Process identity, process groups, sessions and the terminal's foreground group,
 * as in Python's `os`. Every call is a live syscall: nothing is cached, so a forked
 * child sees its own values (unlike `process.pid`, which Node caches at start-up).
 */
import { check } from '../errors';
import { native } from '../native';
import { validateInt32 } from '../validate';

interface IdentityBinding {
  getpid(): number;
  getppid(): number;
  getpgid(pid: number): number;
  setpgid(pid: number, pgid: number): number;
  getsid(pid: number): number;
  setsid(): number;
  tcgetpgrp(fd: number): number;
  tcsetpgrp(fd: number, pgid: number): number;
}
const b = (): IdentityBinding => native<IdentityBinding>();

/**
 * The calling process's pid (getpid(2)). A live syscall, so correct in a forked child.
 * @see getpid(2)
 */
export function getpid(): number {
  return b().getpid();
}

/**
 * The parent's pid (getppid(2)); 1 or a subreaper's pid once the parent has died.
 * @see getppid(2)
 */
export function getppid(): number {
  return b().getppid();
}

/**
 * The process group id of `pid` (0: the caller).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`; any other value goes to the kernel) for a bad pid; ESRCH if there is no such process.
 * @see getpgid(2)
 */
export function getpgid(pid: number): number {
  return check(b().getpgid(validateInt32(pid, 'pid')), 'getpgid');
}

/**
 * The caller's process group id (Python's `os.getpgrp()`).
 * @see getpgrp(2)
 */
export function getpgrp(): number {
  return check(b().getpgid(0), 'getpgrp');
}

/**
 * Puts process `pid` (0: the caller) into group `pgrp` (0: a group whose id is `pid`).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`; any other value goes to the kernel); EPERM (into another session, or a session
 *   leader), ESRCH (not the caller or its child), EACCES (child already exec'd).
 * @see setpgid(2)
 */
export function setpgid(pid: number, pgrp: number): void {
  check(b().setpgid(validateInt32(pid, 'pid'), validateInt32(pgrp, 'pgrp')), 'setpgid');
}

/**
 * Makes the caller the leader of a new process group (`setpgid(0, 0)`), as Python's
 * `os.setpgrp()`.
 * @throws EPERM when the caller is a session leader.
 * @see setpgid(2)
 */
export function setpgrp(): void {
  check(b().setpgid(0, 0), 'setpgrp');
}

/**
 * The session id of `pid` (0: the caller).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`; any other value goes to the kernel); ESRCH if there is no such process.
 * @see getsid(2)
 */
export function getsid(pid: number): number {
  return check(b().getsid(validateInt32(pid, 'pid')), 'getsid');
}

/**
 * Starts a new session with the caller as leader, detached from any controlling terminal.
 * Python's `os.setsid()` returns None; so does this.
 * @throws EPERM when the caller is already a process group leader.
 * @see setsid(2)
 */
export function setsid(): void {
  check(b().setsid(), 'setsid');
}

/**
 * The foreground process group of the terminal open on `fd`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`; any other value goes to the kernel); ENOTTY (not our controlling terminal), EBADF.
 * @see tcgetpgrp(3)
 */
export function tcgetpgrp(fd: number): number {
  return check(b().tcgetpgrp(validateInt32(fd, 'fd')), 'tcgetpgrp');
}

/**
 * Makes `pgid` the foreground process group of the terminal open on `fd`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`; any other value goes to the kernel); ENOTTY, EBADF, EPERM, EINVAL.
 * @see tcsetpgrp(3)
 */
export function tcsetpgrp(fd: number, pgid: number): void {
  check(b().tcsetpgrp(validateInt32(fd, 'fd'), validateInt32(pgid, 'pgid')), 'tcsetpgrp');
}
