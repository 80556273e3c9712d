/**
 * A wait status, decoded into a discriminated union: what the idiomatic API returns
 * wherever the Python mirror returns a raw status word.
 */
import { invalidArgType, invalidArgValue } from './errors';
import { signalName, validateInt32 } from './validate';

/** The child called exit(code) or returned from main. */
export interface ExitedStatus {
  readonly kind: 'exited';
  /** The exit code, 0..255. */
  readonly code: number;
}
/** A signal's name: Node's (`'SIGKILL'`), or `'SIG<n>'` for numbers Node has no name for (real-time signals). */
export type SignalName = NodeJS.Signals | `SIG${number}`;

/** The child was ended by a signal. */
export interface SignaledStatus {
  readonly kind: 'signaled';
  /** The signal's name, e.g. `'SIGKILL'` (`'SIG<n>'` for numbers Node has no name for). */
  readonly signal: SignalName;
  /** The signal's number. */
  readonly signo: number;
  /** Whether the kernel wrote a core dump. */
  readonly coreDumped: boolean;
}
/** The child is stopped (reported with WUNTRACED, or under ptrace). */
export interface StoppedStatus {
  readonly kind: 'stopped';
  readonly signal: SignalName;
  readonly signo: number;
}
/** The stopped child was resumed by SIGCONT (reported with WCONTINUED). */
export interface ContinuedStatus {
  readonly kind: 'continued';
}
/** A decoded wait status. */
export type ExitStatus = ExitedStatus | SignaledStatus | StoppedStatus | ContinuedStatus;

/**
 * The name of a signal number, or `SIG<n>` when Node has none (real-time signals).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `signo` is not a non-negative 32-bit
 *   integer (a stop status can carry SIGTRAP|0x80, so not only 0..64).
 * @internal
 */
export function nameOfSignal(signo: number): SignalName {
  validateInt32(signo, 'signo', 0);
  return (signalName(signo) as NodeJS.Signals | undefined) ?? `SIG${signo}`;
}

/**
 * The W* macros on a status word. The bit layout is Linux's (glibc bits/waitstatus.h), the
 * same that Python's W* macros read. @internal
 */
export const statusBits = {
  exitStatus: (s: number): number => (s & 0xff00) >> 8,
  termSig: (s: number): number => s & 0x7f,
  stopSig: (s: number): number => (s & 0xff00) >> 8,
  ifExited: (s: number): boolean => (s & 0x7f) === 0,
  ifSignaled: (s: number): boolean => ((((s & 0x7f) + 1) << 24) >> 25) > 0,
  ifStopped: (s: number): boolean => (s & 0xff) === 0x7f,
  ifContinued: (s: number): boolean => s === 0xffff,
  coreDump: (s: number): boolean => (s & 0x80) !== 0,
};

/**
 * How a child ended, in words, for messages: `exited with code 3`, `was killed by SIGKILL
 * (core dumped)`, `was stopped by SIGSTOP`, `continued`. Used by every error and CLI line
 * that describes a status. @internal
 */
export function describeExitStatus(status: ExitStatus): string {
  switch (status.kind) {
    case 'exited':
      return `exited with code ${status.code}`;
    case 'signaled':
      return `was killed by ${status.signal}${status.coreDumped ? ' (core dumped)' : ''}`;
    case 'stopped':
      return `was stopped by ${status.signal}`;
    default:
      return 'continued';
  }
}

/**
 * The exit code a shell reports for a status: the code of an exit, 128 + N for a death by
 * signal N, 1 otherwise. What the CLI commands that run a command end with. @internal
 */
export function shellExitCode(status: ExitStatus): number {
  if (status.kind === 'exited') return status.code;
  if (status.kind === 'signaled') return 128 + status.signo;
  return 1;
}

/**
 * The raw wait status (as waitpid(2) gives it) equivalent to a waitid(2) report's
 * `si_code` and `si_status`, so that every path decodes through {@link decodeWaitStatus}
 * and the W* macros read it as glibc's and CPython's do: an exit (CLD_EXITED) is
 * `code << 8`, a kill `signo` (| 0x80 with a core dump, CLD_DUMPED), a stop (CLD_STOPPED,
 * CLD_TRAPPED) `signo << 8 | 0x7f`, a continue (CLD_CONTINUED) `0xffff`. @internal
 * @throws ERR_INVALID_ARG_VALUE for an si_code that waitid(2) does not report.
 * @see waitid(2), glibc bits/waitstatus.h
 */
export function statusFromSiginfo(code: number, siStatus: number): number {
  switch (code) {
    case 1: // CLD_EXITED
      return (siStatus & 0xff) << 8;
    case 2: // CLD_KILLED
      return siStatus & 0x7f;
    case 3: // CLD_DUMPED
      return (siStatus & 0x7f) | 0x80;
    case 4: // CLD_TRAPPED: a ptrace stop, reported by waitpid as a stop
    case 5: // CLD_STOPPED
      return ((siStatus & 0xff) << 8) | 0x7f;
    case 6: // CLD_CONTINUED
      return 0xffff;
    default:
      throw invalidArgValue('code', code, 'is not an si_code of waitid(2)');
  }
}

/** The highest signal number on Linux (SIGRTMAX, signal(7)). */
const SIGNAL_MAX = 64;
const SIGTRAP = 5;

/**
 * Decodes a raw wait status (as `waitpid` returns it) into an {@link ExitStatus}.
 * Only the shapes the kernel reports are accepted (exit code in bits 8..15 and nothing else;
 * a signal 1..64 in bits 0..6 with the core flag in bit 7; a stop by a signal 1..64, or
 * SIGTRAP|0x80 for a ptrace syscall stop, with a ptrace event in bits 16..23; 0xffff): the
 * W* macros would give a meaningless answer for anything else, such as an exit status for
 * 0x80 or a stop by signal 0 for 0x7f.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE when `status` is not a 32-bit integer;
 *   ERR_INVALID_ARG_VALUE when it is no status the kernel produces.
 * @see waitpid(2)
 */
export function decodeWaitStatus(status: number): ExitStatus {
  const s = validateInt32(status, 'status');
  const notAStatus = (): TypeError => invalidArgValue('status', status, 'is not a wait status');
  if (s === 0xffff) return { kind: 'continued' };
  if (statusBits.ifStopped(s)) {
    const signo = statusBits.stopSig(s);
    const validSignal = (signo >= 1 && signo <= SIGNAL_MAX) || signo === (SIGTRAP | 0x80);
    if (!validSignal || s >>> 16 > 0xff) throw notAStatus(); // bits 16..23: PTRACE_EVENT_*
    return { kind: 'stopped', signal: nameOfSignal(signo), signo };
  }
  if (s & ~0xffff) throw notAStatus(); // exits and deaths by signal use 16 bits
  if (statusBits.ifExited(s)) {
    if (s & 0xff) throw notAStatus(); // core flag without a signal
    return { kind: 'exited', code: statusBits.exitStatus(s) };
  }
  const signo = statusBits.termSig(s);
  if (s & 0xff00 || signo > SIGNAL_MAX) throw notAStatus();
  return { kind: 'signaled', signal: nameOfSignal(signo), signo, coreDumped: statusBits.coreDump(s) };
}

/**
 * Checks that `value` is an {@link ExitStatus} as {@link decodeWaitStatus} makes them (for
 * constructors that take one from user code, such as CalledProcessError).
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE naming the field.
 * @internal
 */
export function validateExitStatus(value: unknown, name: string): ExitStatus {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'of type object', value);
  const s = value as Record<string, unknown>;
  const kind = s.kind;
  const signal = (): void => {
    if (typeof s.signal !== 'string') throw invalidArgType(`${name}.signal`, 'of type string', s.signal);
  };
  switch (kind) {
    case 'exited':
      validateInt32(s.code, `${name}.code`, 0, 255);
      break;
    case 'signaled':
      validateInt32(s.signo, `${name}.signo`, 1, SIGNAL_MAX);
      signal();
      if (typeof s.coreDumped !== 'boolean') throw invalidArgType(`${name}.coreDumped`, 'of type boolean', s.coreDumped);
      break;
    case 'stopped':
      validateInt32(s.signo, `${name}.signo`, 1, SIGTRAP | 0x80);
      signal();
      break;
    case 'continued':
      break;
    default:
      throw invalidArgValue(`${name}.kind`, kind, "must be 'exited', 'signaled', 'stopped' or 'continued'");
  }
  return value as ExitStatus;
}
