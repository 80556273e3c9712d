/**
 * `unixproc`: the idiomatic API (camelCase, option objects, Promises, typed results).
 * The Python mirror is `unixproc/os`. This file only re-exports.
 * @packageDocumentation
 * @module unixproc
 */
export { isErrnoException } from './errors';
export type { ErrnoException, ArgumentError } from './errors';
// Named, not `export *`: lib/exit-status.ts also holds internals (statusBits, nameOfSignal...).
export { decodeWaitStatus } from './exit-status';
export type { ExitStatus, ExitedStatus, SignaledStatus, StoppedStatus, ContinuedStatus, SignalName } from './exit-status';
export * from './proc/index';
export * from './spawn/index';
export * from './contain/index';
export * from './guard/index';
export * from './supervise/index';
