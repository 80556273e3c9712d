/**
 * Python's `os` scheduling calls: `nice`, `getpriority`, `setpriority` (`PRIO_*`),
 * `sched_getscheduler`, `sched_setscheduler`, `sched_getparam`, `sched_setparam`,
 * `sched_get_priority_min`, `sched_get_priority_max`, `sched_rr_get_interval`,
 * `sched_yield`, `sched_getaffinity`, `sched_setaffinity`, the `sched_param` class; and
 * `abort`. The `SCHED_*` policies are exported with posix_spawn's `scheduler` option.
 *
 * pid 0 means the calling thread, as the kernel has it: for Node that is the main thread
 * (or the Worker that calls), not the libuv threads. Values of the right type go to the
 * kernel: `sched_getparam(-1)` is EINVAL, as Python's OSError.
 */
import { check, invalidArgType, outOfRange } from '../errors';
import { native } from '../native';
import { INT32_MAX, INT32_MIN, validateInt32, validateInteger } from '../validate';
import type { SchedParam } from './posix-spawn';

interface SchedBinding {
  nice(increment: number): [number] | number;
  getpriority(which: number, who: number): [number] | number;
  setpriority(which: number, who: number, priority: number): number;
  schedGetScheduler(pid: number): number;
  schedSetScheduler(pid: number, policy: number, priority: number): number;
  schedGetParam(pid: number): number;
  schedSetParam(pid: number, priority: number): number;
  schedGetPriorityMin(policy: number): number;
  schedGetPriorityMax(policy: number): number;
  schedRrGetInterval(pid: number): [number, number] | number;
  schedYield(): number;
  schedGetAffinity(pid: number): number[] | number;
  schedSetAffinity(pid: number, cpus: number[]): number;
  abort(): never;
}
const b = (): SchedBinding => native<SchedBinding>();

/** getpriority/setpriority `which`: `who` is a process id (0: the caller). @group Constants: scheduling */
export const PRIO_PROCESS = 0;
/** getpriority/setpriority `which`: `who` is a process group id (0: the caller's). @group Constants: scheduling */
export const PRIO_PGRP = 1;
/** getpriority/setpriority `which`: `who` is a user id (0: the caller's real uid). @group Constants: scheduling */
export const PRIO_USER = 2;

/** The highest cpu number sched_setaffinity takes, plus one (a 512 KiB mask). */
const CPU_LIMIT = 1 << 22;

/**
 * A scheduling parameter, as Python's `os.sched_param`: `new sched_param(priority)`.
 * Its priority is checked (a 32-bit int) when it is used.
 */
export class sched_param implements SchedParam {
  /** The static priority: 0 for SCHED_OTHER/BATCH/IDLE, 1..99 for SCHED_FIFO/RR. */
  readonly sched_priority: number;
  /**
   * @throws ERR_INVALID_ARG_TYPE when sched_priority is not a number.
   */
  constructor(sched_priority: number) {
    if (typeof sched_priority !== 'number') throw invalidArgType('sched_priority', 'of type number', sched_priority);
    this.sched_priority = sched_priority;
    Object.freeze(this);
  }
}

function priorityOf(param: unknown): number {
  if (typeof param !== 'object' || param === null || !('sched_priority' in param)) {
    throw invalidArgType('param', 'an instance of sched_param', param);
  }
  return validateInteger((param as SchedParam).sched_priority, 'param.sched_priority', INT32_MIN, INT32_MAX);
}

function validatePidArg(pid: unknown): number {
  return validateInt32(pid, 'pid');
}

/**
 * Adds `increment` to the calling thread's nice value, as Python's `os.nice`.
 * @returns the new nice value (-20..19).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when increment is not a 32-bit int;
 *   EPERM when lowering it without CAP_SYS_NICE (beyond RLIMIT_NICE).
 * @see nice(2)
 */
export function nice(increment: number): number {
  return check(b().nice(validateInt32(increment, 'increment')), 'nice')[0];
}

/**
 * The nice value of a process, process group or user, as Python's `os.getpriority`
 * (for a group or user, the lowest of its members').
 * @param which - `PRIO_PROCESS`, `PRIO_PGRP` or `PRIO_USER`.
 * @param who - the id; 0: the caller (its process, group, or real uid).
 * @returns the nice value (-20..19).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a non-int argument; ESRCH when
 *   nothing matches; EINVAL for an unknown `which`.
 * @see getpriority(2)
 */
export function getpriority(which: number, who: number): number {
  return check(b().getpriority(validateInt32(which, 'which'), validateInt32(who, 'who')), 'getpriority')[0];
}

/**
 * Sets the nice value of a process, process group or user, as Python's `os.setpriority`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a non-int argument; ESRCH, EINVAL,
 *   EPERM / EACCES (another user's process, or a lower value without CAP_SYS_NICE).
 * @see setpriority(2)
 */
export function setpriority(which: number, who: number, priority: number): void {
  check(
    b().setpriority(validateInt32(which, 'which'), validateInt32(who, 'who'), validateInt32(priority, 'priority')),
    'setpriority',
  );
}

/**
 * The scheduling policy of thread `pid` (0: the caller), as Python's `os.sched_getscheduler`.
 * @returns one of `SCHED_OTHER`, `SCHED_FIFO`, `SCHED_RR`, `SCHED_BATCH`, `SCHED_IDLE`
 *   (possibly or'ed with `SCHED_RESET_ON_FORK`).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; EINVAL (negative pid), ESRCH, EPERM.
 * @see sched_getscheduler(2)
 */
export function sched_getscheduler(pid: number): number {
  return check(b().schedGetScheduler(validatePidArg(pid)), 'sched_getscheduler');
}

/**
 * Sets the scheduling policy and priority of thread `pid`, as Python's `os.sched_setscheduler`.
 * @param param - a {@link sched_param} (any object with an int `sched_priority`).
 * @throws ERR_INVALID_ARG_TYPE when param is not one; ERR_OUT_OF_RANGE when a value is
 *   not a 32-bit int; EINVAL (bad policy, priority or pid), EPERM (real-time without
 *   CAP_SYS_NICE), ESRCH.
 * @see sched_setscheduler(2)
 */
export function sched_setscheduler(pid: number, policy: number, param: SchedParam): void {
  const p = validatePidArg(pid);
  const pol = validateInt32(policy, 'policy');
  check(b().schedSetScheduler(p, pol, priorityOf(param)), 'sched_setscheduler');
}

/**
 * The scheduling parameter of thread `pid`, as Python's `os.sched_getparam`.
 * @returns a {@link sched_param}.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; EINVAL (negative pid), ESRCH.
 * @see sched_getparam(2)
 */
export function sched_getparam(pid: number): sched_param {
  return new sched_param(check(b().schedGetParam(validatePidArg(pid)), 'sched_getparam'));
}

/**
 * Sets the scheduling parameter of thread `pid`, as Python's `os.sched_setparam`.
 * @throws ERR_INVALID_ARG_TYPE when param is not a sched_param; ERR_OUT_OF_RANGE when its
 *   priority is not a 32-bit int (Python's OverflowError); EINVAL, EPERM, ESRCH.
 * @see sched_setparam(2)
 */
export function sched_setparam(pid: number, param: SchedParam): void {
  const p = validatePidArg(pid);
  check(b().schedSetParam(p, priorityOf(param)), 'sched_setparam');
}

/**
 * The lowest priority of `policy`, as Python's `os.sched_get_priority_min`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; EINVAL for an unknown policy.
 * @see sched_get_priority_min(2)
 */
export function sched_get_priority_min(policy: number): number {
  return check(b().schedGetPriorityMin(validateInt32(policy, 'policy')), 'sched_get_priority_min');
}

/**
 * The highest priority of `policy`, as Python's `os.sched_get_priority_max`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; EINVAL for an unknown policy.
 * @see sched_get_priority_max(2)
 */
export function sched_get_priority_max(policy: number): number {
  return check(b().schedGetPriorityMax(validateInt32(policy, 'policy')), 'sched_get_priority_max');
}

/**
 * The SCHED_RR time slice of thread `pid`, in seconds, as Python's `os.sched_rr_get_interval`
 * (0 for a thread not under SCHED_RR on Linux).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; EINVAL (negative pid), ESRCH.
 * @see sched_rr_get_interval(2)
 */
export function sched_rr_get_interval(pid: number): number {
  const [sec, nsec] = check(b().schedRrGetInterval(validatePidArg(pid)), 'sched_rr_get_interval');
  return sec + nsec * 1e-9;
}

/**
 * Gives up the CPU, as Python's `os.sched_yield`.
 * @throws nothing in practice (sched_yield(2) always succeeds on Linux).
 * @see sched_yield(2)
 */
export function sched_yield(): void {
  check(b().schedYield(), 'sched_yield');
}

/**
 * The cpus thread `pid` may run on (0: the caller), as Python's `os.sched_getaffinity`.
 * @returns a Set of cpu numbers.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; ESRCH (also for a negative pid), EPERM.
 * @see sched_getaffinity(2)
 */
export function sched_getaffinity(pid: number): Set<number> {
  return new Set(check(b().schedGetAffinity(validatePidArg(pid)), 'sched_getaffinity'));
}

/**
 * Restricts thread `pid` to the cpus in `mask` (any iterable of cpu numbers), as Python's
 * `os.sched_setaffinity`.
 * @throws ERR_INVALID_ARG_TYPE when mask is not an iterable of numbers; ERR_OUT_OF_RANGE
 *   for a negative cpu (Python's ValueError), a fractional one, or one from 2^22 on (a
 *   4 Mbit mask; Linux supports at most 8192 cpus; Python's OverflowError starts at
 *   INT_MAX); EINVAL when no cpu of the mask is online, ESRCH, EPERM.
 * @see sched_setaffinity(2)
 */
export function sched_setaffinity(pid: number, mask: Iterable<number>): void {
  const p = validatePidArg(pid);
  if (typeof mask !== 'object' || mask === null || typeof (mask as Iterable<number>)[Symbol.iterator] !== 'function') {
    throw invalidArgType('mask', 'an iterable of cpu numbers', mask);
  }
  const cpus: number[] = [];
  let i = 0;
  for (const cpu of mask) {
    const name = `mask[${i++}]`;
    if (typeof cpu !== 'number') throw invalidArgType(name, 'of type number', cpu);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= CPU_LIMIT) throw outOfRange(name, `an integer >= 0 && < ${CPU_LIMIT}`, cpu);
    cpus.push(cpu);
  }
  check(b().schedSetAffinity(p, cpus), 'sched_setaffinity');
}

/**
 * Ends the process at once with SIGABRT (and a core dump where enabled), as Python's
 * `os.abort`: no 'exit' event, no clean-up, and Node's own SIGABRT handling (none) is not
 * involved. Unlike `process.abort()`, nothing is printed.
 * @see abort(3)
 */
export function abort(): never {
  return b().abort();
}
