/**
 * Which processes are known to be child subreapers.
 *
 * Linux keeps PR_SET_CHILD_SUBREAPER in the kernel's signal struct and shows it nowhere in
 * /proc: prctl(PR_GET_CHILD_SUBREAPER) answers only for the caller. So the known set is
 * the calling process (when it is a subreaper and the live /proc is read) plus whatever
 * pids the caller names. A process re-parented to another subreaper is therefore not
 * reported as an orphan (a false negative). The reverse can happen too: a subreaper's
 * children all have ppid == its pid, whether it started them or adopted them, and /proc
 * cannot tell which. For the calling process the children it started itself are known
 * (lib/own-children.ts, lib/os/foreign-children.ts) and left out; any other child of a
 * subreaper is reported only on the heuristic basis, never as a fact.
 * @see prctl(2) PR_SET_CHILD_SUBREAPER
 * @internal
 */
import { native } from '../native';
import { ResolvedOptions } from './options';

interface PrctlBinding {
  getChildSubreaper(): boolean | number;
  getpid(): number;
}

/** The calling process's pid when it is a subreaper and the live /proc is read. @internal */
export function selfSubreaper(opts: ResolvedOptions): number | undefined {
  if (!opts.live) return undefined;
  const b = native<PrctlBinding>();
  return b.getChildSubreaper() === true ? b.getpid() : undefined;
}

/** The known subreapers for a scan. @internal */
export function knownSubreapers(opts: ResolvedOptions, named: readonly number[]): Set<number> {
  const set = new Set(named);
  const self = selfSubreaper(opts);
  if (self !== undefined) set.add(self);
  return set;
}
