/**
 * The options of {@link spawn}: their types, and their validation into the plain values
 * the native call takes. Every option is checked here, before any native code runs.
 * @internal
 */
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import {
  INT32_MAX,
  validateBoolean,
  validateCString,
  validateEnv,
  validateFd,
  optionKeys,
  validateOptions,
  validateBytes,
  validatePid,
  validateKillSignal,
} from '../validate';
import { validateLimits, type Limits, type LimitsSpec } from '../contain/limits';
import { resolveCredentials, type CredentialsSpec, type GroupOption, type UserOption } from './credentials';

export type { GroupOption, UserOption } from './credentials';

/** What one of the child's standard streams is connected to. */
export type StdioOption =
  /** The parent's own fd 0, 1 or 2 (the default). */
  | 'inherit'
  /** /dev/null. */
  | 'ignore'
  /** A pipe to this process, exposed as `handle.stdin` / `stdout` / `stderr`. */
  | 'pipe'
  /** A file descriptor of this process, given to the child as the stream. */
  | number;

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /**
   * Working directory of the child (chdir(2) in the child, before exec). A Buffer is
   * passed as its bytes, unchanged (a directory name that is not valid UTF-8).
   */
  readonly cwd?: string | Buffer;
  /**
   * The child's whole environment (default: `process.env`). `PATH` in it, when present,
   * is the one searched for `file`. `UNIXPROC_LINEAGE` is added unless `lineage` is false.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>;
  /** The three standard streams: one value for all, or `[stdin, stdout, stderr]`. Default `'inherit'`. */
  readonly stdio?: StdioOption | readonly [StdioOption?, StdioOption?, StdioOption?];
  /** `argv[0]` as the child sees it (default: `file`). */
  readonly argv0?: string;
  /** Start a new session (setsid(2)): the child leads a new session and process group, with no controlling terminal. */
  readonly setsid?: boolean;
  /** `true`: the child leads a new process group; a number: join that process group (setpgid(2)). */
  readonly processGroup?: boolean | number;
  /**
   * Kill the child when this thread dies (prctl(2) PR_SET_PDEATHSIG): `true` for SIGKILL,
   * or a signal. A child whose parent died before the prctl exits at once.
   */
  readonly killOnParentDeath?: boolean | NodeJS.Signals | number;
  /** Aborting sends `killSignal` (then SIGKILL after `killGracePeriod`). */
  readonly signal?: AbortSignal;
  /** Milliseconds after which the child is sent `killSignal` (0 or absent: never). */
  readonly timeout?: number;
  /** The signal for `timeout`, `signal` and `handle.terminate()` (default `'SIGTERM'`). */
  readonly killSignal?: NodeJS.Signals | number;
  /**
   * Milliseconds between `killSignal` and SIGKILL when the child is still alive
   * (default 5000; `Infinity`: never escalate).
   */
  readonly killGracePeriod?: number;
  /**
   * The user to run as: a name from the user database (getpwnam(3)), or a uid. Names are
   * looked up here, in this process, before the child exists (an unknown one is
   * ERR_INVALID_ARG_VALUE); the child calls setgroups(2), setgid(2), setuid(2), in that order.
   * When the user has a passwd entry (a name always has; a uid may not), the child also
   * gets, unless `group` / `extraGroups` say otherwise, its primary group from passwd and its
   * supplementary groups from the group database, as a login does (initgroups(3)).
   * **Unlike Python's `subprocess`**, which keeps the caller's gid and groups unless told.
   * A uid with no passwd entry changes the uid only, with no supplementary group: give
   * `group` too, or the child keeps this process's gid. Without privilege (CAP_SETGID,
   * CAP_SETUID) spawn throws EPERM with `syscall` 'setgroups', 'setgid' or 'setuid', the first
   * step that would change something (setgroups is skipped when the groups asked for are
   * exactly this process's, so a process may name itself). Replaces the former `uid`.
   * See docs/spawning.md, "Credentials".
   */
  readonly user?: UserOption;
  /**
   * The primary group: a name from the group database (getgrnam(3)), or a gid (setgid(2) in
   * the child, after setgroups, before setuid). Default: the passwd group of `user`, else unchanged.
   * Replaces the former `gid`.
   */
  readonly group?: GroupOption;
  /**
   * The supplementary groups, exactly (setgroups(2), first): names or gids, at most
   * NGROUPS_MAX (65536 on Linux); `[]` for none. Default, when `user` or `group` is given:
   * the user's groups from the group database (initgroups(3)) when `user` has a passwd
   * entry, else none. Never the caller's own, unless asked for (`process.getgroups()`).
   */
  readonly extraGroups?: readonly GroupOption[];
  /** Put the lineage record `UNIXPROC_LINEAGE` into the child's environment (default true). */
  readonly lineage?: boolean;
  /**
   * Contain the child's whole tree (docs/containment.md): `true` for the best mechanism
   * available (or the one `UNIXPROC_CONTAINMENT` names), `'cgroup'` or `'subreaper'` to
   * force one. The handle is then a `ContainedSubprocess`. Default false.
   */
  readonly contain?: boolean | 'cgroup' | 'subreaper';
  /**
   * Resource limits set in the child before exec (setrlimit(2)), by name as prlimit(1) has
   * them: `{ nofile: 1024, core: 0, as: [soft, hard] }`; one number sets soft and hard;
   * `Infinity` is unlimited. Raising a hard limit needs privilege (EPERM, syscall 'setrlimit').
   * With `contain: 'cgroup'` also `memoryMax`, `pidsMax`, `cpuMax` (docs/containment.md).
   */
  readonly limits?: Limits;
}

/** The validated options. @internal */
export interface SpawnSpec {
  readonly cwd: string | Buffer | undefined;
  readonly env: string[];
  readonly stdio: readonly [StdioOption, StdioOption, StdioOption];
  readonly argv0: string | undefined;
  readonly setsid: boolean;
  /** -1: keep; 0: new group; > 0: join. */
  readonly pgid: number;
  readonly deathSignal: number;
  readonly signal: AbortSignal | undefined;
  readonly timeout: number;
  readonly killSignal: number;
  readonly killGracePeriod: number;
  /** What setgroups/setgid/setuid the child makes (names already resolved). */
  readonly credentials: CredentialsSpec;
  readonly lineage: boolean;
  readonly contain: 'off' | 'auto' | 'cgroup' | 'subreaper';
  /** rlimit triples and cgroup limits. */
  readonly limits: LimitsSpec;
}

function validateStdioValue(value: unknown, name: string): StdioOption {
  if (value === undefined || value === null) return 'inherit';
  if (value === 'inherit' || value === 'ignore' || value === 'pipe') return value;
  if (typeof value === 'number') return validateFd(value, name);
  if (typeof value === 'string') {
    throw invalidArgValue(name, value, "must be 'inherit', 'ignore', 'pipe' or a file descriptor");
  }
  throw invalidArgType(name, "one of 'inherit', 'ignore', 'pipe' or a file descriptor", value);
}

function validateStdio(value: unknown): [StdioOption, StdioOption, StdioOption] {
  if (!Array.isArray(value)) {
    const one = validateStdioValue(value, 'options.stdio');
    return [one, one, one];
  }
  if (value.length > 3) {
    throw invalidArgValue('options.stdio', value, 'must have at most 3 entries (stdin, stdout, stderr)');
  }
  return [0, 1, 2].map((i) => validateStdioValue(value[i], `options.stdio[${i}]`)) as [
    StdioOption,
    StdioOption,
    StdioOption,
  ];
}

/** An AbortSignal, checked as Node's own validateAbortSignal does (duck-typed, cross-realm). */
export function validateAbortSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    !('aborted' in value) ||
    typeof (value as AbortSignal).addEventListener !== 'function'
  ) {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
  return value as AbortSignal;
}

/** Milliseconds: a non-negative number (`Infinity` only where `allowInfinity`). */
export function validateMilliseconds(value: unknown, name: string, allowInfinity: boolean): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (allowInfinity && value === Infinity) return value;
  if (!Number.isFinite(value) || value < 0) {
    throw outOfRange(name, allowInfinity ? 'a non-negative number or Infinity' : 'a non-negative finite number', value);
  }
  if (value > INT32_MAX) throw outOfRange(name, `<= ${INT32_MAX}`, value);
  return value;
}

/** The keys of {@link SpawnOptions}. @internal */
export const SPAWN_OPTION_KEYS = optionKeys<SpawnOptions>({
  cwd: true, env: true, stdio: true, argv0: true, setsid: true, processGroup: true, killOnParentDeath: true,
  signal: true, timeout: true, killSignal: true, killGracePeriod: true, user: true, group: true,
  extraGroups: true, lineage: true, contain: true, limits: true,
});

/** Former option names, refused with the new one named (docs/conventions.md). @internal */
export const SPAWN_RENAMED_OPTIONS = { uid: 'user', gid: 'group' } as const;

/** Validates spawn's options (all of them, before anything runs). @internal */
export function validateSpawnOptions(options: unknown): SpawnSpec {
  const o = validateOptions<SpawnOptions>(options, 'options', SPAWN_OPTION_KEYS, SPAWN_RENAMED_OPTIONS);
  const cwd = o.cwd === undefined ? undefined : validateBytes(o.cwd, 'options.cwd', false);
  // process.env, the JS object (not environ(7)): in worker threads and sandboxes it is
  // the environment the caller sees, as child_process uses it.
  const env = validateEnv(o.env === undefined ? process.env : o.env, 'options.env');
  const stdio = validateStdio(o.stdio);
  const argv0 = o.argv0 === undefined ? undefined : validateCString(o.argv0, 'options.argv0');
  const setsid = o.setsid === undefined ? false : validateBoolean(o.setsid, 'options.setsid');

  let pgid = -1;
  if (o.processGroup !== undefined && o.processGroup !== false) {
    if (o.processGroup === true) pgid = 0;
    else if (typeof o.processGroup === 'number') pgid = validatePid(o.processGroup, 'options.processGroup');
    else throw invalidArgType('options.processGroup', 'of type boolean or number', o.processGroup);
  }
  if (setsid && pgid > 0) {
    throw invalidArgValue(
      'options.processGroup',
      pgid,
      'cannot name a group to join together with setsid (a session leader cannot change group)',
    );
  }
  if (setsid) pgid = -1; // setsid() already made the child a group leader

  let deathSignal = 0;
  if (o.killOnParentDeath !== undefined && o.killOnParentDeath !== false) {
    if (o.killOnParentDeath === true) deathSignal = 9;
    else deathSignal = validateKillSignal(o.killOnParentDeath, 'options.killOnParentDeath');
  }

  const signal = validateAbortSignal(o.signal, 'options.signal');
  const timeout = o.timeout === undefined ? 0 : validateMilliseconds(o.timeout, 'options.timeout', false);
  const killSignal = o.killSignal === undefined ? 15 : validateKillSignal(o.killSignal, 'options.killSignal');
  const killGracePeriod =
    o.killGracePeriod === undefined ? 5000 : validateMilliseconds(o.killGracePeriod, 'options.killGracePeriod', true);
  const lineage = o.lineage === undefined ? true : validateBoolean(o.lineage, 'options.lineage');
  const contain = validateContain(o.contain);
  const limits = validateLimits(o.limits);
  // Last: the only part that reads a database (a name that is not there is an argument error).
  const credentials = resolveCredentials(o.user, o.group, o.extraGroups);

  return {
    cwd, env, stdio, argv0, setsid, pgid, deathSignal, signal, timeout, killSignal,
    killGracePeriod, credentials, lineage, contain, limits,
  };
}

function validateContain(value: unknown): SpawnSpec['contain'] {
  if (value === undefined || value === false) return 'off';
  if (value === true) return 'auto';
  if (value === 'cgroup' || value === 'subreaper') return value;
  if (typeof value === 'string') throw invalidArgValue('options.contain', value, "must be true, false, 'cgroup' or 'subreaper'");
  throw invalidArgType('options.contain', "of type boolean or one of 'cgroup', 'subreaper'", value);
}

/** Options of {@link Subprocess.terminate} and {@link Supervisor.terminate}. */
export interface TerminateOptions {
  /** The first signal (default: the handle's `killSignal`). */
  readonly killSignal?: NodeJS.Signals | number;
  /**
   * Milliseconds between `killSignal` and SIGKILL when it is still alive (default: the
   * handle's `killGracePeriod`; `Infinity`: never escalate).
   */
  readonly killGracePeriod?: number;
}

const TERMINATE_OPTION_KEYS = optionKeys<TerminateOptions>({ killSignal: true, killGracePeriod: true });

/** `killSignal` (1..64) and `killGracePeriod` of a terminate() call, with the defaults given. @internal */
export function validateTerminateOptions(
  options: unknown,
  killSignal: number,
  killGracePeriod: number,
): { killSignal: number; killGracePeriod: number } {
  const o = validateOptions<TerminateOptions>(options, 'options', TERMINATE_OPTION_KEYS);
  return {
    killSignal: o.killSignal === undefined ? killSignal : validateKillSignal(o.killSignal, 'options.killSignal'),
    killGracePeriod:
      o.killGracePeriod === undefined
        ? killGracePeriod
        : validateMilliseconds(o.killGracePeriod, 'options.killGracePeriod', true),
  };
}
