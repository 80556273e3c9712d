/**
 * The one place where errors are built.
 *
 * - Argument errors carry Node's codes (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`,
 *   `ERR_OUT_OF_RANGE`) and are thrown before native code runs.
 * - System errors are shaped like Node's own: `code` ('ECHILD'), `errno` (negative, as
 *   in Node), `syscall` ('waitpid'), `path` where a path is involved; message
 *   `waitpid ECHILD`, or `posix_spawn ENOENT '/no/such'` with a path.
 *
 * See docs/errors.md.
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorName, inspect } from 'node:util';

/** A system error as Node shapes it (`fs`, `child_process`), and as unixproc throws it. */
export interface ErrnoException extends Error {
  /** The errno name, e.g. `'ECHILD'`. */
  readonly code: string;
  /** The errno value, negative as in Node (`-10` for ECHILD). */
  readonly errno: number;
  /** The syscall that failed, e.g. `'waitpid'`. */
  readonly syscall: string;
  /**
   * The path involved, when there is one: the value the caller gave, a string or a Buffer
   * (a Buffer is kept as it is, so that a name that is not UTF-8 is not lost).
   */
  readonly path?: string | Buffer;
}

/** An argument error with one of Node's `ERR_*` codes. */
export interface ArgumentError extends Error {
  readonly code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';
}

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', {
    value: code,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  // Node prints `TypeError [ERR_X]: ...` for its own errors; do the same in stack traces.
  if (err.stack !== undefined) {
    err.stack = err.stack.replace(/^(\w*Error)/, `$1 [${code}]`);
  }
  return err as E & { code: string };
}

/** Describes a received value the way Node's own argument errors do. */
export function describeReceived(value: unknown): string {
  if (value === null) return 'Received null';
  if (value === undefined) return 'Received undefined';
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor;
    if (ctor !== undefined && ctor !== null && ctor.name) {
      return `Received an instance of ${ctor.name}`;
    }
    return `Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

/**
 * `TypeError [ERR_INVALID_ARG_TYPE]: The "name" argument must be of type <expected>. Received ...`
 * @internal
 */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { code: string } {
  const what = name.includes('.') ? `"${name}" property` : `"${name}" argument`;
  return withCode(
    new TypeError(`The ${what} must be ${expected}. ${describeReceived(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/**
 * `TypeError [ERR_INVALID_ARG_VALUE]: The argument 'name' <reason>. Received ...`
 * @internal
 */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  const what = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(
      `The ${what} '${name}' ${reason}. Received ${inspect(value, { depth: 1 })}`,
    ),
    'ERR_INVALID_ARG_VALUE',
  );
}

/**
 * `RangeError [ERR_OUT_OF_RANGE]: The value of "name" is out of range. It must be <range>. Received <value>`
 * @internal
 */
export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return withCode(
    new RangeError(
      `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`,
    ),
    'ERR_OUT_OF_RANGE',
  );
}

/**
 * `TypeError [ERR_WORKER_UNSUPPORTED_OPERATION]: <operation> is not supported in workers`,
 * as Node's own (process.chdir() in a worker). `why` is appended after a colon.
 * @internal
 */
export function workerUnsupported(operation: string, why?: string): TypeError & { code: string } {
  return withCode(
    new TypeError(`${operation} is not supported in workers${why === undefined ? '' : `: ${why}`}`),
    'ERR_WORKER_UNSUPPORTED_OPERATION',
  );
}

/**
 * `Error [ERR_INVALID_STATE]: Invalid state: <what>`, as Node's own (an object used after it
 * was closed or stopped).
 * @internal
 */
export function invalidState(what: string): Error & { code: string } {
  return withCode(new Error(`Invalid state: ${what}`), 'ERR_INVALID_STATE');
}

/**
 * `TypeError [ERR_ILLEGAL_CONSTRUCTOR]: Illegal constructor`, as Node's own (a class whose
 * instances only a factory makes).
 * @internal
 */
export function illegalConstructor(): TypeError & { code: string } {
  return withCode(new TypeError('Illegal constructor'), 'ERR_ILLEGAL_CONSTRUCTOR');
}

// libuv's names (getSystemErrorName) lack some errnos this library meets, ECHILD
// among them; os.constants.errno has the kernel's full list. First name wins for aliases.
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** The errno name for a (negative or positive) errno value, e.g. `'ECHILD'`. @internal */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `Unknown system error ${-Math.abs(errno)}`;
}

/**
 * Builds a Node-shaped system error from a negative (or positive) errno.
 * @param errno - the errno; its sign is normalised to negative, as Node reports it.
 * @param syscall - the syscall that failed, as the man page names it.
 * @param path - the path involved, if any, as the caller gave it (string or Buffer); the
 *   message shows a Buffer decoded as UTF-8.
 * @internal
 */
export function systemError(errno: number, syscall: string, path?: string | Buffer): ErrnoException {
  const negative = -Math.abs(errno);
  const code = errnoName(negative);
  const message =
    path === undefined ? `${syscall} ${code}` : `${syscall} ${code} '${path}'`;
  const err = new Error(message) as Error & {
    code: string;
    errno: number;
    syscall: string;
    path?: string | Buffer;
  };
  err.errno = negative;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/**
 * Throws a system error if a native result is a negative errno; returns it otherwise.
 * Native functions return a negative number for failure and anything else for success.
 * @internal
 */
export function check<T>(result: T | number, syscall: string, path?: string | Buffer): T {
  if (typeof result === 'number' && result < 0) throw systemError(result, syscall, path);
  return result as T;
}

/**
 * Whether `e` is a system error shaped like Node's: an Error with a string `code`,
 * a numeric `errno` and a string `syscall`. Works across realms (for instance jest's
 * module registries, where `instanceof Error` fails).
 */
export function isErrnoException(e: unknown): e is ErrnoException {
  if (typeof e !== 'object' || e === null) return false;
  if (Object.prototype.toString.call(e) !== '[object Error]') return false;
  const candidate = e as Record<string, unknown>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.errno === 'number' &&
    typeof candidate.syscall === 'string'
  );
}

/**
 * Leaves a method that was renamed (0.x has no silent aliases, docs/conventions.md) on
 * `proto` as a non-enumerable stub, absent from the types, that throws
 * `TypeError [ERR_INVALID_ARG_VALUE]: Supervisor.stop() was renamed Supervisor.terminate()`.
 * @internal
 */
export function renamedMethod(proto: object, className: string, old: string, now: string): void {
  Object.defineProperty(proto, old, {
    value: function renamed(): never {
      throw withCode(
        new TypeError(`${className}.${old}() was renamed ${className}.${now}() (see docs/conventions.md)`),
        'ERR_INVALID_ARG_VALUE',
      );
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
}
