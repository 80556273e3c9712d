/**
 * The options of {@link supervise}: their types, defaults, and validation. Every option is
 * checked here, before anything is started.
 */
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import {
  SPAWN_RENAMED_OPTIONS,
  validateMilliseconds,
  validateSpawnOptions,
  type SpawnOptions,
  type StdioOption,
} from '../spawn/options';
import { optionKeys, validateInteger, validateKillSignal, validateOptions } from '../validate';

/**
 * When a child that exited is started again (the meaning of systemd's `Restart=` and
 * Docker's `--restart`):
 * - `'always'`: whatever the exit status;
 * - `'on-failure'` (the default): when it exited with a non-zero code or was killed by a
 *   signal;
 * - `'never'`: never; the supervisor stops once the child has exited.
 * A child ended with {@link Supervisor.terminate} is never restarted.
 */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** The delay before each restart: `initial * factor^(n-1)` for the n-th consecutive one, at most `max`. */
export interface BackoffOptions {
  /** Milliseconds before the first restart (default 100). */
  readonly initial?: number;
  /** Multiplier from one consecutive restart to the next, >= 1 (default 2). */
  readonly factor?: number;
  /** Upper bound of the delay, in milliseconds (default 30000). */
  readonly max?: number;
  /**
   * A child that ran at least this many milliseconds was stable: the next restart starts
   * the sequence again at `initial` (default 10000).
   */
  readonly resetAfter?: number;
}

/**
 * Give up (state `'failed'`) instead of restarting when `maxRestarts` restarts already
 * happened within the last `window` milliseconds (systemd's StartLimitBurst and
 * StartLimitIntervalSec; default 5 in 10000 ms).
 */
export interface StartLimitOptions {
  /** Restarts allowed within `window` (an integer >= 0, or `Infinity`: no limit). */
  readonly maxRestarts?: number;
  /** The sliding window, in milliseconds (> 0). */
  readonly window?: number;
}

/** Options of {@link supervise}. */
export interface SupervisorOptions {
  /**
   * The service's name, as {@link Supervisor.name} and the `service` label of its metrics
   * (docs/prometheus.md): 1 to 128 characters, no control character (default: the last
   * component of the program's path).
   */
  readonly name?: string;
  /** When to restart (default `'on-failure'`). See {@link RestartPolicy}. */
  readonly restart?: RestartPolicy;
  /** Restart delays. See {@link BackoffOptions}. */
  readonly backoff?: BackoffOptions;
  /** When to give up. See {@link StartLimitOptions}. */
  readonly startLimit?: StartLimitOptions;
  /**
   * The first signal of a {@link Supervisor.terminate} (and of the clean-up of a group
   * whose leader exited), sent to the child's whole process group (default `'SIGTERM'`).
   */
  readonly killSignal?: NodeJS.Signals | number;
  /**
   * Milliseconds between `killSignal` and SIGKILL to the group when members remain
   * (default 10000; `Infinity`: never escalate).
   */
  readonly killGracePeriod?: number;
  /** Working directory of the child (as {@link SpawnOptions.cwd}). */
  readonly cwd?: SpawnOptions['cwd'];
  /** The child's whole environment (as {@link SpawnOptions.env}; default `process.env`). */
  readonly env?: SpawnOptions['env'];
  /**
   * The child's standard streams: `'inherit'` (default), `'ignore'` or an fd, one for all
   * or `[stdin, stdout, stderr]`. `'pipe'` is refused: each restart is a new process.
   */
  readonly stdio?: Exclude<StdioOption, 'pipe'> | readonly [Exclude<StdioOption, 'pipe'>?, Exclude<StdioOption, 'pipe'>?, Exclude<StdioOption, 'pipe'>?];
  /** The user to run each child as (as {@link SpawnOptions.user}: a name or a uid; looked up at each start). */
  readonly user?: SpawnOptions['user'];
  /** The child's primary group (as {@link SpawnOptions.group}). */
  readonly group?: SpawnOptions['group'];
  /** The child's supplementary groups (as {@link SpawnOptions.extraGroups}). */
  readonly extraGroups?: SpawnOptions['extraGroups'];
  /**
   * Contain each child's whole tree (docs/containment.md): `true` (the default) for the best
   * mechanism available, `'cgroup'` or `'subreaper'` to force one, `false` for its process
   * group only (what a grandchild that calls setsid escapes).
   */
  readonly contain?: SpawnOptions['contain'];
}

/** The validated options. @internal */
export interface SupervisorSpec {
  /** The given name, or undefined for the default (the program's basename). */
  readonly name: string | undefined;
  readonly restart: RestartPolicy;
  readonly backoffInitial: number;
  readonly backoffFactor: number;
  readonly backoffMax: number;
  readonly resetAfter: number;
  readonly maxRestarts: number;
  readonly window: number;
  readonly killSignal: number;
  readonly killGracePeriod: number;
  /** What each child is spawned with. */
  readonly spawn: SpawnOptions;
}

const SUPERVISOR_OPTION_KEYS = optionKeys<SupervisorOptions>({
  name: true, restart: true, backoff: true, startLimit: true, killSignal: true, killGracePeriod: true, cwd: true, env: true,
  stdio: true, user: true, group: true, extraGroups: true, contain: true,
});
const BACKOFF_KEYS = optionKeys<BackoffOptions>({ initial: true, factor: true, max: true, resetAfter: true });
const START_LIMIT_KEYS = optionKeys<StartLimitOptions>({ maxRestarts: true, window: true });

const POLICIES: readonly string[] = ['always', 'on-failure', 'never'];

function validateRestart(value: unknown): RestartPolicy {
  if (value === undefined) return 'on-failure';
  if (typeof value !== 'string') throw invalidArgType('options.restart', 'of type string', value);
  if (!POLICIES.includes(value)) {
    throw invalidArgValue('options.restart', value, "must be 'always', 'on-failure' or 'never'");
  }
  return value as RestartPolicy;
}

/** At most this many characters in a service name (a label value: kept short). */
const NAME_MAX = 128;

function validateName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType('options.name', 'of type string', value);
  if (value.length === 0 || value.length > NAME_MAX || /[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw invalidArgValue('options.name', value, `must be 1 to ${NAME_MAX} characters, no control character`);
  }
  return value;
}

function finiteMs(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : validateMilliseconds(value, name, false);
}

/** Validates supervise()'s options (all of them, before anything runs). @internal */
export function validateSupervisorOptions(options: unknown): SupervisorSpec {
  const o = validateOptions<SupervisorOptions>(options, 'options', SUPERVISOR_OPTION_KEYS, {
    stopSignal: 'killSignal',
    stopTimeout: 'killGracePeriod',
    ...SPAWN_RENAMED_OPTIONS,
  });
  const serviceName = validateName(o.name);
  const restart = validateRestart(o.restart);

  const b = validateOptions<BackoffOptions>(o.backoff, 'options.backoff', BACKOFF_KEYS);
  const backoffInitial = finiteMs(b.initial, 'options.backoff.initial', 100);
  let backoffFactor = 2;
  if (b.factor !== undefined) {
    if (typeof b.factor !== 'number') throw invalidArgType('options.backoff.factor', 'of type number', b.factor);
    if (!Number.isFinite(b.factor) || b.factor < 1) {
      throw outOfRange('options.backoff.factor', 'a finite number >= 1', b.factor);
    }
    backoffFactor = b.factor;
  }
  const backoffMax = finiteMs(b.max, 'options.backoff.max', Math.max(30000, backoffInitial));
  if (backoffMax < backoffInitial) {
    throw outOfRange('options.backoff.max', `>= options.backoff.initial (${backoffInitial})`, backoffMax);
  }
  const resetAfter = finiteMs(b.resetAfter, 'options.backoff.resetAfter', 10000);

  const l = validateOptions<StartLimitOptions>(o.startLimit, 'options.startLimit', START_LIMIT_KEYS);
  let maxRestarts = 5;
  if (l.maxRestarts !== undefined) {
    maxRestarts =
      l.maxRestarts === Infinity ? Infinity : validateInteger(l.maxRestarts, 'options.startLimit.maxRestarts', 0);
  }
  let window = 10000;
  if (l.window !== undefined) {
    window = validateMilliseconds(l.window, 'options.startLimit.window', false);
    if (window === 0) throw outOfRange('options.startLimit.window', 'a positive number of milliseconds', l.window);
  }

  const killSignal = o.killSignal === undefined ? 15 : validateKillSignal(o.killSignal, 'options.killSignal');
  const killGracePeriod =
    o.killGracePeriod === undefined ? 10000 : validateMilliseconds(o.killGracePeriod, 'options.killGracePeriod', true);

  const stdio = o.stdio;
  const stdioList = Array.isArray(stdio) ? stdio : [stdio];
  stdioList.forEach((s, i) => {
    if (s === 'pipe') {
      const name = Array.isArray(stdio) ? `options.stdio[${i}]` : 'options.stdio';
      throw invalidArgValue(name, s, "must not be 'pipe' (each restart is a new process): use 'inherit', 'ignore' or an fd");
    }
  });
  const spawn: SpawnOptions = {
    cwd: o.cwd,
    env: o.env,
    stdio: o.stdio as SpawnOptions['stdio'],
    user: o.user,
    group: o.group,
    extraGroups: o.extraGroups,
    // Each child leads its own group (the unit that is stopped), and dies with this thread.
    processGroup: true,
    killOnParentDeath: 'SIGKILL',
    contain: o.contain === undefined ? true : o.contain,
    // A contained tree is ended by the contain layer with the stop sequence.
    killSignal,
    killGracePeriod,
  };
  validateSpawnOptions(spawn); // the pass-through options, checked now rather than at a restart
  return {
    name: serviceName, restart, backoffInitial, backoffFactor, backoffMax, resetAfter, maxRestarts, window,
    killSignal, killGracePeriod, spawn,
  };
}
