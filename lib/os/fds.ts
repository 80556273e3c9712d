/**
 * File descriptor flags, as in Python's `os`: whether an fd survives an exec
 * (`get_inheritable`/`set_inheritable`, FD_CLOEXEC) and whether it is in blocking mode
 * (`get_blocking`/`set_blocking`, O_NONBLOCK).
 *
 * The exec family (lib/os/exec.ts) hands a new program fds 0, 1, 2 and the fds made
 * inheritable here; every other fd is closed on exec, as with Python's PEP 446.
 */
import { check } from '../errors';
import { native } from '../native';
import { validateBoolean, validateInt32 } from '../validate';
import { markInheritable } from './fd-registry';

interface FdsBinding {
  getInheritable(fd: number): number;
  setInheritable(fd: number, inheritable: boolean): number;
  getBlocking(fd: number): number;
  setBlocking(fd: number, blocking: boolean): number;
}
const b = (): FdsBinding => native<FdsBinding>();

/**
 * Whether `fd` is inherited by programs started with exec (FD_CLOEXEC is clear).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not an `int`; EBADF (also for a negative fd) when it is not open.
 * @see fcntl(2) F_GETFD
 */
export function get_inheritable(fd: number): boolean {
  return check(b().getInheritable(validateInt32(fd, 'fd')), 'fcntl') === 1;
}

/**
 * Makes `fd` inheritable (FD_CLOEXEC clear) or not. An inheritable fd >= 3 stays open
 * across this library's exec calls; every other fd >= 3 is closed by them.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not an `int`; EBADF (also for a negative fd) when fd is not open.
 * @see fcntl(2) F_SETFD
 */
export function set_inheritable(fd: number, inheritableFlag: boolean): void {
  const f = validateInt32(fd, 'fd');
  const v = validateBoolean(inheritableFlag, 'inheritable');
  check(b().setInheritable(f, v), 'fcntl');
  markInheritable(f, v);
}

/**
 * Whether `fd` is in blocking mode (O_NONBLOCK is clear).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not an `int`; EBADF (also for a negative fd) when it is not open.
 * @see fcntl(2) F_GETFL
 */
export function get_blocking(fd: number): boolean {
  return check(b().getBlocking(validateInt32(fd, 'fd')), 'fcntl') === 1;
}

/**
 * Puts `fd` in blocking mode (O_NONBLOCK clear) or not. O_NONBLOCK belongs to the open
 * file description: every process and fd sharing it sees the change, including libuv's
 * handles on it (a blocking fd under a libuv stream can stall the event loop).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not an `int`; EBADF (also for a negative fd) when fd is not open.
 * @see fcntl(2) F_SETFL
 */
export function set_blocking(fd: number, blocking: boolean): void {
  check(b().setBlocking(validateInt32(fd, 'fd'), validateBoolean(blocking, 'blocking')), 'fcntl');
}
