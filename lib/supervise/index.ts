// Supervised children and daemons: supervise(), superviseTree(), daemonize(), readPidfile(). Re-exports only.
// See docs/supervise.md.
export { supervise, Supervisor } from './supervisor';
export type {
  SupervisorState,
  SupervisedExit,
  ScheduledRestart,
  SupervisorFailure,
  SupervisorEvents,
  ExitReason,
  SupervisorNotification,
  NotificationCounts,
  ServiceEvent,
} from './supervisor';
export type {
  RestartPolicy,
  BackoffOptions,
  StartLimitOptions,
  SupervisorOptions,
  ReadinessOption,
  ReadyProbe,
  ReadyProbeContext,
  ReadyFd,
  OutputOptions,
  SupervisorStdio,
  SupervisorStdin,
} from './options';
export { superviseTree, SupervisionTree } from './tree';
export type {
  SupervisionTreeState,
  SupervisionTreeEvents,
  TreeChild,
  TreeChildState,
  TreeEventSource,
  TreeSpawn,
  TreeChildReady,
  TreeExit,
  TreeSpawnError,
  TreeRestart,
  TreeFailure,
  TreeChildFailed,
} from './tree';
export type {
  RestartStrategy,
  ServiceOptions,
  ServiceSpec,
  SubtreeSpec,
  ChildSpec,
  SupervisionTreeOptions,
  SuperviseTreeOptions,
} from './tree-options';
export { notify } from './notify';
export type { NotifyMessage } from './notify-message';
export { daemonize } from './daemonize';
export type { DaemonizeOptions, DaemonInfo, DaemonOutput, DaemonStdio } from './daemonize';
export { readPidfile } from './pidfile';
export type { PidfileStatus } from './pidfile';
