// /proc readers: the process table, trees, threads, fds, identity, zombies, orphans,
// orphaned process groups, daemons and a state summary. Re-exports only.
export { DEFAULT_PROCFS } from './options';
export type { ProcfsOptions } from './options';
export { stateOf, STATE_NAMES } from './states';
export type { ProcessState, StateName } from './states';
export type { Terminal } from './tty';
export type { Ids } from './status';
export type { CpuTimes, ProcessEntry, ProcessInfo, ProcessRef, UnreadableProcess } from './process-info';
export { getProcess, listProcesses } from './table';
export type { ListOptions, ProcessDetails } from './table';
export { isRunning, isSameProcess } from './identity';
export { openProcess, ProcessHandle } from './process-handle';
export { ancestors, children, descendants, processTree } from './tree';
export type { ProcessTreeNode } from './tree';
export { threads } from './threads';
export type { ThreadInfo } from './threads';
export { openFds } from './fds';
export type { OpenFd } from './fds';
export { findZombies } from './zombies';
export type { ZombieGroup } from './zombies';
export { findOrphans } from './orphans';
export type { Orphan, OrphanEvidence, OrphanOptions } from './orphans';
export { orphanedProcessGroups } from './groups';
export type { OrphanedProcessGroup } from './groups';
export { findDaemons } from './daemons';
export type { Daemon, SecurityCheck } from './daemons';
export { stateSummary } from './summary';
export type { StateSummary } from './summary';
