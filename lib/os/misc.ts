/**
 * The rest of Python's `os` process calls: `pidfd_open`, `_exit`, `times` and `system`.
 */
import { check } from '../errors';
import { native } from '../native';
import { withSpawnProvenance } from '../provenance-hook';
import { validateCString, validateInt32 } from '../validate';

interface MiscBinding {
  pidfdOpen(pid: number, flags: number): number;
  _exit(status: number): never;
  times(): [number, number, number, number, number] | number;
  system(command: string): number;
  PIDFD_NONBLOCK: number;
}
const b = (): MiscBinding => native<MiscBinding>();

/** pidfd_open flag: the pidfd is non-blocking (waitid(P_PIDFD) fails with EAGAIN while the child runs). @group Constants: pidfd_open */
export const PIDFD_NONBLOCK = 0o4000; // O_NONBLOCK, <linux/pidfd.h>

/**
 * Opens a file descriptor that refers to process `pid` (Linux 5.3), as Python's
 * `os.pidfd_open`. The fd is close-on-exec. It becomes readable when the process exits,
 * can be waited on with `waitid(P_PIDFD, fd, ...)` if the process is a child, and a signal
 * sent through it can never reach a process that later reuses the pid. Close it with
 * `fs.closeSync`.
 * @param flags - 0 or `PIDFD_NONBLOCK`.
 * @returns the file descriptor.
 * @param pid - any `pid_t`; the kernel judges it (0 or -1: EINVAL), as in Python.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when an argument is not an `int`; ESRCH
 *   (no such process), EINVAL (pid <= 0, bad flags), EMFILE, ENOSYS (kernel older than 5.3).
 * @see pidfd_open(2)
 */
export function pidfd_open(pid: number, flags = 0): number {
  const p = validateInt32(pid, 'pid');
  const f = validateInt32(flags, 'flags');
  return check(b().pidfdOpen(p, f), 'pidfd_open');
}

/**
 * Ends the calling process at once with `status` (the low 8 bits reach the parent), as
 * Python's `os._exit`: no 'exit' event, no `process.on('exit')` handlers, no flushing of
 * pending asynchronous writes. Meant for a forked child that must not run the parent's
 * clean-up.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see _exit(2)
 */
export function _exit(status: number): never {
  return b()._exit(validateInt32(status, 'status'));
}

/** CPU times of the process and its reaped children, as Python's `os.times_result`. */
export interface TimesResult {
  /** User CPU time of the calling process, in seconds. */
  readonly user: number;
  /** System CPU time of the calling process, in seconds. */
  readonly system: number;
  /** User CPU time of its waited-for children (and theirs), in seconds. */
  readonly children_user: number;
  /** System CPU time of its waited-for children, in seconds. */
  readonly children_system: number;
  /** Seconds since a fixed point in the past (on Linux, near boot); only differences mean anything. */
  readonly elapsed: number;
}

/**
 * CPU times in seconds, as Python's `os.times()`: times(2) divided by the clock tick
 * rate (sysconf(_SC_CLK_TCK)), so with that resolution (usually 10 ms).
 * @throws EFAULT-class errors only in theory.
 * @see times(2)
 */
export function times(): TimesResult {
  const t = check(b().times(), 'times');
  return Object.freeze({ user: t[0], system: t[1], children_user: t[2], children_system: t[3], elapsed: t[4] });
}

/**
 * Runs `command` with `/bin/sh -c` and waits for it, as Python's `os.system`, built on
 * this library's posix_spawn (so the shell starts with default signals, an empty mask and
 * fds 0..2 only, in this process's environment). BLOCKS the event loop until the shell
 * ends. While it runs, SIGINT and SIGQUIT are ignored in the caller as system(3) does (a ^C
 * at the terminal ends the command, not Node); the previous dispositions, Node's own
 * handlers included, are restored afterwards. Not thread-safe in that respect: a Worker
 * that installs a SIGINT/SIGQUIT handler during the call has it replaced when it returns.
 * @returns the wait status (decode with `WEXITSTATUS`... or `waitstatus_to_exitcode`);
 *   127 << 8 when the shell cannot run the command.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a non-string or a NUL byte;
 *   ENOENT / EACCES when /bin/sh itself cannot be executed (where Python would return -1).
 * @see system(3)
 */
export function system(command: string): number {
  const c = validateCString(command, 'command');
  // The child's pid is not known here (system(3) waits for it): the provenance travels in
  // the environment only, for what the command leaves behind.
  return withSpawnProvenance('unixproc.system', ['sh', '-c', c], null, () => check(b().system(c), 'system', '/bin/sh'), () => 0);
}
