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
import type { OutputSpec } from './output';

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

/** What a readiness probe (`ready: async (child) => ...`) is given, at each attempt. */
export interface ReadyProbeContext {
  /** The running child's pid (with `contain: 'subreaper'`, the program's). */
  readonly pid: number;
  /** This attempt's number (1 for the first). */
  readonly attempt: number;
  /** Aborted when the attempts are over: the child was ready, exited, or `readyTimeout` ran out. */
  readonly signal: AbortSignal;
}

/**
 * A readiness probe: called until it resolves (or returns) anything but `false`, which makes
 * the child ready; a throw, a rejection or `false` is "not yet", and it is called again
 * (25 ms after the previous attempt ended, doubling up to 1 s) until `readyTimeout`.
 */
export type ReadyProbe = (child: ReadyProbeContext) => unknown;

/** s6's notification-fd: the child is ready once it writes a newline to fd `fd` (3 or more). */
export interface ReadyFd {
  readonly fd: number;
}

/**
 * How the supervisor knows that a child is ready (docs/supervise.md, "Readiness"):
 * - `'spawn'` (the default): once it has been started (exec done);
 * - `'notify'`: once it sends `READY=1` to the `NOTIFY_SOCKET` the supervisor serves
 *   (systemd's sd_notify(3), `Type=notify`);
 * - `{ fd: n }`: once it writes a newline to fd n (s6's notification-fd);
 * - a function: a {@link ReadyProbe}, such as a TCP connect or an HTTP GET.
 */
export type ReadinessOption = 'spawn' | 'notify' | ReadyFd | ReadyProbe;

/** A value of the `stdio` option of {@link supervise}: spawn()'s. */
export type SupervisorStdio = StdioOption;
/** The stdin entry of `stdio: [stdin, stdout, stderr]`: not `'pipe'` (see {@link SupervisorOptions.stdio}). */
export type SupervisorStdin = Exclude<StdioOption, 'pipe'>;

/**
 * The `output` option of {@link supervise}: how the piped stdout and stderr are delivered.
 * Made for logs: a Procfile runner's `prefix: '\x1b[36mweb.1 |\x1b[0m '` gives each line
 * its service's name in colour.
 */
export interface OutputOptions {
  /**
   * Whole lines only (default: false, or true when `prefix` is given): each chunk of
   * {@link Supervisor.stdout} / {@link Supervisor.stderr} is one or more complete lines; a
   * run's unterminated last line is ended with a newline when that run's pipe ends; a line
   * longer than 65536 bytes is cut into lines of that length.
   */
  readonly lines?: boolean;
  /**
   * Written before each line (line mode): any text but a newline or a carriage return (ANSI
   * colour sequences are fine), at most 1024 bytes in UTF-8 (default `''`).
   */
  readonly prefix?: string;
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
   * The child's standard streams: `'inherit'` (default), `'ignore'`, `'pipe'` or an fd, one
   * for all or `[stdin, stdout, stderr]`. `'pipe'` for stdout or stderr makes
   * {@link Supervisor.stdout} / {@link Supervisor.stderr} streams that carry every run's
   * output, in order (docs/supervise.md, "Output"). One `'pipe'` for all pipes stdout and
   * stderr and gives stdin `'ignore'` (/dev/null): a piped stdin is refused (what a run had
   * not read when it ended would be lost, and each restart needs a new one).
   */
  readonly stdio?: SupervisorStdio | readonly [SupervisorStdin?, SupervisorStdio?, SupervisorStdio?];
  /**
   * How {@link Supervisor.stdout} and {@link Supervisor.stderr} deliver the output (needs
   * `stdio` `'pipe'` for stdout or stderr). See {@link OutputOptions}.
   */
  readonly output?: OutputOptions;
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
  /**
   * How a child is known to be ready (default `'spawn'`). Until then the supervisor is
   * `'starting'`. See {@link ReadinessOption}.
   */
  readonly ready?: ReadinessOption;
  /**
   * Milliseconds a child has to become ready (systemd's TimeoutStartSec; default 90000;
   * `Infinity`: no limit). One that is not ready by then is ended (`killSignal`, then
   * SIGKILL) as a failed start: it counts for the backoff and the start limit.
   * `EXTEND_TIMEOUT_USEC=` from the child extends it.
   */
  readonly readyTimeout?: number;
  /**
   * The watchdog period in milliseconds (systemd's WatchdogSec; default none): from its
   * readiness on, a child must send `WATCHDOG=1` to the `NOTIFY_SOCKET` at least this
   * often, else it is ended (`killSignal`, then SIGKILL) and restarted by the policy as a
   * failure (`reason: 'watchdog'` in the `'exit'` event). The child gets `WATCHDOG_USEC`.
   */
  readonly watchdog?: number;
  /**
   * Where the supervisor serves `NOTIFY_SOCKET` (with `ready: 'notify'` or `watchdog`): an
   * absolute path for a socket file (created, and removed when the supervisor settles;
   * one that exists is EADDRINUSE), or `'@name'` for a name in the abstract namespace.
   * Default: an abstract name of its own, `@unixproc/notify/<pid>/<random>`.
   */
  readonly notifySocket?: string;
}

/** The validated readiness. @internal */
export type ReadinessSpec =
  | { readonly kind: 'spawn' }
  | { readonly kind: 'notify' }
  | { readonly kind: 'fd'; readonly fd: number }
  | { readonly kind: 'probe'; readonly probe: ReadyProbe };

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
  readonly ready: ReadinessSpec;
  readonly readyTimeout: number;
  /** Milliseconds, or 0: no watchdog. */
  readonly watchdog: number;
  /** Whether stdout and stderr are piped (`sup.stdout`, `sup.stderr`). */
  readonly pipeStdout: boolean;
  readonly pipeStderr: boolean;
  readonly output: OutputSpec;
  /** Whether a NOTIFY_SOCKET is served (ready 'notify', or a watchdog). */
  readonly notify: boolean;
  /** The NOTIFY_SOCKET given, or undefined for an abstract name of its own. */
  readonly notifySocket: string | undefined;
}

const SUPERVISOR_OPTION_KEYS = optionKeys<SupervisorOptions>({
  name: true, restart: true, backoff: true, startLimit: true, killSignal: true, killGracePeriod: true, cwd: true, env: true,
  stdio: true, user: true, group: true, extraGroups: true, contain: true, ready: true, readyTimeout: true,
  watchdog: true, notifySocket: true, output: true,
});
const OUTPUT_KEYS = optionKeys<OutputOptions>({ lines: true, prefix: true });
/** The longest `output.prefix`, in bytes. */
const PREFIX_MAX = 1024;
const READY_FD_KEYS = optionKeys<ReadyFd>({ fd: true });
/** The highest fd `ready: { fd }` takes (a sane bound; RLIMIT_NOFILE's usual soft limit). */
const READY_FD_MAX = 1023;

function validateReady(value: unknown): ReadinessSpec {
  if (value === undefined || value === 'spawn') return { kind: 'spawn' };
  if (value === 'notify') return { kind: 'notify' };
  if (typeof value === 'function') return { kind: 'probe', probe: value as ReadyProbe };
  if (typeof value === 'string') throw invalidArgValue('options.ready', value, "must be 'spawn', 'notify', { fd } or a function");
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType('options.ready', "one of 'spawn', 'notify', an object { fd } or a function", value);
  }
  const o = validateOptions<ReadyFd>(value, 'options.ready', READY_FD_KEYS);
  if (o.fd === undefined) throw invalidArgValue('options.ready', value, 'must have an fd (the notification fd, 3 or more)');
  return { kind: 'fd', fd: validateInteger(o.fd, 'options.ready.fd', 3, READY_FD_MAX) };
}

/** The longest path a sockaddr_un holds (unix(7)): 107 bytes and its terminator. */
const SUN_PATH_MAX = 107;

function validateNotifySocket(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgType('options.notifySocket', 'of type string', value);
  if (value.includes('\u0000')) throw invalidArgValue('options.notifySocket', value, 'must not contain null bytes');
  if (!(value.startsWith('/') || (value.startsWith('@') && value.length > 1))) {
    throw invalidArgValue('options.notifySocket', value, "must be an absolute path or '@' and an abstract name (sd_notify(3))");
  }
  if (Buffer.byteLength(value) - (value.startsWith('@') ? 1 : 0) > SUN_PATH_MAX) {
    throw invalidArgValue('options.notifySocket', value, `must fit a unix socket address (at most ${SUN_PATH_MAX} bytes)`);
  }
  return value;
}
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

/**
 * The stdio option as a spawn() triple where it pipes: one `'pipe'` for all is stdout and
 * stderr piped, stdin /dev/null; a piped stdin is refused.
 */
function pipedStdio(stdio: unknown): unknown {
  if (stdio === 'pipe') return ['ignore', 'pipe', 'pipe'];
  if (!Array.isArray(stdio)) return stdio;
  if (stdio[0] === 'pipe') {
    throw invalidArgValue(
      'options.stdio[0]',
      'pipe',
      "must not be 'pipe' (what a run had not read when it ended would be lost, and each restart needs a new stdin): use 'inherit', 'ignore' or an fd",
    );
  }
  return stdio;
}

function isPiped(stdio: unknown, i: number): boolean {
  return Array.isArray(stdio) && stdio[i] === 'pipe';
}

function validateOutput(value: unknown, piped: boolean): OutputSpec {
  const o = validateOptions<OutputOptions>(value, 'options.output', OUTPUT_KEYS);
  let prefix = Buffer.alloc(0);
  if (o.prefix !== undefined) {
    if (typeof o.prefix !== 'string') throw invalidArgType('options.output.prefix', 'of type string', o.prefix);
    if (/[\r\n]/.test(o.prefix)) throw invalidArgValue('options.output.prefix', o.prefix, 'must not contain a newline or a carriage return');
    prefix = Buffer.from(o.prefix);
    if (prefix.length > PREFIX_MAX) throw invalidArgValue('options.output.prefix', o.prefix, `must be at most ${PREFIX_MAX} bytes`);
  }
  let lines = o.prefix !== undefined;
  if (o.lines !== undefined) {
    if (typeof o.lines !== 'boolean') throw invalidArgType('options.output.lines', 'of type boolean', o.lines);
    if (!o.lines && o.prefix !== undefined) {
      throw invalidArgValue('options.output.lines', false, 'must not be false with a prefix (the prefix goes before each line)');
    }
    lines = o.lines;
  }
  if (value !== undefined && !piped) {
    throw invalidArgValue('options.output', value, "needs stdio 'pipe' for stdout or stderr (nothing else is delivered)");
  }
  return { lines, prefix };
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

  const stdio = pipedStdio(o.stdio) as SpawnOptions['stdio'];
  const spawn: SpawnOptions = {
    cwd: o.cwd,
    env: o.env,
    stdio,
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
  const pipeStdout = isPiped(stdio, 1);
  const pipeStderr = isPiped(stdio, 2);
  const output = validateOutput(o.output, pipeStdout || pipeStderr);

  const ready = validateReady(o.ready);
  const readyTimeout =
    o.readyTimeout === undefined ? 90000 : validateMilliseconds(o.readyTimeout, 'options.readyTimeout', true);
  if (readyTimeout === 0) throw outOfRange('options.readyTimeout', 'a positive number of milliseconds or Infinity', 0);
  let watchdog = 0;
  if (o.watchdog !== undefined) {
    watchdog = validateMilliseconds(o.watchdog, 'options.watchdog', false);
    if (watchdog === 0) throw outOfRange('options.watchdog', 'a positive number of milliseconds', 0);
  }
  const notify = ready.kind === 'notify' || watchdog > 0;
  const notifySocket = validateNotifySocket(o.notifySocket);
  if (notifySocket !== undefined && !notify) {
    throw invalidArgValue('options.notifySocket', notifySocket, "needs ready: 'notify' or a watchdog (nothing else reads it)");
  }
  return {
    name: serviceName, restart, backoffInitial, backoffFactor, backoffMax, resetAfter, maxRestarts, window,
    killSignal, killGracePeriod, spawn, ready, readyTimeout, watchdog, notify, notifySocket,
    pipeStdout, pipeStderr, output,
  };
}
