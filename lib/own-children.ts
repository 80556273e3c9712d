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
import { ChildProcess } from 'node:child_process';
import { childrenOf, statFields } from './contain/procfs';
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

/**
 * The library's own helper processes among this process's children (the cgroup keeper of
 * lib/contain/owner.ts): they live as long as this process by design, and no "any child"
 * wait of lib/os/wait.ts may return them or block on them alone (with only helpers left, such
 * a wait says ECHILD, as with no child at all). Process-wide (see helperRegistry): the copy
 * of the library that started the keeper may not be the one that waits. Keyed by pid
 * and start time, so that a pid recycled after the helper was reaped is not hidden.
 */
interface HelperRegistry {
  owner: number;
  readonly helpers: Map<number, number>; // pid -> start time
}

const HELPERS = Symbol.for('unixproc.helperChildren.v1');

function helperRegistry(): HelperRegistry {
  // Anchored on a core module's object, not globalThis: jest gives each test file its own
  // global object, but the core modules (as lib/os/foreign-children.ts relies on) are shared.
  const anchor = ChildProcess as unknown as Record<symbol, HelperRegistry | undefined>;
  let r = anchor[HELPERS];
  if (r === undefined) {
    r = { owner: getpid(), helpers: new Map() };
    Object.defineProperty(anchor, HELPERS, { value: r, enumerable: false, configurable: true });
  } else {
    const me = getpid();
    if (r.owner !== me) {
      r.owner = me; // a forked child: its parent's helpers are not its children
      r.helpers.clear();
    }
  }
  return r;
}

/** Records a helper child of the library (pid and start time). @internal */
export function recordHelperChild(pid: number, startTime: number): void {
  if (pid > 0) helperRegistry().helpers.set(pid, startTime);
}

/** Forgets a helper child (it was reaped). @internal */
export function forgetHelperChild(pid: number): void {
  helperRegistry().helpers.delete(pid);
}

/** Whether this process has helper children recorded. @internal */
export function hasHelperChildren(): boolean {
  return helperRegistry().helpers.size > 0;
}

/** Whether `pid` with `startTime` is a helper child of the library. @internal */
export function isHelperChild(pid: number, startTime: number | undefined): boolean {
  const t = helperRegistry().helpers.get(pid);
  return t !== undefined && t === startTime;
}

/**
 * Whether every child of this process in the scope of an "any child" wait (all of them, or
 * those of process group `pgid`, never 0) is a helper of the library, and there is at least one:
 * such a wait must then say ECHILD rather than block on a helper forever. Read from
 * /proc/self/task/<tid>/children and each child's stat (no scan of /proc). @internal
 */
export function onlyHelperChildrenLeft(pgid?: number): boolean {
  if (!hasHelperChildren()) return false;
  let helpers = 0;
  for (const pid of childrenOf('self')) {
    const f = statFields(pid);
    if (f === undefined) return false; // gone meanwhile: let the kernel tell
    if (pgid !== undefined && Number(f[2]) !== pgid) continue;
    if (!isHelperChild(pid, Number(f[19]))) return false;
    helpers++;
  }
  return helpers > 0;
}
