/**
 * The leak guard: makes this process a child subreaper, remembers which descendants were
 * already there, and later reports (and can kill and reap) every descendant that was not.
 *
 * What counts as a leak: a process that, when the check runs, is a descendant of the guard's
 * process (a child, a grandchild..., or an orphan the kernel re-parented to it because it is
 * a child subreaper), is alive or a zombie, and was not a descendant when the guard started.
 * Not leaks: adopted orphans that have already exited (the check reaps them), zombies of
 * children this process started itself (their owner, libuv or spawn(), reaps them), and
 * whatever the `ignore` predicate accepts.
 *
 * Reaping: only adopted orphans, each by its own pid (waitpid(pid, WNOHANG)), never with
 * an "any child" wait: libuv reaps its children by pid and loses one that someone else
 * reaped (its 'exit' never fires). A child is "adopted" when its ppid is this process,
 * it was not there at the start, and neither child_process nor unixproc's spawn()/
 * posix_spawn started it (lib/os/foreign-children.ts, lib/own-children.ts).
 * @see prctl(2) PR_SET_CHILD_SUBREAPER, wait(2), proc(5)
 */
import { isMainThread } from 'node:worker_threads';
import { illegalConstructor, invalidState, isErrnoException, renamedMethod, workerUnsupported } from '../errors';
import { nameOfSignal } from '../exit-status';
import { Extra } from '../proc/binding';
import { validateProcfsOptions } from '../proc/options';
import { getProcess, readEntry, readOne } from '../proc/table';
import { children, descendants } from '../proc/tree';
import { hasEnded } from '../proc/process-info';
import type { ProcessInfo, ProcessRef } from '../proc/process-info';
import { isForeignChild } from '../os/foreign-children';
import { isOwnChild } from '../own-children';
import { isExitingKeeper, isOwnKeeper } from '../contain/owner';
import { describeHelper } from '../helper-process';
import { optionKeys, validateBoolean, validateFunction, validateInteger, validateKillSignal, validateOptions } from '../validate';
import type { LeakedProcess, LeakParent, LeakRelation, LeakReport, ReapedProcess } from './report';
import { FirstSightHandles, reapPid } from './signal';
import { isChildSubreaper, ownPid, setChildSubreaper } from './subreaper';

/** /proc, resolved once. */
const DEFAULT_OPTS = validateProcfsOptions(undefined);

/** Options of {@link startLeakGuard}. */
export interface LeakGuardOptions {
  /**
   * Leave a process out of every report, and never signal or reap it, when this returns
   * true (e.g. a test runner's own workers). Its descendants are still examined.
   */
  readonly ignore?: (process: LeakedProcess) => boolean;
  /**
   * Make this process a child subreaper (default true), so that orphans of its descendants
   * are re-parented here and seen. Without it, an orphan escapes to PID 1 (or a nearer
   * subreaper) and only processes still attached to this tree are found.
   */
  readonly subreaper?: boolean;
}

/** Options of {@link LeakGuard.cleanup}. */
export interface LeakCleanupOptions {
  /** The first signal sent to each leaked process (default `'SIGTERM'`). */
  readonly killSignal?: NodeJS.Signals | number;
  /** Milliseconds between `killSignal` and SIGKILL (default 1000; 0 sends SIGKILL at once). */
  readonly killGracePeriod?: number;
}

/** One signal the clean-up sent. */
export interface LeakSignalSent {
  readonly pid: number;
  readonly startTime: number;
  readonly comm: string;
  /** The signal's name: the clean-up's `killSignal` (`'SIGTERM'` by default) or `'SIGKILL'`. */
  readonly signal: string;
}

/** What {@link LeakGuard.cleanup} did. */
export interface LeakCleanupResult {
  /** Every signal sent, in order (each through a pidfd, after an identity check). */
  readonly signaled: readonly LeakSignalSent[];
  /** Adopted orphans reaped during the clean-up. */
  readonly reaped: readonly ReapedProcess[];
  /** A last check: `ok` unless something could not be killed (EPERM, uninterruptible sleep...). */
  readonly remaining: LeakReport;
}

/** Options of {@link LeakGuard.cleanupSync}. */
export interface LeakCleanupSyncOptions {
  /** Milliseconds to keep killing and reaping (default 2000). */
  readonly timeout?: number;
}

const GUARD_OPTION_KEYS = optionKeys<LeakGuardOptions>({ ignore: true, subreaper: true });
const CLEANUP_OPTION_KEYS = optionKeys<LeakCleanupOptions>({ killSignal: true, killGracePeriod: true });
const CLEANUP_SYNC_OPTION_KEYS = optionKeys<LeakCleanupSyncOptions>({ timeout: true });

const SIGKILL = 9;
const SIGTERM = 15;
const SIGCONT = 18;
const POLL_MS = 20;
/** How long SIGKILLed processes get to die (an uninterruptible sleep can delay it). */
const KILL_WAIT_MS = 2000;
/** Rounds of clean-up: a killed process's children are re-parented and found next round. */
const MAX_ROUNDS = 5;

const key = (r: ProcessRef): string => `${r.pid}:${r.startTime}`;
/** Only {@link startLeakGuard}, which validates its options and the thread, holds this. */
const CONSTRUCT = Symbol('LeakGuard.construct');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A process below a guard as its report shows it: the scan's fields, its command line (read
 * again, kept only when the pid is still that process: an ended or reused pid gives none),
 * how it relates to the guard, and its parent. The one shape the whole-run check and the
 * per-file checks (./file-check.ts) report. @internal
 */
export function leakedEntry(p: ProcessInfo, relation: LeakRelation, parent: LeakParent | undefined): LeakedProcess {
  let cmdline: readonly string[] = [];
  if (!hasEnded(p)) {
    try {
      // Stat and cmdline only (getProcess would also read exe, cwd, status and the fds).
      const d = readOne(DEFAULT_OPTS, p.pid, Extra.cmdline)?.info;
      // The pid may have been reused since the scan: keep only its own arguments.
      if (d !== undefined && d.startTime === p.startTime && d.cmdline !== undefined) cmdline = d.cmdline;
    } catch (e) {
      if (!isErrnoException(e)) throw e; // EACCES (hidepid): no cmdline
    }
  }
  const helper = describeHelper(cmdline);
  return Object.freeze({
    pid: p.pid,
    startTime: p.startTime,
    ppid: p.ppid,
    state: p.state,
    comm: p.comm,
    cmdline,
    relation,
    parent: parent === undefined ? undefined : Object.freeze(parent),
    ...(helper === undefined ? {} : { helper }),
  });
}

/**
 * A running leak guard. Made by {@link startLeakGuard}.
 */
export class LeakGuard {
  /** The guarding process's pid. */
  readonly pid: number;
  /** The descendants that were there when the guard started: never reported. */
  readonly baseline: readonly ProcessRef[];
  readonly #baselineKeys: Set<string>;
  readonly #ignore: ((process: LeakedProcess) => boolean) | undefined;
  readonly #wasSubreaper: boolean;
  readonly #madeSubreaper: boolean;
  #disposed = false;

  /**
   * @internal Guards are made by {@link startLeakGuard}.
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, ignore: ((process: LeakedProcess) => boolean) | undefined, subreaper: boolean) {
    if (token !== CONSTRUCT) throw illegalConstructor();
    this.pid = ownPid();
    this.#ignore = ignore;
    this.#wasSubreaper = isChildSubreaper();
    if (subreaper && !this.#wasSubreaper) setChildSubreaper(true);
    this.#madeSubreaper = subreaper && !this.#wasSubreaper;
    // After the flag is set: an orphan made between the scan and the prctl would otherwise
    // go to init unseen, and one made after the scan is (rightly) new.
    const base = descendants(this.pid).map((p) => ({ pid: p.pid, startTime: p.startTime }));
    this.baseline = Object.freeze(base.map((r) => Object.freeze(r)));
    this.#baselineKeys = new Set(base.map(key));
  }

  /** Whether {@link dispose} has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #assertUsable(method: string): void {
    if (this.#disposed) throw invalidState(`LeakGuard.${method}() called after dispose()`);
    if (ownPid() !== this.pid) {
      throw invalidState(`LeakGuard.${method}() called in a forked child; the guard belongs to ${this.pid}`);
    }
  }

  /** Whether `pid`, a child of this process, was started here (so its owner reaps it). */
  #isOwnChild(pid: number): boolean {
    return isForeignChild(pid) || isOwnChild(pid);
  }

  /** The guard's own process, read once per scan (for the `parent` of its children). */
  #selfInfo: ProcessInfo | undefined | null = null;
  #self(): ProcessInfo | undefined {
    if (this.#selfInfo === null) this.#selfInfo = getProcess(this.pid);
    return this.#selfInfo;
  }

  /** One scan: new descendants, classified; adopted zombies are reaped, not reported. */
  #scan(): LeakReport {
    this.#selfInfo = null;
    const all = descendants(this.pid);
    const byPid = new Map(all.map((p) => [p.pid, p] as const));
    const leaked: LeakedProcess[] = [];
    const zombies: LeakedProcess[] = [];
    const reaped: ReapedProcess[] = [];
    for (const p of all) {
      if (this.#baselineKeys.has(key(p))) continue;
      const direct = p.ppid === this.pid;
      const own = direct && this.#isOwnChild(p.pid);
      const zombie = hasEnded(p);
      // A zombie of our own child: libuv or spawn() is about to reap it; never touch it.
      if (zombie && own) continue;
      const relation: LeakRelation = direct ? (own ? 'child' : 'adopted') : 'descendant';
      const entry = this.#entry(p, relation, byPid);
      // This process's cgroup keeper (lib/contain) lives as long as it does, by design; one
      // whose owner is gone is removing its cgroups and exits on its own.
      if (!zombie && ((direct && isOwnKeeper(entry.cmdline)) || isExitingKeeper(entry.cmdline))) continue;
      if (this.#ignore !== undefined && this.#ignore(entry)) continue;
      if (zombie && relation === 'adopted') {
        // An orphan that ended after it was adopted: ours to reap, by its pid, and done.
        const status = reapPid(p.pid);
        if (status !== undefined) {
          reaped.push(Object.freeze({ pid: p.pid, comm: p.comm, status }));
          continue;
        }
      }
      (zombie ? zombies : leaked).push(entry);
    }
    return Object.freeze({
      ok: leaked.length === 0 && zombies.length === 0,
      guardPid: this.pid,
      leaked: Object.freeze(leaked),
      zombies: Object.freeze(zombies),
      reaped: Object.freeze(reaped),
    });
  }

  #entry(p: ProcessInfo, relation: LeakRelation, byPid: Map<number, ProcessInfo>): LeakedProcess {
    let parent: LeakParent | undefined;
    if (p.ppid === this.pid) {
      const self = this.#self();
      if (self !== undefined) parent = { pid: this.pid, comm: self.comm, state: self.state, isGuard: true };
    } else {
      const q = byPid.get(p.ppid);
      if (q !== undefined) parent = { pid: q.pid, comm: q.comm, state: q.state, isGuard: false };
    }
    return leakedEntry(p, relation, parent);
  }

  /**
   * Looks for processes left behind: every descendant of this process (children,
   * grandchildren, orphans adopted through the subreaper) that is alive or a zombie and
   * was not there when the guard started. Adopted orphans that have already exited are
   * reaped (by pid) and listed in `reaped`, not as leaks.
   * @throws ERR_INVALID_STATE after {@link dispose} or in a forked child; ENOENT/EACCES when
   *   /proc cannot be read.
   * @see proc(5), wait(2)
   */
  check(): LeakReport {
    this.#assertUsable('check');
    return this.#scan();
  }

  /**
   * Reaps adopted orphans that have exited, each by its pid with waitpid(pid, WNOHANG).
   * Call it now and then while descendants run (the CLI does on SIGCHLD), so that the
   * guard's process does not accumulate zombies of what it adopted.
   * @returns what was reaped.
   * @throws ERR_INVALID_STATE after {@link dispose} or in a forked child.
   * @see wait(2)
   */
  reapAdopted(): readonly ReapedProcess[] {
    this.#assertUsable('reapAdopted');
    // Only this process's children are looked at, and only zombies get an entry built: this
    // runs on every SIGCHLD while a whole test run may be going on below.
    const reaped: ReapedProcess[] = [];
    for (const p of children(this.pid)) {
      if (!hasEnded(p) || this.#baselineKeys.has(key(p)) || this.#isOwnChild(p.pid)) continue;
      if (this.#ignore !== undefined && this.#ignore(this.#entry(p, 'adopted', new Map()))) continue;
      const status = reapPid(p.pid);
      if (status !== undefined) reaped.push(Object.freeze({ pid: p.pid, comm: p.comm, status }));
    }
    return Object.freeze(reaped);
  }

  /**
   * Checks every `interval` ms until the check is ok or `timeout` ms have passed, and
   * resolves with the last report. For processes that are on their way out (a test
   * runner's workers, a child killed a moment ago).
   * @param timeout - milliseconds, 0 to 2**31 - 1.
   * @param interval - milliseconds between checks, 1 to 2**31 - 1 (default 50).
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument; ERR_INVALID_STATE
   *   after {@link dispose}.
   */
  async settle(timeout: number, interval = 50): Promise<LeakReport> {
    // setTimeout's range, as for cleanup()'s killGracePeriod: a longer delay fires after 1 ms.
    const t = validateInteger(timeout, 'timeout', 0, 2 ** 31 - 1);
    const step = validateInteger(interval, 'interval', 1, 2 ** 31 - 1);
    this.#assertUsable('settle');
    const deadline = Date.now() + t;
    for (;;) {
      const report = this.#scan();
      if (report.ok || Date.now() >= deadline) return report;
      await sleep(Math.min(step, Math.max(1, deadline - Date.now())));
    }
  }

  /**
   * Kills what was left behind and reaps what was adopted, so that even a failing run
   * leaves nothing: `killSignal` (and SIGCONT, for stopped processes) to each leaked
   * process, SIGKILL after `killGracePeriod` ms to those still alive, each through a pidfd after an identity
   * check (a recycled pid is never signalled). A zombie goes away when its holder is
   * killed: it is re-parented here and reaped. Repeats while killing uncovers more
   * (children re-parented from a killed parent, processes forked meanwhile).
   * @param options - `killSignal` (default `'SIGTERM'`), `killGracePeriod`: ms between it
   *   and SIGKILL (default 1000).
   * A process this one may not signal (EPERM, kill(2)'s permission rule) is skipped and stays
   * in `remaining`, so the result still names it.
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options; ERR_INVALID_STATE after
   *   {@link dispose}.
   * @see pidfd_send_signal(2), kill(2), wait(2)
   */
  async cleanup(options?: LeakCleanupOptions): Promise<LeakCleanupResult> {
    const o = validateOptions<LeakCleanupOptions>(options, 'options', CLEANUP_OPTION_KEYS, { grace: 'killGracePeriod' });
    const killSignal = o.killSignal === undefined ? SIGTERM : validateKillSignal(o.killSignal, 'options.killSignal');
    // setTimeout's range, as for settle()'s timeout.
    const grace =
      o.killGracePeriod === undefined ? 1000 : validateInteger(o.killGracePeriod, 'options.killGracePeriod', 0, 2 ** 31 - 1);
    this.#assertUsable('cleanup');
    const signaled: LeakSignalSent[] = [];
    const reaped: ReapedProcess[] = [];
    const denied = new Set<string>();
    // A pidfd per process from its first signal on: the SIGCONT and the SIGKILL after
    // killGracePeriod go through it, whatever took the pid meanwhile (lib/guard/signal.ts).
    const handles = new FirstSightHandles();
    const send = (p: LeakedProcess, signo: number): boolean => {
      const outcome = handles.signal(p, signo);
      if (outcome === 'denied') denied.add(key(p));
      if (outcome !== 'sent') return false;
      signaled.push(Object.freeze({ pid: p.pid, startTime: p.startTime, comm: p.comm, signal: nameOfSignal(signo) }));
      return true;
    };
    let report = this.#scan();
    reaped.push(...report.reaped);
    try {
      for (let round = 0; round < MAX_ROUNDS && !report.ok; round++) {
        const targets = report.leaked.filter((p) => (grace > 0 ? send(p, killSignal) : true));
        if (grace > 0) for (const p of targets) handles.signal(p, SIGCONT);
        const alive = await this.#waitGone(targets, grace, reaped);
        for (const p of alive) send(p, SIGKILL);
        await this.#waitGone(alive, KILL_WAIT_MS, reaped);
        report = this.#scan();
        reaped.push(...report.reaped);
        if (report.leaked.length === 0 && report.zombies.length > 0) {
          // Zombies whose holders are not ours to kill (baseline, ignored): nothing more to do.
          break;
        }
        // What is left may not be signalled by this process: another round cannot help.
        if (report.leaked.every((p) => denied.has(key(p)))) break;
      }
    } finally {
      handles.close();
    }
    return Object.freeze({ signaled: Object.freeze(signaled), reaped: Object.freeze(reaped), remaining: report });
  }

  /**
   * {@link cleanup} for places that cannot wait for a Promise (a `process.on('exit')`
   * handler): SIGKILL at once to every leaked process (identity-checked, through a pidfd),
   * then reaps what was adopted, re-checking until nothing is left or `timeout` ms have
   * passed. Blocks the thread meanwhile (Atomics.wait between checks).
   * @param options - `timeout`: ms to keep killing and reaping (default 2000).
   * @returns like {@link cleanup}.
   * A process this one may not signal (EPERM) is skipped and stays in `remaining`.
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options; ERR_INVALID_STATE after
   *   {@link dispose}.
   * @see pidfd_send_signal(2), wait(2)
   */
  cleanupSync(options?: LeakCleanupSyncOptions): LeakCleanupResult {
    const o = validateOptions<LeakCleanupSyncOptions>(options, 'options', CLEANUP_SYNC_OPTION_KEYS);
    const timeout = o.timeout === undefined ? KILL_WAIT_MS : validateInteger(o.timeout, 'options.timeout', 0, 2 ** 31 - 1);
    this.#assertUsable('cleanupSync');
    const signaled: LeakSignalSent[] = [];
    const reaped: ReapedProcess[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + timeout;
    let report = this.#scan();
    reaped.push(...report.reaped);
    const killed = new Set<string>();
    let onlyZombies = 0;
    const handles = new FirstSightHandles();
    try {
      while (!report.ok && Date.now() < deadline) {
        for (const p of report.leaked) {
          if (killed.has(key(p))) continue;
          if (handles.signal(p, SIGKILL) === 'sent') {
            killed.add(key(p));
            signaled.push(Object.freeze({ pid: p.pid, startTime: p.startTime, comm: p.comm, signal: 'SIGKILL' as const }));
          }
        }
        Atomics.wait(pause, 0, 0, POLL_MS);
        report = this.#scan();
        reaped.push(...report.reaped);
        // Zombies whose holders are not ours to kill (baseline, ignored) stay: stop once a
        // second scan in a row finds nothing alive (the first may see zombies in transit).
        onlyZombies = report.leaked.length === 0 ? onlyZombies + 1 : 0;
        if (onlyZombies >= 2) break;
      }
    } finally {
      handles.close();
    }
    return Object.freeze({ signaled: Object.freeze(signaled), reaped: Object.freeze(reaped), remaining: report });
  }

  /** Waits up to `ms` for `procs` to end (reaping adopted ones); returns those still alive. */
  async #waitGone(procs: readonly LeakedProcess[], ms: number, reaped: ReapedProcess[]): Promise<LeakedProcess[]> {
    const deadline = Date.now() + ms;
    let alive = [...procs];
    for (;;) {
      reaped.push(...this.#scan().reaped);
      alive = alive.filter((p) => isAlive(p));
      if (alive.length === 0 || Date.now() >= deadline) return alive;
      await sleep(POLL_MS);
    }
  }

  /**
   * Stops guarding (and only that): clears the child-subreaper flag if the guard set it.
   * Kills nothing; call {@link cleanup} first for that. Once disposed, the guard's other
   * methods throw ERR_INVALID_STATE. Calling it again does nothing.
   * @throws what prctl(2) reports (never in practice).
   * @see prctl(2) PR_SET_CHILD_SUBREAPER
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#madeSubreaper && ownPid() === this.pid) setChildSubreaper(false);
  }
}

renamedMethod(LeakGuard.prototype, 'LeakGuard', 'stop', 'dispose');

/** Alive = same process and not yet a zombie (a zombie is dead; its holder is the problem). */
function isAlive(ref: LeakedProcess): boolean {
  try {
    const p = readEntry(DEFAULT_OPTS, ref.pid); // the stat alone
    return p !== undefined && p.readable && p.startTime === ref.startTime && !hasEnded(p);
  } catch (e) {
    if (isErrnoException(e)) return false;
    throw e;
  }
}

/**
 * Starts a leak guard in this process: makes it a child subreaper (so every orphan its
 * descendants leave is re-parented here, where it can be seen and reaped) and records the
 * descendants that exist now, by identity (pid + start time), as the baseline.
 *
 * @example
 * ```ts
 * const guard = startLeakGuard();
 * await runTheThing();
 * const report = guard.check();
 * if (!report.ok) {
 *   console.error(formatLeakReport(report));
 *   await guard.cleanup();
 * }
 * guard.dispose();
 * ```
 * @param options - `ignore` (predicate), `subreaper` (default true).
 * @throws ERR_INVALID_ARG_TYPE for bad options; ERR_WORKER_UNSUPPORTED_OPERATION in a worker
 *   thread (start the guard in the main thread); EINVAL/EPERM from prctl(2); ENOENT/EACCES
 *   when /proc cannot be read.
 * @see prctl(2) PR_SET_CHILD_SUBREAPER, wait(2), proc(5)
 */
export function startLeakGuard(options?: LeakGuardOptions): LeakGuard {
  const o = validateOptions<LeakGuardOptions>(options, 'options', GUARD_OPTION_KEYS);
  const ignore = o.ignore === undefined ? undefined : (validateFunction(o.ignore, 'options.ignore') as (p: LeakedProcess) => boolean);
  const subreaper = o.subreaper === undefined ? true : validateBoolean(o.subreaper, 'options.subreaper');
  // The children a worker thread knows as its own (child_process, spawn()) are not the ones
  // the main thread knows, yet all are children of the one process: a guard in either thread
  // would take the other's children for adopted orphans, report and kill them, and reap
  // their exits from under libuv.
  if (!isMainThread) {
    throw workerUnsupported('startLeakGuard()', "a guard is per process and needs the main thread's registry of owned children");
  }
  return new LeakGuard(CONSTRUCT, ignore, subreaper);
}
