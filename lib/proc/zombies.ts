/**
 * Zombies, grouped by the parent that is not calling wait().
 * @see proc(5), wait(2) "NOTES" (zombie processes)
 */
import { validateOptions } from '../validate';
import { ORPHAN_OPTION_KEYS } from './orphan-options';
import { Extra } from './binding';
import { optionalPidList, ResolvedOptions, resolveProcfs } from './options';
import { OrphanOptions } from './orphans';
import { isZombie, ProcessInfo } from './process-info';
import { knownSubreapers } from './subreapers';
import { readableOnly, readOne, scanTable } from './table';

/** The zombies held by one parent. */
export interface ZombieGroup {
  readonly parentPid: number;
  /**
   * The parent, with its cmdline; undefined if it could not be read or exited meanwhile
   * (its zombies then pass to init or a subreaper).
   */
  readonly parent: ProcessInfo | undefined;
  /**
   * `init`: PID 1 holds them (it reaps late, or not at all); `subreaper`: a known child
   * subreaper holds them; `process`: an ordinary parent that has not waited.
   */
  readonly parentKind: 'init' | 'subreaper' | 'process';
  readonly zombies: readonly ProcessInfo[];
  readonly count: number;
}

function withCmdline(opts: ResolvedOptions, p: ProcessInfo | undefined): ProcessInfo | undefined {
  if (p === undefined) return undefined;
  try {
    const one = readOne(opts, p.pid, Extra.cmdline);
    // Keep the scanned entry if the pid now names another process (or none).
    return one !== undefined && one.info.startTime === p.startTime ? one.info : p;
  } catch {
    return p;
  }
}

/**
 * Every zombie (state Z), grouped by parent, the parent with most zombies first. The
 * parent is reported because it is the one at fault: a zombie is gone except for its
 * exit status, which stays until the parent waits for it. A process whose main thread
 * exited while other threads run also shows state Z, but it is alive (num_threads > 1)
 * and is not listed.
 *
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options; ENOENT when the procfs
 *   root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5), wait(2)
 */
export function findZombies(options?: OrphanOptions): readonly ZombieGroup[] {
  const o = validateOptions<OrphanOptions>(options, 'options', ORPHAN_OPTION_KEYS);
  const opts = resolveProcfs(o, 'options');
  const named = optionalPidList(o.subreapers, 'options.subreapers');
  const procs = readableOnly(scanTable(opts));
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of procs) {
    if (!isZombie(p)) continue; // not a leader in state Z whose other threads still run
    let list = byParent.get(p.ppid);
    if (list === undefined) byParent.set(p.ppid, (list = []));
    list.push(p);
  }
  if (byParent.size === 0) return [];
  const subreapers = knownSubreapers(opts, named);
  const byPid = new Map(procs.map((p) => [p.pid, p] as const));
  const groups: ZombieGroup[] = [];
  for (const [parentPid, zombies] of byParent) {
    groups.push({
      parentPid,
      parent: withCmdline(opts, byPid.get(parentPid)),
      parentKind: parentPid === 1 ? 'init' : subreapers.has(parentPid) ? 'subreaper' : 'process',
      zombies,
      count: zombies.length,
    });
  }
  groups.sort((a, b) => b.count - a.count || a.parentPid - b.parentPid);
  return groups;
}
