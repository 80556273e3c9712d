/**
 * This process's own cgroup for contained children (`unixproc-<pid>-<starttime>` in its
 * cgroup), made on first use with its keeper (native/shepherd.cc `keeper` mode: kills and
 * removes it all when this process dies, SIGKILL included), after a sweep of the cgroups of
 * dead owners.
 * @internal
 */
import { join } from 'node:path';
import { systemError } from '../errors';
import { ownStartTime } from '../lineage';
import { Subprocess } from '../spawn/handle';
import { binding } from '../spawn/native-child';
import { Config } from '../spawn/native-child';
import { startTimeOf, stateOf } from './procfs';
import { baseConfig, containBinding, controlPair, readReadyLine, shepherdPath } from './launch';
import { closeSync, makeCgroup, openProcs, ownCgroupDir, ownerCgroupName, removeCgroup, sweepStale } from './cgroup';

interface OwnerCgroup {
  readonly dir: string;
  readonly keeper: Subprocess;
  /** Our end of the keeper's socket: open for this process's lifetime (EOF tells the keeper). */
  readonly controlFd: number;
  next: number;
  readonly pid: number;
}

let owner: OwnerCgroup | undefined;
// On `process` (one object per process, unlike globalThis, which jest gives each test file
// its own of): every copy of the library in this process must know the keeper, whichever
// copy started it.
const KEEPERS = Symbol.for('unixproc.contain.keepers');
const holder = process as unknown as Record<symbol, Set<string> | undefined>;
const keepers = (holder[KEEPERS] ??= new Set<string>());

/**
 * Whether (pid, startTime) is this process's cgroup keeper: a helper that lives as long as
 * this process by design, which the leak guard does not report. @internal
 */
export function isOwnKeeper(pid: number, startTime: number): boolean {
  return keepers.has(`${pid}:${startTime}`);
}

/**
 * Whether a command line is a cgroup keeper whose owner is gone: it is removing the owner's
 * cgroups and exits within milliseconds on its own (native/shepherd.cc). @internal
 */
export function isExitingKeeper(cmdline: readonly string[]): boolean {
  if (cmdline.length !== 4 || !cmdline[0].endsWith('/unixproc-shepherd') || cmdline[1] !== 'keeper') return false;
  const state = stateOf(Number(cmdline[2]));
  return state === undefined || state === 'Z';
}
let failure: Error | undefined;

/**
 * The owner cgroup, made on first call. @throws ERR_UNIXPROC_CGROUP_UNAVAILABLE, or a system
 * error (mkdir EACCES/EROFS..., with path) when this process may not create cgroups.
 */
export function ownerCgroup(): OwnerCgroup {
  const pid = process.pid;
  if (owner !== undefined && owner.pid === pid) return owner;
  if (failure !== undefined) throw failure;
  try {
    owner = createOwner(pid);
    return owner;
  } catch (e) {
    failure = e as Error;
    throw e;
  }
}

function createOwner(pid: number): OwnerCgroup {
  const parent = ownCgroupDir();
  sweepStale(parent);
  const dir = join(parent, ownerCgroupName(pid, ownStartTime(pid)));
  makeCgroup(dir);
  let controlFd = -1;
  let theirs = -1;
  let procs = -1;
  try {
    makeCgroup(join(dir, 'keeper'));
    procs = openProcs(join(dir, 'keeper'));
    [controlFd, theirs] = controlPair();
    const config = baseConfig();
    config[Config.stdin] = -2; // /dev/null: the keeper reads nothing from our stdin
    config[Config.cgroupProcs] = procs;
    config[Config.keepFd] = theirs;
    config[Config.flags] = 1; // pidfd
    const file = shepherdPath();
    const r = binding().spawnChild([file], ['unixproc-shepherd', 'keeper', String(pid), dir], envList(), '', config);
    if (typeof r === 'number') throw systemError(r, 'spawn', file);
    if (r[0] < 0) throw systemError(r[0], 'execve', file);
    containBinding().closeFd(theirs);
    theirs = -1;
    const keeper = new Subprocess({
      pid: r[0], pidfd: r[1], args: [file, 'keeper'], fds: [r[2], r[3], r[4]],
      timeout: 0, killSignal: 15, killGracePeriod: 0, signal: undefined,
    });
    keeper.unref();
    const line = readReadyLine(controlFd);
    if (!line.startsWith('R ')) throw systemError(-3 /* ESRCH */, 'spawn', file);
    keepers.add(`${keeper.pid}:${startTimeOf(keeper.pid)}`);
    return { dir, keeper, controlFd, next: 1, pid };
  } catch (e) {
    if (theirs >= 0) containBinding().closeFd(theirs);
    if (controlFd >= 0) containBinding().closeFd(controlFd);
    try {
      removeCgroup(dir);
    } catch {
      // populated by a keeper that is exiting: it removes itself
    }
    throw e;
  } finally {
    if (procs >= 0) closeSync(procs);
  }
}

function envList(): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** A new cgroup for one child, and its cgroup.procs open for the child to write. */
export function childCgroup(): { dir: string; procsFd: number } {
  const o = ownerCgroup();
  const dir = join(o.dir, `c${o.next++}`);
  makeCgroup(dir);
  try {
    return { dir, procsFd: openProcs(dir) };
  } catch (e) {
    removeCgroup(dir);
    throw e;
  }
}
