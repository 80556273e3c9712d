/**
 * Children without blocking: spawn() handles, run(), waitForExit(). Re-exports only.
 * See docs/spawning.md.
 */
export { spawn, spawnAsync } from './spawn';
export { run } from './run';
export type { RunOptions, RunResult } from './run';
export { waitForExit } from './wait-for-exit';
export type { WaitForExitOptions } from './wait-for-exit';
export { Subprocess } from './handle';
export type { TerminationReason } from './handle';
export type { GroupOption, SpawnOptions, StdioOption, TerminateOptions, UserOption } from './options';
export { CalledProcessError, TimeoutExpiredError, AbortError } from './errors';
export type { Captured } from './errors';
