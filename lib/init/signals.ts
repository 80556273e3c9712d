/**
 * SIGTERM, SIGINT and SIGHUP for a Node process that is PID 1 of its pid namespace.
 *
 * Why: the kernel never applies a default action to the init of a pid namespace. A signal
 * whose disposition is SIG_DFL is dropped, whether it comes from inside the namespace or
 * from the parent namespace (only SIGKILL and SIGSTOP from an ancestor namespace get
 * through): pid_namespaces(7), kernel/signal.c sig_task_ignored (SIGNAL_UNKILLABLE). So a
 * Node PID 1 with no handler of its own ignores `docker stop`'s SIGTERM and Ctrl-C, and is
 * SIGKILLed after the grace period.
 *
 * What: a listener for each of these signals, prepended (so that it runs first and sees the
 * listeners as they were when the signal came). When the signal comes it looks at
 * `process.listenerCount(signal)`:
 * - another listener exists (the application's): it does nothing; the application decides;
 * - it is alone: the process exits with 128 + the signal number (143, 130, 129), the status
 *   a shell reports for a process that signal killed. A real default action is impossible
 *   for PID 1 (a kill(2) of itself is dropped too), so `process.exit()` stands in for it:
 *   unlike a death by signal, 'exit' listeners run (unixproc's own clean-ups among them).
 *   When PID 1 exits the kernel SIGKILLs every other process of the namespace.
 * - it is alone and this process is no longer PID 1 (a `fork()` child of it): its
 *   listeners are removed, which restores SIG_DFL, and the signal is raised again, so the
 *   process dies of it exactly as without this module.
 * @internal
 */
import { native } from '../native';

/** The signals whose default action (terminate) this module stands in for. @internal */
export const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(['SIGTERM', 'SIGINT', 'SIGHUP']);

const SIGNAL_NUMBER: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

const getpid = (): number => native<{ getpid(): number }>().getpid();

/** The listener for `signal`. */
function standIn(signal: NodeJS.Signals): () => void {
  const listener = (): void => {
    if (process.listenerCount(signal) > 1) return; // the application handles it
    if (getpid() !== 1) {
      process.removeListener(signal, listener);
      process.kill(getpid(), signal);
      return;
    }
    process.exit(128 + SIGNAL_NUMBER[signal]);
  };
  return listener;
}

/** Adds the stand-in listeners (once per process: the caller keeps that state). @internal */
export function startSignalDefaults(): void {
  for (const signal of TERMINATING_SIGNALS) process.prependListener(signal, standIn(signal));
}
