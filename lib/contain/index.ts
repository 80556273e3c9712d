/**
 * Containment: a child's whole tree as one unit (cgroup v2 or a subreaper shepherd).
 * See docs/containment.md.
 */
export { ContainedSubprocess } from './contained';
export type { Containment, EndedMember, KillOptions, OomEvent, TerminateTreeOptions, TreeMember, TreeTermination } from './contained';
export { CONTAINMENT_ENV } from './hook';
export { ERR_CGROUP_UNAVAILABLE } from './cgroup';
export { ERR_SHEPHERD_UNAVAILABLE } from './launch';
export { processUsage } from './usage';
export { RLIMITS } from './limits';
export type { Limits, RlimitName, RlimitValue } from './limits';
export type { CgroupLimits } from './cgroup-limits';
export type { ProcessUsageOptions, ResourceUsage, UsageOptions } from './usage';
