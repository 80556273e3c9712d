/**
 * Boot time, to turn start times (clock ticks since boot) into Dates.
 * @see proc(5) /proc/stat "btime"
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { isErrnoException, systemError } from '../errors';

/**
 * Seconds since the epoch at boot, from the `btime` line of `<procfs>/stat`.
 * Read on every call: btime moves when the wall clock is stepped.
 * @throws ENOENT (and other open/read errors) when `<procfs>/stat` cannot be read;
 *   EPROTO when it has no btime line.
 */
export function bootTime(procfs: string): number {
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
