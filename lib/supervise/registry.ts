/**
 * The supervisors of this process that metrics report (lib/metrics/services.ts): each one
 * from supervise() (or a restart() that starts it again) until it is `'stopped'`. A
 * `'failed'` supervisor stays: a service that gave up is what an alert is for. A stopped
 * one is dropped, so a process that supervises many short jobs neither leaks them nor
 * grows its metrics without bound.
 * @internal
 */
import type { Supervisor } from './supervisor';

const live = new Set<Supervisor>();

/** The key of Supervisor's method that returns its running child (not a public name). @internal */
export const RUNNING_CHILD: unique symbol = Symbol('Supervisor.runningChild');

/** Adds `sup` (idempotent). @internal */
export function trackSupervisor(sup: Supervisor): void {
  live.add(sup);
}

/** Removes `sup` (idempotent). @internal */
export function untrackSupervisor(sup: Supervisor): void {
  live.delete(sup);
}

/** The tracked supervisors, in the order they were first tracked. @internal */
export function liveSupervisors(): Supervisor[] {
  return [...live];
}
