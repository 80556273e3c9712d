/**
 * Boot time, to turn start times (clock ticks since boot) into Dates.
 * @see proc(5) /proc/stat "btime"
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isErrnoException, systemError } from '../errors';

/** Last btime read per procfs root, with when (monotonic ms) it was read. */
const cache = new Map<string, { btime: number; at: number }>();

/** How long a btime read is reused. */
const REUSE_MS = 1000;

/**
 * Seconds since the epoch at boot, from the `btime` line of `<procfs>/stat`.
 * btime moves when the wall clock is stepped, so it is re-read, but at most once a second
 * per root: `<procfs>/stat` holds a line per CPU and every interrupt count, and reading it
 * for each single-process lookup was a third of the leak guard's time. Start times as
 * ticks (the identity of a process) never depend on it; only the Dates made from them do.
 * @throws ENOENT (and other open/read errors) when `<procfs>/stat` cannot be read;
 *   EPROTO when it has no btime line.
 */
export function bootTime(procfs: string): number {
  const now = performance.now();
  const hit = cache.get(procfs);
  if (hit !== undefined && now - hit.at < REUSE_MS) return hit.btime;
  const btime = readBootTime(procfs);
  cache.set(procfs, { btime, at: now });
  return btime;
}

function readBootTime(procfs: string): number {
  const path = `${procfs}/stat`;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    if (isErrnoException(e)) throw systemError(e.errno, 'open', path);
    throw e;
  }
  const m = /^btime\s+(\d+)$/m.exec(text);
  if (m === null) throw systemError(constants.errno.EPROTO, 'read', path);
  return Number(m[1]);
}
