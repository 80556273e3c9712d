/**
 * `unixproc/os`: Python's `os` process API, names and shapes included.
 * See docs/python-parity.md for the table of Python functions and their counterparts.
 * This file only re-exports.
 * @packageDocumentation
 * @module unixproc/os
 */
export * from './identity';
export * from './signals';
export * from './status';
export * from './wait';
export * from './posix-spawn';
export * from './misc';
export * from './fork';
export * from './exec';
export * from './fds';
export { isErrnoException } from '../errors';
export type { ErrnoException } from '../errors';
// issue 13: fd calls, the spawn* family, scheduling
export * from './fd';
export * from './spawnv';
export * from './sched';
export * from './fs-encoding';
