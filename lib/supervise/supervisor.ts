/**
 * supervise(): one program kept running by policy, stopped as a process group.
 */
import { EventEmitter } from 'node:events';
import { illegalConstructor, renamedMethod } from '../errors';
import type { ExitStatus } from '../exit-status';
import { AbortError } from '../spawn/errors';
import { spawn } from '../spawn/spawn';
import type { Subprocess } from '../spawn/handle';
import { ContainedSubprocess, type Containment } from '../contain/contained';
import { validateCommand, validateSignal } from '../validate';
import { validateTerminateOptions, type TerminateOptions } from '../spawn/options';
import { registerLive, unregisterLive, type ExitHookEntry } from './exit-hook';
import { RUNNING_CHILD, trackSupervisor, untrackSupervisor } from './registry';
import { groupMembers, killGroupNow, signalGroup, startKeeper } from './group';
import { validateSupervisorOptions, type SupervisorOptions, type SupervisorSpec } from './options';

/**
 * Where a supervisor is:
 * - `'running'`: a child is running;
 * - `'backoff'`: the child exited and a restart is scheduled;
 * - `'stopping'`: {@link Supervisor.terminate} (or a restart) is ending the child's group;
 * - `'stopped'`: terminated on request, or the child exited and the policy does not restart it;
 * - `'failed'`: gave up (the start limit was reached, or the program could not be started).
 */
export type SupervisorState = 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

/** What an `'exit'` event tells. */
export interface SupervisedExit {
  /** The child that exited. */
  readonly pid: number;
  readonly status: ExitStatus;
  /** How long it ran, in milliseconds. */
  readonly uptime: number;
}

/** What a `'restart'` event tells. */
export interface ScheduledRestart {
  /** Milliseconds until the restart. */
  readonly delay: number;
  /** This restart's number (1 for the first). */
  readonly count: number;
}

/** Why a supervisor gave up (`'failed'` event, {@link Supervisor.failure}). */
export interface SupervisorFailure {
  /** `'start-limit'`: too many restarts within the window; `'spawn'`: the program could not be started. */
  readonly reason: 'start-limit' | 'spawn';
  /** The last child's exit status, if a child ran. */
  readonly status: ExitStatus | undefined;
  /** The spawn error, for `'spawn'`. */
  readonly error: Error | undefined;
}

/** The events of a {@link Supervisor} and their arguments. */
export interface SupervisorEvents {
  /** A child was started. */
  spawn: [pid: number];
  /** The child exited and was reaped (its group is emptied before anything else happens). */
  exit: [exit: SupervisedExit];
  /** A restart was scheduled. */
  restart: [restart: ScheduledRestart];
  /** A restart could not spawn the program (it counts as a failed run). */
  spawnError: [error: Error];
  /** The supervisor gave up. Final. */
  failed: [failure: SupervisorFailure];
  /** The supervisor stopped (on request, or by policy). Final until {@link Supervisor.restart}. */
  stopped: [status: ExitStatus | undefined];
}

const POLL_MS = 20;
/** Only {@link supervise}, which validates the program and its options, holds this. */
const CONSTRUCT = Symbol('Supervisor.construct');
const SIGKILL = 9;

function isFailure(status: ExitStatus): boolean {
  return !(status.kind === 'exited' && status.code === 0);
}

/**
 * A supervised program: one child at a time, restarted by policy with exponential backoff,
 * given up on after a start limit, stopped as a whole process group. Made by
 * {@link supervise}.
 *
 * Events (a Node EventEmitter): `'spawn'` (pid; the first start happens inside
 * {@link supervise}, before any listener: read {@link Supervisor.pid}), `'exit'` ({@link SupervisedExit}),
 * `'restart'` ({@link ScheduledRestart}), `'spawnError'` (Error), `'failed'`
 * ({@link SupervisorFailure}), `'stopped'` (last ExitStatus or undefined). Or await
 * {@link Supervisor.done}.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  /** The program, as given. */
  readonly file: string | Buffer;
  /** Its arguments. */
  readonly args: readonly string[];
  /**
   * The service's name: the `name` option, or the last component of the program's path
   * (the `service` label of its metrics, docs/prometheus.md).
   */
  readonly name: string;

  readonly #spec: SupervisorSpec;
  #state: SupervisorState = 'running';
  #child: Subprocess | undefined;
  #keeper: Subprocess | undefined;
  #pgid = 0;
  #startedAt = 0;
  #restarts = 0;
  #startLimitHits = 0;
  /** Consecutive restarts since the last stable run (the backoff exponent). */
  #consecutive = 0;
  /** When each restart happened (for the start limit). */
  #restartTimes: number[] = [];
  #lastStatus: ExitStatus | undefined;
  #failure: SupervisorFailure | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #stopSent = false;
  /** Whether SIGKILL reached the current child's group (its members are dying). */
  #groupKilled = false;
  /** terminate() calls so far: a restart() that a later terminate() superseded must not start. */
  #stopRequests = 0;
  /** What to do once the current child's group is empty. */
  #after: 'policy' | 'stop' | 'restart' = 'policy';
  #settled: Promise<void> = Promise.resolve();
  #stopWaiters: (() => void)[] = [];
  #doneWaiters: (() => void)[] = [];
  readonly #hook: ExitHookEntry;

  /**
   * @internal Supervisors are made by {@link supervise}, which validates the program and the
   * options first.
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, file: string | Buffer, args: readonly string[], spec: SupervisorSpec) {
    // Before super(): nothing of an EventEmitter is made for a forged call.
    if (token !== CONSTRUCT) throw illegalConstructor();
    super();
    this.file = file;
    this.args = args;
    this.#spec = spec;
    this.name = spec.name ?? defaultName(file);
    this.#hook = {
      killNow: () => {
        const contained = this.#contained();
        if (contained !== undefined) contained.kill('SIGKILL', { tree: true });
        else killGroupNow(this.#child, this.#keeper, this.#pgid);
      },
    };
    this.#start(true);
    trackSupervisor(this);
  }

  /**
   * The mechanism that contains the running child's tree (`'cgroup'` or `'subreaper'`,
   * docs/containment.md), or undefined with `contain: false` or when no child runs.
   */
  get containment(): Containment | undefined {
    return this.#contained()?.containment;
  }

  #contained(): ContainedSubprocess | undefined {
    return this.#child instanceof ContainedSubprocess ? this.#child : undefined;
  }

  /** Where the supervisor is. */
  get state(): SupervisorState {
    return this.#state;
  }

  /** The running child's pid (also its process group id), or undefined. */
  get pid(): number | undefined {
    return this.#child !== undefined && !this.#child.exited ? this.#child.pid : undefined;
  }

  /** How many times the program was restarted (by policy or {@link Supervisor.restart}). */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * How many times the start limit was reached (each time the supervisor became
   * `'failed'`; {@link Supervisor.restart} starts it again, and it may reach it again).
   */
  get startLimitHits(): number {
    return this.#startLimitHits;
  }

  /** The running child, if any, for the metrics' usage figures (lib/metrics/services.ts). @internal */
  [RUNNING_CHILD](): Subprocess | undefined {
    return this.#child !== undefined && !this.#child.exited ? this.#child : undefined;
  }

  /** How the last child ended, once one has. */
  get lastStatus(): ExitStatus | undefined {
    return this.#lastStatus;
  }

  /** Why the supervisor gave up, once it has. */
  get failure(): SupervisorFailure | undefined {
    return this.#failure;
  }

  /**
   * Resolves once the supervisor is `'stopped'` or `'failed'` (at once if it is), with
   * that state. Never rejects. (A restart() afterwards starts a new run; call done() again.)
   */
  done(): Promise<'stopped' | 'failed'> {
    if (this.#state === 'stopped' || this.#state === 'failed') return Promise.resolve(this.#state);
    return new Promise((resolve) => this.#doneWaiters.push(() => resolve(this.#state as 'stopped' | 'failed')));
  }

  /**
   * Sends a signal to the child's whole process group (and to the child through its pidfd,
   * should it have left the group). The group is signalled only while its id is known to
   * be the child's (see docs/supervise.md, "process groups").
   * @param signal - a signal name or number (default `'SIGTERM'`).
   * Sends that one signal and nothing more (no SIGKILL later, no state change): the way
   * to end gracefully is {@link Supervisor.terminate}.
   * @returns whether anything was signalled (false when no child runs).
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
   *   signal; EPERM when no member may be signalled.
   * @see killpg(3), pidfd_send_signal(2)
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const signo = validateSignal(signal, 'signal');
    if (this.#child === undefined) return false;
    const contained = this.#contained();
    if (contained !== undefined) return contained.kill(signo, { tree: true });
    const sent = signalGroup(this.#child, this.#keeper, this.#pgid, signo);
    if (sent && signo === SIGKILL) this.#groupKilled = true;
    return sent;
  }

  /**
   * Ends the program gracefully: `killSignal` to the child's whole process group, SIGKILL
   * to the group after `killGracePeriod` if members remain, and resolves once the child is
   * reaped and the group is empty (its grandchildren included); the state is then
   * `'stopped'`. In `'backoff'` it cancels the pending restart. A terminated program is not
   * restarted; {@link Supervisor.restart} starts it again.
   * @param options - `killSignal` and `killGracePeriod` for this call (default: those given
   *   to {@link supervise}); ignored when an ending is already under way.
   * @returns the last child's exit status (undefined when none ran). Never rejects: a
   *   member that may not be signalled (EPERM) is waited for.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad
   *   options (thrown, not rejected).
   * @see killpg(3), pidfd_send_signal(2), docs/supervise.md
   */
  terminate(options?: TerminateOptions): Promise<ExitStatus | undefined> {
    const o = validateTerminateOptions(options, this.#spec.killSignal, this.#spec.killGracePeriod);
    return this.#terminate(o.killSignal, o.killGracePeriod);
  }

  async #terminate(killSignal: number, killGracePeriod: number): Promise<ExitStatus | undefined> {
    if (this.#state === 'stopped' || this.#state === 'failed') return this.#lastStatus;
    this.#stopRequests++;
    if (this.#state === 'backoff') {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = undefined;
      this.#finish('stopped');
      return this.#lastStatus;
    }
    this.#after = 'stop';
    const stopped = new Promise<void>((resolve) => this.#stopWaiters.push(resolve));
    if (this.#state === 'running') {
      this.#state = 'stopping';
      this.#beginStop(killSignal, killGracePeriod);
    }
    await stopped;
    return this.#lastStatus;
  }

  /**
   * Restarts the program now: ends the running child as {@link Supervisor.terminate} does (in
   * `'backoff'`, cancels the wait), then starts it again at once. Such a restart does not
   * count toward the start limit and resets the backoff. From `'stopped'` or `'failed'` it
   * starts the program afresh.
   * @returns the new child's pid.
   * @throws (rejects with) the spawn error (`execve` ENOENT, EACCES... with `path`) when
   *   the program cannot be started; the supervisor is then `'failed'`. AbortError
   *   (`ABORT_ERR`) when {@link Supervisor.terminate} was called while this restart was
   *   ending the child: the later terminate wins and nothing is started.
   * @see killpg(3), docs/supervise.md
   */
  async restart(): Promise<number> {
    trackSupervisor(this);
    if (this.#state === 'running' || this.#state === 'stopping') {
      const stopRequests = this.#stopRequests;
      if (this.#state === 'running') {
        this.#state = 'stopping';
        this.#beginStop();
      }
      if (this.#after !== 'stop') this.#after = 'restart';
      const stopped = new Promise<void>((resolve) => this.#stopWaiters.push(resolve));
      await stopped;
      if (this.#stopRequests !== stopRequests) throw new AbortError('restart() was superseded by a later terminate()');
      if ((this.#state as SupervisorState) === 'running' && this.#child !== undefined) return this.#child.pid;
    }
    if (this.#state === 'backoff') this.#restarts++; // the scheduled restart, made now
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    this.#consecutive = 0;
    this.#restartTimes = [];
    this.#failure = undefined;
    this.#start(true);
    return (this.#child as Subprocess).pid;
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /**
   * Spawns the child and its group keeper. `manual` (the first start, restart()): a spawn
   * error fails the supervisor and is thrown; otherwise it counts as a failed run.
   */
  #start(manual: boolean): void {
    let child: Subprocess;
    try {
      child = spawn(this.file, this.args, this.#spec.spawn);
    } catch (e) {
      this.#child = undefined;
      if (manual) {
        this.#fail({ reason: 'spawn', status: this.#lastStatus, error: e as Error });
        throw e;
      }
      this.emit('spawnError', e as Error);
      this.#afterExit(0, true);
      return;
    }
    registerLive(this.#hook);
    this.#child = child;
    this.#pgid = child.pid;
    // A contained tree needs no group keeper: its cgroup or shepherd holds every member.
    this.#keeper = child instanceof ContainedSubprocess ? undefined : startKeeper(child.pid);
    this.#startedAt = Date.now();
    this.#stopSent = false;
    this.#groupKilled = false;
    this.#after = 'policy';
    this.#state = 'running';
    child.wait().then(
      (status) => void this.#onChildExit(child, status),
      () => void this.#onChildExit(child, undefined),
    );
    this.emit('spawn', child.pid);
  }

  /** `killSignal` to the group now, SIGKILL after `killGracePeriod`. */
  #beginStop(killSignal = this.#spec.killSignal, killGracePeriod = this.#spec.killGracePeriod): void {
    if (this.#stopSent) return;
    this.#stopSent = true;
    const contained = this.#contained();
    if (contained !== undefined) {
      contained.terminate({ killSignal, killGracePeriod }).catch(() => undefined);
      return;
    }
    this.#signalSafely(killSignal);
    if (Number.isFinite(killGracePeriod)) {
      this.#killTimer = setTimeout(() => this.#signalSafely(SIGKILL), killGracePeriod);
    }
  }

  #signalSafely(signo: number): void {
    try {
      if (signalGroup(this.#child, this.#keeper, this.#pgid, signo) && signo === SIGKILL) this.#groupKilled = true;
    } catch {
      // EPERM: a member changed credentials; the drain waits for it up to SIGKILL
    }
  }

  async #onChildExit(child: Subprocess, status: ExitStatus | undefined): Promise<void> {
    const uptime = Date.now() - this.#startedAt;
    if (status !== undefined) {
      this.#lastStatus = status;
      this.emit('exit', { pid: child.pid, status, uptime });
    }
    // What is left of the group goes before anything else: no piling-up of grandchildren.
    await this.#drainGroup();
    clearTimeout(this.#killTimer);
    this.#killTimer = undefined;
    const keeper = this.#keeper;
    this.#keeper = undefined;
    if (keeper !== undefined) {
      keeper.ref(); // unref'd while the child ran; its reaping must keep the loop alive
      keeper.kill(SIGKILL);
      await keeper.wait().catch(() => undefined);
    }
    unregisterLive(this.#hook);
    const after = this.#after;
    const waiters = this.#stopWaiters;
    this.#stopWaiters = [];
    if (after === 'stop') {
      this.#finish('stopped');
    } else if (after === 'restart') {
      this.#restarts++;
      this.#consecutive = 0;
      this.#start(false);
    } else {
      this.#afterExit(uptime, status === undefined);
    }
    for (const w of waiters) w();
  }

  /** Waits until no member but the keeper is left; signals the leftovers if needed. */
  async #drainGroup(): Promise<void> {
    const contained = this.#contained();
    if (contained !== undefined) {
      // The whole tree, however it detached; the same sequence as a stop when members remain.
      await contained
        .terminate({ killSignal: this.#spec.killSignal, killGracePeriod: this.#spec.killGracePeriod })
        .catch(() => undefined);
      return;
    }
    const keeperPid = this.#keeper?.pid ?? -1;
    let members = this.#members(keeperPid);
    if (members.length === 0) return;
    this.#beginStop(); // leftovers after the leader exited: the same sequence as a stop
    while (members.length > 0) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      members = this.#members(keeperPid);
    }
  }

  #members(keeperPid: number): number[] {
    // Without a keeper, nothing could be signalled once the leader is gone: do not wait.
    // With one, keep looking even after the SIGKILL escalation killed it too (its exit
    // watch may reap it before the SIGKILLed members have finished dying). Looking only
    // observes: every signal is guarded by signalGroup's own check. A keeper that died
    // otherwise (killed from outside) pins nothing: the leftovers can no longer be
    // signalled, and waiting for them would never end.
    if (this.#keeper === undefined) return [];
    if (!this.#groupKilled && !this.#keeper.kill(0)) return [];
    return groupMembers(this.#pgid, keeperPid);
  }

  /**
   * The policy's decision once a child exited by itself. `unknown`: no status (a restart
   * could not spawn, or the child was reaped elsewhere): a failed run.
   */
  #afterExit(uptime: number, unknown: boolean): void {
    const status = this.#lastStatus;
    const restart =
      this.#spec.restart === 'always' ||
      (this.#spec.restart === 'on-failure' && (unknown || status === undefined || isFailure(status)));
    if (!restart) {
      this.#finish('stopped');
      return;
    }
    if (uptime >= this.#spec.resetAfter) this.#consecutive = 0;
    const now = Date.now();
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < this.#spec.window);
    if (this.#restartTimes.length >= this.#spec.maxRestarts) {
      this.#fail({ reason: 'start-limit', status, error: undefined });
      return;
    }
    const delay = Math.min(this.#spec.backoffInitial * this.#spec.backoffFactor ** this.#consecutive, this.#spec.backoffMax);
    // Once the cap is reached the exponent stops growing (factor ** n would overflow to
    // Infinity, and 0 * Infinity is NaN, after about a thousand restarts in a row).
    if (delay > 0 && delay < this.#spec.backoffMax) this.#consecutive++;
    this.#state = 'backoff';
    this.#child = undefined;
    const count = this.#restarts + 1;
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#restarts++;
      this.#restartTimes.push(Date.now());
      this.#start(false);
    }, delay);
    this.emit('restart', { delay, count });
  }

  #fail(failure: SupervisorFailure): void {
    this.#failure = failure;
    if (failure.reason === 'start-limit') this.#startLimitHits++;
    this.#state = 'failed';
    this.#child = undefined;
    unregisterLive(this.#hook);
    this.emit('failed', failure);
    this.#resolveDone();
  }

  #finish(state: 'stopped'): void {
    this.#state = state;
    untrackSupervisor(this);
    unregisterLive(this.#hook);
    this.emit('stopped', this.#lastStatus);
    this.#resolveDone();
  }

  #resolveDone(): void {
    const waiters = this.#doneWaiters;
    this.#doneWaiters = [];
    for (const w of waiters) w();
  }
}

renamedMethod(Supervisor.prototype, 'Supervisor', 'stop', 'terminate');

/** The last component of a program's path (its name when none is given). */
function defaultName(file: string | Buffer): string {
  const s = typeof file === 'string' ? file : file.toString('utf8');
  const base = s.slice(s.lastIndexOf('/') + 1);
  return base.length > 0 ? base : s;
}
renamedMethod(Supervisor.prototype, 'Supervisor', 'signal', 'kill');

/**
 * Starts `file` with `args` under supervision and returns its {@link Supervisor}.
 *
 * - The child leads its own process group (the unit that is signalled and stopped), gets
 *   PR_SET_PDEATHSIG=SIGKILL (it dies if this process is killed), and is spawned by
 *   {@link spawn} (clean signals, fds 0..2 only, lineage record).
 * - When the child exits, what is left of its group is ended (`killSignal`, then
 *   SIGKILL after `killGracePeriod`) before the policy decides; a restart waits
 *   `backoff.initial * backoff.factor^(n-1)` (at most `backoff.max`) for the n-th
 *   consecutive restart; a run of at least `backoff.resetAfter` resets n; more than
 *   `startLimit.maxRestarts` restarts within `startLimit.window` ms: state `'failed'`.
 * - If this process exits (normally, by an uncaught exception, or by SIGTERM/SIGINT/SIGHUP
 *   with no other listener), every supervised group is SIGKILLed synchronously. If it is
 *   SIGKILLed, the children die of their parent-death signal, and their group is hung up
 *   by the kernel (see docs/supervise.md for the exact limits).
 *
 * @param file - the program (a path, or a name searched in PATH).
 * @param args - its arguments.
 * @param options - see {@link SupervisorOptions}.
 * @returns the supervisor, in state `'running'`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument or option (an unknown policy, a factor below 1, `stdio: 'pipe'`, a signal
 *   0, an unknown or renamed key such as `stopSignal` or `uid`, a `user` or `group` name
 *   the databases do not have...); the spawn error of the first
 *   start (`execve` ENOENT/EACCES with `path`, `chdir`
 *   with `path`, `setgroups`/`setgid`/`setuid` EPERM...).
 * @see spawn, killpg(3), prctl(2) PR_SET_PDEATHSIG, setpgid(2), docs/supervise.md
 */
export function supervise(file: string | Buffer, args?: readonly string[], options?: SupervisorOptions): Supervisor {
  const { file: path, args: argList } = validateCommand(file, args);
  const spec = validateSupervisorOptions(options);
  return new Supervisor(CONSTRUCT, path, argList, spec);
}
