/**
 * The children this process started itself through unixproc (posix_spawn and friends),
 * until it reaps them.
 *
 * Why: a child subreaper's children all have ppid == its pid, whether it started them or
 * adopted them when their parent died; /proc cannot tell the two apart. The orphan finder
 * (lib/proc/orphans.ts) asks this registry (and lib/os/foreign-children.ts, for
 * child_process children) so that a subreaper's own children are never reported as
 * orphans re-parented to it.
 *
 * The registry lives on `globalThis` under a `Symbol.for` key, so every copy of this module
 * (one per jest module registry, for instance) shares it. It remembers the pid of the
 * process that filled it: in a forked child, which inherits a copy, it starts empty again
 * (its parent's children are not its children).
 *
 * An entry leaves when a wait of lib/os/wait.ts reaps that pid (exit or kill), so a pid
 * later recycled for a process adopted by this subreaper is not taken for our child. A
 * child reaped some other way (SIGCHLD set to SIG_IGN, another library's waitpid) stays
 * until its pid is recorded again: the orphan finder then misses an adopted process that
 * got that pid (a false negative).
 * @internal
 */
import { statusBits } from './exit-status';
import { native } from './native';

interface Registry {
  owner: number;
  readonly pids: Set<number>;
}

const KEY = Symbol.for('unixproc.ownChildren.v1');

const getpid = (): number => native<{ getpid(): number }>().getpid();

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[KEY];
  if (r === undefined) {
    r = { owner: getpid(), pids: new Set() };
    Object.defineProperty(globalThis, KEY, { value: r, enumerable: false, configurable: true });
  } else {
    const me = getpid();
    if (r.owner !== me) {
      r.owner = me; // a forked child: the inherited entries are its parent's children
      r.pids.clear();
    }
  }
  return r;
}

/** Records `pid` as a child this process started; returns `pid`. @internal */
export function recordOwnChild(pid: number): number {
  if (pid > 0) registry().pids.add(pid);
  return pid;
}

/** Forgets `pid` (it was reaped). @internal */
export function forgetOwnChild(pid: number): void {
  registry().pids.delete(pid);
}

/**
 * Called with what a wait returned: forgets `pid` when `status` says it ended (exited or
 * killed), i.e. it was reaped; a stop or continue report, or pid 0, changes nothing. @internal
 */
export function ownChildWaited(pid: number, status: number): void {
  if (pid > 0 && (statusBits.ifExited(status) || statusBits.ifSignaled(status))) forgetOwnChild(pid);
}

/** Whether `pid` is a child this process started and has not reaped. @internal */
export function isOwnChild(pid: number): boolean {
  return registry().pids.has(pid);
}
