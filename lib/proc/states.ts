/**
 * Process states: the letter in field 3 of /proc/<pid>/stat, its name and meaning.
 * Names follow psutil's STATUS_* constants. @see proc(5), ps(1) "PROCESS STATE CODES".
 */
import { invalidArgType } from '../errors';

/** A state's name; `'unknown'` for a letter this library does not know. */
export type StateName =
  | 'running'
  | 'sleeping'
  | 'disk-sleep'
  | 'stopped'
  | 'tracing-stop'
  | 'zombie'
  | 'dead'
  | 'wake-kill'
  | 'waking'
  | 'idle'
  | 'parked'
  | 'unknown';

/** The state of a process or thread. */
export interface ProcessState {
  /** The letter as the kernel wrote it (`'S'`, `'Z'`...). */
  readonly letter: string;
  readonly name: StateName;
  /** One line saying what the state means. */
  readonly meaning: string;
}

const table: ReadonlyArray<readonly [string, StateName, string]> = [
  ['R', 'running', 'running or runnable (on a run queue)'],
  ['S', 'sleeping', 'interruptible sleep (waiting for an event)'],
  ['D', 'disk-sleep', 'uninterruptible sleep (usually I/O); signals wait until it ends'],
  ['T', 'stopped', 'stopped by a job-control signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)'],
  ['t', 'tracing-stop', 'stopped by a debugger during tracing'],
  ['Z', 'zombie', 'zombie: exited, waiting for its parent to wait() for it'],
  ['X', 'dead', 'dead: being reaped (should never be seen)'],
  ['x', 'dead', 'dead (Linux 2.6.33 to 3.13)'],
  ['K', 'wake-kill', 'wakekill: killable sleep (Linux 2.6.33 to 3.13)'],
  ['W', 'waking', 'waking (Linux 2.6.33 to 3.13), or paging (before 2.6.0)'],
  ['P', 'parked', 'parked kernel thread (Linux 3.9 to 3.13, and again since 4.14)'],
  ['I', 'idle', 'idle kernel thread (Linux 4.14 and later)'],
];

const byLetter = new Map<string, ProcessState>();
for (const [letter, name, meaning] of table) {
  byLetter.set(letter, Object.freeze({ letter, name, meaning }));
}

/** Every state name, in table order, `'unknown'` last. @group Constants */
export const STATE_NAMES: readonly StateName[] = Object.freeze([
  ...new Set(table.map(([, name]) => name)),
  'unknown' as const,
]);

/**
 * The state for a letter; an unknown letter gives `{ letter, name: 'unknown' }`, never an
 * error (kernels add letters).
 * @throws ERR_INVALID_ARG_TYPE when `letter` is not a string.
 * @see proc(5) /proc/pid/stat field 3, ps(1) "PROCESS STATE CODES"
 */
export function stateOf(letter: string): ProcessState {
  if (typeof letter !== 'string') throw invalidArgType('letter', 'of type string', letter);
  let s = byLetter.get(letter);
  if (s === undefined) {
    s = Object.freeze({ letter, name: 'unknown' as const, meaning: `unknown state letter ${JSON.stringify(letter)}` });
    // Cache an unknown letter only when it is one ASCII letter (what a new kernel state
    // would be): at most 52 entries, whatever strings callers pass.
    if (/^[A-Za-z]$/.test(letter)) byLetter.set(letter, s);
  }
  return s;
}

/** How many states {@link stateOf} has cached (bounded; for tests). @internal */
export function stateCacheSize(): number {
  return byLetter.size;
}

const byCode: (ProcessState | undefined)[] = [];

/** {@link stateOf} for a character code (what the native scan returns), cached. @internal */
export function stateOfCode(code: number): ProcessState {
  let s = byCode[code];
  if (s === undefined) s = byCode[code] = stateOf(String.fromCharCode(code));
  return s;
}
