/**
 * Python's `os.spawn*` family: `spawnv`, `spawnve`, `spawnvp`, `spawnvpe`, `spawnl`,
 * `spawnle`, `spawnlp`, `spawnlpe`, with `P_WAIT`, `P_NOWAIT` and `P_NOWAITO`.
 *
 * Python builds these on fork + exec (Lib/os.py `_spawnvef`); here they are built on this
 * library's {@link posix_spawn} (no JavaScript runs in the child), with the same results:
 * - `P_NOWAIT` (and `P_NOWAITO`, the same value on POSIX) returns the child's pid: reap it
 *   with `waitpid(pid, 0)`;
 * - any other mode waits (BLOCKING the event loop, as `waitpid` does), skipping stops, and
 *   returns `waitstatus_to_exitcode(status)`: the exit code, or `-signal` for a child
 *   killed by a signal.
 * The `p` variants search PATH as Python's `execvp`/`execvpe` do: the PATH of `env` for
 * `spawnvpe`/`spawnlpe`, this process's for `spawnvp`/`spawnlp`, `/bin:/usr/bin` where
 * there is none; a name with a slash is not searched.
 *
 * One difference: where Python's child cannot exec the program it exits with 127 (so
 * P_WAIT returns 127 and P_NOWAIT a pid that exits 127); here the exec error is thrown
 * (ENOENT, EACCES... with `path`), since posix_spawn reports it to the caller.
 * The child gets what posix_spawn gives: fds 0..2 (and those made inheritable), default
 * signal dispositions, an empty signal mask.
 */
import { invalidArgType, invalidArgValue, isErrnoException } from '../errors';
import { validateArray, validateBytes, validateBytesEnv, validateInt32 } from '../validate';
import { posix_spawn, type Argument, type Environment } from './posix-spawn';
import { waitstatus_to_exitcode, WIFSTOPPED } from './status';
import { waitpid } from './wait';

/** spawn* mode: wait for the child and return its exit code (or -signal). @group Constants: spawn* */
export const P_WAIT = 0;
/** spawn* mode: return the child's pid at once; reap it with waitpid. @group Constants: spawn* */
export const P_NOWAIT = 1;
/** spawn* mode: as P_NOWAIT (the same value on POSIX, as in Python). @group Constants: spawn* */
export const P_NOWAITO = 1;

// Python's os.defpath on POSIX.
const DEFAULT_PATH = '/bin:/usr/bin';

function validateArgs(args: unknown): Argument[] {
  // Python: "argv must be a tuple or a list", "argv first element cannot be empty".
  const argv = validateArray(args, 'args', (item, name) => validateBytes(item, name), false);
  if (argv[0].length === 0) throw invalidArgValue('args[0]', argv[0], 'must not be empty');
  return argv;
}

function validateEnvironment(env: unknown): Environment {
  if (env === undefined || env === null) return null;
  // A mapping: the same check posix_spawn makes, done first so that no child starts.
  validateBytesEnv(env, 'env');
  return env as Environment;
}

// PATH from an env mapping (Python's os.get_exec_path), or this process's when env is null.
function searchPath(env: Environment): string {
  let value: unknown;
  if (env === null) value = process.env.PATH;
  else if (env instanceof Map) value = env.get('PATH');
  else value = (env as Record<string, unknown>).PATH;
  if (Buffer.isBuffer(value)) value = value.toString();
  return typeof value === 'string' ? value : DEFAULT_PATH;
}

// Python's _execvpe: each PATH entry in turn; ENOENT/ENOTDIR go on to the next, the first
// other error is the one reported (else the last one).
function spawnSearched(file: Argument, argv: Argument[], env: Environment): number {
  const name = file.toString();
  if (name.includes('/')) return posix_spawn(file, argv, env);
  let saved: unknown;
  let last: unknown;
  for (const dir of searchPath(env).split(':')) {
    // os.path.join(dir, file): an empty entry leaves the name relative (to the cwd).
    const prefix = dir === '' ? '' : dir.endsWith('/') ? dir : `${dir}/`;
    const candidate = Buffer.isBuffer(file) ? Buffer.concat([Buffer.from(prefix), file]) : prefix + file;
    try {
      return posix_spawn(candidate, argv, env);
    } catch (e) {
      if (!isErrnoException(e)) throw e;
      last = e;
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR' && saved === undefined) saved = e;
    }
  }
  throw saved ?? last;
}

function run(mode: unknown, file: unknown, args: unknown, env: unknown, search: boolean): number {
  const m = validateInt32(mode, 'mode');
  const program = validateBytes(file, 'file', false);
  const argv = validateArgs(args);
  const environment = validateEnvironment(env);
  const pid = search ? spawnSearched(program, argv, environment) : posix_spawn(program, argv, environment);
  if (m === P_NOWAIT) return pid;
  for (;;) {
    const [, status] = waitpid(pid, 0);
    if (WIFSTOPPED(status)) continue;
    return waitstatus_to_exitcode(status);
  }
}

/**
 * Runs the program at `file` with argument list `args` in this process's environment, as
 * Python's `os.spawnv(mode, file, args)`.
 * @param mode - `P_WAIT` (wait, BLOCKING the event loop), or `P_NOWAIT` / `P_NOWAITO`.
 * @returns with P_NOWAIT the child's pid; otherwise its exit code, or `-signal`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument (args not an array, empty, `args[0]` empty, NUL bytes); ENOENT / EACCES /
 *   ENOEXEC with `path` when the program cannot be executed (Python's child exits 127).
 * @see posix_spawn(3), waitpid(2)
 */
export function spawnv(mode: number, file: string | Buffer, args: readonly Argument[]): number {
  return run(mode, file, args, null, false);
}

/**
 * As {@link spawnv}, in environment `env` (a mapping; null or undefined: this process's),
 * as Python's `os.spawnve(mode, file, args, env)`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnv}; ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad env.
 * @see posix_spawn(3)
 */
export function spawnve(mode: number, file: string | Buffer, args: readonly Argument[], env: Environment | undefined): number {
  return run(mode, file, args, env, false);
}

/**
 * As {@link spawnv}, with `file` searched in this process's PATH, as Python's `os.spawnvp`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnv}.
 * @see execvp(3), posix_spawn(3)
 */
export function spawnvp(mode: number, file: string | Buffer, args: readonly Argument[]): number {
  return run(mode, file, args, null, true);
}

/**
 * As {@link spawnve}, with `file` searched in the PATH of `env`, as Python's `os.spawnvpe`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnve}.
 * @see execvpe(3), posix_spawn(3)
 */
export function spawnvpe(mode: number, file: string | Buffer, args: readonly Argument[], env: Environment | undefined): number {
  return run(mode, file, args, env, true);
}

function splitEnv(rest: unknown[]): [unknown[], unknown] {
  if (rest.length === 0) throw invalidArgType('env', 'a mapping (the last argument)', undefined);
  return [rest.slice(0, -1), rest[rest.length - 1]];
}

/**
 * As {@link spawnv}, with the arguments listed, as Python's `os.spawnl(mode, file, *args)`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnv}.
 * @see posix_spawn(3)
 */
export function spawnl(mode: number, file: string | Buffer, ...args: Argument[]): number {
  return run(mode, file, args, null, false);
}

/**
 * As {@link spawnve}, with the arguments listed and the environment last, as Python's
 * `os.spawnle(mode, file, *args, env)`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnve}.
 * @see posix_spawn(3)
 */
export function spawnle(mode: number, file: string | Buffer, ...argsAndEnv: [...Argument[], Environment]): number {
  const [args, env] = splitEnv(argsAndEnv);
  return run(mode, file, args, env, false);
}

/**
 * As {@link spawnvp}, with the arguments listed, as Python's `os.spawnlp(mode, file, *args)`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnv}.
 * @see execvp(3), posix_spawn(3)
 */
export function spawnlp(mode: number, file: string | Buffer, ...args: Argument[]): number {
  return run(mode, file, args, null, true);
}

/**
 * As {@link spawnvpe}, with the arguments listed and the environment last, as Python's
 * `os.spawnlpe(mode, file, *args, env)`.
 * @returns as {@link spawnv}.
 * @throws as {@link spawnvpe}.
 * @see execvpe(3), posix_spawn(3)
 */
export function spawnlpe(mode: number, file: string | Buffer, ...argsAndEnv: [...Argument[], Environment]): number {
  const [args, env] = splitEnv(argsAndEnv);
  return run(mode, file, args, env, true);
}
