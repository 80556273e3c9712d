/**
 * waitForExit(): await the end of any process, without blocking and without a thread.
 */
import { check, invalidArgType, systemError } from '../errors';
import { decodeWaitStatus, type ExitStatus } from '../exit-status';
import { handBackExit, isForeignChild } from '../os/foreign-children';
import { ownChildWaited } from '../own-children';
import { optionKeys, validateBoolean, validateOptions, validatePid } from '../validate';
import { AbortError } from './errors';
import { watchPidfdReady } from './exit-watch';
import { liveChildren, raceAbort, Subprocess } from './handle';
import { P_PIDFD, WEXITED, WNOHANG, WNOWAIT, binding, statusFromSiginfo } from './native-child';
import { validateAbortSignal } from './options';

/** Options of {@link waitForExit}. */
export interface WaitForExitOptions {
  /** Stops waiting (rejects with an AbortError); the process is left alone. */
  readonly signal?: AbortSignal;
  /**
   * Reap the process when it is a child of this process (default false: its status is
   * read with WNOWAIT and it stays a zombie for its owner to reap). A child of Node's
   * child_process still gets its 'exit' event: the status is handed back to it.
   */
  readonly reap?: boolean;
}

const ECHILD = 10;
const WAIT_FOR_EXIT_KEYS = optionKeys<WaitForExitOptions>({ signal: true, reap: true });

/**
 * Resolves when a process has exited.
 *
 * - For a {@link Subprocess} handle (or the pid of a child spawned by {@link spawn} and not
 *   yet reaped): the handle's own `wait()`, which reaps it.
 * - For any other pid: a pidfd on it (pidfd_open(2)) polled by the event loop. When it is
 *   a child of this process, its status is read with `waitid(P_PIDFD, ..., WNOWAIT)`, so it
 *   is NOT reaped unless `reap` is true: whoever started it (child_process, os.posix_spawn)
 *   still gets its exit. When it is not a child (no status can be read), resolves `null`.
 *
 * The pid is turned into a pidfd at the call: if it had already exited and its pid was
 * reused before the call, the new process is the one waited for (pids name processes only
 * until they are reaped; a handle is exact).
 * @returns the exit status, or `null` for a process that is not a child of this one.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or option; ESRCH (`syscall`
 *   'pidfd_open') when there is no such process; ENOSYS on kernels without pidfd (before
 *   5.3); AbortError (name 'AbortError', code 'ABORT_ERR') when `signal` aborts first.
 * @see pidfd_open(2), waitid(2)
 */
export function waitForExit(
  target: number | Subprocess,
  options?: WaitForExitOptions,
): Promise<ExitStatus | null> {
  try {
    const o = validateOptions<WaitForExitOptions>(options, 'options', WAIT_FOR_EXIT_KEYS);
    const signal = validateAbortSignal(o.signal, 'options.signal');
    const reap = o.reap === undefined ? false : validateBoolean(o.reap, 'options.reap');
    let handle: Subprocess | undefined;
    if (target instanceof Subprocess) handle = target;
    else if (typeof target === 'number') handle = liveChildren.get(validatePid(target, 'target'));
    else throw invalidArgType('target', 'of type number or an instance of Subprocess', target);
    if (handle !== undefined) return raceAbort(handle.wait(), signal);
    return waitForPid(target as number, reap, signal);
  } catch (e) {
    return Promise.reject(e);
  }
}

function waitForPid(pid: number, reap: boolean, signal: AbortSignal | undefined): Promise<ExitStatus | null> {
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  const pidfd = check(binding().pidfdOpen(pid, 0), 'pidfd_open');
  return new Promise((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const finish = (): void => {
      binding().closeFd(pidfd); // not fs.closeSync: Workers warn about fds fs did not open
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    };
    const arm = (): ReturnType<typeof watchPidfdReady> =>
      watchPidfdReady(pidfd, () => {
        const r = binding().waitid(P_PIDFD, pidfd, WEXITED | WNOHANG | (reap ? 0 : WNOWAIT));
        if (typeof r === 'number') {
          finish();
          if (r === -ECHILD) resolve(null); // not our child: it exited, its status is its parent's
          else reject(systemError(r, 'waitid'));
        } else if (r[0] === 0) {
          watcher = arm(); // readable but not yet waitable: look again
        } else {
          finish();
          const status = statusFromSiginfo(r[4], r[3]);
          if (reap) {
            // Reaped here: a child_process child's owner gets its exit handed back (its
            // 'exit' fires), and unixproc/os's own-children bookkeeping forgets the pid.
            if (isForeignChild(pid)) handBackExit(pid, status);
            ownChildWaited(pid, status);
          }
          resolve(decodeWaitStatus(status));
        }
      });
    let watcher = arm();
    if (signal !== undefined) {
      onAbort = (): void => {
        watcher.cancel();
        finish();
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
