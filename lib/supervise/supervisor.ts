/**
 * supervise(): one program kept running by policy, stopped as a process group.
 */
import { EventEmitter } from 'node:events';
import { illegalConstructor, renamedMethod } from '../errors';
import type { ExitStatus } from '../exit-status';
import { AbortError } from '../spawn/errors';
import { spawnService } from '../spawn/spawn';
import type { Subprocess } from '../spawn/handle';
import { ContainedSubprocess, type Containment } from '../contain/contained';
import { validateCommand, validateSignal } from '../validate';
import { validateTerminateOptions, type TerminateOptions } from '../spawn/options';
import { registerLive, unregisterLive, type ExitHookEntry } from './exit-hook';
import { RUNNING_CHILD, trackSupervisor, untrackSupervisor } from './registry';
import { groupMembers, killGroupNow, signalGroup, startKeeper } from './group';
import { validateSupervisorOptions, type SupervisorOptions, type SupervisorSpec } from './options';
import { NotifySocket, type ReceivedNotification } from './notify-socket';
import type { NotifyMessage } from './notify-message';
import { treeStat } from '../contain/tree-stat';
import { ReadyFdPipe } from './ready-fd';
import type { Readable } from 'node:stream';
import { JoinedOutput, endedWithin, type OutputSource } from './output';

/**
 * Where a supervisor is:
 * - `'starting'`: a child was started and is not ready yet (see the `ready` option);
 * - `'running'`: a child is running, and is ready;
 * - `'backoff'`: the child exited and a restart is scheduled;
 * - `'stopping'`: {@link Supervisor.terminate} (or a restart) is ending the child's group;
 * - `'stopped'`: terminated on request, or the child exited and the policy does not restart it;
 * - `'failed'`: gave up (the start limit was reached, or the program could not be started).
 */
export type SupervisorState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

/**
 * Why a child ended (`'exit'` event):
 * - `'exited'`: by itself;
 * - `'terminated'`: {@link Supervisor.terminate} or {@link Supervisor.restart} ended it;
 * - `'ready-timeout'`: it was not ready within `readyTimeout`, and the supervisor ended it;
 * - `'watchdog'`: it stopped sending `WATCHDOG=1` (or sent `WATCHDOG=trigger`), and the
 *   supervisor ended it.
 * The last two are failures for the restart policy, whatever the exit status.
 */
export type ExitReason = 'exited' | 'terminated' | 'ready-timeout' | 'watchdog';

/**
 * What every event of a {@link Supervisor} carries as its last argument: the service it
 * comes from (a group of supervisors can share one listener).
 */
export interface ServiceEvent {
  /** The service's name ({@link Supervisor.name}). */
  readonly name: string;
}

/** What an `'exit'` event tells. */
export interface SupervisedExit extends ServiceEvent {
  /** The child that exited. */
  readonly pid: number;
  readonly status: ExitStatus;
  /** How long it ran, in milliseconds. */
  readonly uptime: number;
  /** Why it ended. */
  readonly reason: ExitReason;
}

/** What a `'notify'` event tells: one sd_notify datagram from a member of the service's tree. */
export interface SupervisorNotification extends NotifyMessage, ServiceEvent {
  /** The sender's pid (from its credentials, SCM_CREDENTIALS). */
  readonly pid: number;
}

/** The NOTIFY_SOCKET's datagrams so far ({@link Supervisor.notifications}). */
export interface NotificationCounts {
  /** From a member of the service's tree: acted on. */
  readonly accepted: number;
  /** From a process outside the tree (or while no child runs): ignored. */
  readonly outside: number;
  /** Not a notification (longer than 4096 bytes, a NUL byte, no credentials): ignored. */
  readonly invalid: number;
}

/** What a `'restart'` event tells. */
export interface ScheduledRestart extends ServiceEvent {
  /** Milliseconds until the restart. */
  readonly delay: number;
  /** This restart's number (1 for the first). */
  readonly count: number;
}

/** Why a supervisor gave up (`'failed'` event, {@link Supervisor.failure}). */
export interface SupervisorFailure extends ServiceEvent {
  /** `'start-limit'`: too many restarts within the window; `'spawn'`: the program could not be started. */
  readonly reason: 'start-limit' | 'spawn';
  /** The last child's exit status, if a child ran. */
  readonly status: ExitStatus | undefined;
  /** The spawn error, for `'spawn'`. */
  readonly error: Error | undefined;
}

/**
 * The events of a {@link Supervisor} and their arguments. The last argument of every event
 * is a {@link ServiceEvent}: it has the service's `name` (the only argument of `'exit'`,
 * `'restart'`, `'notify'` and `'failed'` is one).
 */
export interface SupervisorEvents {
  /** A child was started. */
  spawn: [pid: number, event: ServiceEvent];
  /** The child is ready (at once with `ready: 'spawn'`). */
  ready: [pid: number, event: ServiceEvent];
  /** The child sent an sd_notify datagram (accepted: from a member of its tree). */
  notify: [notification: SupervisorNotification];
  /**
   * The child exited and was reaped (its group is emptied before anything else happens).
   * With piped output, emitted once that run's pipes have been read to their end (so its
   * last lines come first on {@link Supervisor.stdout} / {@link Supervisor.stderr}), or 500
   * ms after the exit when they have not (a process that outlived the child still holds
   * them, or nobody reads the streams).
   */
  exit: [exit: SupervisedExit];
  /** A restart was scheduled. */
  restart: [restart: ScheduledRestart];
  /** A restart could not spawn the program (it counts as a failed run). */
  spawnError: [error: Error, event: ServiceEvent];
  /** The supervisor gave up. Final. */
  failed: [failure: SupervisorFailure];
  /** The supervisor stopped (on request, or by policy). Final until {@link Supervisor.restart}. */
  stopped: [status: ExitStatus | undefined, event: ServiceEvent];
}

const POLL_MS = 20;
/** How long an `'exit'` waits for the run's pipes to reach their end (see SupervisorEvents.exit). */
const EXIT_OUTPUT_WAIT_MS = 500;
/**
 * How long a run's pipe that has not ended once its tree is gone (a process outside the tree
 * holds it: `contain: false`) is still read, without backpressure, before it is closed.
 */
const OUTPUT_SETTLE_MS = 500;
/** The first delay between two attempts of a readiness probe, and the longest (doubling in between). */
const PROBE_DELAY_MS = 25;
const PROBE_DELAY_MAX_MS = 1000;
/** The child's environment entries that belong to a service manager, not passed on from this process's own. */
const MANAGER_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'];
/** Only {@link supervise}, which validates the program and its options, holds this. */
const CONSTRUCT = Symbol('Supervisor.construct');
const SIGKILL = 9;

function isFailure(status: ExitStatus): boolean {
  return !(status.kind === 'exited' && status.code === 0);
}

/** The rejection of {@link Supervisor.ready} when the supervisor settles first. */
function notReadyError(state: 'stopped' | 'failed', failure: SupervisorFailure | undefined): Error {
  const why = state === 'failed' ? `gave up (${failure?.reason ?? 'failed'})` : 'stopped';
  const e = new Error(`the supervisor ${why} before its child was ready`) as Error & { code: string; state: string };
  e.code = 'ERR_UNIXPROC_NOT_READY';
  e.state = state;
  return e;
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
  #state: SupervisorState = 'starting';
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
  #readyWaiters: { resolve: (pid: number) => void; reject: (e: Error) => void }[] = [];
  readonly #hook: ExitHookEntry;
  // ---- readiness and watchdog, per run ----
  /** The run's number: callbacks of an earlier run find it changed and do nothing. */
  #run = 0;
  /** When the current child became ready (the backoff's "stable" clock runs from here). */
  #readyAt: number | undefined;
  #readyTimer: NodeJS.Timeout | undefined;
  #readyDeadline = 0;
  #probeAbort: AbortController | undefined;
  #readyFd: ReadyFdPipe | undefined;
  #watchdogTimer: NodeJS.Timeout | undefined;
  /** The watchdog period in force (the option, or the child's WATCHDOG_USEC=), 0: none. */
  #watchdogMs = 0;
  /** Why the supervisor itself is ending the current child, if it is. */
  #endReason: 'ready-timeout' | 'watchdog' | undefined;
  #notify: NotifySocket | undefined;
  #accepted = 0;
  #outside = 0;
  #statusText: string | undefined;
  #mainPid: number | undefined;

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
        // The process is on its way out: whatever the policy, nothing is started after this
        // (a restart between the SIGKILL and the process's end would outlive it).
        this.#after = 'stop';
        const contained = this.#contained();
        if (contained !== undefined) contained.kill('SIGKILL', { tree: true });
        else killGroupNow(this.#child, this.#keeper, this.#pgid);
      },
    };
    if (spec.notify) this.#notify = this.#openNotify();
    this.#openOutput();
    this.#start(true);
    trackSupervisor(this);
  }

  /** The NOTIFY_SOCKET, bound now (a bind error is thrown). */
  #openNotify(): NotifySocket {
    return new NotifySocket(this.#spec.notifySocket, (n) => this.#onNotify(n));
  }

  #closeNotify(): void {
    this.#notify?.close();
    if (this.#notify !== undefined) this.#notifyInvalid += this.#notify.invalid;
    this.#notify = undefined;
  }

  #notifyInvalid = 0;

  // ---- output (stdio 'pipe') -----------------------------------------------------------

  #stdout: JoinedOutput | undefined;
  #stderr: JoinedOutput | undefined;

  /**
   * The service's stdout, when `stdio` pipes it (else null, as child_process's): one
   * Readable for the supervisor's whole life that carries each run's output in turn, in
   * order, nothing lost at a restart (a run's last lines come before its `'exit'` event).
   * Backpressure reaches the run that writes: while nobody reads, its pipe is not read
   * either (the child blocks on a full pipe, as it would under child_process). It ends once
   * the supervisor is `'stopped'` or `'failed'` and the last run's pipe has been read to its
   * end; a {@link Supervisor.restart} after that makes a new stream (read `sup.stdout`
   * again). With `output: { lines, prefix }`, each chunk is whole lines, each prefixed.
   * Destroying the stream drops the output from then on (the service is never blocked by
   * it). See docs/supervise.md, "Output".
   */
  get stdout(): Readable | null {
    return this.#stdout?.stream ?? null;
  }

  /** The service's stderr, when `stdio` pipes it, else null: as {@link Supervisor.stdout}. */
  get stderr(): Readable | null {
    return this.#stderr?.stream ?? null;
  }

  /** New streams, where the output is piped and the current ones have been closed (or there are none). */
  #openOutput(): void {
    if (this.#spec.pipeStdout && (this.#stdout === undefined || this.#stdout.closed)) this.#stdout = new JoinedOutput(this.#spec.output);
    if (this.#spec.pipeStderr && (this.#stderr === undefined || this.#stderr.closed)) this.#stderr = new JoinedOutput(this.#spec.output);
  }

  #closeOutput(): void {
    this.#stdout?.close();
    this.#stderr?.close();
  }

  /** The new run's pipes, joined onto the streams. */
  #attachOutput(child: Subprocess): OutputSource[] {
    const sources: OutputSource[] = [];
    if (this.#stdout !== undefined && child.stdout !== null) sources.push(this.#stdout.attach(child.stdout));
    if (this.#stderr !== undefined && child.stderr !== null) sources.push(this.#stderr.attach(child.stderr));
    return sources;
  }

  /**
   * The `NOTIFY_SOCKET` value the children get (`ready: 'notify'` or a watchdog), or
   * undefined: an absolute path, or `@` and an abstract name.
   */
  get notifySocket(): string | undefined {
    return this.#notify?.address;
  }

  /** The NOTIFY_SOCKET's datagrams so far: accepted, from outside the tree, not notifications. */
  get notifications(): NotificationCounts {
    return { accepted: this.#accepted, outside: this.#outside, invalid: this.#notifyInvalid + (this.#notify?.invalid ?? 0) };
  }

  /** The last `STATUS=` text the service sent (kept across restarts), or undefined. */
  get statusText(): string | undefined {
    return this.#statusText;
  }

  /**
   * The service's main process: the pid it named with `MAINPID=` (a member of its tree), else
   * the running child's pid; undefined when no child runs.
   */
  get mainPid(): number | undefined {
    if (this.pid === undefined) return undefined;
    return this.#mainPid ?? this.#programPid();
  }

  /**
   * Resolves with the child's pid once it is ready: at once when it is (`'running'`), else
   * at the next readiness (a restart in progress included).
   * @returns the ready child's pid.
   * @throws (rejects with) ERR_UNIXPROC_NOT_READY (`state`: `'stopped'` or `'failed'`) when the
   *   supervisor stops or gives up first, or already has.
   */
  ready(): Promise<number> {
    if (this.#state === 'running' && this.#child !== undefined) return Promise.resolve(this.#programPid());
    if (this.#state === 'stopped' || this.#state === 'failed') return Promise.reject(notReadyError(this.#state, this.#failure));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** The program's pid (with 'subreaper', the shepherd's child). */
  #programPid(): number {
    const child = this.#child as Subprocess;
    return child instanceof ContainedSubprocess ? child.programPid : child.pid;
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
    if (this.#state === 'running' || this.#state === 'starting') {
      this.#state = 'stopping';
      this.#endReadiness();
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
    if (this.#state === 'running' || this.#state === 'starting' || this.#state === 'stopping') {
      const stopRequests = this.#stopRequests;
      if (this.#state === 'running' || this.#state === 'starting') {
        this.#state = 'stopping';
        this.#endReadiness();
        this.#beginStop();
      }
      if (this.#after !== 'stop') this.#after = 'restart';
      const stopped = new Promise<void>((resolve) => this.#stopWaiters.push(resolve));
      await stopped;
      if (this.#stopRequests !== stopRequests) throw new AbortError('restart() was superseded by a later terminate()');
      const now = this.#state as SupervisorState;
      if ((now === 'running' || now === 'starting') && this.#child !== undefined) return this.#child.pid;
    }
    if (this.#spec.notify && this.#notify === undefined) this.#notify = this.#openNotify();
    this.#openOutput();
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
    const run = ++this.#run;
    this.#readyAt = undefined;
    this.#endReason = undefined;
    this.#mainPid = undefined;
    this.#watchdogMs = this.#spec.watchdog; // a WATCHDOG_USEC= of the previous run does not carry over
    let readyFd: ReadyFdPipe | undefined;
    try {
      if (this.#spec.ready.kind === 'fd') readyFd = new ReadyFdPipe(this.#spec.ready.fd);
      const options = this.#spawnOptions();
      child = spawnService(this.file, this.args, options, { passed: readyFd?.passed, service: this.name });
    } catch (e) {
      readyFd?.close();
      this.#child = undefined;
      if (manual) {
        this.#fail({ reason: 'spawn', status: this.#lastStatus, error: e as Error });
        throw e;
      }
      this.emit('spawnError', e as Error, { name: this.name });
      this.#afterExit(0, true);
      return;
    }
    registerLive(this.#hook);
    this.#child = child;
    this.#pgid = child.pid;
    // A contained tree needs no group keeper: its cgroup or shepherd holds every member.
    this.#keeper = child instanceof ContainedSubprocess ? undefined : startKeeper(child.pid, this.name);
    const output = this.#attachOutput(child);
    this.#startedAt = Date.now();
    this.#stopSent = false;
    this.#groupKilled = false;
    this.#after = 'policy';
    this.#state = 'starting';
    child.wait().then(
      (status) => void this.#onChildExit(child, status, output),
      () => void this.#onChildExit(child, undefined, output),
    );
    this.emit('spawn', child.pid, { name: this.name });
    if (this.#run !== run || this.#state !== 'starting') return; // a 'spawn' listener ended it
    this.#awaitReadiness(run, readyFd);
  }

  /** spawn()'s options for one start: the NOTIFY_SOCKET and watchdog entries. */
  #spawnOptions(): SupervisorSpec['spawn'] {
    const base = this.#spec.spawn;
    let options = base;
    if (this.#spec.notify || base.env === undefined) {
      // The service manager's entries of this process's own environment are its own
      // (unixproc run by systemd): never passed on to a child by default.
      const given = base.env;
      const env: Record<string, string | undefined> =
        given === undefined ? { ...process.env } : given instanceof Map ? Object.fromEntries(given) : { ...given };
      if (given === undefined) for (const k of MANAGER_ENV) delete env[k];
      if (this.#notify !== undefined) {
        env.NOTIFY_SOCKET = this.#notify.address;
        if (this.#spec.watchdog > 0) env.WATCHDOG_USEC = String(Math.round(this.#spec.watchdog * 1000));
      }
      options = { ...base, env };
    }
    return options;
  }

  // ---- readiness ---------------------------------------------------------------------

  /** Starts waiting for the new child's readiness as the `ready` option says. */
  #awaitReadiness(run: number, readyFd: ReadyFdPipe | undefined): void {
    const ready = this.#spec.ready;
    if (ready.kind === 'spawn') {
      this.#becomeReady(run);
      return;
    }
    this.#readyDeadline = Date.now() + this.#spec.readyTimeout;
    this.#armReadyTimer(run);
    if (ready.kind === 'fd' && readyFd !== undefined) {
      this.#readyFd = readyFd;
      readyFd.start(() => this.#becomeReady(run));
    } else if (ready.kind === 'probe') {
      void this.#probe(run, ready.probe);
    }
  }

  #armReadyTimer(run: number): void {
    clearTimeout(this.#readyTimer);
    this.#readyTimer = undefined;
    if (!Number.isFinite(this.#readyDeadline)) return;
    this.#readyTimer = setTimeout(() => {
      this.#readyTimer = undefined;
      if (this.#run === run && this.#state === 'starting') this.#endChild('ready-timeout');
    }, Math.max(0, this.#readyDeadline - Date.now()));
  }

  async #probe(run: number, probe: (child: { pid: number; attempt: number; signal: AbortSignal }) => unknown): Promise<void> {
    const abort = new AbortController();
    this.#probeAbort = abort;
    const pid = this.#programPid();
    let delay = PROBE_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      let ok = false;
      try {
        ok = (await probe({ pid, attempt, signal: abort.signal })) !== false;
      } catch {
        ok = false; // not ready yet
      }
      if (abort.signal.aborted || this.#run !== run || this.#state !== 'starting') return;
      if (ok) {
        this.#becomeReady(run);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        abort.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (abort.signal.aborted) return;
      delay = Math.min(delay * 2, PROBE_DELAY_MAX_MS);
    }
  }

  /** The child of run `run` is ready: state `'running'`, `'ready'`, the watchdog starts. */
  #becomeReady(run: number): void {
    if (this.#run !== run || this.#state !== 'starting' || this.#child === undefined || this.#child.exited) return;
    this.#endReadiness();
    this.#state = 'running';
    this.#readyAt = Date.now();
    this.#armWatchdog();
    const pid = this.#programPid();
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    this.emit('ready', pid, { name: this.name });
    for (const w of waiters) w.resolve(pid);
  }

  /** Stops waiting for readiness (timer, probe, notification fd). */
  #endReadiness(): void {
    clearTimeout(this.#readyTimer);
    this.#readyTimer = undefined;
    this.#probeAbort?.abort();
    this.#probeAbort = undefined;
    this.#readyFd?.close();
    this.#readyFd = undefined;
  }

  #armWatchdog(): void {
    clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
    if (this.#watchdogMs <= 0 || this.#state !== 'running') return;
    const run = this.#run;
    this.#watchdogTimer = setTimeout(() => {
      this.#watchdogTimer = undefined;
      if (this.#run === run && this.#state === 'running') this.#endChild('watchdog');
    }, this.#watchdogMs);
  }

  #stopWatchdog(): void {
    clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
  }

  /** The supervisor ends the current child itself (not ready in time, watchdog): a failure. */
  #endChild(reason: 'ready-timeout' | 'watchdog'): void {
    this.#endReason = reason;
    this.#endReadiness();
    this.#stopWatchdog();
    this.#state = 'stopping';
    this.#beginStop();
  }

  // ---- sd_notify -----------------------------------------------------------------------

  #onNotify({ pid, message }: ReceivedNotification): void {
    const child = this.#child;
    if (child === undefined || child.exited || (this.#state !== 'starting' && this.#state !== 'running') || !this.#isMember(pid)) {
      this.#outside++;
      return;
    }
    this.#accepted++;
    const run = this.#run;
    if (message.status !== undefined) this.#statusText = message.status;
    if (message.mainPid !== undefined && this.#isMember(message.mainPid)) this.#mainPid = message.mainPid;
    if (message.extendTimeoutUsec !== undefined && this.#state === 'starting') {
      // The start may take that much longer from now (never shortened).
      this.#readyDeadline = Math.max(this.#readyDeadline, Date.now() + message.extendTimeoutUsec / 1000);
      this.#armReadyTimer(run);
    }
    if (message.watchdogUsec !== undefined) {
      this.#watchdogMs = message.watchdogUsec / 1000;
      if (this.#state === 'running') this.#armWatchdog();
    }
    if (message.stopping === true) this.#stopWatchdog(); // shutting down: no more pings owed
    this.emit('notify', { name: this.name, pid, ...message });
    if (this.#run !== run) return;
    if (message.ready === true && this.#spec.ready.kind === 'notify') this.#becomeReady(run);
    if (message.watchdog === 'trigger' && this.#state === 'running') this.#endChild('watchdog');
    else if (message.watchdog === 'ping' && message.stopping !== true && this.#state === 'running') this.#armWatchdog();
  }

  /** Whether `pid` is in the current child's tree (its cgroup, its shepherd's tree, or its descendants and group). */
  #isMember(pid: number): boolean {
    const child = this.#child;
    if (child === undefined) return false;
    if (pid === child.pid) return true;
    try {
      if (child instanceof ContainedSubprocess) {
        if (pid === child.programPid) return true;
        return child.members().some((m) => m.pid === pid);
      }
      const v = treeStat(child.pid, false);
      for (let o = 0; o < v.length; o += 7) if (v[o] === pid) return true;
      return groupMembers(this.#pgid, -1).includes(pid);
    } catch {
      return false; // the tree is gone (ESRCH): nobody is a member
    }
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

  async #onChildExit(child: Subprocess, status: ExitStatus | undefined, output: readonly OutputSource[]): Promise<void> {
    const now = Date.now();
    const uptime = now - this.#startedAt;
    // The backoff's "stable" clock runs from readiness: a child never ready was never stable.
    const readyFor = this.#readyAt === undefined ? 0 : now - this.#readyAt;
    const endReason = this.#endReason;
    this.#endReadiness();
    this.#stopWatchdog();
    // Why it ended is a fact of the moment it exited, not of the wait for its output.
    const reason: ExitReason = endReason ?? (this.#after === 'policy' ? 'exited' : 'terminated');
    // The run's last lines before its 'exit' (bounded: see SupervisorEvents.exit).
    if (output.length > 0) await endedWithin(output, EXIT_OUTPUT_WAIT_MS);
    if (status !== undefined) {
      this.#lastStatus = status;
      this.emit('exit', { name: this.name, pid: child.pid, status, uptime, reason });
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
    // The tree is gone: what is left in the run's pipes is all there is (unless a process
    // outside the tree holds one), and it may not hold the next run's output back.
    for (const source of output) source.settle(OUTPUT_SETTLE_MS);
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
      this.#afterExit(readyFor, status === undefined || endReason !== undefined);
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
   * The policy's decision once a child exited by itself (or was ended for not being ready
   * in time, or by the watchdog). `failed`: a failed run whatever the status (a restart
   * could not spawn, the child was reaped elsewhere, not ready in time, the watchdog).
   * `readyFor`: how long it had been ready (the backoff's "stable" clock).
   */
  #afterExit(readyFor: number, failed: boolean): void {
    const status = this.#lastStatus;
    const restart =
      this.#spec.restart === 'always' ||
      (this.#spec.restart === 'on-failure' && (failed || status === undefined || isFailure(status)));
    if (!restart) {
      this.#finish('stopped');
      return;
    }
    if (readyFor >= this.#spec.resetAfter) this.#consecutive = 0;
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
    this.emit('restart', { name: this.name, delay, count });
  }

  #fail(why: Omit<SupervisorFailure, 'name'>): void {
    const failure: SupervisorFailure = { name: this.name, ...why };
    this.#failure = failure;
    if (failure.reason === 'start-limit') this.#startLimitHits++;
    this.#state = 'failed';
    this.#child = undefined;
    unregisterLive(this.#hook);
    this.#closeNotify();
    this.#closeOutput();
    this.emit('failed', failure);
    this.#rejectReady();
    this.#resolveDone();
  }

  #finish(state: 'stopped'): void {
    this.#state = state;
    untrackSupervisor(this);
    unregisterLive(this.#hook);
    this.#closeNotify();
    this.#closeOutput();
    this.emit('stopped', this.#lastStatus, { name: this.name });
    this.#rejectReady();
    this.#resolveDone();
  }

  #rejectReady(): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    const e = notReadyError(this.#state as 'stopped' | 'failed', this.#failure);
    for (const w of waiters) w.reject(e);
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
