/**
 * Sending signals, as Python's `os.kill` and `os.killpg`. The signal is a number
 * (0 probes for existence and permission without sending anything) or a Node signal
 * name such as `'SIGTERM'`.
 */
import { check } from '../errors';
import { native } from '../native';
import { INT32_MAX, INT32_MIN, validateInteger, validateSignal } from '../validate';

interface SignalsBinding {
  kill(pid: number, sig: number): number;
  killpg(pgrp: number, sig: number): number;
}
const b = (): SignalsBinding => native<SignalsBinding>();

/**
 * Sends `sig` to `pid`, with kill(2)'s full pid semantics, as Python's `os.kill`:
 * a positive pid is one process, `0` every process in the caller's process group,
 * `-1` EVERY process the caller may signal except init and itself (as root: the whole
 * machine; Python allows it, so does this), and `-N` every process in group N.
 * Unlike `process.kill`, a pid of 0 or below is not refused.
 * @param pid - any `pid_t` value (a 32-bit integer).
 * @param sig - a signal number or a Node signal name; 0 sends nothing and only checks. Any
 *   `int` goes to the kernel, as in Python: 65 or -1 is EINVAL from kill(2).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`) / ERR_INVALID_ARG_VALUE
 *   (unknown signal name); ESRCH (no such process or group), EPERM (not allowed to signal
 *   it), EINVAL (no such signal).
 * @see kill(2)
 */
export function kill(pid: number, sig: NodeJS.Signals | number): void {
  const p = validateInteger(pid, 'pid', INT32_MIN, INT32_MAX);
  const s = validateSignal(sig, 'sig', true);
  check(b().kill(p, s), 'kill');
}

/**
 * Sends `sig` to every process in process group `pgid` (0: the caller's own group), as
 * Python's `os.killpg`.
 * @param pgid - a process group id (a `pid_t`); a negative one is EINVAL from glibc, as in Python.
 * @param sig - a signal number or a Node signal name; any `int` goes to the kernel.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (not an `int`) / ERR_INVALID_ARG_VALUE
 *   (unknown signal name); ESRCH (no such group), EPERM (no member may be signalled),
 *   EINVAL (negative pgid, no such signal).
 * @see killpg(3), kill(2)
 */
export function killpg(pgid: number, sig: NodeJS.Signals | number): void {
  const g = validateInteger(pgid, 'pgid', INT32_MIN, INT32_MAX);
  const s = validateSignal(sig, 'sig', true);
  check(b().killpg(g, s), 'killpg');
}
