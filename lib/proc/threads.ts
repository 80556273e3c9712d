/**
 * Threads of a process, from /proc/<pid>/task/<tid>/stat: each with its own state.
 * @see proc(5) /proc/pid/task
 */
import { isErrnoException } from '../errors';
import { validatePid } from '../validate';
import { ProcfsOptions, validateProcfsOptions } from './options';
import { buildEntry, CpuTimes } from './process-info';
import { ProcessState } from './states';
import { assertRoot, readOne, scanDir } from './table';

/** One thread (a task of the thread group). */
export interface ThreadInfo {
  /** Thread id; the main thread's tid is the pid. */
  readonly tid: number;
  /** The process (thread group) it belongs to. */
  readonly pid: number;
  /** The thread's own comm (pthread_setname_np / prctl PR_SET_NAME). */
  readonly comm: string;
  readonly state: ProcessState;
  /**
   * The thread's own start time in clock ticks since boot (the main thread's equals the
   * process's); with `pid` it is not a ProcessRef unless `tid === pid`.
   */
  readonly startTime: number;
  readonly cpuTimes: CpuTimes;
  /** CPU it last ran on. */
  readonly processor: number | undefined;
}

/**
 * The threads of `pid`, each with its own state and CPU times. `pid` must name a process
 * (a thread group): the id of a thread that is not its group's leader is not one, though
 * /proc/<tid> can be opened, and gives `undefined`.
 * @returns the threads, or `undefined` when there is no such process.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; EACCES when the
 *   task directory cannot be read; ENOENT/ENOTDIR when the procfs root (or its `stat`, for
 *   the boot time) is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5) /proc/pid/task/tid/stat
 */
export function threads(pid: number, options?: ProcfsOptions): readonly ThreadInfo[] | undefined {
  validatePid(pid, 'pid');
  const opts = validateProcfsOptions(options);
  // Not a process (gone, or a non-leader thread id): undefined. Throws for a missing root.
  const proc = readOne(opts, pid, 0);
  if (proc === undefined) return undefined;
  const dir = `${opts.procfs}/${pid}/task`;
  let scan;
  try {
    scan = scanDir(opts, dir, -1, 0);
  } catch (e) {
    // Only the task directory missing means "gone"; a missing root (or root/stat) throws.
    if (isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'ESRCH') && e.path === dir) {
      assertRoot(opts);
      return undefined;
    }
    throw e;
  }
  const out: ThreadInfo[] = [];
  let leaderSeen = false;
  for (let i = 0; i < scan.raw.count; i++) {
    const t = buildEntry(scan.raw, i, scan.ctx);
    if (!t.readable) continue;
    if (t.pid === pid) leaderSeen = t.startTime === proc.info.startTime;
    out.push({
      tid: t.pid,
      pid,
      comm: t.comm,
      state: t.state,
      startTime: t.startTime,
      cpuTimes: t.cpuTimes,
      processor: t.processor,
    });
  }
  // The leader lists itself in its task directory until the whole group is reaped; when it
  // is missing or started at another time, the pid was recycled between the two reads.
  return leaderSeen ? out : undefined;
}
