/**
 * The shape of one process as the /proc readers report it, and how it is built from the
 * native scan (native/procfs.cc).
 * @see proc(5) /proc/pid/stat, /proc/pid/status, /proc/pid/cmdline, /proc/pid/exe
 */
import { lstatSync } from 'node:fs';
import { errnoName } from '../errors';
import { fsencodeBytes } from '../fs-encoding';
import { F, RawScan } from './binding';
import { ProcessState, stateOfCode } from './states';
import { Ids, parseStatus } from './status';
import { Terminal, terminalOf } from './tty';

/** CPU time consumed, in seconds (stat fields 14-17 divided by CLK_TCK). */
export interface CpuTimes {
  readonly user: number;
  readonly system: number;
  /** Of children this process waited for. */
  readonly childrenUser: number;
  readonly childrenSystem: number;
}

/**
 * What names one process across time: its pid AND its start time. A pid is recycled after
 * the process is reaped; the pair is not (see {@link isSameProcess}).
 */
export interface ProcessRef {
  readonly pid: number;
  /** Clock ticks after boot at which the process started (stat field 22). */
  readonly startTime: number;
}

/** One process, read from /proc/<pid>/stat in one read (plus extras when asked for). */
export interface ProcessInfo extends ProcessRef {
  /** Always true: every field below was read. See {@link UnreadableProcess}. */
  readonly readable: true;
  readonly pid: number;
  /** Start time in clock ticks since boot (stat field 22): half of the identity. */
  readonly startTime: number;
  /** Start time as a Date (boot time from /proc/stat "btime" + startTime / CLK_TCK). */
  readonly startDate: Date;
  /** Parent pid; 0 for PID 1, kthreadd, and processes whose parent is outside the pid namespace. */
  readonly ppid: number;
  /** Process group id. */
  readonly pgid: number;
  /** Session id. */
  readonly sid: number;
  /** Controlling terminal, undefined when there is none (tty_nr 0). */
  readonly tty: Terminal | undefined;
  /** Foreground process group of the controlling terminal; -1 without one. */
  readonly tpgid: number;
  readonly state: ProcessState;
  /** PF_KTHREAD is set in the flags: a kernel thread (no user space, no cmdline). */
  readonly kernelThread: boolean;
  /** The kernel's PF_* flags word (stat field 9). */
  readonly flags: number;
  readonly numThreads: number;
  /**
   * Effective uid: the owner the kernel gives /proc/<pid>/* (as ps reads it). For a process
   * that made itself non-dumpable (prctl PR_SET_DUMPABLE 0, setuid programs) the kernel
   * shows root instead; `uids` (from status) has the real values.
   */
  readonly uid: number | undefined;
  /** Effective gid, with the same caveat as `uid`. */
  readonly gid: number | undefined;
  /** Real/effective/saved/filesystem uids from /proc/<pid>/status: with `credentials: true`. */
  readonly uids: Ids | undefined;
  /** Real/effective/saved/filesystem gids from /proc/<pid>/status: with `credentials: true`. */
  readonly gids: Ids | undefined;
  /**
   * VmLck from /proc/<pid>/status in bytes (memory locked with mlock(2), ps's `L` flag): with
   * `credentials: true`; undefined otherwise and for processes without memory (zombies).
   */
  readonly lockedMemory: number | undefined;
  /**
   * The command name (up to 15 bytes for user processes); may hold spaces, `()` and newlines.
   * Bytes that are not UTF-8 are kept as U+DC80..U+DCFF (Python's surrogateescape, as psutil
   * reports them): `fsencode(comm)` from unixproc/os gives the exact bytes back. The same
   * holds for `cmdline`, `exe` and `cwd`.
   */
  readonly comm: string;
  /**
   * Resident set size in bytes: /proc/<pid>/statm's resident pages times the page size, as
   * ps and psutil (stat's field 24 lags behind on current kernels; it is used only where
   * statm cannot be read). With `credentials: true` on a procfs it is read from status's
   * VmRSS instead, the same counters summed the same way, saving statm's read.
   */
  readonly rss: number;
  /** Virtual memory size in bytes (stat field 23). */
  readonly vms: number;
  readonly priority: number;
  readonly nice: number;
  /** CPU the process last ran on (stat field 39). */
  readonly processor: number | undefined;
  readonly minorFaults: number;
  readonly majorFaults: number;
  readonly cpuTimes: CpuTimes;
  /**
   * Arguments from /proc/<pid>/cmdline (with `cmdline: true`); [] for kernel threads and
   * zombies. At most 2 MiB is read: see `cmdlineTruncated`.
   */
  readonly cmdline: readonly string[] | undefined;
  /**
   * True when /proc/<pid>/cmdline was longer than 2 MiB (execve(2)'s bound under the default
   * 8 MiB stack limit) and
   * `cmdline` holds only its first 2 MiB: its last argument may be cut, and arguments after
   * it are missing. False otherwise (and when the cmdline was not read).
   */
  readonly cmdlineTruncated: boolean;
  /**
   * Target of /proc/<pid>/exe (with `exe: true`); undefined when unreadable or absent.
   * The kernel's ` (deleted)` suffix (the file was unlinked or replaced) is stripped, as
   * psutil does, and `exeDeleted` says so.
   */
  readonly exe: string | undefined;
  /**
   * True when the executable was deleted or replaced since the process started (the
   * kernel appended ` (deleted)` to the link, and no file of that full name exists).
   */
  readonly exeDeleted: boolean;
}

/**
 * A process that is there but whose stat could not be read (EPERM under hidepid=1, for
 * instance): listed, with every field unknown.
 */
export interface UnreadableProcess {
  readonly readable: false;
  readonly pid: number;
  /**
   * The errno name that made it unreadable: `'EPERM'`/`'EACCES'` (hidepid=1, or not
   * permitted), or, for a stat that is not what a kernel writes (only a fixture tree or a
   * tampered root has those): `'EPROTO'` malformed, or a number out of its field's range
   * (a ppid of 99999999999999999999999); `'EFBIG'` longer than 4 KiB; `'EISDIR'`, `'ELOOP'`
   * (a symlink) or `'EINVAL'` (a FIFO, socket or device) when it is not a regular file.
   */
  readonly error: string;
}

/**
 * The most of /proc/<pid>/cmdline (and environ) that is read, in bytes: 2 MiB, the bound
 * execve(2) puts on arguments and environment together under the default 8 MiB stack
 * limit (a quarter of RLIMIT_STACK). Mirrors kCapArgs in native/procfs.cc. @internal
 */
export const CMDLINE_CAP = 2 * 1024 * 1024;

/**
 * Whether `p` is a zombie: state Z and no thread of its group still running. A leader that
 * shows 'Z' while other threads run (its main thread called pthread_exit) is alive: /proc
 * shows the leader's own state, and num_threads counts the leader plus the live threads
 * (proc(5), pthread_exit(3)); such a process must be signalled, and wait(2) cannot reap it
 * yet. The one definition every reader (findZombies, isRunning, the orphan finders) and the
 * leak guard use. @internal
 */
export function isZombie(p: Pick<ProcessInfo, 'state' | 'numThreads'>): boolean {
  return p.state.name === 'zombie' && !(p.numThreads > 1);
}

/** Whether `p` has ended: a zombie ({@link isZombie}) or dead (state X). @internal */
export function hasEnded(p: Pick<ProcessInfo, 'state' | 'numThreads'>): boolean {
  return p.state.name === 'dead' || isZombie(p);
}

/** An entry of the process table. */
export type ProcessEntry = ProcessInfo | UnreadableProcess;

/** Per-scan constants: what turns ticks and pages into seconds, bytes and Dates. */
export interface BuildContext {
  readonly clkTck: number;
  readonly pageSize: number;
  readonly bootMs: number;
  readonly live: boolean;
  /** The extras mask the scan used, to know which extra value is which. */
  readonly extras: number;
}

const PF_KTHREAD = 0x00200000;

function orUndefined(n: number): number | undefined {
  return Number.isNaN(n) ? undefined : n;
}

const DELETED = ' (deleted)';

/**
 * The exe link without the kernel's " (deleted)" suffix, as psutil's readlink(): stripped
 * only when no file has the full name (a program really called "x (deleted)" keeps it).
 * @internal
 */
export function splitDeleted(target: string | undefined): { exe: string | undefined; exeDeleted: boolean } {
  if (target === undefined || !target.endsWith(DELETED)) return { exe: target, exeDeleted: false };
  try {
    lstatSync(fsencodeBytes(target, 'exe'));
    return { exe: target, exeDeleted: false };
  } catch {
    return { exe: target.slice(0, -DELETED.length), exeDeleted: true };
  }
}

/** Splits /proc/<pid>/cmdline (NUL-terminated arguments). */
export function parseCmdline(raw: string): string[] {
  if (raw.length === 0) return [];
  const body = raw.endsWith('\0') ? raw.slice(0, -1) : raw;
  return body.split('\0');
}

/** Decoded extras of one entry, by name. @internal */
export interface EntryExtras {
  cmdline?: string | number;
  exe?: string | number;
  cwd?: string | number;
  status?: string | number;
  environ?: string | number;
  fdCount?: string | number;
  stdio?: string | number;
}

const EXTRA_NAMES: readonly (keyof EntryExtras)[] = ['cmdline', 'exe', 'cwd', 'status', 'environ', 'fdCount', 'stdio'];

/** The extras of entry `i`. @internal */
export function extrasOf(raw: RawScan, i: number, mask: number): EntryExtras {
  const out: EntryExtras = {};
  let k = i * raw.extrasPerEntry;
  for (let bit = 0; bit < EXTRA_NAMES.length; bit++) {
    if ((mask & (1 << bit)) !== 0) out[EXTRA_NAMES[bit]] = raw.extras[k++];
  }
  return out;
}

/** A string extra, or undefined when it came back as -errno. @internal */
export function extraString(v: string | number | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Builds entry `i` of a scan. @internal */
export function buildEntry(raw: RawScan, i: number, ctx: BuildContext): ProcessEntry {
  const v = raw.values;
  const o = i * raw.width;
  const pid = v[o + F.pid];
  const err = v[o + F.err];
  if (err !== 0) return Object.freeze({ readable: false as const, pid, error: errnoName(err) });
  const tick = 1 / ctx.clkTck;
  const startTime = v[o + F.startTime];
  const flags = v[o + F.flags];
  let cmdline: readonly string[] | undefined;
  let cmdlineTruncated = false;
  let exe: string | undefined;
  let exeDeleted = false;
  let uids: Ids | undefined;
  let gids: Ids | undefined;
  let lockedMemory: number | undefined;
  if (ctx.extras !== 0) {
    const x = extrasOf(raw, i, ctx.extras);
    const c = extraString(x.cmdline);
    if (c !== undefined) {
      cmdline = Object.freeze(parseCmdline(c));
      // cmdline is bit 0: when read, it is the entry's first extra.
      cmdlineTruncated = (ctx.extras & 1) !== 0 && raw.truncated.has(i * raw.extrasPerEntry);
    }
    ({ exe, exeDeleted } = splitDeleted(extraString(x.exe)));
    const s = extraString(x.status);
    if (s !== undefined) ({ uids, gids, lockedMemory } = parseStatus(s));
  }
  return {
    readable: true,
    pid,
    startTime,
    startDate: new Date(ctx.bootMs + startTime * tick * 1000),
    ppid: v[o + F.ppid],
    pgid: v[o + F.pgrp],
    sid: v[o + F.session],
    tty: terminalOf(v[o + F.ttyNr], ctx.live),
    tpgid: v[o + F.tpgid],
    state: stateOfCode(v[o + F.state]),
    kernelThread: (flags & PF_KTHREAD) !== 0,
    flags,
    numThreads: v[o + F.numThreads],
    uid: orUndefined(v[o + F.uid]),
    gid: orUndefined(v[o + F.gid]),
    uids,
    gids,
    lockedMemory,
    comm: raw.comms[i],
    rss: v[o + F.rss] * ctx.pageSize,
    vms: v[o + F.vsize],
    priority: v[o + F.priority],
    nice: v[o + F.nice],
    processor: orUndefined(v[o + F.processor]),
    minorFaults: v[o + F.minflt],
    majorFaults: v[o + F.majflt],
    cpuTimes: {
      user: v[o + F.utime] * tick,
      system: v[o + F.stime] * tick,
      childrenUser: v[o + F.cutime] * tick,
      childrenSystem: v[o + F.cstime] * tick,
    },
    cmdline,
    cmdlineTruncated,
    exe,
    exeDeleted,
  };
}
