/**
 * Pidfiles: the lock scheme daemonize() uses, and readPidfile(), which does not trust a
 * stale pid.
 *
 * The scheme: the pidfile holds `<pid>\n`. The daemon inherits, as fd 3, an open file
 * description of the pidfile on which an exclusive flock(2) is held, so the lock lasts
 * exactly as long as the daemon (or a child it passed fd 3 to) keeps that fd open. The
 * file is written to a temporary name in the same directory and renamed over the pidfile
 * (rename(2) is atomic: a reader sees the old file or the whole new one, never a partial
 * one).
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { systemError } from '../errors';
import { native } from '../native';
import { F, procConstants, procScan } from '../proc/binding';
import { ticksAt } from '../proc/boot';
import { validatePath } from '../validate';

interface FlockBinding {
  flock(fd: number, op: number): number;
}
const b = (): FlockBinding => native<FlockBinding>();

/** flock(2) operations. @internal */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
/** EWOULDBLOCK (= EAGAIN on Linux). @internal */
export const EWOULDBLOCK = 11;

/** flock(2) on an fd: 0 or a negative errno. @internal */
export function flock(fd: number, op: number): number {
  return b().flock(fd, op);
}

/** What {@link readPidfile} found. */
export interface PidfileStatus {
  /** The pid written in the file (undefined when the file does not hold one). */
  readonly pid: number | undefined;
  /**
   * Whether that process runs: it exists, is not a zombie, and started before the pidfile
   * was last written (a process that started later got a recycled pid).
   */
  readonly running: boolean;
  /**
   * Whether an flock(2) is held on the file (daemonize()'s daemons hold one as long as they
   * keep fd 3 open; while it is held, daemonize() with this pidfile refuses to start).
   */
  readonly locked: boolean;
}

// A process counts as started before the file was written if its start tick is at most
// this many ticks after the write, converted: /proc/uptime has a resolution of one tick
// and the two clocks are read a moment apart.
const SLACK_TICKS = 2;

// A pid and some white space; a longer file does not hold a pid.
const MAX_PIDFILE_BYTES = 64;
const EISDIR = 21;

/**
 * Reads a pidfile and tells whether the process it names is running, without trusting a
 * stale pid: the pid must name a live process that started no later than the file's last
 * modification (pid reuse makes a later one a stranger). Also reports whether the file is
 * locked (the lock daemonize() leaves on it). Nothing is signalled. Only a regular file of
 * at most 64 bytes can hold a pid: a FIFO, a device or a larger file is read as holding none
 * (never waited on, never read whole).
 *
 * @param path - the pidfile.
 * @returns `{ pid, running, locked }`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad path; the fs error
 *   (ENOENT, EACCES... with `path`) when the file cannot be opened; EISDIR (`read`, with
 *   `path`) for a directory.
 * @see flock(2), proc(5) /proc/pid/stat field 22, docs/supervise.md
 */
export function readPidfile(path: string | Buffer): PidfileStatus {
  const p = validatePath(path, 'path');
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. Only a regular file is
  // read, and only its first bytes: a FIFO or /dev/zero must not hang or fill memory.
  const fd = openSync(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  let text = '';
  let mtimeMs: number;
  let locked = false;
  try {
    const st = fstatSync(fd); // the file read, even if the path is renamed meanwhile
    if (st.isDirectory()) throw systemError(-EISDIR, 'read', p);
    mtimeMs = st.mtimeMs;
    if (st.isFile()) {
      const buf = Buffer.alloc(MAX_PIDFILE_BYTES + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (n <= MAX_PIDFILE_BYTES) text = buf.toString('latin1', 0, n);
    }
    const r = flock(fd, LOCK_SH | LOCK_NB);
    if (r === -EWOULDBLOCK) locked = true;
    else if (r < 0) throw systemError(r, 'flock', p);
  } finally {
    closeSync(fd); // releases the shared lock, if taken
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  const pid = m === null ? undefined : Number(m[1]);
  if (pid === undefined || pid < 1 || pid > 0x7fffffff) return { pid: undefined, running: false, locked };
  return { pid, running: startedBefore(pid, mtimeMs), locked };
}

/** Whether `pid` is a live process that started before the time `ms` (epoch ms). */
function startedBefore(pid: number, ms: number): boolean {
  const r = procScan('/proc', pid, 0);
  if (typeof r === 'number' || r.count !== 1) return false;
  const v = r.values;
  if (v[F.err] !== 0) return false;
  const state = String.fromCharCode(v[F.state]);
  if (state === 'Z' || state === 'X') return false;
  const { clkTck } = procConstants();
  const writtenTicks = ticksAt(ms, clkTck);
  return v[F.startTime] <= writtenTicks + SLACK_TICKS;
}
