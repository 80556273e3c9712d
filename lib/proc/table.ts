/**
 * The process table: listProcesses() and getProcess().
 * @see proc(5)
 */
import { systemError } from '../errors';
import { optionKeys, validateOptions, validatePid } from '../validate';
import { Extra, procConstants, procScan, RawScan, takePrefetchedChunks } from './binding';
import { bootTime } from './boot';
import { optionalBoolean, ProcfsOptions, resolveProcfs, ResolvedOptions, rootError, validateProcfsOptions } from './options';
import {
  buildEntry,
  BuildContext,
  extrasOf,
  extraString,
  ProcessEntry,
  ProcessInfo,
} from './process-info';

/** Options of {@link listProcesses}. */
export interface ListOptions extends ProcfsOptions {
  /** Also read /proc/<pid>/cmdline into `cmdline`. */
  readonly cmdline?: boolean;
  /** Also read the /proc/<pid>/exe link into `exe`. */
  readonly exe?: boolean;
  /** Also read /proc/<pid>/status into `uids` and `gids` (doubles the cost of a scan). */
  readonly credentials?: boolean;
}

/** A scan with what is needed to build its entries. @internal */
export interface Scan {
  readonly raw: RawScan;
  readonly ctx: BuildContext;
}

/** Runs the native scan over a directory of the procfs root. @internal */
export function scanDir(opts: ResolvedOptions, dir: string, pid: number, extras: number): Scan {
  const r = procScan(dir, pid, extras, opts.fixture);
  if (typeof r === 'number') throw rootError(opts, r, 'open', dir);
  const { clkTck, pageSize } = procConstants();
  const ctx: BuildContext = { clkTck, pageSize, bootMs: bootTime(opts) * 1000, live: opts.live, extras };
  return { raw: r, ctx };
}

/**
 * Throws when the procfs root cannot be opened (ENOENT, ENOTDIR, EACCES, with the root's
 * path), or is not a procfs without `procfsFixture` (ERR_INVALID_ARG_VALUE). Called after
 * ENOENT/ESRCH under `<root>/<pid>`: only when the root is there does that mean the
 * process is gone. @internal
 */
export function assertRoot(opts: ResolvedOptions): void {
  const r = procScan(opts.procfs, [], 0, opts.fixture); // opens the root, reads nothing
  if (typeof r === 'number') throw rootError(opts, r, 'open', opts.procfs);
}

/** The whole table, every entry built. @internal */
export function scanTable(opts: ResolvedOptions, extras = 0): ProcessEntry[] {
  const chunks = opts.fixture ? undefined : takePrefetchedChunks(opts.procfs, extras);
  let out: ProcessEntry[];
  if (chunks !== undefined) {
    // A scan the bin started ahead (lib/cli/prefetch.ts): entries are built chunk by chunk
    // while its threads read the next ones.
    const { clkTck, pageSize } = procConstants();
    const ctx: BuildContext = { clkTck, pageSize, bootMs: bootTime(opts) * 1000, live: opts.live, extras };
    out = [];
    for (let raw = chunks(); raw !== undefined; raw = chunks()) {
      for (let i = 0; i < raw.count; i++) out.push(buildEntry(raw, i, ctx));
    }
  } else {
    const { raw, ctx } = scanDir(opts, opts.procfs, -1, extras);
    out = new Array<ProcessEntry>(raw.count);
    for (let i = 0; i < raw.count; i++) out[i] = buildEntry(raw, i, ctx);
  }
  let sorted = true;
  for (let i = 1; i < out.length && sorted; i++) if (out[i].pid < out[i - 1].pid) sorted = false;
  // procfs lists pids in ascending order; other trees (fixtures) in hash order.
  if (!sorted) out.sort((a, b) => a.pid - b.pid);
  return out;
}

/** Only the readable entries of a table. @internal */
export function readableOnly(table: readonly ProcessEntry[]): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const p of table) if (p.readable) out.push(p);
  return out;
}

/**
 * Every process, from one native pass over the procfs root: for each numeric entry,
 * openat + fstat + one read of `<pid>/stat`. A process that exits during the scan is
 * left out (ENOENT/ESRCH); one whose stat cannot be read (EPERM under hidepid=1) is
 * listed as an {@link UnreadableProcess}, and so is one whose stat is not a stat line a
 * kernel could write (see {@link UnreadableProcess.error}). No entry is ever half-read:
 * each stat line is generated and read in one piece.
 *
 * @param options - `procfs` (root, default `/proc`), `procfsFixture`, `cmdline`, `exe`,
 *   `credentials`.
 * @returns the entries in ascending pid order.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for bad options, and
 *   ERR_INVALID_ARG_VALUE for a `procfs` root that is not a procfs without
 *   `procfsFixture: true`; ENOENT, ENOTDIR, EACCES when the procfs root (or its `stat`
 *   file, for the boot time) cannot be read.
 * @see proc(5) /proc/pid/stat
 */
const LIST_KEYS = optionKeys<ListOptions>({ procfs: true, procfsFixture: true, cmdline: true, exe: true, credentials: true });

export function listProcesses(options?: ListOptions): readonly ProcessEntry[] {
  const o = validateOptions<ListOptions>(options, 'options', LIST_KEYS);
  const opts = resolveProcfs(o, 'options');
  let extras = 0;
  if (optionalBoolean(o.cmdline, 'options.cmdline')) extras |= Extra.cmdline;
  if (optionalBoolean(o.exe, 'options.exe')) extras |= Extra.exe;
  if (optionalBoolean(o.credentials, 'options.credentials')) extras |= Extra.status;
  return scanTable(opts, extras);
}

/** One process with the details a table scan leaves out. */
export interface ProcessDetails extends ProcessInfo {
  readonly cmdline: readonly string[] | undefined;
  /** Target of /proc/<pid>/exe; undefined for kernel threads, zombies, or when not permitted. */
  readonly exe: string | undefined;
  /** Target of /proc/<pid>/cwd; undefined when not permitted or absent. */
  readonly cwd: string | undefined;
  /** Number of open file descriptors (entries of /proc/<pid>/fd); undefined when not permitted. */
  readonly fdCount: number | undefined;
}

/**
 * One entry, read alone: undefined when there is no such process, an
 * {@link UnreadableProcess} when its stat cannot be read. @internal
 */
export function readEntry(opts: ResolvedOptions, pid: number): ProcessEntry | undefined {
  const scan = scanDir(opts, opts.procfs, pid, 0);
  return scan.raw.count === 0 ? undefined : buildEntry(scan.raw, 0, scan.ctx);
}

/** Reads one process with the given extras; undefined when it is gone. @internal */
export function readOne(opts: ResolvedOptions, pid: number, extras: number): { info: ProcessInfo; scan: Scan } | undefined {
  const scan = scanDir(opts, opts.procfs, pid, extras);
  if (scan.raw.count === 0) return undefined;
  const e = buildEntry(scan.raw, 0, scan.ctx);
  if (!e.readable) {
    throw systemError(-Number(scan.raw.values[1]), 'open', `${opts.procfs}/${pid}/stat`);
  }
  return { info: e, scan };
}

/**
 * One process, with cmdline, exe, cwd, open fd count and credentials, all read through
 * one directory handle bound to that process (so a recycled pid cannot mix two processes).
 *
 * @param pid - the process id.
 * @param options - `procfs` root.
 * @returns the process, or `undefined` (not an error) when there is no such process.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; EPERM when its
 *   stat cannot be read (hidepid=1), or the {@link UnreadableProcess} error of a stat that
 *   is not one a kernel writes (EPROTO, EFBIG, EINVAL, ELOOP, EISDIR: `open <code>
 *   '<root>/<pid>/stat'`); ENOENT/ENOTDIR when the procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5) /proc/pid/stat, /proc/pid/status, /proc/pid/cmdline, /proc/pid/exe, /proc/pid/cwd, /proc/pid/fd
 */
export function getProcess(pid: number, options?: ProcfsOptions): ProcessDetails | undefined {
  validatePid(pid, 'pid');
  const opts = validateProcfsOptions(options);
  const mask = Extra.cmdline | Extra.exe | Extra.cwd | Extra.status | Extra.fdCount;
  const one = readOne(opts, pid, mask);
  if (one === undefined) return undefined;
  const x = extrasOf(one.scan.raw, 0, mask);
  return {
    ...one.info,
    cwd: extraString(x.cwd),
    fdCount: typeof x.fdCount === 'number' && x.fdCount >= 0 ? x.fdCount : undefined,
  };
}
