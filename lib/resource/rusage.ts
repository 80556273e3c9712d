/**
 * Resource usage and the page size, as Python's `resource.getrusage` and `getpagesize`.
 */
import { check } from '../errors';
import { native } from '../native';
import { validateInt32 } from '../validate';
import type { Rusage } from '../os/wait';

interface RusageBinding {
  getrusage(who: number): number[] | number;
  getpagesize(): number;
}
const b = (): RusageBinding => native<RusageBinding>();

/** getrusage `who`: the calling process (all its threads). @group Constants: resource usage */
export const RUSAGE_SELF = 0;
/** getrusage `who`: its children that were waited for, and their waited-for descendants. @group Constants: resource usage */
export const RUSAGE_CHILDREN = -1;
/** getrusage `who`: the calling thread only (for Node, the main thread or the calling Worker). @group Constants: resource usage */
export const RUSAGE_THREAD = 1;

/**
 * What getrusage reports, with the field names of Python's `resource.struct_rusage`
 * (`ru_utime` and `ru_stime` in float seconds, `ru_maxrss` in kilobytes; the fields Linux
 * does not maintain are 0). The same shape as `wait3`/`wait4`'s.
 */
export type struct_rusage = Rusage;

/**
 * Resource usage of `who`, as Python's `resource.getrusage`.
 * @param who - `RUSAGE_SELF`, `RUSAGE_CHILDREN` or `RUSAGE_THREAD`.
 * @returns a frozen {@link struct_rusage}.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when who is not a 32-bit int; EINVAL
 *   for another value (Python's ValueError "invalid who parameter").
 * @see getrusage(2)
 */
export function getrusage(who: number): struct_rusage {
  const a = check(b().getrusage(validateInt32(who, 'who')), 'getrusage');
  return Object.freeze({
    ru_utime: a[0], ru_stime: a[1], ru_maxrss: a[2], ru_ixrss: a[3], ru_idrss: a[4],
    ru_isrss: a[5], ru_minflt: a[6], ru_majflt: a[7], ru_nswap: a[8], ru_inblock: a[9],
    ru_oublock: a[10], ru_msgsnd: a[11], ru_msgrcv: a[12], ru_nsignals: a[13],
    ru_nvcsw: a[14], ru_nivcsw: a[15],
  });
}

/**
 * The size of a memory page in bytes, as Python's `resource.getpagesize`.
 * @throws nothing.
 * @see getpagesize(2), sysconf(3) _SC_PAGESIZE
 */
export function getpagesize(): number {
  return b().getpagesize();
}
