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
import { createSubprocess, type Subprocess } from '../spawn/handle';
import { binding } from '../spawn/native-child';
import { Config } from '../spawn/native-child';
import { startTimeOf, stateOf } from './procfs';
import { forgetHelperChild, recordHelperChild } from '../own-children';
import { baseConfig, containBinding, controlPair, readReadyLine, shepherdPath } from './launch';
import { closeSync, existsSync, mkdirSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { isPopulated, makeCgroup, openProcs, ownCgroupDir, ownerCgroupName, removeCgroup, sweepStale } from './cgroup';

interface OwnerCgroup {
  readonly dir: string;
  /** undefined when another copy of the library in this process started the keeper. */
  readonly keeper: Subprocess | undefined;
  /** Our end of the keeper's socket: open for this process's lifetime (EOF tells the keeper). */
  readonly controlFd: number;
  next: number;
  readonly pid: number;
}

let owner: OwnerCgroup | undefined;
/**
 * Whether a command line is this process's cgroup keeper: a helper that lives as long as
 * this process by design, which the leak guard does not report. Told by its command line
 * (`unixproc-shepherd keeper <this pid> <dir>`), not by module state: every copy of the
 * library in this process (jest loads one per test file) must recognise it. @internal
 */
export function isOwnKeeper(cmdline: readonly string[]): boolean {
  return isKeeperCommand(cmdline) && cmdline[2] === String(process.pid);
}

function isKeeperCommand(cmdline: readonly string[]): boolean {
  const argv0 = cmdline[0] ?? '';
  return cmdline.length >= 4 && (argv0 === 'unixproc-shepherd' || argv0.endsWith('/unixproc-shepherd')) && cmdline[1] === 'keeper';
}

/**
 * Whether a command line is a cgroup keeper whose owner is gone: it is removing the owner's
 * cgroups and exits within milliseconds on its own (native/shepherd.cc). @internal
 */
export function isExitingKeeper(cmdline: readonly string[]): boolean {
  if (!isKeeperCommand(cmdline)) return false;
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
  const emptying = sweepStale(parent);
  const dir = join(parent, ownerCgroupName(pid, ownStartTime(pid)));
  // Another copy of the library in this process (a worker thread, a jest test file's own
  // module registry) made it, and its keeper lives: share it (the keeper guards them all).
  if (existsSync(dir) && isPopulated(join(dir, 'keeper'))) return { dir, keeper: undefined, controlFd: -1, next: 1, pid };
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
    // A group of its own: a signal to this process's group (kill -9 -pgid, `timeout -s KILL`,
    // the terminal's ^C) must not end the keeper with us, or nothing ends our cgroups.
    config[Config.pgid] = 0;
    config[Config.cgroupProcs] = procs;
    config[Config.keepFd] = theirs;
    config[Config.flags] = 1; // pidfd
    const file = shepherdPath();
    const r = binding().spawnChild([file], ['unixproc-shepherd', 'keeper', String(pid), dir, ...emptying], envList(), '', config);
    if (typeof r === 'number') throw systemError(r, 'spawn', file);
    if (r[0] < 0) throw systemError(r[0], 'execve', file);
    containBinding().closeFd(theirs);
    theirs = -1;
    const keeper = createSubprocess({
      pid: r[0], pidfd: r[1], args: [file, 'keeper'], fds: [r[2], r[3], r[4]],
      timeout: 0, killSignal: 15, killGracePeriod: 0, signal: undefined,
    });
    keeper.unref();
    // No "any child" wait of unixproc/os may return or block on it, in any copy of the library.
    const keeperPid = r[0];
    const keeperStart = startTimeOf(keeperPid);
    if (keeperStart !== undefined) recordHelperChild(keeperPid, keeperStart);
    keeper.wait().then(
      () => forgetHelperChild(keeperPid),
      () => forgetHelperChild(keeperPid),
    );
    const { line } = readReadyLine(controlFd);
    if (!line.startsWith('R ')) throw systemError(-3 /* ESRCH */, 'spawn', file);
    reapKeeperAtExit(keeper, controlFd, pid);
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

// How long this process's exit waits for its keeper to end the cgroups and exit.
const KEEPER_EXIT_WAIT_MS = 2000;

/**
 * The keeper outlives its owner by design (it ends the owner's cgroups once the owner is
 * gone), so when the owner exits it is orphaned: re-parented to the nearest child subreaper
 * (a supervisor, jest's main process through unixproc/jest) or to init. A subreaper that
 * did not start it has no reason to reap it, and an ordinary exit leaves nothing to clean
 * after anyway. So on a normal exit (process 'exit': process.exit() or the loop running
 * dry) the owner ends its keeper itself: it closes the control socket (EOF: the keeper
 * kills and removes the cgroups and exits) and reaps it, by pid, waiting at most
 * KEEPER_EXIT_WAIT_MS. Its handle's exit watch cannot run any more by then. Only a death
 * that runs no 'exit' listener (SIGKILL, a fatal signal) leaves the keeper to the subreaper
 * or init, which is what the keeper is for. Only the main thread: a worker's 'exit' is the
 * worker's, and the owner cgroup is the process's.
 */
function reapKeeperAtExit(keeper: Subprocess, controlFd: number, pid: number): void {
  if (!isMainThread) return;
  process.once('exit', () => {
    if (process.pid !== pid) return;
    // kill(0) is false once the handle has reaped it: its pid may name another child then.
    const unreaped = keeper.kill(0);
    if (owner !== undefined && owner.controlFd === controlFd) owner = undefined;
    containBinding().closeFd(controlFd);
    if (!unreaped) return;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited <= KEEPER_EXIT_WAIT_MS; waited += 5) {
      const r = containBinding().waitpid(keeper.pid, 1 /* WNOHANG */);
      if (typeof r === 'number' || r[0] !== 0) return; // reaped (or ECHILD: not ours any more)
      Atomics.wait(pause, 0, 0, 5);
    }
  });
}

function envList(): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** A new cgroup for one child, and its cgroup.procs open for the child to write. */
export function childCgroup(): { dir: string; procsFd: number } {
  const o = ownerCgroup();
  let dir = join(o.dir, `c${o.next++}`);
  // Other copies of the library in this process name theirs from 1 too: the next free one.
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') makeCgroup(dir); // throws the system error
      dir = join(o.dir, `c${o.next++}`);
    }
  }
  try {
    return { dir, procsFd: openProcs(dir) };
  } catch (e) {
    removeCgroup(dir);
    throw e;
  }
}
