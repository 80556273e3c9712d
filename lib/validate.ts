/**
 * Argument validation, shared by every public function. Each validator throws the
 * argument error Node would (see lib/errors.ts) and returns the value, narrowed.
 * @internal
 */
import { constants } from 'node:os';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/** Range of a C `int` and of `pid_t` on Linux. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** An integer in [min, max] (a JS number: not NaN, not fractional, not a bigint). */
export function validateInteger(
  value: unknown,
  name: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** An `int`-sized integer (flags, option words, wait statuses). */
export function validateInt32(value: unknown, name: string, min = INT32_MIN, max = INT32_MAX): number {
  return validateInteger(value, name, min, max);
}

/** A pid that names one process: 1 .. 2^31-1 (or 0 where `allowZero`, meaning "the caller"). */
export function validatePid(value: unknown, name: string, allowZero = false): number {
  return validateInteger(value, name, allowZero ? 0 : 1, INT32_MAX);
}

/** A file descriptor: 0 .. 2^31-1. */
export function validateFd(value: unknown, name: string): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

/** A boolean. */
export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/**
 * The optimal-string-alignment distance between `a` and `b` (Damerau-Levenshtein where no
 * substring is edited twice): insertions, deletions, substitutions and transpositions of
 * two adjacent characters each cost 1, so `'initail'` is 1 away from `'initial'`.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key` (case ignored), or undefined when none is near. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase());
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  // Near: at most a third of the longer name wrong (and at least 2 edits allowed), so that
  // 'initail' suggests 'initial' but 'bogusOption' does not suggest 'argv0'.
  const limit = Math.max(2, Math.floor(Math.max(key.length, best?.length ?? 0) / 3));
  return bestDistance <= limit ? best : undefined;
}

/**
 * The keys of an options type, from an object the compiler checks has every key and no
 * other: `optionKeys<SpawnOptions>({ cwd: true, ... })`. A key added to the type and not
 * here is a compile error, so the list {@link validateOptions} checks against stays true.
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof T & string)[];
}

/**
 * An options object (docs/conventions.md): `undefined` becomes `{}`; anything but a plain
 * object is ERR_INVALID_ARG_TYPE; a key that is not in `known` is ERR_INVALID_ARG_VALUE
 * naming it and the closest known key ("did you mean 'killSignal'?"), or, for a key in
 * `renamed`, the name it has now. Every options object of every public function goes
 * through here, nested ones (`options.backoff`) included.
 */
export function validateOptions<T extends object>(
  value: unknown,
  name: string,
  known: readonly (keyof T & string)[],
  renamed: Readonly<Record<string, keyof T & string>> = {},
): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  for (const key of Object.keys(value)) {
    if ((known as readonly string[]).includes(key)) continue;
    const v = (value as Record<string, unknown>)[key];
    const now = Object.prototype.hasOwnProperty.call(renamed, key) ? renamed[key] : undefined;
    if (now !== undefined) {
      throw invalidArgValue(`${name}.${key}`, v, `was renamed '${now}' (see docs/conventions.md)`);
    }
    const near = closestKey(key, known);
    throw invalidArgValue(
      `${name}.${key}`,
      v,
      near !== undefined
        ? `is not a known option (did you mean '${near}'?)`
        : `is not a known option (the options are ${known.map((k) => `'${k}'`).join(', ')})`,
    );
  }
  return value as Partial<T>;
}

/** A function. */
export function validateFunction(value: unknown, name: string): (...args: unknown[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (...args: unknown[]) => unknown;
}

/** A string the kernel will see as a C string: no NUL bytes (rejected, never truncated). */
export function validateCString(value: unknown, name: string, allowEmpty = true): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\u0000')) {
    throw invalidArgValue(name, value, 'must be a string without null bytes');
  }
  if (!allowEmpty && value.length === 0) throw invalidArgValue(name, value, 'must not be empty');
  return value;
}

/**
 * A path: a string or Buffer without NUL bytes. Buffers are decoded as UTF-8, which is lossy
 * for non-UTF-8 names: where a path goes to the kernel, use {@link validateBytes}.
 */
export function validatePath(value: unknown, name: string): string {
  if (Buffer.isBuffer(value)) {
    if (value.includes(0)) throw invalidArgValue(name, value, 'must be a path without null bytes');
    value = value.toString('utf8');
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or an instance of Buffer', value);
  return validateCString(value, name, false);
}

/**
 * A C string as Python's `os` takes one for a path, an argv entry or an env value: a string
 * (passed as UTF-8) or a Buffer (passed as its bytes, unchanged: a file name that is not
 * valid UTF-8 still names the file). No NUL bytes. A Buffer is returned as a copy, so that
 * nothing can change it between this check and the native call.
 */
export function validateBytes(value: unknown, name: string, allowEmpty = true): string | Buffer {
  if (Buffer.isBuffer(value)) {
    if (value.includes(0)) throw invalidArgValue(name, value, 'must be a string or Buffer without null bytes');
    if (!allowEmpty && value.length === 0) throw invalidArgValue(name, value, 'must not be empty');
    return Buffer.from(value);
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or an instance of Buffer', value);
  return validateCString(value, name, allowEmpty);
}

/**
 * Reads an array into a fresh, dense, plain array, element by element with an index loop:
 * `map`/`forEach` skip holes (a sparse argv would reach native code with a different
 * length) and `map` honours `Symbol.species` (a subclass could return a non-array).
 * `item` validates one element (a hole is `undefined`) and names it `name[i]`.
 */
export function validateArray<T>(
  value: unknown,
  name: string,
  item: (element: unknown, elementName: string) => T,
  allowEmpty = true,
): T[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  const length = value.length;
  if (!allowEmpty && length === 0) throw invalidArgValue(name, value, 'must not be empty');
  const out: T[] = [];
  for (let i = 0; i < length; i++) out.push(item(value[i], `${name}[${i}]`));
  return out;
}

/** An array of C strings, e.g. argv; holes are rejected as `undefined` elements. */
export function validateStringArray(value: unknown, name: string, allowEmpty = true): string[] {
  return validateArray(value, name, (item, itemName) => validateCString(item, itemName), allowEmpty);
}

/**
 * The command of the idiomatic `(file, args, options)` calls (spawn, run, supervise,
 * daemonize): `file` a non-empty string or Buffer (a Buffer is passed as its bytes), `args`
 * an optional array of strings. No NUL bytes anywhere.
 */
export function validateCommand(file: unknown, args: unknown): { file: string | Buffer; args: string[] } {
  const path = validateBytes(file, 'file', false);
  if (args === undefined) return { file: path, args: [] };
  if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args);
  return { file: path, args: validateStringArray(args, 'args') };
}

/**
 * Whether `value` is an ordinary object, not a built-in of another kind: its tag is
 * `[object Object]`. process.env (whose prototype is Node's own), `{...}` literals,
 * `Object.create(null)` and objects of other realms are; a Set, a Date, an array, a Buffer
 * or a RegExp is not (their own entries are not the mapping they look like: a Set's
 * `Object.entries` is empty, so it would pass as an empty environment, issue 8).
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Object]';
}

/** The entries of an env mapping (a plain object or a Map). */
function envEntries(value: unknown, name: string): [unknown, unknown][] {
  if (value instanceof Map) return [...value.entries()];
  if (isPlainObject(value)) return Object.entries(value);
  throw invalidArgType(name, 'a plain object or an instance of Map', value);
}

/**
 * An environment mapping: a plain object or Map of string to string (as Python's `env`
 * argument), turned into `KEY=value` strings. Keys must not contain `=` or NUL.
 */
export function validateEnv(value: unknown, name: string): string[] {
  const entries = envEntries(value, name);
  const out: string[] = [];
  for (const [k, v] of entries) {
    if (v === undefined) continue; // as process.env copies with a deleted key
    const key = validateCString(k, `${name} key`, false);
    if (key.includes('=')) throw invalidArgValue(`${name} key`, key, "must not contain '='");
    const val = validateCString(v, `${name}.${key}`);
    out.push(`${key}=${val}`);
  }
  return out;
}

/**
 * As {@link validateEnv}, with Buffers accepted for values (and for keys of a Map), as
 * Python's `env` accepts bytes: each entry is `KEY=value` as a string, or as a Buffer when
 * either side is one (its bytes unchanged).
 */
export function validateBytesEnv(value: unknown, name: string): (string | Buffer)[] {
  const entries = envEntries(value, name);
  const out: (string | Buffer)[] = [];
  for (const [k, v] of entries) {
    if (v === undefined) continue; // as process.env copies with a deleted key
    const key = validateBytes(k, `${name} key`, false);
    if (key.includes('=')) throw invalidArgValue(`${name} key`, key, "must not contain '='");
    const val = validateBytes(v, `${name}.${key.toString()}`);
    out.push(
      typeof key === 'string' && typeof val === 'string'
        ? `${key}=${val}`
        : Buffer.concat([Buffer.from(key), Buffer.from('='), Buffer.from(val)]),
    );
  }
  return out;
}

const signalNumbers: Readonly<Record<string, number>> = constants.signals as Record<string, number>;
const SIGRTMAX = 64;

/**
 * A signal: a number 0..64 (0 probes without sending) or a Node signal name such as
 * `'SIGTERM'`. Returns the number. With `kernelRange` (unixproc/os, Python's rule), any
 * `int` is accepted and the kernel judges it (kill(pid, 65) is EINVAL, as in Python).
 */
export function validateSignal(value: unknown, name: string, kernelRange = false): number {
  if (typeof value === 'string') {
    const n = signalNumbers[value];
    if (n === undefined) {
      throw invalidArgValue(name, value, "must be a known signal name such as 'SIGTERM'");
    }
    return n;
  }
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number or string', value);
  return kernelRange ? validateInteger(value, name, INT32_MIN, INT32_MAX) : validateInteger(value, name, 0, SIGRTMAX);
}

/** A signal that ends something: 1..64 (0, the probe, sends nothing), as {@link validateSignal}. */
export function validateKillSignal(value: unknown, name: string): number {
  const signo = validateSignal(value, name);
  if (signo === 0) throw outOfRange(name, 'a signal number from 1 to 64', value);
  return signo;
}

/** The signal name for a number (`'SIGTERM'` for 15), or undefined for unknown numbers. */
export function signalName(signo: number): string | undefined {
  for (const [n, v] of Object.entries(signalNumbers)) {
    if (v === signo) return n;
  }
  return undefined;
}
