/**
 * Resource limits, as Python's `resource.getrlimit`, `setrlimit` and `prlimit`.
 *
 * A limit is a number of its unit (bytes, seconds, fds, processes...), or `RLIM_INFINITY`
 * (-1, as Python's on Linux) for no limit. Limits are `[soft, hard]` pairs: the kernel
 * enforces the soft one; an unprivileged process may lower the hard one (for good) and move
 * the soft one up to it. Argument rule (docs/python-parity.md): a wrong type, or a value
 * outside rlim_t's range as a JavaScript number (-1 .. 2^53-1), is a TypeError/RangeError;
 * everything else goes to the kernel, whose errno comes back: an unknown resource is EINVAL,
 * raising a hard limit without CAP_SYS_RESOURCE EPERM, a soft limit above the hard one
 * EINVAL (where Python raises ValueError for those three).
 */
import { check, invalidArgType, invalidArgValue } from '../errors';
import { native } from '../native';
import { validateInt32, validateInteger } from '../validate';

interface RlimitBinding {
  prlimit(pid: number, resource: number, set: boolean, soft?: number, hard?: number): [number, number] | number;
}
const b = (): RlimitBinding => native<RlimitBinding>();

/** No limit (the kernel's RLIM_INFINITY, 2^64-1), as Python's `resource.RLIM_INFINITY` on Linux: -1. @group Constants: resource limits */
export const RLIM_INFINITY = -1;

/** CPU time, in seconds (SIGXCPU at the soft limit, SIGKILL at the hard one). @group Constants: resource limits */
export const RLIMIT_CPU = 0;
/** Largest file the process may create, in bytes (SIGXFSZ / EFBIG beyond). @group Constants: resource limits */
export const RLIMIT_FSIZE = 1;
/** Size of the data segment (heap), in bytes. @group Constants: resource limits */
export const RLIMIT_DATA = 2;
/** Size of the main thread's stack, in bytes. @group Constants: resource limits */
export const RLIMIT_STACK = 3;
/** Largest core file, in bytes (0: none). @group Constants: resource limits */
export const RLIMIT_CORE = 4;
/** Resident set size, in bytes (not enforced by Linux since 2.6). @group Constants: resource limits */
export const RLIMIT_RSS = 5;
/** Processes (threads) of the real uid. @group Constants: resource limits */
export const RLIMIT_NPROC = 6;
/** One more than the highest fd number the process may open. @group Constants: resource limits */
export const RLIMIT_NOFILE = 7;
/** RLIMIT_NOFILE's BSD name, as in Python. @group Constants: resource limits */
export const RLIMIT_OFILE = 7;
/** Memory that may be locked (mlock), in bytes. @group Constants: resource limits */
export const RLIMIT_MEMLOCK = 8;
/** Address space, in bytes. @group Constants: resource limits */
export const RLIMIT_AS = 9;
/** Signals that may be queued for the real uid. @group Constants: resource limits */
export const RLIMIT_SIGPENDING = 11;
/** Bytes in POSIX message queues of the real uid. @group Constants: resource limits */
export const RLIMIT_MSGQUEUE = 12;
/** Ceiling of the nice value, as 20 - nice. @group Constants: resource limits */
export const RLIMIT_NICE = 13;
/** Ceiling of the real-time priority. @group Constants: resource limits */
export const RLIMIT_RTPRIO = 14;
/** CPU time a real-time task may use without blocking, in microseconds. @group Constants: resource limits */
export const RLIMIT_RTTIME = 15;

/** A `[soft, hard]` limit pair; -1 is RLIM_INFINITY. */
export type Limits = [soft: number, hard: number];

const RLIM_MAX = Number.MAX_SAFE_INTEGER;

function validateLimits(value: unknown, name: string): Limits {
  // Python: a sequence of two integers ("expected a tuple of 2 integers").
  if (!Array.isArray(value)) throw invalidArgType(name, 'a [soft, hard] array', value);
  if (value.length !== 2) throw invalidArgValue(name, value, 'must be a [soft, hard] array of 2 integers');
  return [validateInteger(value[0], `${name}[0]`, -1, RLIM_MAX), validateInteger(value[1], `${name}[1]`, -1, RLIM_MAX)];
}

function call(pid: number, resource: unknown, limits: Limits | null, syscall: string): Limits {
  const r = validateInt32(resource, 'resource');
  const result = limits === null ? b().prlimit(pid, r, false) : b().prlimit(pid, r, true, limits[0], limits[1]);
  const [soft, hard] = check(result, syscall);
  return [soft, hard];
}

/**
 * The limits of `resource` for this process, as Python's `resource.getrlimit`.
 * @returns `[soft, hard]`; -1 for RLIM_INFINITY.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when resource is not a 32-bit int;
 *   EINVAL for an unknown resource (Python's ValueError).
 * @see getrlimit(2)
 */
export function getrlimit(resource: number): Limits {
  return call(0, resource, null, 'getrlimit');
}

/**
 * Sets the limits of `resource` for this process (and what it starts later), as Python's
 * `resource.setrlimit`.
 * @param limits - `[soft, hard]`, each -1 (RLIM_INFINITY) or 0 .. 2^53-1.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument; EINVAL (unknown resource, soft above hard), EPERM (raising the hard limit
 *   without CAP_SYS_RESOURCE, or RLIMIT_NOFILE above /proc/sys/fs/nr_open): Python raises
 *   ValueError for these.
 * @see setrlimit(2)
 */
export function setrlimit(resource: number, limits: Limits): void {
  const r = validateInt32(resource, 'resource');
  call(0, r, validateLimits(limits, 'limits'), 'setrlimit');
}

/**
 * Gets, and with `limits` sets, the limits of `resource` for process `pid` (0: this one),
 * as Python's `resource.prlimit(pid, resource[, limits])`.
 * @param limits - the new `[soft, hard]`; null or undefined: only get.
 * @returns the limits as they were before the call.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument; ESRCH (no such process), EPERM (another user's process), EINVAL.
 * @see prlimit(2)
 */
export function prlimit(pid: number, resource: number, limits?: Limits | null): Limits {
  const p = validateInt32(pid, 'pid');
  const r = validateInt32(resource, 'resource');
  const next = limits === undefined || limits === null ? null : validateLimits(limits, 'limits');
  return call(p, r, next, 'prlimit');
}
