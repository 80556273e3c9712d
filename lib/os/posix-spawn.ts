/**
 * Python's `os.posix_spawn` and `os.posix_spawnp`: start a program in one call, with
 * glibc's posix_spawn(3) (a CLONE_VFORK child that runs no JavaScript).
 *
 * Unlike Python's, the spawned program never inherits what Node did to this process:
 * - every signal is at its default disposition (Node ignores SIGPIPE and SIGXFSZ, and an
 *   ignored signal stays ignored across exec), whatever `setsigdef` says;
 * - the signal mask is empty unless `setsigmask` gives one;
 * - it has ONLY fds 0, 1 and 2 (libuv marks them close-on-exec; they are passed on), the
 *   fds the caller made inheritable (`set_inheritable(fd, true)`: passed, as Python passes
 *   them), plus the targets of `file_actions`. Every other fd is closed in the child.
 * What it does share with the caller, as any child does, is the open file descriptions of
 * 0..2, flags included: if Node made a pipe on fd 1 non-blocking, it is non-blocking in the
 * program too (posix_spawn cannot change that in the child alone; redirect with
 * `file_actions` where it matters).
 *
 * An exec failure (missing program, not executable) is thrown here, with the path
 * (glibc >= 2.24 returns the exec errno from posix_spawn and reaps the failed child).
 */
import { check, invalidArgType, invalidArgValue } from '../errors';
import { native } from '../native';
import { recordOwnChild } from '../own-children';
import { withSpawnProvenance } from '../provenance-hook';
import { inheritableFds } from './fd-registry';
import {
  INT32_MAX,
  validateBoolean,
  validateBytes,
  validateBytesEnv,
  validateInt32,
  validateInteger,
  optionKeys,
  validateOptions,
  validateSignal,
  validateArray,
} from '../validate';

/** file_actions tag: `[POSIX_SPAWN_OPEN, fd, path, flags, mode]` opens `path` as `fd`. @group Constants: posix_spawn */
export const POSIX_SPAWN_OPEN = 0;
/** file_actions tag: `[POSIX_SPAWN_CLOSE, fd]` closes `fd`. @group Constants: posix_spawn */
export const POSIX_SPAWN_CLOSE = 1;
/** file_actions tag: `[POSIX_SPAWN_DUP2, fd, newFd]` duplicates `fd` to `newFd`. @group Constants: posix_spawn */
export const POSIX_SPAWN_DUP2 = 2;
/** file_actions tag: `[POSIX_SPAWN_CLOSEFROM, fd]` closes every fd >= `fd` (glibc 2.34; Python 3.13). @group Constants: posix_spawn */
export const POSIX_SPAWN_CLOSEFROM = 3;

/** Scheduling policy for the `scheduler` option: the default time-sharing policy (sched(7)). @group Constants: posix_spawn */
export const SCHED_OTHER = 0;
/** Scheduling policy: real-time first-in first-out (sched(7)); needs CAP_SYS_NICE. @group Constants: posix_spawn */
export const SCHED_FIFO = 1;
/** Scheduling policy: real-time round-robin (sched(7)); needs CAP_SYS_NICE. @group Constants: posix_spawn */
export const SCHED_RR = 2;
/** Scheduling policy: batch (sched(7)); glibc's posix_spawn rejects it with EINVAL. @group Constants: posix_spawn */
export const SCHED_BATCH = 3;
/** Scheduling policy: very low priority background jobs (sched(7)); glibc's posix_spawn rejects it with EINVAL. @group Constants: posix_spawn */
export const SCHED_IDLE = 5;
/** Or'ed into a policy: the child's children do not inherit a real-time policy. @group Constants: posix_spawn */
export const SCHED_RESET_ON_FORK = 0x40000000;

/** One file action, as Python's tuples. */
export type FileAction =
  | readonly [typeof POSIX_SPAWN_OPEN, number, string | Buffer, number, number]
  | readonly [typeof POSIX_SPAWN_CLOSE, number]
  | readonly [typeof POSIX_SPAWN_DUP2, number, number]
  | readonly [typeof POSIX_SPAWN_CLOSEFROM, number];

/** Python's `os.sched_param`. */
export interface SchedParam {
  readonly sched_priority: number;
}

/** The keyword arguments of Python's `os.posix_spawn`; null is the same as not given where Python takes None (file_actions, setpgroup, scheduler). */
export interface PosixSpawnOptions {
  /** Applied in order in the child before exec. Default: none. */
  readonly file_actions?: readonly FileAction[] | null;
  /** Put the child in process group `setpgroup` (0: a new group led by the child). */
  readonly setpgroup?: number | null;
  /** Reset the effective uid and gid to the real ones (POSIX_SPAWN_RESETIDS). */
  readonly resetids?: boolean;
  /** Start the child in a new session (POSIX_SPAWN_SETSID). */
  readonly setsid?: boolean;
  /** Signals blocked in the child (numbers or names). Default: none. */
  readonly setsigmask?: Iterable<NodeJS.Signals | number>;
  /**
   * Signals reset to their default in the child. Accepted (and validated) for Python
   * parity; every signal is reset anyway.
   */
  readonly setsigdef?: Iterable<NodeJS.Signals | number>;
  /**
   * `[policy, param]`: the child's scheduling policy (`SCHED_*`, or null to set only the
   * parameter) and priority (`{ sched_priority }` as Python's `os.sched_param`, or a number).
   */
  readonly scheduler?: readonly [number | null, SchedParam | number] | null;
}

/**
 * An environment mapping, as Python's `env`; null/undefined: this process's environment.
 * Values (and a Map's keys) may be Buffers, passed as their bytes.
 */
export type Environment =
  | Readonly<Record<string, string | Buffer | undefined>>
  | ReadonlyMap<string | Buffer, string | Buffer>
  | null;

/** An argv entry: a string (passed as UTF-8) or a Buffer (its bytes, unchanged). */
export type Argument = string | Buffer;

interface SpawnAttributes {
  actions: (number | string | Buffer)[][];
  pgroup: number | null;
  resetids: boolean;
  setsid: boolean;
  sigmask: number[] | null;
  scheduler: [number, number] | null;
}
interface SpawnBinding {
  posixSpawn(path: string | Buffer, argv: Argument[], envp: Argument[] | null, search: boolean, attrs: SpawnAttributes | null, inheritable: number[]): number;
}
const b = (): SpawnBinding => native<SpawnBinding>();

function validateSignals(value: unknown, name: string): number[] {
  if (typeof value !== 'object' || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(name, 'an iterable of signals', value);
  }
  const out: number[] = [];
  let i = 0;
  for (const s of value as Iterable<unknown>) {
    const n = validateSignal(s, `${name}[${i++}]`);
    if (n === 0) throw invalidArgValue(`${name}[${i - 1}]`, s, 'must be a signal number from 1');
    out.push(n);
  }
  return out;
}

function validateFileActions(value: unknown): (number | string | Buffer)[][] {
  // An index loop (validateArray), never value.map: map skips holes and honours
  // Symbol.species, and native code must get a dense plain array of plain arrays.
  return validateArray(value, 'options.file_actions', (action: unknown, name): (number | string | Buffer)[] => {
    if (!Array.isArray(action)) throw invalidArgType(name, 'an instance of Array', action);
    const tag = action[0];
    const expect = (n: number, shape: string): void => {
      if (action.length !== n) throw invalidArgValue(name, action, `must be ${shape}`);
    };
    switch (tag) {
      case POSIX_SPAWN_OPEN:
        expect(5, '[POSIX_SPAWN_OPEN, fd, path, flags, mode]');
        return [
          tag,
          validateInt32(action[1], `${name}[1]`),
          validateBytes(action[2], `${name}[2]`, false),
          validateInt32(action[3], `${name}[3]`),
          validateInteger(action[4], `${name}[4]`, 0, 0o7777),
        ];
      case POSIX_SPAWN_CLOSE:
        expect(2, '[POSIX_SPAWN_CLOSE, fd]');
        return [tag, validateInt32(action[1], `${name}[1]`)];
      case POSIX_SPAWN_DUP2:
        expect(3, '[POSIX_SPAWN_DUP2, fd, newFd]');
        return [tag, validateInt32(action[1], `${name}[1]`), validateInt32(action[2], `${name}[2]`)];
      case POSIX_SPAWN_CLOSEFROM:
        expect(2, '[POSIX_SPAWN_CLOSEFROM, fd]');
        return [tag, validateInt32(action[1], `${name}[1]`)];
      default:
        throw invalidArgValue(`${name}[0]`, tag, 'must be POSIX_SPAWN_OPEN, _CLOSE, _DUP2 or _CLOSEFROM');
    }
  });
}

function validateScheduler(value: unknown): [number, number] | null {
  if (value === undefined || value === null) return null;
  const name = 'options.scheduler';
  if (!Array.isArray(value) || value.length !== 2) {
    throw invalidArgType(name, 'a [policy, param] array', value);
  }
  const policy = value[0] === null ? -1 : validateInteger(value[0], `${name}[0]`, 0, INT32_MAX);
  let param = value[1] as unknown;
  if (typeof param === 'object' && param !== null && 'sched_priority' in param) {
    param = (param as SchedParam).sched_priority;
  }
  return [policy, validateInt32(param, `${name}[1].sched_priority`)];
}

const POSIX_SPAWN_KEYS = optionKeys<PosixSpawnOptions>({
  file_actions: true, setpgroup: true, resetids: true, setsid: true, setsigmask: true, setsigdef: true, scheduler: true,
});

// Where Python's posix_spawn takes None (file_actions, setpgroup, scheduler), null is "not
// given" here, as undefined is. Where it does not (resetids, setsid, setsigmask, setsigdef:
// TestPosixSpawn.test_resetids_wrong_type), null is a TypeError, as there.
function withoutNulls(options: Partial<PosixSpawnOptions>): Partial<PosixSpawnOptions> {
  return options.file_actions === null ? { ...options, file_actions: undefined } : options;
}

function validateAttributes(options: unknown): SpawnAttributes | null {
  const o = withoutNulls(validateOptions<PosixSpawnOptions>(options === null ? undefined : options, 'options', POSIX_SPAWN_KEYS));
  if (
    o.file_actions === undefined && (o.setpgroup === undefined || o.setpgroup === null) &&
    o.resetids === undefined && o.setsid === undefined && o.setsigmask === undefined &&
    o.setsigdef === undefined && (o.scheduler === undefined || o.scheduler === null)
  ) {
    return null; // the common case: nothing to carry to native code
  }
  const attrs: SpawnAttributes = {
    actions: o.file_actions === undefined ? [] : validateFileActions(o.file_actions),
    pgroup: o.setpgroup === undefined || o.setpgroup === null ? null : validateInt32(o.setpgroup, 'options.setpgroup'),
    resetids: o.resetids === undefined ? false : validateBoolean(o.resetids, 'options.resetids'),
    setsid: o.setsid === undefined ? false : validateBoolean(o.setsid, 'options.setsid'),
    sigmask: o.setsigmask === undefined ? null : validateSignals(o.setsigmask, 'options.setsigmask'),
    scheduler: validateScheduler(o.scheduler),
  };
  if (o.setsigdef !== undefined) validateSignals(o.setsigdef, 'options.setsigdef');
  return attrs;
}

function spawn(
  syscall: 'posix_spawn' | 'posix_spawnp',
  path: unknown,
  argv: unknown,
  env: unknown,
  options: unknown,
): number {
  const file = validateBytes(path, 'path', false);
  const args = validateArray(argv, 'argv', (item, name) => validateBytes(item, name), false);
  if (args[0].length === 0) throw invalidArgValue('argv[0]', args[0], 'must not be empty');
  const envp = env === undefined || env === null ? null : validateBytesEnv(env, 'env');
  const attrs = validateAttributes(options);
  // err.path is what the caller gave (a Buffer stays a Buffer), as validated above.
  return recordOwnChild(
    withSpawnProvenance(
      `unixproc.${syscall}`,
      args,
      envp,
      (e) => check(b().posixSpawn(file, args, e, syscall === 'posix_spawnp', attrs, inheritableFds()), syscall, path as string | Buffer),
      (pid) => pid,
    ),
  );
}

/**
 * Runs the program at `path` in a new child process, as Python's `os.posix_spawn`.
 * The child starts with default signal dispositions, an empty signal mask and only fds
 * 0..2, the inheritable fds and `file_actions` (see the module notes). Reap it with `waitpid(pid, 0)`.
 * @param path - the program; not searched in PATH (see {@link posix_spawnp}). A string is
 *   passed as UTF-8, a Buffer as its bytes unchanged (a file name that is not UTF-8 works,
 *   as with Python's bytes paths). The same holds for argv entries, env values and the
 *   path of a POSIX_SPAWN_OPEN file action.
 * @param argv - non-empty; `argv[0]` non-empty, as Python requires.
 * @param env - the child's environment as a mapping (object or Map); null or undefined:
 *   this process's environment (Python 3.13's `env=None`).
 * @returns the child's pid.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad argument
 *   (NUL bytes, empty argv, malformed file action, unknown signal);
 *   ENOENT / EACCES / ENOEXEC / ENOTDIR... when the program cannot be executed, and the
 *   errno of a failed file action (e.g. ENOENT for an OPEN), each with `path` set to the
 *   program as the caller gave it (the same string, or the same Buffer), as CPython does;
 *   EBADF for a file action on a negative fd (glibc, as in Python); EINVAL, EPERM (setpgroup,
 *   scheduler).
 * @see posix_spawn(3)
 */
export function posix_spawn(path: string | Buffer, argv: readonly Argument[], env?: Environment, options?: PosixSpawnOptions | null): number {
  return spawn('posix_spawn', path, argv, env, options);
}

/**
 * As {@link posix_spawn}, but a `file` without a slash is searched in PATH (glibc reads
 * this process's PATH, not the one in `env`), as Python's `os.posix_spawnp`.
 * @returns the child's pid.
 * @throws as {@link posix_spawn}, with `syscall` 'posix_spawnp'.
 * @see posix_spawnp(3)
 */
export function posix_spawnp(file: string | Buffer, argv: readonly Argument[], env?: Environment, options?: PosixSpawnOptions | null): number {
  return spawn('posix_spawnp', file, argv, env, options);
}
