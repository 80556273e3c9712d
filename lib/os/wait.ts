/**
 * Waiting for children, as Python's `os.wait`, `waitpid`, `wait3`, `wait4` and `waitid`.
 *
 * Every call here BLOCKS the thread, and so the event loop, until a child changes state,
 * unless `WNOHANG` is given (as in Python). The idiomatic API waits without blocking.
 *
 * Coexistence with `child_process` (docs/safety.md): libuv reaps its children by pid and
 * silently loses one that somebody else reaped (its 'exit' never fires and the loop never
 * ends). So a wait that can match more than one child (`wait()`, `waitpid(-1 | 0 | -pgid)`,
 * `wait3`, `wait4(-1 | 0 | -pgid)`, `waitid(P_ALL | P_PGID)`) first PEEKS with
 * `waitid(..., WNOWAIT)`. A child that child_process started (see lib/os/foreign-children.ts)
 * is reaped by pid and its status HANDED BACK: its ChildProcess emits 'exit' and 'close' with
 * the right code and signal on the next turn of the event loop, and the wait goes on for
 * another child. Any other child is then reaped by pid with the real call, so the status
 * word and resource usage are exact. An explicit wait for a child_process pid returns the
 * status AND hands it back. Stop and continue reports of child_process children are returned
 * like any other (libuv does not use them). With no child_process child alive, each call is
 * one plain syscall.
 *
 * Consequence: while child_process children are still running, a blocking `wait()` in a
 * process with no other children waits for them (handing each back) and then throws ECHILD,
 * where the kernel would have returned them.
 */
import { check, systemError } from '../errors';
import { native } from '../native';
import { INT32_MAX, INT32_MIN, validateInt32, validateInteger } from '../validate';
import { onlyHelperChildrenLeft, ownChildWaited } from '../own-children';
import { statusFromSiginfo } from '../exit-status';
import { handBackExit, hasForeignChildren, isForeignChild } from './foreign-children';
import {
  CLD_CONTINUED,
  CLD_DUMPED,
  CLD_EXITED,
  CLD_KILLED,
  CLD_STOPPED,
  P_ALL,
  P_PGID,
  P_PID,
  WCONTINUED,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
  WUNTRACED,
} from './status';

type RusageArray = [
  number, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number, number,
];
interface WaitBinding {
  waitpid(pid: number, options: number): [number, number] | number;
  wait4(pid: number, options: number): [number, number, RusageArray] | number;
  waitid(idtype: number, id: number, options: number): [number, number, number, number, number] | number;
  getpgid(pid: number): number;
}
const b = (): WaitBinding => native<WaitBinding>();
const ECHILD = 10;

/** Resource usage of a reaped child, with the field names of Python's `resource.struct_rusage`. */
export interface Rusage {
  /** User CPU time, in seconds. */
  readonly ru_utime: number;
  /** System CPU time, in seconds. */
  readonly ru_stime: number;
  /** Maximum resident set size, in kilobytes. */
  readonly ru_maxrss: number;
  readonly ru_ixrss: number;
  readonly ru_idrss: number;
  readonly ru_isrss: number;
  /** Page faults served without I/O. */
  readonly ru_minflt: number;
  /** Page faults that needed I/O. */
  readonly ru_majflt: number;
  readonly ru_nswap: number;
  /** Blocks read from the filesystem. */
  readonly ru_inblock: number;
  /** Blocks written to the filesystem. */
  readonly ru_oublock: number;
  readonly ru_msgsnd: number;
  readonly ru_msgrcv: number;
  readonly ru_nsignals: number;
  /** Voluntary context switches. */
  readonly ru_nvcsw: number;
  /** Involuntary context switches. */
  readonly ru_nivcsw: number;
}

/** What `waitid` reports, with the field names of Python's `os.waitid_result`. */
export interface WaitidResult {
  readonly si_pid: number;
  readonly si_uid: number;
  /** Always SIGCHLD (17). */
  readonly si_signo: number;
  /** The exit code (CLD_EXITED) or the signal number (the other codes). */
  readonly si_status: number;
  /** One of CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED. */
  readonly si_code: number;
}

function toRusage(a: RusageArray): Rusage {
  return Object.freeze({
    ru_utime: a[0], ru_stime: a[1], ru_maxrss: a[2], ru_ixrss: a[3], ru_idrss: a[4],
    ru_isrss: a[5], ru_minflt: a[6], ru_majflt: a[7], ru_nswap: a[8], ru_inblock: a[9],
    ru_oublock: a[10], ru_msgsnd: a[11], ru_msgrcv: a[12], ru_nsignals: a[13],
    ru_nvcsw: a[14], ru_nivcsw: a[15],
  });
}
const ZERO_RUSAGE = new Array(16).fill(0) as RusageArray;

// The option bits waitpid(2)/wait4(2) accept: WNOHANG, WUNTRACED, WCONTINUED, __WNOTHREAD,
// __WALL, __WCLONE. With any other bit the kernel says EINVAL; such calls go straight to it.
const WAITPID_OPTIONS = WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000;
const LINUX_ONLY_OPTIONS = 0x20000000 | 0x40000000 | 0x80000000;

/** Where "any child" waits look: waitid's (idtype, id) for waitpid's pid, or null for one pid. */
function scopeOf(pid: number): [number, number] | null {
  if (pid > 0 || pid === INT32_MIN) return null; // one child; INT_MIN: the kernel's ESRCH
  if (pid === -1) return [P_ALL, 0];
  if (pid === 0) return [P_PGID, check(b().getpgid(0), 'getpgid')];
  return [P_PGID, -pid];
}

/**
 * Reaps foreign (child_process) children that are ready in `scope`, handing their
 * statuses back, until a child of the caller's is ready: returns its pid, or 0 when
 * WNOHANG finds none ready. Throws what waitid throws (ECHILD: no child left), named
 * `syscall`.
 */
function nextOwnChild(scope: [number, number], peekOptions: number, syscall: string): number {
  for (;;) {
    let r = b().waitid(scope[0], scope[1], peekOptions | WNOWAIT | WNOHANG);
    if (typeof r !== 'number' && r[0] === 0) {
      // Nothing ready. The library's own helpers (the cgroup keeper) are invisible: with
      // only they left there is no child to wait for (checked after the kernel has
      // accepted the arguments, so that its EINVAL comes first).
      if (onlyHelperChildrenLeft(scope[0] !== P_PGID ? undefined : scope[1] !== 0 ? scope[1] : check(b().getpgid(0), 'getpgid'))) {
        throw systemError(-ECHILD, syscall);
      }
      if ((peekOptions & WNOHANG) === 0) r = b().waitid(scope[0], scope[1], peekOptions | WNOWAIT);
    }
    if (typeof r === 'number') throw systemError(r, syscall);
    const [pid, , , , code] = r;
    if (pid === 0) return 0;
    if (isForeignChild(pid) && (code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED)) {
      const reaped = b().waitpid(pid, 0);
      if (typeof reaped !== 'number' && reaped[0] === pid) handBackExit(pid, reaped[1]);
      continue;
    }
    return pid;
  }
}

/** waitid options equivalent to waitpid `options` (which must be WAITPID_OPTIONS only). */
function peekOptionsOf(options: number): number {
  return (
    WEXITED |
    (options & WNOHANG) |
    (options & WUNTRACED ? WSTOPPED : 0) |
    (options & WCONTINUED) |
    (options & LINUX_ONLY_OPTIONS)
  );
}

/**
 * The one wait loop behind wait, waitpid, wait3 and wait4: `call` is the syscall (waitpid
 * or wait4), returning `[pid, status, ...]` or a negative errno. An "any child" wait
 * (`scopeOf`) with foreign children alive first peeks (nextOwnChild), then reaps the
 * chosen child of the caller's by pid; anything else is one plain call. Either way a
 * foreign child's exit is handed back and an own child's reaping is recorded.
 * `none` is the result with WNOHANG and nothing ready.
 */
function waitCore<R extends [number, number, ...unknown[]]>(
  pid: number,
  options: number,
  syscall: string,
  call: (pid: number, options: number) => R | number,
  none: R,
): R {
  const reaped = (r: R): R => {
    if (r[0] > 0 && isForeignChild(r[0])) handBackExit(r[0], r[1]); // also a foreign stop/continue report
    ownChildWaited(r[0], r[1]);
    return r;
  };
  const scope = scopeOf(pid);
  if (scope !== null && hasForeignChildren() && (options & ~WAITPID_OPTIONS) === 0) {
    for (;;) {
      const own = nextOwnChild(scope, peekOptionsOf(options), syscall);
      if (own === 0) return none;
      const r = call(own, options);
      // Reaped meanwhile by another thread: look again.
      if (typeof r === 'number' || r[0] === 0) continue;
      return reaped(r);
    }
  }
  return reaped(check(call(pid, options), syscall));
}

function waitpidCore(pid: number, options: number, syscall: string): [number, number] {
  return waitCore(pid, options, syscall, (p, o) => b().waitpid(p, o), [0, 0]);
}

function wait4Core(pid: number, options: number, syscall: string): [number, number, Rusage] {
  const [p, status, usage] = waitCore(pid, options, syscall, (p, o) => b().wait4(p, o), [0, 0, ZERO_RUSAGE]);
  return [p, status, toRusage(usage)];
}

/**
 * Waits for any child to end, as Python's `os.wait()` (`waitpid(-1, 0)`). BLOCKS.
 * Never takes a child that child_process started: see the module notes.
 * @returns `[pid, status]`; decode `status` with the W* functions or `decodeWaitStatus`.
 * @throws ECHILD when the caller has no child left to wait for.
 * @see wait(2)
 */
export function wait(): [number, number] {
  return waitpidCore(-1, 0, 'wait');
}

/**
 * Waits for a child to change state, as Python's `os.waitpid`. BLOCKS unless `WNOHANG`.
 * `pid` > 0 is that child; -1 any child; 0 any child in the caller's process group;
 * < -1 any child in group `-pid`. The "any" forms never take a child that child_process
 * started (its exit is handed back to it); an explicit pid of such a child returns its
 * status and hands it back too.
 * @param options - `WNOHANG`, `WUNTRACED`, `WCONTINUED` (or 0, the default).
 * @returns `[pid, status]`, or `[0, 0]` with `WNOHANG` when no child is ready.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; ECHILD (no such
 *   child, or not ours), EINVAL (bad options).
 * @see waitpid(2)
 */
export function waitpid(pid: number, options = 0): [number, number] {
  const p = validateInteger(pid, 'pid', INT32_MIN, INT32_MAX);
  return waitpidCore(p, validateInt32(options, 'options'), 'waitpid');
}

/**
 * Waits for any child, as Python's `os.wait3`, with its resource usage. BLOCKS unless
 * `WNOHANG`. Never takes a child that child_process started.
 * @returns `[pid, status, rusage]`; `[0, 0, rusage of zeros]` with `WNOHANG` and nothing ready.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options; ECHILD, EINVAL.
 * @see wait3(2)
 */
export function wait3(options: number): [number, number, Rusage] {
  return wait4Core(-1, validateInt32(options, 'options'), 'wait3');
}

/**
 * Waits for a child as {@link waitpid} does, and returns its resource usage too, as
 * Python's `os.wait4`. BLOCKS unless `WNOHANG`.
 * @returns `[pid, status, rusage]` (times in seconds, `ru_maxrss` in kilobytes);
 *   `[0, 0, rusage of zeros]` with `WNOHANG` and nothing ready.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; ECHILD, EINVAL.
 * @see wait4(2)
 */
export function wait4(pid: number, options: number): [number, number, Rusage] {
  const p = validateInteger(pid, 'pid', INT32_MIN, INT32_MAX);
  return wait4Core(p, validateInt32(options, 'options'), 'wait4');
}

function toWaitidResult(r: [number, number, number, number, number]): WaitidResult | null {
  if (r[0] === 0) return null;
  return Object.freeze({ si_pid: r[0], si_uid: r[1], si_signo: r[2], si_status: r[3], si_code: r[4] });
}


/**
 * Waits for a child to change state, as Python's `os.waitid`. BLOCKS unless `WNOHANG`.
 * With `P_ALL` or `P_PGID` it never takes a child that child_process started (see the
 * module notes); with `P_PID`/`P_PIDFD` naming such a child it returns its report and, if
 * the child was reaped, hands the status back.
 * @param idtype - `P_PID`, `P_PGID`, `P_ALL` or `P_PIDFD`.
 * @param id - the pid, group id or pidfd (ignored with `P_ALL`; 0 with `P_PGID` is the
 *   caller's group).
 * @param options - at least one of `WEXITED`, `WSTOPPED`, `WCONTINUED`, plus `WNOHANG`,
 *   `WNOWAIT`.
 * @returns `{si_pid, si_uid, si_signo, si_status, si_code}`, or `null` with `WNOHANG` when
 *   no child is ready (Python's None).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; ECHILD, EINVAL
 *   (bad idtype or options), EBADF (P_PIDFD).
 * @see waitid(2)
 */
export function waitid(idtype: number, id: number, options: number): WaitidResult | null {
  const type = validateInt32(idtype, 'idtype');
  const ident = validateInteger(id, 'id', 0, 0xffffffff);
  const opts = validateInt32(options, 'options');
  if ((type === P_ALL || type === P_PGID) && hasForeignChildren()) {
    for (;;) {
      const own = nextOwnChild([type, ident], opts, 'waitid');
      if (own === 0) return null;
      if (opts & WNOWAIT) {
        const peek = check(b().waitid(P_PID, own, opts), 'waitid');
        if (peek[0] === 0) continue;
        return toWaitidResult(peek);
      }
      const r = b().waitid(P_PID, own, opts);
      if (typeof r === 'number' || r[0] === 0) continue;
      ownChildWaited(r[0], statusFromSiginfo(r[4], r[3]));
      return toWaitidResult(r);
    }
  }
  const r = check(b().waitid(type, ident, opts), 'waitid');
  const pid = r[0];
  if (pid > 0 && !(opts & WNOWAIT)) {
    const status = statusFromSiginfo(r[4], r[3]);
    if (isForeignChild(pid)) handBackExit(pid, status);
    ownChildWaited(pid, status);
  }
  return toWaitidResult(r);
}
