/**
 * The errors of running a child to completion: a non-zero exit with `check`, a timeout,
 * an abort. Modelled on Python's subprocess.CalledProcessError and TimeoutExpired; each
 * carries what was captured so far. (System errors are built in lib/errors.ts.)
 */
import { invalidArgType, outOfRange } from '../errors';
import { describeExitStatus, validateExitStatus, type ExitStatus } from '../exit-status';
import { optionKeys, validateArray, validateOptions } from '../validate';

/** What was captured from the child's stdout/stderr (`null` where not captured). */
export type Captured = string | Buffer | null;

/** The command an error names: an array of strings, copied and frozen. */
function validateCommand(value: unknown, name: string): readonly string[] {
  const args = validateArray(value, name, (item, itemName) => {
    if (typeof item !== 'string') throw invalidArgType(itemName, 'of type string', item);
    return item;
  });
  return Object.freeze(args);
}

/** What was captured: a string, a Buffer, or null (not captured; also for undefined). */
function validateCaptured(value: unknown, name: string): Captured {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  throw invalidArgType(name, 'of type string or an instance of Buffer, or null', value);
}

/**
 * {@link run} with `check`: the child did not exit with code 0. Python's `CalledProcessError`.
 * User code may construct one too (as in Python, e.g. to fail like run() does); its
 * arguments are checked.
 */
export class CalledProcessError extends Error {
  /** `'ERR_UNIXPROC_CHILD_FAILED'`. */
  readonly code = 'ERR_UNIXPROC_CHILD_FAILED';
  /** The command: `[file, ...args]`. */
  readonly args: readonly string[];
  /** How the child ended. */
  readonly status: ExitStatus;
  readonly stdout: Captured;
  readonly stderr: Captured;
  /**
   * @param args - the command, `[file, ...args]` (strings).
   * @param status - how the child ended, as {@link decodeWaitStatus} returns it.
   * @param stdout - what was captured (string or Buffer), or null / undefined for nothing.
   * @param stderr - likewise.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for arguments
   *   of the wrong shape.
   */
  constructor(args: readonly string[], status: ExitStatus, stdout?: Captured, stderr?: Captured) {
    const command = validateCommand(args, 'args');
    const checked = validateExitStatus(status, 'status');
    const out = validateCaptured(stdout, 'stdout');
    const err = validateCaptured(stderr, 'stderr');
    super(`Command ${JSON.stringify(command)} ${describeExitStatus(checked)}`);
    this.name = 'CalledProcessError';
    this.args = command;
    this.status = checked;
    this.stdout = out;
    this.stderr = err;
  }
}

/**
 * {@link run} with `timeout`: the child was killed and reaped after the timeout. Python's
 * `TimeoutExpired`. User code may construct one; its arguments are checked.
 */
export class TimeoutExpiredError extends Error {
  /** `'ERR_UNIXPROC_TIMEOUT'`. */
  readonly code = 'ERR_UNIXPROC_TIMEOUT';
  /** The command: `[file, ...args]`. */
  readonly args: readonly string[];
  /** The timeout, in milliseconds. */
  readonly timeout: number;
  /** How the child ended once killed. */
  readonly status: ExitStatus;
  readonly stdout: Captured;
  readonly stderr: Captured;
  /**
   * @param args - the command, `[file, ...args]` (strings).
   * @param timeout - the timeout, in milliseconds: a non-negative finite number.
   * @param status - how the child ended once killed, as {@link decodeWaitStatus} returns it.
   * @param stdout - what was captured (string or Buffer), or null / undefined for nothing.
   * @param stderr - likewise.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for arguments
   *   of the wrong shape.
   */
  constructor(args: readonly string[], timeout: number, status: ExitStatus, stdout?: Captured, stderr?: Captured) {
    const command = validateCommand(args, 'args');
    if (typeof timeout !== 'number') throw invalidArgType('timeout', 'of type number', timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw outOfRange('timeout', 'a non-negative finite number', timeout);
    const checked = validateExitStatus(status, 'status');
    const out = validateCaptured(stdout, 'stdout');
    const err = validateCaptured(stderr, 'stderr');
    super(`Command ${JSON.stringify(command)} timed out after ${timeout} ms`);
    this.name = 'TimeoutExpiredError';
    this.args = command;
    this.timeout = timeout;
    this.status = checked;
    this.stdout = out;
    this.stderr = err;
  }
}

/**
 * An abort through an AbortSignal, shaped as Node's own (`name` 'AbortError', `code`
 * 'ABORT_ERR', `cause` the signal's reason).
 */
const ABORT_OPTION_KEYS = optionKeys<{ cause?: unknown }>({ cause: true });

export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  /**
   * @param message - default 'The operation was aborted'.
   * @param options - `cause`: why (an AbortSignal's reason), any value.
   * @throws ERR_INVALID_ARG_TYPE when `message` is not a string or `options` not an object.
   */
  constructor(message: string = 'The operation was aborted', options?: { cause?: unknown }) {
    if (typeof message !== 'string') throw invalidArgType('message', 'of type string', message);
    const o = validateOptions<{ cause?: unknown }>(options, 'options', ABORT_OPTION_KEYS);
    super(message, 'cause' in o ? { cause: o.cause } : undefined);
    this.name = 'AbortError';
  }
}

