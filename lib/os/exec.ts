/**
 * The exec family, with Python's names and argument shapes: `execv`, `execve` (also on an
 * open fd: fexecve), `execvp`, `execvpe`, `execl`, `execle`, `execlp`, `execlpe`.
 *
 * On success they do not return: the process becomes the new program. Before that, what
 * Node changed is undone: fds 0..2 inheritable and blocking, the TTY mode reset, ignored
 * signals (SIGPIPE, SIGXFSZ, ...) back to default (handlers are reset by execve itself),
 * an empty signal mask, every fd >= 3 closed on exec unless made inheritable with
 * `set_inheritable`. If the exec fails, the process is put back exactly as it was and a
 * system error is thrown (ENOENT, EACCES, ENOEXEC, E2BIG, ... with `path`).
 * Paths, arguments and environment values may be Buffers: their bytes reach the new program
 * unchanged (a file name that is not valid UTF-8 still names the file), as Python's bytes do.
 * See docs/safety.md.
 */
import { systemError, invalidArgValue } from '../errors';
import { native } from '../native';
import { validateArray, validateBytes, validateBytesEnv, validateEnv, validateFd } from '../validate';
import { inheritableFds } from './fd-registry';

/** A C string as the kernel gets it: a string (passed as UTF-8) or a Buffer (its bytes). */
type Bytes = string | Buffer;

interface ExecBinding {
  execve(paths: Bytes[], fd: number, argv: Bytes[], envp: Bytes[], keep: number[]): number[] | number;
}
const b = (): ExecBinding => native<ExecBinding>();

/**
 * An environment for the new program: a plain object or a Map of name to value. Values (and
 * a Map's keys) may be Buffers, passed as their bytes, as Python accepts bytes.
 */
export type ExecEnv =
  | Readonly<Record<string, string | Buffer | undefined>>
  | ReadonlyMap<string | Buffer, string | Buffer>;

const ENOENT = 2;
const ENOTDIR = 20;

// Python: "execv() arg 2 must not be empty" / "... first element cannot be empty".
// Strings or Buffers (their bytes go to the program unchanged, as with Python's bytes).
function validateArgv(argv: unknown, name: string): Bytes[] {
  const list = validateArray(argv, name, (item, itemName) => validateBytes(item, itemName), false);
  if (list[0].length === 0) throw invalidArgValue(`${name}[0]`, list[0], 'must not be empty');
  return list;
}

// A path or file name: a string, or a Buffer passed as its bytes (a name that is not valid
// UTF-8 still names the file).
function validateExecPath(value: unknown, name: string): Bytes {
  return validateBytes(value, name, false);
}

function currentEnv(): string[] {
  return validateEnv(process.env, 'process.env');
}

// Tries each path in order; throws the error Python's os._execvpe would.
function run(paths: Bytes[], argv: Bytes[], envp: Bytes[]): never {
  const errors = b().execve(paths, -1, argv, envp, inheritableFds());
  if (typeof errors === 'number') throw systemError(errors, 'execve', paths[0]);
  let saved: number | undefined;
  let savedPath = paths[0];
  for (let i = 0; i < errors.length; i++) {
    const e = -errors[i];
    if (saved === undefined && e !== ENOENT && e !== ENOTDIR) {
      saved = e;
      savedPath = paths[i];
    }
  }
  if (saved !== undefined) throw systemError(saved, 'execve', savedPath);
  throw systemError(errors[errors.length - 1], 'execve', paths[paths.length - 1]);
}

/**
 * Replaces the process with the program at `path`, with arguments `argv` and the current
 * environment.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad path, an empty argv, an
 *   empty argv[0] or a NUL byte; ENOENT, EACCES, ENOEXEC, E2BIG, ... (with `path`) when
 *   execve fails, the process being left as it was.
 * @see execve(2)
 */
export function execv(path: string | Buffer, argv: readonly (string | Buffer)[]): never {
  const p = validateExecPath(path, 'path');
  return run([p], validateArgv(argv, 'argv'), currentEnv());
}

/**
 * Replaces the process with the program at `path` (or the open fd `path`: fexecve), with
 * arguments `argv` and environment `env`.
 * @throws as {@link execv}; ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad env
 *   (keys with `=` or NUL, values with NUL); for an fd: EBADF, ENOENT (a script whose fd is
 *   close-on-exec), with syscall `fexecve`.
 * @see execve(2), fexecve(3)
 */
export function execve(path: string | Buffer | number, argv: readonly (string | Buffer)[], env: ExecEnv): never {
  if (typeof path === 'number') {
    const fd = validateFd(path, 'path');
    const args = validateArgv(argv, 'argv');
    const envp = validateBytesEnv(env, 'env');
    const errors = b().execve([], fd, args, envp, inheritableFds());
    throw systemError(typeof errors === 'number' ? errors : errors[0], 'fexecve');
  }
  const p = validateExecPath(path, 'path');
  return run([p], validateArgv(argv, 'argv'), validateBytesEnv(env, 'env'));
}

// Python's os.get_exec_path: PATH from env if given, else from os.environ, else defpath.
// With a Buffer file name or a Buffer PATH entry, the candidates are built as bytes.
function searchPath(file: Bytes, envp: Bytes[] | undefined): Bytes[] {
  if (file.includes('/')) return [file];
  let pathVar: Bytes | undefined;
  if (envp !== undefined) {
    for (const e of envp) {
      if (typeof e === 'string' ? e.startsWith('PATH=') : e.subarray(0, 5).toString('latin1') === 'PATH=') {
        pathVar = typeof e === 'string' ? e.slice(5) : e.subarray(5);
        break;
      }
    }
  } else {
    pathVar = process.env.PATH;
  }
  if (pathVar === undefined) pathVar = '/bin:/usr/bin';
  if (typeof pathVar === 'string' && typeof file === 'string') {
    return pathVar.split(':').map((dir) => (dir === '' ? file : `${dir.replace(/\/+$/, '')}/${file}`));
  }
  // As bytes; latin1 maps each byte to one char and back, so nothing is altered.
  const dirs = Buffer.from(pathVar).toString('latin1').split(':');
  const name = Buffer.from(file);
  return dirs.map((dir) =>
    dir === '' ? file : Buffer.concat([Buffer.from(`${dir.replace(/\/+$/, '')}/`, 'latin1'), name]),
  );
}

/**
 * As {@link execv}, finding `file` on PATH when it has no `/` (Python's `os.execvp`): each
 * directory is tried in turn; the first error other than ENOENT/ENOTDIR wins, else the last.
 * @throws as {@link execv}.
 * @see execvp(3)
 */
export function execvp(file: string | Buffer, argv: readonly (string | Buffer)[]): never {
  const f = validateExecPath(file, 'file');
  return run(searchPath(f, undefined), validateArgv(argv, 'argv'), currentEnv());
}

/**
 * As {@link execve} with a PATH search for `file`, PATH being taken from `env`
 * (Python's `os.execvpe`). `env` null or undefined: this process's environment and PATH,
 * as Python's `execvpe(file, args, None)`.
 * @throws as {@link execve}.
 * @see execvpe(3)
 */
export function execvpe(file: string | Buffer, argv: readonly (string | Buffer)[], env: ExecEnv | null | undefined): never {
  const f = validateExecPath(file, 'file');
  if (env === null || env === undefined) return execvp(f, argv);
  const envp = validateBytesEnv(env, 'env');
  return run(searchPath(f, envp), validateArgv(argv, 'argv'), envp);
}

/** `execl(path, arg0, arg1, ...)`: {@link execv} with the arguments spread. @throws as execv. @see execl(3) */
export function execl(path: string | Buffer, ...args: (string | Buffer)[]): never {
  return execv(path, args);
}

/** `execle(path, arg0, ..., env)`: {@link execve} with the arguments spread, env last. @throws as execve. @see execle(3) */
export function execle(path: string | Buffer, ...argsAndEnv: [...(string | Buffer)[], ExecEnv]): never {
  const env = argsAndEnv[argsAndEnv.length - 1] as ExecEnv;
  return execve(path, argsAndEnv.slice(0, -1) as (string | Buffer)[], env);
}

/** `execlp(file, arg0, ...)`: {@link execvp} with the arguments spread. @throws as execvp. @see execlp(3) */
export function execlp(file: string | Buffer, ...args: (string | Buffer)[]): never {
  return execvp(file, args);
}

/** `execlpe(file, arg0, ..., env)`: {@link execvpe} with the arguments spread, env last (null: this process's environment). @throws as execvpe. */
export function execlpe(file: string | Buffer, ...argsAndEnv: [...(string | Buffer)[], ExecEnv | null]): never {
  const env = argsAndEnv[argsAndEnv.length - 1] as ExecEnv | null;
  return execvpe(file, argsAndEnv.slice(0, -1) as (string | Buffer)[], env);
}
