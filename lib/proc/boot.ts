/**
 * Every conversion between the wall clock and clock ticks since boot (the unit of a
 * process's start time) is here, so that no two places compute boot time apart:
 * - {@link bootTime}: the boot time in whole seconds, from `<procfs>/stat` "btime" (what
 *   ps and psutil use), to turn start times into Dates;
 * - {@link ticksAt}: the tick count at a wall-clock time, from /proc/uptime (a tick's
 *   resolution, where btime is truncated to the second), for comparisons that must be
 *   exact to a few ticks (readPidfile: did the process start before the file was written?).
 * @see proc(5) /proc/stat "btime", /proc/uptime
 * @internal
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { systemError } from '../errors';
import { procReadFile } from './binding';
import { ResolvedOptions, rootError } from './options';

/** Last btime read per procfs root, with when (monotonic ms) it was read. */
const cache = new Map<string, { btime: number; at: number }>();

/** How long a btime read is reused. */
const REUSE_MS = 1000;

/**
 * The most of `<procfs>/stat` that is read. It holds a line per CPU and one count per
 * interrupt before btime: ~100 bytes per CPU, so 4 MiB is room for tens of thousands.
 */
export const BOOT_STAT_CAP = 4 << 20;

/**
 * Seconds since the epoch at boot, from the `btime` line of `<procfs>/stat`.
 * btime moves when the wall clock is stepped, so it is re-read, but at most once a second
 * per root: `<procfs>/stat` holds a line per CPU and every interrupt count, and reading it
 * for each single-process lookup was a third of the leak guard's time. Start times as
 * ticks (the identity of a process) never depend on it; only the Dates made from them do.
 * @throws ENOENT (and other open/read errors) when `<procfs>/stat` cannot be read; EINVAL,
 *   ELOOP or EISDIR when it is not a regular file (a FIFO, a symlink, a directory);
 *   ERR_INVALID_ARG_VALUE when the root is not a procfs and the options allow no fixture;
 *   EPROTO when it has no btime line.
 */
export function bootTime(opts: ResolvedOptions): number {
  // Monotonic milliseconds, as performance.now() but without loading perf_hooks (a dozen
  // internal modules) into every command that lists processes (issue 14, item 4).
  const now = Number(process.hrtime.bigint()) / 1e6;
  const key = `${opts.fixture ? 'fixture' : 'procfs'}:${opts.procfs}`;
  const hit = cache.get(key);
  if (hit !== undefined && now - hit.at < REUSE_MS) return hit.btime;
  const btime = readBootTime(opts);
  cache.set(key, { btime, at: now });
  return btime;
}

/**
 * The number of clock ticks since boot at the wall-clock time `epochMs` (the live system's
 * /proc/uptime, CLOCK_BOOTTIME in hundredths of a second, read now).
 * @throws what reading /proc/uptime throws (ENOENT without /proc).
 */
export function ticksAt(epochMs: number, clkTck: number): number {
  const now = Date.now();
  const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return (uptime - (now - epochMs) / 1000) * clkTck;
}

// Read as the scan reads (a regular file, non-blocking, bounded): a FIFO or /dev/zero in
// place of a fixture's `stat` is an error, not a hang.
function readBootTime(opts: ResolvedOptions): number {
  const path = `${opts.procfs}/stat`;
  const r = procReadFile(opts.procfs, 'stat', BOOT_STAT_CAP, opts.fixture);
  if (typeof r === 'number') throw rootError(opts, r, 'open', path);
  const m = /^btime\s+(\d{1,15})$/m.exec(r.text);
  if (m === null) throw systemError(constants.errno.EPROTO, 'read', path);
  return Number(m[1]);
}

/** The offset from monotonic milliseconds to CLOCK_BOOTTIME milliseconds, and when it was taken. */
let monoToBoot: { offset: number; at: number } | undefined;

/** How long an offset is used before it is taken again (the clocks part while suspended). */
const RECALIBRATE_MS = 10_000;

/**
 * The offset from CLOCK_MONOTONIC to CLOCK_BOOTTIME: /proc/uptime read between two monotonic
 * samples, kept when they are less than a millisecond apart (a thread descheduled during
 * the read would bias it by as long as it waited), the midpoint used; the best of a few
 * tries. uptime is truncated to 10 ms: half of that is added back.
 */
function calibrate(): { offset: number; at: number } {
  let best: { offset: number; gap: number } | undefined;
  for (let i = 0; i < 5 && (best === undefined || best.gap >= 1); i++) {
    const before = Number(process.hrtime.bigint()) / 1e6;
    const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    const after = Number(process.hrtime.bigint()) / 1e6;
    const gap = after - before;
    if (best === undefined || gap < best.gap) best = { offset: uptime * 1000 + 5 - (before + after) / 2, gap };
  }
  const b = best as { offset: number; gap: number };
  if (!Number.isFinite(b.offset)) throw new Error('/proc/uptime does not hold a number');
  return { offset: b.offset, at: Number(process.hrtime.bigint()) / 1e6 };
}

/**
 * Clock ticks since boot now, as a fraction, without a read per call: CLOCK_MONOTONIC
 * (process.hrtime) plus its offset to CLOCK_BOOTTIME, taken from /proc/uptime at most every
 * 10 s (resolution 10 ms; the two clocks part only while the machine is suspended). For
 * birth windows compared with a process's start time (a few ticks of slack), not for exact
 * comparisons. NaN when /proc/uptime cannot be read.
 */
export function ticksNow(clkTck: number): number {
  const mono = Number(process.hrtime.bigint()) / 1e6;
  if (monoToBoot === undefined || mono - monoToBoot.at > RECALIBRATE_MS) {
    try {
      monoToBoot = calibrate();
    } catch {
      return NaN;
    }
  }
  return ((mono + monoToBoot.offset) / 1000) * clkTck;
}
