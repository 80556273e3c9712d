/**
 * The handle of a contained child: a {@link Subprocess} whose whole tree (every descendant,
 * however it detached) is one unit, listed by {@link ContainedSubprocess.members} and ended
 * by {@link ContainedSubprocess.terminate}.
 */
import { check, invalidArgValue } from '../errors';
import { existsSync, readFileSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { controllersOf } from './cgroup-limits';
import type { ExitStatus } from '../exit-status';
import { optionKeys, validateBoolean, validateFunction, validateOptions, validateSignal } from '../validate';
import { Subprocess, type ChildInit } from '../spawn/handle';
import { binding } from '../spawn/native-child';
import { validateTerminateOptions, type TerminateOptions } from '../spawn/options';
import { cgroupPids, isPopulated, killCgroup, removeCgroup, whenEmpty } from './cgroup';
import { drainControl } from './launch';
import { startTimeOf, type Member } from './procfs';
import { TF, isEnded, treeStat } from './tree-stat';
import {
  USAGE_OPTION_KEYS,
  cgroupUsage,
  descendantsUsage,
  procfsUsage,
  validateFullMemory,
  type ResourceUsage,
  type UsageOptions,
} from './usage';

/** The mechanism that holds a contained child's tree together (docs/containment.md). */
export type Containment = 'cgroup' | 'subreaper';

export type { Member as TreeMember } from './procfs';

/** A member of the tree as {@link ContainedSubprocess.terminate} ended it. */
export interface EndedMember extends Member {
  /** `'killSignal'`: gone within the grace period; `'SIGKILL'`: still alive when it ran out. */
  readonly endedBy: 'killSignal' | 'SIGKILL';
}

/** How a contained child's tree ended: the program's own exit status, plus every member. */
export type TreeTermination = ExitStatus & {
  /** The members alive when the termination began (the program included), and how each ended. */
  readonly members: readonly EndedMember[];
  /** Whether the grace period ran out and SIGKILL was needed. */
  readonly escalated: boolean;
};

/**
 * Options of {@link ContainedSubprocess.terminate}: Subprocess's {@link TerminateOptions}
 * (`killSignal` to every member first, SIGKILL after `killGracePeriod`); the defaults are the
 * spawn options'.
 */
export type TerminateTreeOptions = TerminateOptions;

/** What an `'oom'` listener of {@link ContainedSubprocess.on} gets. */
export interface OomEvent {
  /** memory.events `oom_kill`: how many processes of the tree the OOM killer has killed so far. */
  readonly oomKill: number;
  /** How many of them since the previous event. */
  readonly killed: number;
}

/** The count after `oom_kill` in a memory.events text, or 0. @internal */
export function oomKillsOf(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** Options of {@link ContainedSubprocess.kill}. */
export interface KillOptions {
  /** Signal every live member of the tree, not only the program (default false). */
  readonly tree?: boolean;
}

/** The keys of {@link KillOptions}. @internal */
export const KILL_OPTION_KEYS = optionKeys<KillOptions>({ tree: true });

/** What the contain layer knows at birth. @internal */
export type ContainInit =
  | { readonly kind: 'cgroup'; readonly dir: string; readonly keepTree?: boolean }
  | { readonly kind: 'subreaper'; readonly programPid: number; readonly controlFd: number; readonly pending: string };

const ESRCH = 3;
const SIGKILL = 9;
const SIGCONT = 18;

let handles = 0;

const key = (m: Member): string => `${m.pid}:${m.startTime}`;

/**
 * A child started by `spawn(file, args, { contain })`. Every process it starts stays in its
 * tree: with `'cgroup'` in its own cgroup v2 cgroup, with `'subreaper'` below a native
 * shepherd process that is PR_SET_CHILD_SUBREAPER. When the program exits, what is left of
 * its tree is ended (killSignal, killGracePeriod, SIGKILL); when this process dies, even by
 * SIGKILL, the whole tree is killed (the cgroup's keeper or the shepherd sees it).
 *
 * With `'subreaper'`, {@link Subprocess.pid} is the shepherd's pid (the process this handle
 * waits for, which exits as the program did: same code or same signal, once the tree is
 * empty) and {@link ContainedSubprocess.programPid} the program's; `kill()` signals the
 * program. With `'cgroup'` both are the program's pid.
 */
export class ContainedSubprocess extends Subprocess {
  /** The mechanism in use. */
  readonly containment: Containment;
  /** The pid of the program itself (with `'subreaper'`, the shepherd's child). */
  readonly programPid: number;

  #cgroupDir: string | undefined;
  /** The shepherd's control socket (-1 once closed): commands are written to it synchronously. */
  #controlFd = -1;
  #controlPending = '';
  #programPidfd = -1;
  #killSignal: number;
  #killGracePeriod: number;
  #ending: Promise<TreeTermination> | undefined;
  readonly #usageKey = `contained:${++handles}`;
  readonly #oomListeners = new Set<(event: OomEvent) => void>();
  #oomWatcher: FSWatcher | undefined;
  #oomKills = 0;
  /** Pids the shepherd reported SIGKILLing. */
  #sigkilled = new Set<number>();

  /**
   * @internal Made by spawn() with the `contain` option, through createSubprocess (which
   * holds the token Subprocess's constructor checks).
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, init: ChildInit, contain: ContainInit) {
    super(token, init);
    this.#killSignal = init.killSignal;
    this.#killGracePeriod = init.killGracePeriod;
    this.containment = contain.kind;
    if (contain.kind === 'cgroup') {
      this.programPid = init.pid;
      this.#cgroupDir = contain.dir;
      // Nothing the program started outlives it: when it exits, the rest of the tree is ended.
      const cleanUp = (): void => {
        if (this.#ending === undefined) this.#ending = this.#endCgroup(this.#killSignal, this.#killGracePeriod, []);
        this.#ending.catch(() => undefined);
      };
      // The leak guard keeps the tree at the program's exit, to report it first (spawnKeepingTree).
      if (contain.keepTree !== true) this.wait().then(cleanUp, cleanUp);
    } else {
      this.programPid = contain.programPid;
      // A pidfd for the program: the shepherd does not reap it before we have it (it
      // reaps only after the exit, and the program was just started), so it names the program.
      this.#programPidfd = binding().pidfdOpen(contain.programPid, 0);
      // The control socket is not watched: the shepherd writes to it only the "S <pid>..."
      // line of the members it SIGKILLs (after a grace period), and before it exits; so it is
      // read once the shepherd has exited, when wait() settles (a net.Socket per child cost
      // more than the rest of the handle: docs/containment.md, Figures).
      this.#controlFd = contain.controlFd;
      this.#controlPending = contain.pending;
      const closePidfd = (): void => {
        if (this.#programPidfd >= 0) binding().closeFd(this.#programPidfd);
        this.#programPidfd = -1;
        this.#closeControl();
      };
      this.wait().then(closePidfd, closePidfd);
    }
  }

  /**
   * Listens for the OOM killer in the tree: `'oom'` is emitted each time memory.events
   * counts new `oom_kill`s (memory.max reached, see `limits.memoryMax`), watched with inotify
   * through the event loop while a listener is attached and the child runs.
   * @param event - `'oom'`.
   * @param listener - called with an {@link OomEvent}.
   * @returns this handle.
   * @throws ERR_INVALID_ARG_VALUE for another event name, or where no memory.events exists:
   *   with `'subreaper'` (no cgroup), or where the memory controller is not on the cgroup2
   *   hierarchy (the message lists what cgroup.controllers offers: only `hugetlb` on these
   *   machines' hybrid hierarchy); ERR_INVALID_ARG_TYPE for a listener that is not a function.
   * @see cgroup-v2.rst memory.events, inotify(7)
   */
  on(event: 'oom', listener: (event: OomEvent) => void): this {
    if (event !== 'oom') throw invalidArgValue('event', event, "must be 'oom'");
    validateFunction(listener, 'listener');
    const dir = this.#cgroupDir;
    if (dir === undefined) throw invalidArgValue('event', event, `needs contain: 'cgroup' (this child is contained by ${this.containment}, which has no memory.events)`);
    const file = join(dir, 'memory.events');
    if (!existsSync(file)) {
      const offered = controllersOf(dirname(dir)).join(' ') || 'none';
      throw invalidArgValue('event', event, `needs the memory controller on the cgroup2 hierarchy (no memory.events in ${dir}; cgroup.controllers offers: ${offered})`);
    }
    this.#oomListeners.add(listener);
    if (this.#oomWatcher === undefined && !this.exited) {
      this.#oomKills = this.#readOomKills(file);
      const watcher = watch(file, { persistent: false });
      watcher.on('change', () => this.#checkOom(file));
      watcher.on('error', () => watcher.close());
      this.#oomWatcher = watcher;
      const stop = (): void => {
        this.#checkOom(file);
        watcher.close();
      };
      this.wait().then(stop, stop);
    }
    return this;
  }

  /** Removes an `'oom'` listener. @returns this handle. */
  off(event: 'oom', listener: (event: OomEvent) => void): this {
    if (event !== 'oom') throw invalidArgValue('event', event, "must be 'oom'");
    this.#oomListeners.delete(listener);
    return this;
  }

  #readOomKills(file: string): number {
    try {
      return oomKillsOf(readFileSync(file, 'latin1'));
    } catch {
      return this.#oomKills; // the cgroup is being removed
    }
  }

  #checkOom(file: string): void {
    const now = this.#readOomKills(file);
    if (now <= this.#oomKills) return;
    const event: OomEvent = { oomKill: now, killed: now - this.#oomKills };
    this.#oomKills = now;
    for (const l of [...this.#oomListeners]) l(event);
  }

  /**
   * Sends one signal now, and nothing more: to the program, or with `{ tree: true }` to
   * every live member of the tree. With `'subreaper'` it goes to the program (not to the
   * shepherd) through a pidfd.
   * @param signal - a signal name or number (default `'SIGTERM'`); 0 probes.
   * @param options - `tree: true` to signal every member.
   * @returns false when nothing was signalled (the program, or every member, is gone).
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
   *   signal or option; EPERM when not allowed to signal the program.
   * @see pidfd_send_signal(2)
   */
  override kill(signal: NodeJS.Signals | number = 'SIGTERM', options?: KillOptions): boolean {
    const signo = validateSignal(signal, 'signal');
    const o = validateOptions<KillOptions>(options, 'options', KILL_OPTION_KEYS);
    const tree = o.tree === undefined ? false : validateBoolean(o.tree, 'options.tree');
    if (tree) return this.#signalMembers(this.members(), signo) > 0;
    if (this.containment === 'cgroup') return super.kill(signo);
    if (this.exited || this.#programPidfd < 0) return false;
    const r = binding().pidfdSendSignal(this.#programPidfd, signo);
    if (r === -ESRCH) return false;
    check(r, 'pidfd_send_signal');
    return true;
  }

  /**
   * The live members of the tree (the program and every descendant, zombies left out), each
   * with its start time, so that a pid reused later is never taken for a member.
   * @returns `[]` once the tree is gone.
   * @see proc(5), cgroups(7) cgroup.procs
   */
  members(): readonly Member[] {
    let v: Float64Array;
    if (this.#cgroupDir !== undefined) v = treeStat(0, false, cgroupPids(this.#cgroupDir));
    else if (this.exited) return [];
    else v = treeStat(this.pid, false);
    const out: Member[] = [];
    for (let o = 0; o < v.length; o += TF.width) {
      if (!isEnded(v[o + TF.state])) out.push({ pid: v[o + TF.pid], startTime: v[o + TF.startTime] });
    }
    return out;
  }

  /**
   * The resource usage of the whole tree: from the cgroup's files (cpu.stat counts every
   * process that ever ran in it, exited ones included) with `'cgroup'`, else summed over the
   * live members. `cpuPercent` is since the previous `usage()` call (the first primes it).
   * @param options - `fullMemory: true` for PSS and USS (smaps_rollup; costly).
   * @returns the {@link ResourceUsage}; all zero once the tree is gone.
   * @throws ERR_INVALID_ARG_TYPE for bad options.
   * @see cgroup-v2.rst cpu.stat, proc(5) stat, statm, smaps_rollup
   */
  usage(options?: UsageOptions): ResourceUsage {
    const fullMemory = validateFullMemory(validateOptions<UsageOptions>(options, 'options', USAGE_OPTION_KEYS));
    if (this.#cgroupDir !== undefined) {
      return cgroupUsage(this.#cgroupDir, cgroupPids(this.#cgroupDir), this.#usageKey, fullMemory);
    }
    return this.exited ? procfsUsage([], this.#usageKey, fullMemory) : descendantsUsage(this.pid, this.#usageKey, fullMemory);
  }

  /**
   * Ends the whole tree: `killSignal` to every member, SIGKILL to what is still alive after
   * `killGracePeriod`, and resolves once no member is left, with the program's exit status
   * and how each member ended. Calling it again returns the same promise.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options.
   * @see cgroups(7) cgroup.kill, prctl(2) PR_SET_CHILD_SUBREAPER, docs/containment.md
   */
  override terminate(options?: TerminateOptions): Promise<TreeTermination> {
    const { killSignal, killGracePeriod: grace } = validateTerminateOptions(options, this.#killSignal, this.#killGracePeriod);
    if (this.#ending !== undefined) return this.#ending;
    const snapshot = this.members();
    this.#ending =
      this.#cgroupDir !== undefined ? this.#endCgroup(killSignal, grace, snapshot) : this.#endShepherd(killSignal, grace, snapshot);
    return this.#ending;
  }

  /** Sends each signal, in order, to every listed member that is still that member. */
  #signalMembers(members: readonly Member[], ...signos: number[]): number {
    // A pidfd pins each process; then one check says which of them are still the members
    // we listed: still in the cgroup (a pid listed after its pidfd was opened is that
    // process, or a process of the tree anyway), or with the same start time (subreaper).
    const opened: { fd: number; m: Member }[] = [];
    for (const m of members) {
      const fd = binding().pidfdOpen(m.pid, 0);
      if (fd >= 0) opened.push({ fd, m });
    }
    let sent = 0;
    try {
      const inCgroup = this.#cgroupDir !== undefined ? new Set(cgroupPids(this.#cgroupDir)) : undefined;
      for (const { fd, m } of opened) {
        const same = inCgroup !== undefined ? inCgroup.has(m.pid) : startTimeOf(m.pid) === m.startTime;
        if (!same) continue;
        let ok = false;
        for (const signo of signos) if (binding().pidfdSendSignal(fd, signo) === 0) ok = true;
        if (ok) sent++;
      }
    } finally {
      for (const { fd } of opened) binding().closeFd(fd);
    }
    return sent;
  }

  async #endCgroup(killSignal: number, grace: number, snapshot: readonly Member[]): Promise<TreeTermination> {
    const dir = this.#cgroupDir as string;
    const alive = new Set<string>();
    let escalated = false;
    if (isPopulated(dir)) {
      const members = snapshot.length > 0 ? snapshot : this.members();
      if (killSignal === SIGKILL || grace === 0) {
        escalated = true;
        for (const m of members) alive.add(key(m));
        killCgroup(dir);
      } else {
        this.#signalMembers(members, killSignal, SIGCONT);
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<boolean>((resolve) => {
          if (Number.isFinite(grace)) timer = setTimeout(() => resolve(true), grace);
        });
        const gone = whenEmpty(dir).then(() => false);
        if (await Promise.race([gone, graceOver])) {
          escalated = true;
          for (const m of this.members()) alive.add(key(m));
          killCgroup(dir);
        }
        clearTimeout(timer);
      }
      await whenEmpty(dir);
    }
    let status: ExitStatus;
    try {
      status = await this.wait();
    } finally {
      removeCgroup(dir);
    }
    return result(status, snapshot, alive, escalated);
  }

  /** Sends one command line to the shepherd; nothing when it has exited (EPIPE). */
  #command(line: string): void {
    if (this.#controlFd < 0) return;
    try {
      writeSync(this.#controlFd, line);
    } catch {
      // the shepherd exited: its exit is reported by wait()
    }
  }

  /**
   * Once the shepherd has exited: reads what it wrote ("S <pid>...": the members it SIGKILLed
   * once the grace period was over) and closes the socket. Idempotent.
   */
  #closeControl(): void {
    if (this.#controlFd < 0) return;
    const text = this.#controlPending + drainControl(this.#controlFd);
    binding().closeFd(this.#controlFd);
    this.#controlFd = -1;
    for (const line of text.split('\n')) {
      if (line.startsWith('S ')) for (const w of line.slice(2).split(' ')) if (/^\d+$/.test(w)) this.#sigkilled.add(Number(w));
    }
  }

  async #endShepherd(killSignal: number, grace: number, snapshot: readonly Member[]): Promise<TreeTermination> {
    if (!this.exited) this.#command(`T ${killSignal} ${Number.isFinite(grace) ? Math.round(grace) : -1}\n`);
    const status = await this.wait();
    this.#closeControl();
    const alive = new Set(snapshot.filter((m) => this.#sigkilled.has(m.pid)).map(key));
    return result(status, snapshot, alive, alive.size > 0);
  }
}

function result(status: ExitStatus, snapshot: readonly Member[], alive: Set<string>, escalated: boolean): TreeTermination {
  const members = snapshot.map((m) => ({ ...m, endedBy: alive.has(key(m)) ? ('SIGKILL' as const) : ('killSignal' as const) }));
  return { ...status, members, escalated };
}
