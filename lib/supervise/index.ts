// Supervised children and daemons: supervise(), daemonize(), readPidfile(). Re-exports only.
// See docs/supervise.md.
export { supervise, Supervisor } from './supervisor';
export type {
  SupervisorState,
  SupervisedExit,
  ScheduledRestart,
  SupervisorFailure,
  SupervisorEvents,
} from './supervisor';
export type { RestartPolicy, BackoffOptions, StartLimitOptions, SupervisorOptions } from './options';
export { daemonize } from './daemonize';
export type { DaemonizeOptions, DaemonInfo, DaemonOutput, DaemonStdio } from './daemonize';
export { readPidfile } from './pidfile';
export type { PidfileStatus } from './pidfile';
