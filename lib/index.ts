/**
 * `unixproc`: the idiomatic API (camelCase, option objects, Promises, typed results).
 * The Python mirror is `unixproc/os`. This file only re-exports.
 * @packageDocumentation
 */
export { isErrnoException } from './errors';
export type { ErrnoException, ArgumentError } from './errors';
export * from './exit-status';
export * from './proc/index';
export * from './spawn/index';
export * from './contain/index';
export * from './guard/index';
export * from './supervise/index';
