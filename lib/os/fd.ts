/**
 * Python's `os` fd calls: `pipe`, `pipe2`, `dup`, `dup2`, `close`, `closerange`, `read`,
 * `write`, `openpty`, `login_tty`, `isatty`, `ttyname` (Node's `fs` has no pipe and no dup2).
 *
 * Inheritance follows PEP 446, as in Python: every fd these calls create is close-on-exec
 * (non-inheritable), except `dup2(fd, fd2)` (inheritable unless `inheritable` is false) and
 * `pipe2` without `O_CLOEXEC`. Make one inheritable with `set_inheritable(fd, true)`.
 *
 * Argument rule (docs/python-parity.md): a wrong type, or a number outside the C type's
 * range (an fd must be a 32-bit int), is a TypeError/RangeError; every other value goes to
 * the kernel and its errno comes back, so `close(-1)` is EBADF, as Python's OSError.
 *
 * `read` and `write` are the blocking read(2)/write(2): on a blocking fd they block the
 * event loop until data (or room) is there. On a non-blocking fd (`pipe2(O_NONBLOCK)`,
 * `set_blocking(fd, false)`) they fail with a system error whose `code` is 'EAGAIN' where
 * Python raises BlockingIOError (errno EAGAIN). The fds are plain numbers and work with
 * Node's streams: `new net.Socket({ fd })`, `fs.createReadStream(null, { fd })`.
 */
import { constants as bufferConstants } from 'node:buffer';
import { check, invalidArgType, systemError } from '../errors';
import { native } from '../native';
import { validateBoolean, validateInt32, validateInteger } from '../validate';
import { markInheritable } from './fd-registry';

interface FdBinding {
  pipe2(flags: number): [number, number] | number;
  dup(fd: number): number;
  dup2(fd: number, fd2: number, inheritable: boolean): number;
  close(fd: number): number;
  closerange(low: number, high: number): number;
  readInto(fd: number, buffer: Buffer): number;
  write(fd: number, buffer: Buffer): number;
  openpty(): [number, number] | number;
  loginTty(fd: number): number;
  isatty(fd: number): boolean;
  ttyname(fd: number): string | number;
  O_CLOEXEC: number;
  O_NONBLOCK: number;
  O_DIRECT: number;
}
const b = (): FdBinding => native<FdBinding>();

/** pipe2 flag: both ends close-on-exec (not inherited by exec'd programs). @group Constants: fd calls */
export const O_CLOEXEC = 0o2000000;
/** pipe2 flag: both ends non-blocking (read/write fail with EAGAIN instead of waiting). @group Constants: fd calls */
export const O_NONBLOCK = 0o4000;
/** pipe2 flag: a "packet mode" pipe, each write one packet (pipe(2), Linux 3.4). @group Constants: fd calls */
export const O_DIRECT = 0o40000;

// A new fd number may be one the user had made inheritable and closed since (with
// fs.closeSync, say): it starts non-inheritable here, so forget the old record.
function fresh(fd: number): number {
  markInheritable(fd, false);
  return fd;
}

/**
 * Creates a pipe, as Python's `os.pipe()`: both ends non-inheritable (O_CLOEXEC).
 * @returns `[r, w]`: the read end and the write end.
 * @throws EMFILE / ENFILE when no fd is free.
 * @see pipe(2)
 */
export function pipe(): [number, number] {
  const [r, w] = check(b().pipe2(O_CLOEXEC), 'pipe');
  return [fresh(r), fresh(w)];
}

/**
 * Creates a pipe with `flags` (`O_CLOEXEC`, `O_NONBLOCK`, `O_DIRECT`, or'ed), as Python's
 * `os.pipe2`. Without O_CLOEXEC both ends are inheritable.
 * @returns `[r, w]`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when flags is not a 32-bit int;
 *   EINVAL for an unknown flag; EMFILE / ENFILE.
 * @see pipe2(2)
 */
export function pipe2(flags: number): [number, number] {
  const f = validateInt32(flags, 'flags');
  const [r, w] = check(b().pipe2(f), 'pipe2');
  const inheritable = (f & O_CLOEXEC) === 0;
  markInheritable(r, inheritable);
  markInheritable(w, inheritable);
  return [r, w];
}

/**
 * Duplicates `fd` onto the lowest free number, non-inheritable, as Python's `os.dup`.
 * @returns the new fd.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int;
 *   EBADF when fd is not open; EMFILE.
 * @see dup(2), fcntl(2) F_DUPFD_CLOEXEC
 */
export function dup(fd: number): number {
  return fresh(check(b().dup(validateInt32(fd, 'fd')), 'dup'));
}

/**
 * Duplicates `fd` onto `fd2` (closing what `fd2` was), as Python's `os.dup2`. `fd2` is
 * inheritable by default, as in Python; `inheritable = false` makes it close-on-exec (dup3:
 * then `fd === fd2` is EINVAL, as in Python).
 * @returns `fd2`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; EBADF when fd is not
 *   open or fd2 is negative; EINVAL (fd === fd2 with inheritable false).
 * @see dup2(2), dup3(2)
 */
export function dup2(fd: number, fd2: number, inheritable = true): number {
  const from = validateInt32(fd, 'fd');
  const to = validateInt32(fd2, 'fd2');
  const keep = validateBoolean(inheritable, 'inheritable');
  const r = check(b().dup2(from, to, keep), 'dup2');
  markInheritable(r, keep);
  return r;
}

/**
 * Closes `fd`, as Python's `os.close`. Do not close an fd that a Node stream or handle
 * still owns (close it through that object instead).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int;
 *   EBADF when it is not open (also for a negative fd, as in Python); EIO.
 * @see close(2)
 */
export function close(fd: number): void {
  const f = validateInt32(fd, 'fd');
  check(b().close(f), 'close');
  markInheritable(f, false);
}

/**
 * Closes every fd from `fd_low` (included) to `fd_high` (excluded), ignoring errors, as
 * Python's `os.closerange`. A negative `fd_low` counts as 0. Everything in the range is
 * closed, libuv's own fds included: keep the range to fds you own.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when a bound is not a 32-bit int.
 * @see close_range(2)
 */
export function closerange(fd_low: number, fd_high: number): void {
  const low = validateInt32(fd_low, 'fd_low');
  const high = validateInt32(fd_high, 'fd_high');
  check(b().closerange(low, high), 'closerange');
  for (let fd = Math.max(low, 3); fd < high && fd < 65536; fd++) markInheritable(fd, false);
}

/**
 * Reads at most `n` bytes from `fd`, as Python's `os.read`. Blocks the event loop while a
 * blocking fd has nothing to read.
 * @returns the bytes read, as a new Buffer; empty at end of file.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int or n is not
 *   an integer up to buffer.constants.MAX_LENGTH; EINVAL for a negative n (as Python);
 *   EAGAIN on a non-blocking fd with nothing to read (Python's BlockingIOError); EBADF, EIO,
 *   EISDIR.
 * @see read(2)
 */
export function read(fd: number, n: number): Buffer {
  const f = validateInt32(fd, 'fd');
  const length = validateInteger(n, 'n', Number.MIN_SAFE_INTEGER, bufferConstants.MAX_LENGTH);
  if (length < 0) throw systemError(22, 'read'); // EINVAL, as CPython's os.read(fd, -1)
  const buffer = Buffer.alloc(length);
  const count = check(b().readInto(f, buffer), 'read');
  return count === length ? buffer : Buffer.from(buffer.subarray(0, count));
}

/** The bytes of a bytes-like value (Python's buffer protocol: Buffer, TypedArray, DataView). */
function bytesOf(data: unknown, name: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', data);
}

/**
 * Writes `data` to `fd`, as Python's `os.write`: one write(2), which may write fewer bytes
 * than given (a pipe or a socket that is nearly full). Strings are refused, as Python
 * refuses str: encode first (`Buffer.from(text)`).
 * @returns the number of bytes written.
 * @throws ERR_INVALID_ARG_TYPE when data is not a Buffer, TypedArray or DataView, or fd is
 *   not a number; ERR_OUT_OF_RANGE when fd is not a 32-bit int; EAGAIN on a full
 *   non-blocking fd (Python's BlockingIOError); EPIPE when no reader is left (Node ignores
 *   SIGPIPE); EBADF, ENOSPC, EIO.
 * @see write(2)
 */
export function write(fd: number, data: NodeJS.ArrayBufferView): number {
  const f = validateInt32(fd, 'fd');
  return check(b().write(f, bytesOf(data, 'data')), 'write');
}

/**
 * Opens a new pseudo-terminal pair, as Python's `os.openpty`: both ends non-inheritable,
 * neither the caller's controlling terminal.
 * @returns `[master, slave]`.
 * @throws EMFILE / ENFILE; ENOENT when /dev/ptmx is missing; ENOSPC when the pty limit is reached.
 * @see openpty(3), posix_openpt(3), pty(7)
 */
export function openpty(): [number, number] {
  const [master, slave] = check(b().openpty(), 'openpty');
  return [fresh(master), fresh(slave)];
}

/**
 * Makes the calling process a session leader with terminal `fd` as its controlling
 * terminal, on its fds 0, 1 and 2, and closes `fd`, as Python's `os.login_tty` (3.11).
 * Meant for a child between fork and exec: in Node's own process it replaces stdio.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int; EBADF;
 *   EPERM when the caller leads a process group already (setsid(2)); ENOTTY when fd is not
 *   a terminal; EPERM when the terminal is another session's (TIOCSCTTY).
 * @see login_tty(3)
 */
export function login_tty(fd: number): void {
  const f = validateInt32(fd, 'fd');
  check(b().loginTty(f), 'login_tty');
  for (const target of [0, 1, 2]) markInheritable(target, true);
  if (f > 2) markInheritable(f, false);
}

/**
 * Whether `fd` is open and refers to a terminal, as Python's `os.isatty`: never throws for
 * an fd of the right type (false for a closed or negative fd).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int.
 * @see isatty(3)
 */
export function isatty(fd: number): boolean {
  return b().isatty(validateInt32(fd, 'fd'));
}

/**
 * The path of the terminal open on `fd` (such as `/dev/pts/3`), as Python's `os.ttyname`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when fd is not a 32-bit int;
 *   EBADF when fd is not open; ENOTTY when it is not a terminal.
 * @see ttyname(3)
 */
export function ttyname(fd: number): string {
  return check(b().ttyname(validateInt32(fd, 'fd')), 'ttyname');
}
