/**
 * superviseTree(): supervision trees as Erlang/OTP defines them (the supervisor behaviour):
 * children started in order, each once the previous one is ready; restarted by a strategy
 * ('one-for-one', 'one-for-all', 'rest-for-one') within a restart intensity; stopped in
 * reverse order; subtrees as children. Each service is one {@link Supervisor} that runs one
 * child at a time: the tree, not the Supervisor, decides every restart (docs/supervise.md,
 * "Supervision trees").
 */
import { EventEmitter } from 'node:events';
import { illegalConstructor } from '../errors';
import type { ExitStatus } from '../exit-status';
import { validateTerminateOptions, type TerminateOptions } from '../spawn/options';
import type { RestartPolicy } from './options';
import { supervise, type ExitReason, type SupervisedExit, type Supervisor } from './supervisor';
import { validateTree, type ChildSpec, type RestartStrategy, type ServiceNode, type SubtreeNode, type SuperviseTreeOptions, type TreeSpec } from './tree-options';

/**
 * Where a tree is:
 * - `'starting'`: its children are being started in order, and not all are ready yet;
 * - `'running'`: every child was ready (restarts happen within this state);
 * - `'stopping'`: {@link SupervisionTree.terminate}, or giving up, is stopping its children
 *   in reverse order;
 * - `'stopped'`: terminated, or every child ended and its policy did not restart it;
 * - `'failed'`: gave up (its start limit was reached, or a child could not be started the
 *   first time); its children are stopped.
 */
export type SupervisionTreeState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * Where one child of a tree is:
 * - `'idle'`: not started yet (an earlier sibling is not ready yet);
 * - `'starting'`: started, not ready yet;
 * - `'running'`: ready;
 * - `'backoff'`: ended, and its restart is pending;
 * - `'stopping'`: the tree is ending it (a sibling's failure, or the tree stops);
 * - `'stopped'`: ended, and not restarted (its policy; or the tree stopped).
 */
export type TreeChildState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

/** One child of a tree, as {@link SupervisionTree.children} lists it. */
export interface TreeChild {
  readonly name: string;
  /** `'service'`: a program (its {@link Supervisor}); `'tree'`: a subtree. */
  readonly kind: 'service' | 'tree';
  readonly state: TreeChildState;
  /**
   * The service's Supervisor, once it was first started (the same object across restarts:
   * the tree restarts it with {@link Supervisor.restart}); undefined for a subtree.
   */
  readonly supervisor: Supervisor | undefined;
  /** The subtree, once it was first started (the same object across restarts); undefined for a service. */
  readonly tree: SupervisionTree | undefined;
  /** How many times the tree restarted this child. */
  readonly restarts: number;
}

/** Which service (or subtree) an event is about: its name, and where it is. */
export interface TreeEventSource {
  /** The service's name (its {@link Supervisor.name}), or the subtree's. */
  readonly name: string;
  /**
   * The names from this tree's child down to it: `['web']` for a child of this tree,
   * `['backend', 'db']` for the service `db` of the subtree `backend`.
   */
  readonly path: readonly string[];
}

/** A `'spawn'` event: a service's program was started. */
export interface TreeSpawn extends TreeEventSource {
  readonly pid: number;
}

/** A `'childReady'` event: a service (or subtree) is ready. */
export interface TreeChildReady extends TreeEventSource {
  /** The service's main pid ({@link Supervisor.mainPid}); undefined for a subtree. */
  readonly pid: number | undefined;
}

/** An `'exit'` event: a service's program exited (and its tree was emptied). */
export interface TreeExit extends TreeEventSource {
  readonly pid: number;
  readonly status: ExitStatus;
  /** How long it ran, in milliseconds. */
  readonly uptime: number;
  /** Why it ended (see {@link ExitReason}: `'terminated'` when the tree ended it). */
  readonly reason: ExitReason;
}

/** A `'spawnError'` event: a restart could not start the program (it counts as a failure). */
export interface TreeSpawnError extends TreeEventSource {
  readonly error: Error;
}

/** A `'restart'` event: a tree scheduled a restart after one of its children failed or ended. */
export interface TreeRestart extends TreeEventSource {
  /** The children that the restarting tree starts again, by the strategy, in start order. */
  readonly children: readonly string[];
  /** Milliseconds until they start (the backoff). */
  readonly delay: number;
  /** This restart's number within the restarting tree (1 for the first). */
  readonly count: number;
}

/** Why a tree gave up (`'failed'` event, {@link SupervisionTree.failure}). */
export interface TreeFailure extends TreeEventSource {
  /**
   * `'start-limit'`: a restart was due and `startLimit.maxRestarts` restarts had already
   * happened within the window (`name`: the child whose end it was); `'spawn'`: a service
   * could not be started the first time (`name`: that service).
   */
  readonly reason: 'start-limit' | 'spawn';
  /** The spawn error, for `'spawn'`. */
  readonly error: Error | undefined;
}

/** A `'childFailed'` event: a subtree gave up (for its parent, a failure of that child). */
export interface TreeChildFailed extends TreeEventSource {
  readonly failure: TreeFailure;
}

/**
 * The events of a {@link SupervisionTree}. Those about one service (or subtree) carry its
 * `name` and `path`, and come from every level below (a subtree's events reach its parent);
 * `'ready'`, `'failed'` and `'stopped'` are the tree's own.
 */
export interface SupervisionTreeEvents {
  spawn: [event: TreeSpawn];
  childReady: [event: TreeChildReady];
  exit: [event: TreeExit];
  spawnError: [event: TreeSpawnError];
  restart: [event: TreeRestart];
  childFailed: [event: TreeChildFailed];
  /** Every child is ready (once per start of the tree). */
  ready: [];
  /** The tree gave up; its children are stopped. Final. */
  failed: [failure: TreeFailure];
  /** The tree stopped (terminated, or nothing was left to run). Final. */
  stopped: [];
}

/** Only {@link superviseTree} (and a parent tree) holds this. */
const CONSTRUCT = Symbol('SupervisionTree.construct');
/** A parent tree's way to start a subtree of its own again. @internal */
const RESTART_SUBTREE: unique symbol = Symbol('SupervisionTree.restartSubtree');

/** One child, as the tree tracks it. */
interface Slot {
  readonly index: number;
  readonly node: ServiceNode | SubtreeNode;
  supervisor: Supervisor | undefined;
  tree: SupervisionTree | undefined;
  phase: TreeChildState;
  /** Stopped by a sibling's failure, and its policy ('never') says it is not restarted. */
  noRestart: boolean;
  /** Whether its last run failed (an exit that is not code 0, not ready in time, the watchdog). */
  lastFailed: boolean;
  readyAt: number | undefined;
  /** Consecutive restarts caused by this child since it was last stable (the backoff exponent). */
  consecutive: number;
  restarts: number;
  /** Resolves the start the driver waits on. */
  waiter: ((outcome: StartOutcome) => void) | undefined;
}

type StartOutcome = 'ready' | 'down' | 'aborted' | 'fatal';

/** What the driver does for one decision: stop some children (in this order), wait, start some (in this order). */
interface Batch {
  readonly stop: number[];
  readonly start: number[];
  readonly due: number;
  abandoned: boolean;
  /** The position in `start` of the child being started (-1 before the starts). */
  position: number;
  /** Ends the current wait (the backoff, or a start) early. */
  wake: (() => void) | undefined;
}

function failedExit(exit: SupervisedExit): boolean {
  if (exit.reason === 'ready-timeout' || exit.reason === 'watchdog') return true;
  if (exit.reason === 'terminated') return false; // ended on request (a stop is not a failure)
  return !(exit.status.kind === 'exited' && exit.status.code === 0);
}

function restarts(policy: RestartPolicy, failed: boolean): boolean {
  return policy === 'always' || (policy === 'on-failure' && failed);
}

function notReadyError(state: 'stopped' | 'failed', failure: TreeFailure | undefined): Error {
  const why = state === 'failed' ? `gave up (${failure?.reason ?? 'failed'} of '${failure?.path.join('/') ?? '?'}')` : 'stopped';
  const e = new Error(`the supervision tree ${why} before its children were ready`) as Error & {
    code: string;
    state: string;
    failure: TreeFailure | undefined;
  };
  e.code = 'ERR_UNIXPROC_NOT_READY';
  e.state = state;
  e.failure = failure;
  return e;
}

/**
 * A supervision tree: named children (services, each run by a {@link Supervisor}, and
 * subtrees) started in order, each once the previous one is ready; restarted by the tree's
 * {@link RestartStrategy} and each child's {@link RestartPolicy}, within the tree's start
 * limit; stopped in reverse order. Made by {@link superviseTree}.
 *
 * Events (a Node EventEmitter, see {@link SupervisionTreeEvents}): `'spawn'`, `'childReady'`,
 * `'exit'`, `'spawnError'`, `'restart'`, `'childFailed'` about one service or subtree (with
 * its `name` and `path`), and the tree's own `'ready'`, `'failed'`, `'stopped'`.
 */
export class SupervisionTree extends EventEmitter<SupervisionTreeEvents> {
  /** The tree's name: the `name` option (default `'tree'`), or a subtree's spec name. */
  readonly name: string;

  readonly #spec: TreeSpec;
  readonly #slots: Slot[];
  #state: SupervisionTreeState = 'starting';
  #failure: TreeFailure | undefined;
  /** When each restart happened (for the start limit). */
  #restartTimes: number[] = [];
  #restartCount = 0;
  #queue: Batch[] = [];
  #current: Batch | undefined;
  #driving = false;
  #driver: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #doneWaiters: (() => void)[] = [];

  /**
   * @internal Trees are made by {@link superviseTree}, which validates the specs first.
   * @throws ERR_ILLEGAL_CONSTRUCTOR when called directly.
   */
  constructor(token: symbol, spec: TreeSpec) {
    if (token !== CONSTRUCT) throw illegalConstructor();
    super();
    this.name = spec.name;
    this.#spec = spec;
    this.#slots = spec.children.map((node, index) => ({
      index, node, supervisor: undefined, tree: undefined, phase: 'idle', noRestart: false, lastFailed: false,
      readyAt: undefined, consecutive: 0, restarts: 0, waiter: undefined,
    }));
    this.#begin();
  }

  /** Where the tree is. */
  get state(): SupervisionTreeState {
    return this.#state;
  }

  /** Why the tree gave up, once it has. */
  get failure(): TreeFailure | undefined {
    return this.#failure;
  }

  /** The strategy its children are restarted by. */
  get strategy(): RestartStrategy {
    return this.#spec.strategy;
  }

  /** How many restarts the tree made (each decision once, however many children it restarted). */
  get restarts(): number {
    return this.#restartCount;
  }

  /** Its children, in start order (a snapshot). */
  get children(): readonly TreeChild[] {
    return this.#slots.map((s) => ({
      name: s.node.name,
      kind: s.node.kind,
      state: s.phase,
      supervisor: s.supervisor,
      tree: s.tree,
      restarts: s.restarts,
    }));
  }

  /**
   * Resolves once every child is ready (at once when the tree is `'running'`).
   * @throws (rejects with) ERR_UNIXPROC_NOT_READY (`state`: `'stopped'` or `'failed'`, and
   *   `failure`) when the tree stops or gives up first, or already has.
   */
  ready(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    if (this.#state === 'stopped' || this.#state === 'failed') return Promise.reject(notReadyError(this.#state, this.#failure));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Resolves once the tree is `'stopped'` or `'failed'` (at once if it is), with that state. Never rejects. */
  done(): Promise<'stopped' | 'failed'> {
    if (this.#state === 'stopped' || this.#state === 'failed') return Promise.resolve(this.#state);
    return new Promise((resolve) => this.#doneWaiters.push(() => resolve(this.#state as 'stopped' | 'failed')));
  }

  /**
   * Stops the tree: cancels pending restarts and starts, then terminates its children one
   * after the other in reverse order (a subtree: its own children in reverse order), each
   * as {@link Supervisor.terminate} does (its `killSignal`, SIGKILL after its
   * `killGracePeriod`), and resolves once all are gone; the state is then `'stopped'`
   * (`'failed'` when the tree was giving up meanwhile). A second call returns the same wait.
   * @param options - `killSignal` and `killGracePeriod` for every child (default: each
   *   service's own).
   * @returns a Promise that resolves once every child is gone. Never rejects.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad
   *   options (thrown, not rejected).
   */
  terminate(options?: TerminateOptions): Promise<void> {
    validateTerminateOptions(options, 15, 10000);
    if (this.#state === 'stopped' || this.#state === 'failed') return Promise.resolve();
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopping = this.#shutdown(options).then(() => this.#settle('stopped'));
    return this.#stopping;
  }

  /** A parent's restart of this subtree: everything afresh (its start limit too). @internal */
  [RESTART_SUBTREE](): void {
    this.#state = 'starting';
    this.#failure = undefined;
    this.#stopping = undefined;
    this.#restartTimes = [];
    for (const s of this.#slots) {
      s.phase = 'idle';
      s.consecutive = 0;
      s.noRestart = false;
    }
    this.#begin();
  }

  /** The first batch: every child, in order. On a microtask, so that listeners added right after see every event. */
  #begin(): void {
    this.#queue.push(this.#batch([], this.#slots.map((s) => s.index), 0));
    queueMicrotask(() => this.#kick());
  }

  #batch(stop: number[], start: number[], due: number): Batch {
    return { stop, start, due, abandoned: false, position: -1, wake: undefined };
  }

  #active(): boolean {
    return this.#state === 'starting' || this.#state === 'running';
  }

  // ---- the driver: one batch at a time, as Erlang's supervisor does one thing at a time ----

  #kick(): void {
    if (this.#driving || !this.#active()) return;
    this.#driving = true;
    this.#driver = this.#drive();
  }

  async #drive(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#active()) {
        const batch = this.#queue.shift() as Batch;
        this.#current = batch;
        await this.#runBatch(batch);
        this.#current = undefined;
      }
    } finally {
      this.#current = undefined;
      this.#driving = false;
    }
    this.#checkReady();
  }

  async #runBatch(b: Batch): Promise<void> {
    // Stops are never abandoned: a child marked 'stopping' is always stopped.
    for (const i of b.stop) await this.#stopSlot(this.#slots[i], undefined);
    const wait = b.due - Date.now();
    if (wait > 0 && !b.abandoned && this.#active()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        b.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      b.wake = undefined;
    }
    for (let k = 0; k < b.start.length; k++) {
      if (b.abandoned || !this.#active()) return;
      const slot = this.#slots[b.start[k]];
      if (slot.phase !== 'idle' && slot.phase !== 'backoff') continue;
      b.position = k;
      if ((await this.#startSlot(slot, b)) === 'fatal') return;
    }
    b.position = b.start.length;
  }

  /** Once nothing is pending and every child that is not stopped is ready: `'running'`, `'ready'`. */
  #checkReady(): void {
    if (this.#state !== 'starting' || this.#driving || this.#queue.length > 0) return;
    if (!this.#slots.every((s) => s.phase === 'running' || s.phase === 'stopped')) return;
    if (this.#slots.every((s) => s.phase === 'stopped')) return; // nothing runs: #afterChange stops the tree
    this.#state = 'running';
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    this.emit('ready');
    for (const w of waiters) w.resolve();
  }

  /** Starts one child and resolves once it is ready, went down, or the wait was abandoned. */
  #startSlot(slot: Slot, b: Batch): Promise<StartOutcome> {
    slot.phase = 'starting';
    slot.noRestart = false;
    slot.lastFailed = true; // until an 'exit' says otherwise (a child reaped elsewhere has no status: a failure)
    slot.readyAt = undefined;
    return new Promise<StartOutcome>((resolve) => {
      slot.waiter = (outcome) => {
        slot.waiter = undefined;
        b.wake = undefined;
        resolve(outcome);
      };
      b.wake = () => slot.waiter?.('aborted');
      if (slot.node.kind === 'service') this.#startService(slot, slot.node);
      else this.#startSubtree(slot, slot.node);
    });
  }

  #startService(slot: Slot, node: ServiceNode): void {
    const existing = slot.supervisor;
    if (existing !== undefined) {
      slot.restarts++;
      // A spawn error fails the Supervisor ('failed' event); anything else it throws
      // (the NOTIFY_SOCKET could not be bound again) leaves it 'stopped': a failure too.
      existing.restart().catch((e: unknown) => {
        if (slot.phase === 'starting' && slot.supervisor?.state === 'stopped') {
          this.emit('spawnError', { name: node.name, path: [node.name], error: e as Error });
          this.#onDown(slot, true);
        }
      });
      return;
    }
    let sup: Supervisor;
    try {
      sup = supervise(node.file, node.args, node.options);
    } catch (e) {
      // The first start of a program that cannot be started: supervise() would throw; the tree gives up.
      slot.phase = 'stopped';
      this.emit('spawnError', { name: node.name, path: [node.name], error: e as Error });
      slot.waiter?.('fatal');
      void this.#giveUp({ reason: 'spawn', name: node.name, path: [node.name], error: e as Error });
      return;
    }
    slot.supervisor = sup;
    this.#attachService(slot, sup);
    // The first 'spawn' (and a 'spawn'-mode readiness) happened inside supervise(), before any listener.
    this.emit('spawn', { name: node.name, path: [node.name], pid: sup.pid as number });
    if (sup.state === 'running') this.#onReady(slot);
  }

  #attachService(slot: Slot, sup: Supervisor): void {
    const name = slot.node.name;
    sup.on('spawn', () => {
      const pid = sup.pid;
      if (pid !== undefined) this.emit('spawn', { name, path: [name], pid });
    });
    sup.on('ready', () => this.#onReady(slot));
    sup.on('exit', (exit) => {
      slot.lastFailed = failedExit(exit);
      this.emit('exit', { name, path: [name], pid: exit.pid, status: exit.status, uptime: exit.uptime, reason: exit.reason });
    });
    sup.on('stopped', () => this.#onDown(slot, slot.lastFailed));
    sup.on('failed', (failure) => {
      if (failure.reason === 'spawn' && failure.error !== undefined) this.emit('spawnError', { name, path: [name], error: failure.error });
      this.#onDown(slot, true);
    });
  }

  #startSubtree(slot: Slot, node: SubtreeNode): void {
    if (slot.tree !== undefined) {
      slot.restarts++;
      slot.tree[RESTART_SUBTREE]();
      return;
    }
    const tree = new SupervisionTree(CONSTRUCT, node.tree);
    slot.tree = tree;
    const name = node.name;
    const up = <E extends TreeEventSource>(e: E): E => ({ ...e, path: [name, ...e.path] });
    tree.on('spawn', (e) => this.emit('spawn', up(e)));
    tree.on('childReady', (e) => this.emit('childReady', up(e)));
    tree.on('exit', (e) => this.emit('exit', up(e)));
    tree.on('spawnError', (e) => this.emit('spawnError', up(e)));
    tree.on('restart', (e) => this.emit('restart', up(e)));
    tree.on('childFailed', (e) => this.emit('childFailed', up(e)));
    tree.on('ready', () => this.#onReady(slot));
    tree.on('failed', (failure) => {
      this.emit('childFailed', { name, path: [name], failure });
      this.#onDown(slot, true);
    });
    tree.on('stopped', () => this.#onDown(slot, false));
  }

  #onReady(slot: Slot): void {
    if (slot.phase !== 'starting') return;
    slot.phase = 'running';
    slot.readyAt = Date.now();
    this.emit('childReady', { name: slot.node.name, path: [slot.node.name], pid: slot.supervisor?.mainPid });
    slot.waiter?.('ready');
  }

  /** A child went down (its Supervisor or subtree settled). */
  #onDown(slot: Slot, failed: boolean): void {
    const was = slot.phase;
    if (was === 'stopping' || was === 'stopped' || was === 'backoff' || was === 'idle') return; // the tree ended it, or stale
    slot.phase = 'backoff';
    slot.waiter?.('down');
    if (!this.#active()) return;
    const now = Date.now();
    const readyFor = slot.readyAt === undefined ? 0 : now - slot.readyAt;
    slot.readyAt = undefined;
    if (!restarts(slot.node.restart, failed)) {
      slot.phase = 'stopped';
      this.#afterChange();
      return;
    }
    const spec = this.#spec;
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < spec.window);
    if (this.#restartTimes.length >= spec.maxRestarts) {
      slot.phase = 'stopped';
      void this.#giveUp({ reason: 'start-limit', name: slot.node.name, path: [slot.node.name], error: undefined });
      return;
    }
    this.#restartTimes.push(now);
    this.#restartCount++;
    if (readyFor >= spec.resetAfter) slot.consecutive = 0;
    const delay = Math.min(spec.backoffInitial * spec.backoffFactor ** slot.consecutive, spec.backoffMax);
    if (delay > 0 && delay < spec.backoffMax) slot.consecutive++;

    const i = slot.index;
    const all = this.#slots.map((s) => s.index);
    const set = spec.strategy === 'one-for-one' ? [i] : spec.strategy === 'one-for-all' ? all : all.filter((k) => k >= i);
    // What pending batches would still have started goes into this one (in order), and
    // those batches are dropped: for one-for-one only the one waiting on this very child.
    const carry: number[] = [];
    const abandon = (b: Batch): void => {
      b.abandoned = true;
      carry.push(...b.start.slice(Math.max(b.position, 0)));
      b.wake?.();
    };
    const current = this.#current;
    if (spec.strategy === 'one-for-one') {
      if (current !== undefined && current.position >= 0 && current.start[current.position] === i) abandon(current);
    } else {
      if (current !== undefined) abandon(current);
      for (const b of this.#queue.splice(0)) abandon(b);
    }
    const stop: number[] = [];
    for (const k of [...set].reverse()) {
      const s = this.#slots[k];
      if (k === i || (s.phase !== 'starting' && s.phase !== 'running')) continue;
      s.phase = 'stopping';
      s.noRestart = s.node.restart === 'never'; // Erlang's temporary child: never restarted
      stop.push(k);
    }
    const start = [...new Set([...set, ...carry])]
      .sort((a, b) => a - b)
      .filter((k) => {
        const s = this.#slots[k];
        return k === i || ((s.phase === 'idle' || s.phase === 'backoff' || s.phase === 'stopping') && !s.noRestart);
      });
    this.#queue.push(this.#batch(stop, start, now + delay));
    this.emit('restart', {
      name: slot.node.name,
      path: [slot.node.name],
      children: start.map((k) => this.#slots[k].node.name),
      delay,
      count: this.#restartCount,
    });
    this.#kick();
  }

  /** After a child ended for good: a tree with nothing left to run stops. */
  #afterChange(): void {
    if (this.#slots.every((s) => s.phase === 'stopped') && this.#stopping === undefined) {
      this.#stopping = this.#shutdown(undefined).then(() => this.#settle('stopped'));
    } else if (!this.#driving) {
      this.#checkReady();
    }
  }

  async #stopSlot(slot: Slot, options: TerminateOptions | undefined): Promise<void> {
    slot.phase = 'stopping';
    slot.waiter?.('aborted');
    if (slot.supervisor !== undefined) await slot.supervisor.terminate(options);
    else if (slot.tree !== undefined) await slot.tree.terminate(options);
    slot.phase = slot.noRestart || !this.#active() ? 'stopped' : 'backoff';
    slot.readyAt = undefined;
  }

  /** Cancels what is pending, waits for the driver, then stops every child in reverse order. */
  async #shutdown(options: TerminateOptions | undefined): Promise<void> {
    this.#state = 'stopping';
    const current = this.#current;
    if (current !== undefined) {
      current.abandoned = true;
      current.wake?.();
    }
    this.#queue = [];
    await this.#driver;
    for (const slot of [...this.#slots].reverse()) {
      if (slot.phase === 'idle' || slot.phase === 'stopped' || slot.phase === 'backoff') {
        // Not running (a Supervisor already 'stopped' or 'failed' returns at once).
        if (slot.supervisor !== undefined || slot.tree !== undefined) await this.#stopSlot(slot, options);
        slot.phase = 'stopped';
        continue;
      }
      await this.#stopSlot(slot, options);
    }
  }

  async #giveUp(failure: TreeFailure): Promise<void> {
    if (!this.#active()) return;
    this.#failure = failure;
    this.#stopping = this.#shutdown(undefined).then(() => this.#settle('failed'));
    await this.#stopping;
  }

  #settle(state: 'stopped' | 'failed'): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    this.#state = state;
    const e = notReadyError(state, this.#failure);
    const ready = this.#readyWaiters;
    this.#readyWaiters = [];
    if (state === 'failed') this.emit('failed', this.#failure as TreeFailure);
    else this.emit('stopped');
    for (const w of ready) w.reject(e);
    const done = this.#doneWaiters;
    this.#doneWaiters = [];
    for (const w of done) w();
  }
}

/**
 * Starts a supervision tree (Erlang/OTP's supervisor behaviour) and returns it, in state
 * `'starting'`:
 *
 * - its children (services `{ name, file, args, options }`, subtrees `{ name, children,
 *   strategy, ... }`) are started in order, each once the previous one is ready (its `ready`
 *   option; a subtree once all its own children are); the first start happens on a
 *   microtask, so listeners added right after this call see every event;
 * - when a child ends, its `restart` policy decides whether it is restarted (`'always'`,
 *   `'on-failure'`, `'never'`: Erlang's permanent, transient, temporary), and the tree's
 *   `strategy` which children are restarted with it (the others stopped in reverse order,
 *   then all started again in order), after the tree's `backoff`;
 * - when `startLimit.maxRestarts` restarts already happened within `startLimit.window` ms,
 *   the tree gives up instead: it stops every child in reverse order and is `'failed'` (a
 *   subtree that gives up is a failure of that child in its parent); so does a service that
 *   cannot be started the first time (a spawn error);
 * - each service is a {@link Supervisor} (named `name`) that runs one child at a time and
 *   never restarts it itself: the tree decides every restart.
 *
 * @param children - the tree's children, in start order (names unique among siblings).
 * @param options - see {@link SuperviseTreeOptions}.
 * @returns the tree.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad spec or
 *   option, naming it by its place (`children[1].options.readyTimeout`): a missing or
 *   repeated name, a child with neither `file` nor `children`, an unknown strategy, an
 *   unknown key (with the closest known one), `backoff` or `startLimit` in a service's
 *   options (they are the tree's), and every error {@link supervise} gives its options.
 *   Nothing is started then.
 * @see supervise, docs/supervise.md ("Supervision trees")
 */
export function superviseTree(children: readonly ChildSpec[], options?: SuperviseTreeOptions): SupervisionTree {
  return new SupervisionTree(CONSTRUCT, validateTree(children, options));
}
