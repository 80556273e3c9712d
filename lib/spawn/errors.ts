/**
 * The errors of running a child to completion: a non-zero exit with `check`, a timeout,
 * an abort. Modelled on Python's subprocess.CalledProcessError and TimeoutExpired; each
 * carries what was captured so far. (System errors are built in lib/errors.ts.)
 */
import { describeExitStatus, type ExitStatus } from '../exit-status';

/** What was captured from the child's stdout/stderr (`null` where not captured). */
export type Captured = string | Buffer | null;

/** {@link run} with `check`: the child did not exit with code 0. Python's `CalledProcessError`. */
export class CalledProcessError extends Error {
  /** `'ERR_UNIXPROC_CHILD_FAILED'`. */
  readonly code = 'ERR_UNIXPROC_CHILD_FAILED';
  constructor(
    /** The command: `[file, ...args]`. */
    readonly args: readonly string[],
    /** How the child ended. */
    readonly status: ExitStatus,
    readonly stdout: Captured,
    readonly stderr: Captured,
  ) {
    super(`Command ${JSON.stringify(args)} ${describeExitStatus(status)}`);
    this.name = 'CalledProcessError';
  }
}

/** {@link run} with `timeout`: the child was killed and reaped after the timeout. Python's `TimeoutExpired`. */
export class TimeoutExpiredError extends Error {
  /** `'ERR_UNIXPROC_TIMEOUT'`. */
  readonly code = 'ERR_UNIXPROC_TIMEOUT';
  constructor(
    readonly args: readonly string[],
    /** The timeout, in milliseconds. */
    readonly timeout: number,
    /** How the child ended once killed. */
    readonly status: ExitStatus,
    readonly stdout: Captured,
    readonly stderr: Captured,
  ) {
    super(`Command ${JSON.stringify(args)} timed out after ${timeout} ms`);
    this.name = 'TimeoutExpiredError';
  }
}

/**
 * An abort through an AbortSignal, shaped as Node's own (`name` 'AbortError', `code`
 * 'ABORT_ERR', `cause` the signal's reason).
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

