/**
 * What importing unixproc/init does, once per process (every copy of this module, one per
 * jest module registry for instance, shares one state on `globalThis` under a `Symbol.for`
 * key), and the status it reports.
 * @internal
 */
import { isMainThread } from 'node:worker_threads';
import { native } from '../native';
import { adoptsOrphans, startReaper, type ReaperState } from './reaper';
import { startSignalDefaults, TERMINATING_SIGNALS } from './signals';

interface InitState {
  readonly reaper: ReaperState;
  /** The signals whose default action is stood in for ([] unless PID 1 at import). */
  readonly signals: readonly NodeJS.Signals[];
}

const KEY = Symbol.for('unixproc.init.v1');

/** What {@link initStatus} reports. */
export interface InitStatus {
  /** Whether unixproc/init is at work in this thread: false in a Worker thread, where importing it does nothing. */
  readonly active: boolean;
  /** Whether this process is PID 1 of its pid namespace. */
  readonly pid1: boolean;
  /**
   * Whether adopted orphans are reaped now: this process is PID 1 or a child subreaper
   * (prctl(2) PR_SET_CHILD_SUBREAPER, asked at each SIGCHLD, so setting it later counts).
   */
  readonly reaping: boolean;
  /** How many ended orphans unixproc/init has reaped so far. */
  readonly reaped: number;
  /**
   * How the last sweep found them: `'children'` (/proc/<pid>/task/<pid>/children, the
   * normal way), `'waitid'` (the fallback where /proc is not this pid namespace's), or
   * undefined before the first sweep that ran.
   */
  readonly method: 'children' | 'waitid' | undefined;
  /** The signals whose default action is stood in for: SIGTERM, SIGINT, SIGHUP as PID 1, else none. */
  readonly signals: readonly NodeJS.Signals[];
}

function stateOf(): InitState | undefined {
  return (globalThis as unknown as Record<symbol, InitState | undefined>)[KEY];
}

/** Starts the reaper and, as PID 1, the signal stand-ins; once per process. @internal */
export function startInit(): void {
  if (!isMainThread || stateOf() !== undefined) return;
  const pid1 = native<{ getpid(): number }>().getpid() === 1;
  const state: InitState = {
    reaper: { reaped: 0, method: undefined, watch: undefined, retry: undefined },
    signals: pid1 ? TERMINATING_SIGNALS : Object.freeze([]),
  };
  Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: true });
  if (pid1) startSignalDefaults();
  startReaper(state.reaper);
}

/**
 * What unixproc/init does in this process: whether it reaps orphans now, how many it has
 * reaped, which signals it ends the process on.
 * @returns a frozen snapshot.
 * @throws ERR_UNIXPROC_UNSUPPORTED_PLATFORM elsewhere than on Linux (as every native call).
 * @see prctl(2) PR_GET_CHILD_SUBREAPER, pid_namespaces(7)
 */
export function initStatus(): InitStatus {
  const state = stateOf();
  const pid1 = native<{ getpid(): number }>().getpid() === 1;
  if (state === undefined || !isMainThread) {
    return Object.freeze({ active: false, pid1, reaping: false, reaped: 0, method: undefined, signals: Object.freeze([]) });
  }
  return Object.freeze({
    active: true,
    pid1,
    reaping: adoptsOrphans(),
    reaped: state.reaper.reaped,
    method: state.reaper.method,
    signals: state.signals,
  });
}
