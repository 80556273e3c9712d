// Leak guard: fail a run that leaves zombies or orphans behind. Re-exports only.
// See docs/leak-guard.md.
export { startLeakGuard, LeakGuard } from './guard';
export type { LeakGuardOptions, LeakCleanupOptions, LeakCleanupSyncOptions, LeakCleanupResult, LeakSignalSent } from './guard';
export { formatLeakReport } from './report';
export type { LeakedProcess, LeakParent, LeakRelation, LeakReport, ReapedProcess } from './report';
export type { Provenance, ProvenanceFrame } from './provenance';
