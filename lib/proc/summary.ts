/**
 * A count of processes per state.
 * @see proc(5) /proc/pid/stat field 3
 */
import { ProcfsOptions, validateProcfsOptions } from './options';
import { StateName, STATE_NAMES } from './states';
import { scanTable } from './table';

/** Counts from one scan. */
export interface StateSummary {
  /** Every entry, readable or not. */
  readonly total: number;
  /** Entries whose stat could not be read (state unknown). */
  readonly unreadable: number;
  /** Kernel threads among the readable ones. */
  readonly kernelThreads: number;
  /** Per state name; every name is present, 0 when none. */
  readonly byState: Readonly<Record<StateName, number>>;
  /** Per state letter as the kernel wrote it. */
  readonly byLetter: Readonly<Record<string, number>>;
}

/**
 * How many processes are in each state, from one table scan.
 * @throws ERR_INVALID_ARG_TYPE for bad options; ENOENT when the procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function stateSummary(options?: ProcfsOptions): StateSummary {
  const opts = validateProcfsOptions(options);
  const byState = Object.fromEntries(STATE_NAMES.map((n) => [n, 0])) as Record<StateName, number>;
  const byLetter: Record<string, number> = {};
  let unreadable = 0;
  let kernelThreads = 0;
  const table = scanTable(opts);
  for (const p of table) {
    if (!p.readable) {
      unreadable++;
      continue;
    }
    byState[p.state.name]++;
    byLetter[p.state.letter] = (byLetter[p.state.letter] ?? 0) + 1;
    if (p.kernelThread) kernelThreads++;
  }
  return { total: table.length, unreadable, kernelThreads, byState, byLetter };
}
