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
import { validateBoolean, validateFd } from '../validate';

interface FdsBinding {
  getInheritable(fd: number): number;
  setInheritable(fd: number, inheritable: boolean): number;
  getBlocking(fd: number): number;
  setBlocking(fd: number, blocking: boolean): number;
}
const b = (): FdsBinding => native<FdsBinding>();

// The fds >= 3 the user made inheritable: exec keeps them open and closes the others.
const inheritable = new Set<number>();

/**
 * The fds >= 3 made inheritable through {@link set_inheritable} (for the exec family).
 * @internal
 */
export function inheritableFds(): number[] {
  return [...inheritable].sort((x, y) => x - y);
}

/**
 * Records that `fd` is meant to survive exec (for modules of this library that create
 * inheritable fds, as Python's `dup2(..., inheritable=True)` does).
 * @internal
 */
export function markInheritable(fd: number, value: boolean): void {
  if (fd < 3) return;
  if (value) inheritable.add(fd);
  else inheritable.delete(fd);
}

/**
 * Whether `fd` is inherited by programs started with exec (FD_CLOEXEC is clear).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd; EBADF when it is not open.
 * @see fcntl(2) F_GETFD
 */
export function get_inheritable(fd: number): boolean {
  return check(b().getInheritable(validateFd(fd, 'fd')), 'fcntl') === 1;
}

/**
 * Makes `fd` inheritable (FD_CLOEXEC clear) or not. An inheritable fd >= 3 stays open
 * across this library's exec calls; every other fd >= 3 is closed by them.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; EBADF when fd is not open.
 * @see fcntl(2) F_SETFD
 */
export function set_inheritable(fd: number, inheritableFlag: boolean): void {
  const f = validateFd(fd, 'fd');
  const v = validateBoolean(inheritableFlag, 'inheritable');
  check(b().setInheritable(f, v), 'fcntl');
  markInheritable(f, v);
}

/**
 * Whether `fd` is in blocking mode (O_NONBLOCK is clear).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd; EBADF when it is not open.
 * @see fcntl(2) F_GETFL
 */
export function get_blocking(fd: number): boolean {
  return check(b().getBlocking(validateFd(fd, 'fd')), 'fcntl') === 1;
}

/**
 * Puts `fd` in blocking mode (O_NONBLOCK clear) or not. O_NONBLOCK belongs to the open
 * file description: every process and fd sharing it sees the change, including libuv's
 * handles on it (a blocking fd under a libuv stream can stall the event loop).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; EBADF when fd is not open.
 * @see fcntl(2) F_SETFL
 */
export function set_blocking(fd: number, blocking: boolean): void {
  check(b().setBlocking(validateFd(fd, 'fd'), validateBoolean(blocking, 'blocking')), 'fcntl');
}
