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
