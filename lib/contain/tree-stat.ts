/**
 * native/tree_stat.cc, typed: a tree's processes with the stat/statm fields containment
 * needs, read in one native pass.
 * @internal
 */
import { systemError } from '../errors';
import { native } from '../native';

interface TreeStatBinding {
  treeStat(root: number, includeRoot: boolean, pids: Int32Array | null): Float64Array | number;
}

/** Indices of the fields per process (native/tree_stat.cc, TreeField). */
export const TF = { pid: 0, startTime: 1, state: 2, utime: 3, stime: 4, threads: 5, rssPages: 6, width: 7 } as const;

/** Root's descendants (and root, with includeRoot), or the listed pids: their fields, flat. */
export function treeStat(root: number, includeRoot: boolean, pids?: readonly number[]): Float64Array {
  const r = native<TreeStatBinding>().treeStat(root, includeRoot, pids === undefined ? null : Int32Array.from(pids));
  if (typeof r === 'number') throw systemError(r, 'open', `/proc/${root}/task`);
  return r;
}

/** Whether the state code (a char code) is a zombie or dead. */
export const isEnded = (state: number): boolean => state === 0x5a /* Z */ || state === 0x58 /* X */;
