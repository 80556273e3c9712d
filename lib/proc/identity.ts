/**
 * Identity checks: a process is (pid, startTime), so a recycled pid never passes for the
 * process that used to have it, unless the newcomer started within the same clock tick.
 *
 * The limit of (pid, startTime): the start time counts clock ticks (1/CLK_TCK s, 10 ms on
 * Linux). A process that exits and is reaped within the tick it started in can hand its pid
 * to a newcomer that starts in that same tick, and the pair then names the newcomer: these
 * checks answer true for another program (issue 8, defect 6). Exact answers need a pidfd
 * taken while the process was still there: {@link openProcess} gives a
 * {@link ProcessHandle}, and these functions use its pidfd when given an open one.
 * @see proc(5) /proc/pid/stat field 22 (starttime), docs/zombies-and-orphans.md
 */
import { invalidArgType } from '../errors';
import { validateInteger, validatePid } from '../validate';
import { ProcfsOptions, validateProcfsOptions } from './options';
import { hasEnded, ProcessInfo, ProcessRef } from './process-info';
import { ProcessHandle } from './process-handle';
import { readOne } from './table';

function validateRef(ref: unknown, name: string): ProcessRef {
  if (typeof ref !== 'object' || ref === null) throw invalidArgType(name, 'of type object', ref);
  const r = ref as { pid?: unknown; startTime?: unknown };
  return {
    pid: validatePid(r.pid, `${name}.pid`),
    startTime: validateInteger(r.startTime, `${name}.startTime`, 0),
  };
}

function current(ref: unknown, options: unknown): ProcessInfo | undefined {
  const r = validateRef(ref, 'ref');
  const opts = validateProcfsOptions(options);
  const one = readOne(opts, r.pid, 0);
  if (one === undefined || one.info.startTime !== r.startTime) return undefined;
  return one.info;
}

/**
 * Whether the process `ref` names still exists: same pid AND same start time. A zombie
 * still counts (it exists until reaped); a different process that got the pid does not,
 * unless it started within the same clock tick (see the module notes): for an open
 * {@link ProcessHandle} the answer comes from its pidfd instead (not reaped), and is exact.
 *
 * @param ref - `{ pid, startTime }`, e.g. any result of this module, or a ProcessHandle.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad ref or options; EACCES when the
 *   process's stat cannot be read.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function isSameProcess(ref: ProcessRef, options?: ProcfsOptions): boolean {
  if (ref instanceof ProcessHandle && !ref.closed) {
    validateProcfsOptions(options);
    return !ref.isReaped();
  }
  return current(ref, options) !== undefined;
}

/**
 * Whether the process `ref` names is still running: it is the same process
 * ({@link isSameProcess}) and it is not a zombie or dead. A process whose main thread
 * exited while another thread runs (state Z, num_threads > 1) is running. Fooled, like
 * isSameProcess, by a newcomer started within the same clock tick; exact for an open
 * {@link ProcessHandle} (its pidfd has not polled readable).
 *
 * @param ref - `{ pid, startTime }`, or a ProcessHandle.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad ref or options; EACCES when the
 *   process's stat cannot be read.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function isRunning(ref: ProcessRef, options?: ProcfsOptions): boolean {
  if (ref instanceof ProcessHandle && !ref.closed) {
    validateProcfsOptions(options);
    return ref.isRunning();
  }
  const p = current(ref, options);
  return p !== undefined && !hasEnded(p);
}
