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
 * See docs/safety.md.
 */
import { systemError, invalidArgValue } from '../errors';
import { native } from '../native';
import { validateEnv, validateFd, validatePath, validateStringArray } from '../validate';
import { inheritableFds } from './fd-registry';

interface ExecBinding {
  execve(paths: string[], fd: number, argv: string[], envp: string[], keep: number[]): number[] | number;
}
const b = (): ExecBinding => native<ExecBinding>();

/** An environment for the new program: a plain object or a Map of name to value. */
export type ExecEnv = Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>;

const ENOENT = 2;
const ENOTDIR = 20;

// Python: "execv() arg 2 must not be empty" / "... first element cannot be empty".
function validateArgv(argv: unknown, name: string): string[] {
  const list = validateStringArray(argv, name, false);
  if (list[0] === '') throw invalidArgValue(`${name}[0]`, '', 'must not be empty');
  return list;
}

function currentEnv(): string[] {
  return validateEnv(process.env, 'process.env');
}

// Tries each path in order; throws the error Python's os._execvpe would.
function run(paths: string[], argv: string[], envp: string[]): never {
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
export function execv(path: string | Buffer, argv: readonly string[]): never {
  const p = validatePath(path, 'path');
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
export function execve(path: string | Buffer | number, argv: readonly string[], env: ExecEnv): never {
  if (typeof path === 'number') {
    const fd = validateFd(path, 'path');
    const args = validateArgv(argv, 'argv');
    const envp = validateEnv(env, 'env');
    const errors = b().execve([], fd, args, envp, inheritableFds());
    throw systemError(typeof errors === 'number' ? errors : errors[0], 'fexecve');
  }
  const p = validatePath(path, 'path');
  return run([p], validateArgv(argv, 'argv'), validateEnv(env, 'env'));
}

// Python's os.get_exec_path: PATH from env if given, else from os.environ, else defpath.
function searchPath(file: string, envp: string[] | undefined): string[] {
  if (file.includes('/')) return [file];
  let pathVar: string | undefined;
  if (envp !== undefined) {
    const entry = envp.find((e) => e.startsWith('PATH='));
    pathVar = entry?.slice(5);
  } else {
    pathVar = process.env.PATH;
  }
  if (pathVar === undefined) pathVar = '/bin:/usr/bin';
  return pathVar.split(':').map((dir) => (dir === '' ? file : `${dir.replace(/\/+$/, '')}/${file}`));
}

/**
 * As {@link execv}, finding `file` on PATH when it has no `/` (Python's `os.execvp`): each
 * directory is tried in turn; the first error other than ENOENT/ENOTDIR wins, else the last.
 * @throws as {@link execv}.
 * @see execvp(3)
 */
export function execvp(file: string, argv: readonly string[]): never {
  const f = validatePath(file, 'file');
  return run(searchPath(f, undefined), validateArgv(argv, 'argv'), currentEnv());
}

/**
 * As {@link execve} with a PATH search for `file`, PATH being taken from `env`
 * (Python's `os.execvpe`).
 * @throws as {@link execve}.
 * @see execvpe(3)
 */
export function execvpe(file: string, argv: readonly string[], env: ExecEnv): never {
  const f = validatePath(file, 'file');
  const envp = validateEnv(env, 'env');
  return run(searchPath(f, envp), validateArgv(argv, 'argv'), envp);
}

/** `execl(path, arg0, arg1, ...)`: {@link execv} with the arguments spread. @throws as execv. @see execl(3) */
export function execl(path: string | Buffer, ...args: string[]): never {
  return execv(path, args);
}

/** `execle(path, arg0, ..., env)`: {@link execve} with the arguments spread, env last. @throws as execve. @see execle(3) */
export function execle(path: string | Buffer, ...argsAndEnv: [...string[], ExecEnv]): never {
  const env = argsAndEnv[argsAndEnv.length - 1] as ExecEnv;
  return execve(path, argsAndEnv.slice(0, -1) as string[], env);
}

/** `execlp(file, arg0, ...)`: {@link execvp} with the arguments spread. @throws as execvp. @see execlp(3) */
export function execlp(file: string, ...args: string[]): never {
  return execvp(file, args);
}

/** `execlpe(file, arg0, ..., env)`: {@link execvpe} with the arguments spread, env last. @throws as execvpe. */
export function execlpe(file: string, ...argsAndEnv: [...string[], ExecEnv]): never {
  const env = argsAndEnv[argsAndEnv.length - 1] as ExecEnv;
  return execvpe(file, argsAndEnv.slice(0, -1) as string[], env);
}
