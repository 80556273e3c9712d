/**
 * `unixproc/resource`: Python's `resource` module, names and shapes included
 * (`getrlimit`, `setrlimit`, `prlimit`, `getrusage`, `getpagesize`, `RLIMIT_*`,
 * `RLIM_INFINITY`, `RUSAGE_*`). See docs/python-parity.md. This file only re-exports.
 * @packageDocumentation
 * @module unixproc/resource
 */
export * from './rlimit';
export * from './rusage';
export { isErrnoException } from '../errors';
export type { ErrnoException } from '../errors';
