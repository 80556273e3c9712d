/**
 * The child-subreaper flag of the calling process.
 *
 * With PR_SET_CHILD_SUBREAPER set, a process that loses its parent anywhere below the
 * caller is re-parented to the caller (the nearest living subreaper ancestor) instead of
 * to PID 1, so the caller can see it (its ppid becomes the caller's pid) and must reap it.
 * The flag is per process, is not inherited across fork, and /proc does not show it:
 * only prctl(PR_GET_CHILD_SUBREAPER) answers, for the caller alone.
 * @see prctl(2) PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER
 * @internal
 */
import { check } from '../errors';
import { native } from '../native';

interface PrctlBinding {
  setChildSubreaper(on: boolean): number;
  getChildSubreaper(): boolean | number;
  getpid(): number;
}
const b = (): PrctlBinding => native<PrctlBinding>();

/** Whether the calling process is a child subreaper. @throws what prctl(2) reports. */
export function isChildSubreaper(): boolean {
  return check<boolean>(b().getChildSubreaper(), 'prctl');
}

/** Sets or clears the flag. @throws EINVAL/EPERM (`syscall` 'prctl'). */
export function setChildSubreaper(on: boolean): void {
  check(b().setChildSubreaper(on), 'prctl');
}

/** getpid(2), read each time (a forked child has another pid). */
export function ownPid(): number {
  return b().getpid();
}
