/**
 * Which processes are known to be child subreapers.
 *
 * Linux keeps PR_SET_CHILD_SUBREAPER in the kernel's signal struct and shows it nowhere in
 * /proc: prctl(PR_GET_CHILD_SUBREAPER) answers only for the caller. So the known set is
 * the calling process (when it is a subreaper and the live /proc is read) plus whatever
 * pids the caller names. A process re-parented to another subreaper is therefore not
 * reported as an orphan: a false negative, never a false positive.
 * @see prctl(2) PR_SET_CHILD_SUBREAPER
 * @internal
 */
import { native } from '../native';
import { ResolvedOptions } from './options';

interface PrctlBinding {
  getChildSubreaper(): boolean | number;
  getpid(): number;
}

/** The known subreapers for a scan. @internal */
export function knownSubreapers(opts: ResolvedOptions, named: readonly number[]): Set<number> {
  const set = new Set(named);
  if (opts.live) {
    const b = native<PrctlBinding>();
    if (b.getChildSubreaper() === true) set.add(b.getpid());
  }
  return set;
}
