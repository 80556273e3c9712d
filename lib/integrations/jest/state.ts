/**
 * The guard that jest's globalSetup starts and globalTeardown checks. Both run in jest's
 * main process but are loaded as separate modules (possibly through different module
 * loaders), so the guard lives on `globalThis` under a `Symbol.for` key.
 * @internal
 */
import type { LeakGuard } from '../../guard/guard';
import type { ProvenanceRunDir } from '../../guard/provenance';
import type { LeakedProcess } from '../../guard/report';

const KEY = Symbol.for('unixproc.jestLeakGuard.v1');

/** Stores the running guard. */
export function setGuard(guard: LeakGuard | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = guard;
}

/** The running guard, if globalSetup started one. */
export function getGuard(): LeakGuard | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as LeakGuard | undefined;
}

const RUN_KEY = Symbol.for('unixproc.jestProvenanceRun.v1');

/** Stores the run's provenance directory (made or inherited by globalSetup). */
export function setRunDir(run: ProvenanceRunDir | undefined): void {
  (globalThis as Record<symbol, unknown>)[RUN_KEY] = run;
}

/** The run's provenance directory, if globalSetup set one. */
export function getRunDir(): ProvenanceRunDir | undefined {
  return (globalThis as Record<symbol, unknown>)[RUN_KEY] as ProvenanceRunDir | undefined;
}

/**
 * Jest's own worker processes (jest-worker's processChild.js), children that jest's main
 * process started itself: never leaks. A zombie worker is never reported or reaped either
 * (the guard leaves zombies of its own children to their owner, libuv).
 */
export function isJestWorker(p: LeakedProcess): boolean {
  return p.relation === 'child' && /jest-worker|processChild\.js/.test(p.cmdline.join(' '));
}
