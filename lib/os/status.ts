/**
 * Wait-status decoding and the waiting constants, as in Python's `os`: the W* macros,
 * `waitstatus_to_exitcode`, `WNOHANG`..., `P_*`, `CLD_*` and `EX_*`.
 *
 * The macros read the status word exactly as glibc's (and so CPython's) do, through
 * {@link statusBits} in lib/exit-status.ts: like the C macros, `WEXITSTATUS` and friends do
 * not check that the status is of the matching kind. The constant values are Linux's
 * (`<sys/wait.h>`, `<bits/waitflags.h>`, `<sysexits.h>`); a test compares them with
 * CPython's `os` module.
 */
import { outOfRange } from '../errors';
import { statusBits } from '../exit-status';
import { validateInt32 } from '../validate';

// ---- options of waitpid(2), wait4(2) and waitid(2) (<bits/waitflags.h>) ----
/** Return at once if no child has changed state (`waitpid` returns `[0, 0]`). @group Constants: wait options */
export const WNOHANG = 1;
/** Also report children that stopped (waitpid/wait4; the same bit as `WSTOPPED`). @group Constants: wait options */
export const WUNTRACED = 2;
/** Report children stopped by a signal (waitid). @group Constants: wait options */
export const WSTOPPED = 2;
/** Report children that exited or were killed (waitid). @group Constants: wait options */
export const WEXITED = 4;
/** Also report stopped children resumed by SIGCONT. @group Constants: wait options */
export const WCONTINUED = 8;
/** Leave the child waitable: report it without reaping it (waitid). @group Constants: wait options */
export const WNOWAIT = 0x01000000;

// ---- idtype of waitid(2) ----
/** waitid: any child (`id` is ignored). @group Constants: waitid idtype */
export const P_ALL = 0;
/** waitid: the child whose pid is `id`. @group Constants: waitid idtype */
export const P_PID = 1;
/** waitid: any child in process group `id`. @group Constants: waitid idtype */
export const P_PGID = 2;
/** waitid: the child that the pid file descriptor `id` refers to (Linux 5.4). @group Constants: waitid idtype */
export const P_PIDFD = 3;

// ---- si_code of a waitid result ----
/** The child called exit. @group Constants: waitid si_code */
export const CLD_EXITED = 1;
/** The child was killed by a signal. @group Constants: waitid si_code */
export const CLD_KILLED = 2;
/** The child was killed by a signal and dumped core. @group Constants: waitid si_code */
export const CLD_DUMPED = 3;
/** A traced child has trapped. @group Constants: waitid si_code */
export const CLD_TRAPPED = 4;
/** The child was stopped by a signal. @group Constants: waitid si_code */
export const CLD_STOPPED = 5;
/** The stopped child was continued. @group Constants: waitid si_code */
export const CLD_CONTINUED = 6;

// ---- exit codes of <sysexits.h> ----
/** Successful termination. @group Constants: exit codes */
export const EX_OK = 0;
/** Command line usage error. @group Constants: exit codes */
export const EX_USAGE = 64;
/** Data format error. @group Constants: exit codes */
export const EX_DATAERR = 65;
/** Cannot open input. @group Constants: exit codes */
export const EX_NOINPUT = 66;
/** Addressee unknown. @group Constants: exit codes */
export const EX_NOUSER = 67;
/** Host name unknown. @group Constants: exit codes */
export const EX_NOHOST = 68;
/** Service unavailable. @group Constants: exit codes */
export const EX_UNAVAILABLE = 69;
/** Internal software error. @group Constants: exit codes */
export const EX_SOFTWARE = 70;
/** System error (e.g. cannot fork). @group Constants: exit codes */
export const EX_OSERR = 71;
/** Critical OS file missing. @group Constants: exit codes */
export const EX_OSFILE = 72;
/** Cannot create (user) output file. @group Constants: exit codes */
export const EX_CANTCREAT = 73;
/** Input/output error. @group Constants: exit codes */
export const EX_IOERR = 74;
/** Temporary failure; the user is invited to retry. @group Constants: exit codes */
export const EX_TEMPFAIL = 75;
/** Remote error in protocol. @group Constants: exit codes */
export const EX_PROTOCOL = 76;
/** Permission denied. @group Constants: exit codes */
export const EX_NOPERM = 77;
/** Configuration error. @group Constants: exit codes */
export const EX_CONFIG = 78;

/**
 * Whether the child exited normally (exit(3), or returned from main).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer
 *   (Python: TypeError / OverflowError).
 * @see waitpid(2)
 */
export function WIFEXITED(status: number): boolean {
  return statusBits.ifExited(validateInt32(status, 'status'));
}

/**
 * The exit code (0..255) of a child for which {@link WIFEXITED} is true. Like the C
 * macro, it does not check that the status is an exit.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WEXITSTATUS(status: number): number {
  return statusBits.exitStatus(validateInt32(status, 'status'));
}

/**
 * Whether the child was ended by a signal.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WIFSIGNALED(status: number): boolean {
  return statusBits.ifSignaled(validateInt32(status, 'status'));
}

/**
 * The number of the signal that ended a child for which {@link WIFSIGNALED} is true.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WTERMSIG(status: number): number {
  return statusBits.termSig(validateInt32(status, 'status'));
}

/**
 * Whether the signaled child dumped core (the 0x80 bit; only meaningful when
 * {@link WIFSIGNALED} is true).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2), core(5)
 */
export function WCOREDUMP(status: number): boolean {
  return statusBits.coreDump(validateInt32(status, 'status'));
}

/**
 * Whether the child is stopped (reported with `WUNTRACED`, or under ptrace).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WIFSTOPPED(status: number): boolean {
  return statusBits.ifStopped(validateInt32(status, 'status'));
}

/**
 * The signal that stopped a child for which {@link WIFSTOPPED} is true.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WSTOPSIG(status: number): number {
  return statusBits.stopSig(validateInt32(status, 'status'));
}

/**
 * Whether a stopped child was resumed by SIGCONT (reported with `WCONTINUED`).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer.
 * @see waitpid(2)
 */
export function WIFCONTINUED(status: number): boolean {
  return statusBits.ifContinued(validateInt32(status, 'status'));
}

/**
 * Turns a wait status into an exit code as Python 3.9+ does: the exit code of an exited
 * child, `-signum` for a child killed by a signal.
 *
 * Where CPython raises ValueError (a stopped child, or a word that is neither an exit nor
 * a kill), this throws a RangeError with code `ERR_OUT_OF_RANGE`, and the message CPython
 * uses ("process stopped by delivery of signal 19", "invalid wait status: 65535").
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer
 *   (Python: TypeError / OverflowError); ERR_OUT_OF_RANGE where Python raises ValueError.
 * @see waitpid(2)
 */
export function waitstatus_to_exitcode(status: number): number {
  const s = validateInt32(status, 'status');
  // The same order of tests as CPython's os_waitstatus_to_exitcode_impl.
  if (statusBits.ifExited(s)) return statusBits.exitStatus(s);
  if (statusBits.ifSignaled(s)) {
    const signum = statusBits.termSig(s);
    // WIFSIGNALED implies 1 <= signum <= 126, so CPython's "invalid WTERMSIG" cannot occur.
    return -signum;
  }
  if (statusBits.ifStopped(s)) {
    throw outOfRange(
      'status',
      `the status of an exited or signaled process (process stopped by delivery of signal ${statusBits.stopSig(s)})`,
      status,
    );
  }
  throw outOfRange('status', `the status of an exited or signaled process (invalid wait status: ${s})`, status);
}
