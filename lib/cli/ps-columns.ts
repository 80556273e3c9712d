/**
 * The columns of `unixproc ps` (and of any other table of processes, such as `top`): each
 * column's procps name and aliases, its procps heading, its alignment, and its value and
 * text for one process, with procps's units and formats (RSS and VSZ in KiB, START as
 * HH:MM today and MmmDD before, ELAPSED as [[dd-]hh:]mm:ss, %CPU and %MEM with one decimal,
 * cut rather than rounded, as procps computes them).
 *
 * Values that depend on more than the process itself (the time now, the time since boot,
 * MemTotal, user names, a sampled %CPU) come from a {@link PsContext}, built once per table
 * by ps-context.ts.
 * @see ps(1) "STANDARD FORMAT SPECIFIERS"
 * @internal
 */
import type { ProcessEntry, ProcessInfo } from '../proc';
import { procpsCommandText, procpsPrintable, statText, ttyText } from './proc-args';
import { formatCpuTime } from './text';

/** What the values of a table depend on beyond each process (see ps-context.ts). */
export interface PsContext {
  /** The wall clock at the scan, in ms since the epoch. */
  readonly nowMs: number;
  /**
   * Seconds since boot at the scan (`<procfs>/uptime`), as procps counts elapsed time;
   * undefined when the root has no readable uptime (a fixture): elapsed time then comes from
   * the start Date.
   */
  readonly uptime: number | undefined;
  /** Clock ticks per second (sysconf(_SC_CLK_TCK)). */
  readonly clkTck: number;
  /** MemTotal of `<procfs>/meminfo` in bytes; undefined when unreadable (%MEM shows `?`). */
  readonly memTotal: number | undefined;
  /**
   * %CPU sampled over an interval, by pid (see ps-context.ts sampleCpu); undefined: %CPU is
   * the lifetime average (cputime / elapsed), as procps ps computes it.
   */
  readonly cpuPercent: ReadonlyMap<number, number> | undefined;
  /** The user name of a uid (getpwuid(3)); undefined when the user database has none. */
  userName(uid: number): string | undefined;
}

/** What a column needs read beyond the stat line, so the scan reads only that. */
export interface PsNeeds {
  /** /proc/<pid>/cmdline (args). */
  readonly cmdline?: boolean;
  /** A second scan an interval later (%CPU, unless the interval is 0). */
  readonly cpuSample?: boolean;
  /** `<procfs>/meminfo` (%MEM). */
  readonly memTotal?: boolean;
}

/** One column: what `-o KEY` shows and `--sort KEY` orders by. */
export interface PsColumn {
  /** The canonical procps name (`pid`, `pcpu`, `etime`...). */
  readonly key: string;
  /** Other names procps accepts for it (`%cpu`, `vsize`...), each with this heading. */
  readonly aliases: readonly string[];
  /** procps's heading (`%CPU`, `ELAPSED`...). */
  readonly heading: string;
  /** Right-aligned (numbers and times). */
  readonly right: boolean;
  /** Free text that may be cut to fit the terminal when it is the last column (comm, args). */
  readonly cut: boolean;
  readonly needs: PsNeeds;
  /** What it is, for `--help` and the docs. */
  readonly description: string;
  /**
   * The value to sort by and to write as JSON: a number (pids, bytes, seconds, percent) or
   * a string; undefined when unknown.
   */
  value(p: ProcessInfo, ctx: PsContext): number | string | undefined;
  /** The cell, raw text (the caller escapes it). */
  text(p: ProcessInfo, ctx: PsContext): string;
}

/** What a cell shows for a value that is not known. */
export const UNKNOWN = '?';

/** Effective uid: status's when read (as procps reads it), else the owner of /proc/<pid>. */
export function effectiveUid(p: ProcessInfo): number | undefined {
  return p.uids !== undefined ? p.uids.effective : p.uid;
}

/** CPU seconds used (user + system), to the clock tick. */
export function cpuSeconds(p: ProcessInfo): number {
  return p.cpuTimes.user + p.cpuTimes.system;
}

/**
 * Seconds since the process started: from the time since boot when known (as procps, exact
 * to the tick), else from its start Date. Never negative.
 */
export function elapsedSeconds(p: ProcessInfo, ctx: PsContext): number {
  const s = ctx.uptime !== undefined ? ctx.uptime - p.startTime / ctx.clkTck : (ctx.nowMs - p.startDate.getTime()) / 1000;
  return s > 0 ? s : 0;
}

/**
 * %CPU over the process's life, as procps 4 computes it: CPU ticks over the clock ticks
 * since it started (uptime x CLK_TCK - start time), so a process a second and a half old
 * that used 0.14 s shows 9.2; 0 in its first tick.
 */
export function lifetimeCpuPercent(p: ProcessInfo, ctx: PsContext): number {
  const lived =
    ctx.uptime !== undefined
      ? Math.floor(ctx.uptime * ctx.clkTck) - p.startTime
      : Math.floor(((ctx.nowMs - p.startDate.getTime()) / 1000) * ctx.clkTck);
  if (lived <= 0) return 0;
  return (Math.round(cpuSeconds(p) * ctx.clkTck) * 100) / lived;
}

/** %CPU: sampled when the context has a sample for this pid, else the lifetime average. */
export function cpuPercent(p: ProcessInfo, ctx: PsContext): number {
  const sampled = ctx.cpuPercent?.get(p.pid);
  return sampled !== undefined ? sampled : lifetimeCpuPercent(p, ctx);
}

/**
 * A percentage as procps prints %CPU and %MEM: one decimal, cut (not rounded): 12.34 is
 * `12.3`; from 999.95 on, the integer part alone (`1234`).
 */
export function formatPercent(percent: number): string {
  const tenths = Math.floor(percent * 10 + 1e-9);
  if (tenths > 9999) return String(Math.floor(tenths / 10));
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

/** Elapsed time as procps's etime: `[[dd-]hh:]mm:ss`, seconds rounded down. */
export function formatElapsed(seconds: number): string {
  let t = Math.floor(seconds);
  const ss = t % 60;
  t = Math.floor(t / 60);
  const mm = t % 60;
  t = Math.floor(t / 60);
  const hh = t % 24;
  const dd = Math.floor(t / 24);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${dd > 0 ? `${dd}-` : ''}${dd > 0 || hh > 0 ? `${two(hh)}:` : ''}${two(mm)}:${two(ss)}`;
}

/** CPU time as BSD ps (`ps aux`) prints it: `M:SS`, minutes unbounded. */
export function formatBsdTime(seconds: number): string {
  const t = Math.floor(seconds);
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The start time as procps's start_time/stime (the START of `ps aux`, the STIME of
 * `ps -ef`), in local time: `HH:MM` when it started on the same calendar day as `now`,
 * `MmmDD` in the same year, the year (`2025`) before.
 */
export function formatStartTime(start: Date, now: Date): string {
  if (start.getFullYear() !== now.getFullYear()) return String(start.getFullYear());
  if (start.getMonth() !== now.getMonth() || start.getDate() !== now.getDate()) return `${MONTHS[start.getMonth()]}${two(start.getDate())}`;
  return `${two(start.getHours())}:${two(start.getMinutes())}`;
}

/**
 * The start time as procps's start (heading STARTED), in local time: `HH:MM:SS` when less
 * than 24 hours ago, else `Mmm DD`.
 */
export function formatStarted(start: Date, now: Date): string {
  if (start.getTime() + 86_400_000 > now.getTime()) {
    return `${two(start.getHours())}:${two(start.getMinutes())}:${two(start.getSeconds())}`;
  }
  return `${MONTHS[start.getMonth()]} ${two(start.getDate())}`;
}

/** The start time as procps's lstart: ctime(3)'s `Wed Dec  2 15:37:13 2026`, local time. */
export function formatLongStart(start: Date): string {
  const time = `${two(start.getHours())}:${two(start.getMinutes())}:${two(start.getSeconds())}`;
  return `${DAYS[start.getDay()]} ${MONTHS[start.getMonth()]} ${String(start.getDate()).padStart(2, ' ')} ${time} ${start.getFullYear()}`;
}

/** A user name, or the uid in decimal when the user database has no name for it (as procps). */
export function userText(uid: number | undefined, ctx: PsContext): string {
  if (uid === undefined) return UNKNOWN;
  const name = ctx.userName(uid);
  return name !== undefined ? procpsPrintable(name) : String(uid);
}

type Spec = Omit<PsColumn, 'aliases' | 'needs' | 'right' | 'cut'> & Partial<Pick<PsColumn, 'aliases' | 'needs' | 'right' | 'cut'>>;

function col(spec: Spec): PsColumn {
  return Object.freeze({ aliases: [], needs: {}, right: false, cut: false, ...spec });
}

function num(key: string, heading: string, description: string, get: (p: ProcessInfo) => number, aliases: string[] = []): PsColumn {
  return col({ key, heading, description, aliases, right: true, value: get, text: (p) => String(get(p)) });
}

const kib = (bytes: number): number => Math.floor(bytes / 1024);

/** procps's start_time and its ps -f twin stime: the same value under two headings. */
function startTimeColumn(key: string, heading: string, description: string): PsColumn {
  return col({ key, heading, description, value: (p) => p.startTime, text: (p, ctx) => formatStartTime(p.startDate, new Date(ctx.nowMs)) });
}

/**
 * Every column, in the order `--help` lists them. Keys and aliases are procps's
 * (ps(1) "STANDARD FORMAT SPECIFIERS"); headings too.
 */
export const PS_COLUMNS: readonly PsColumn[] = Object.freeze([
  num('pid', 'PID', 'process id', (p) => p.pid, ['tgid']),
  num('ppid', 'PPID', 'parent process id', (p) => p.ppid),
  num('pgid', 'PGID', 'process group id', (p) => p.pgid),
  num('pgrp', 'PGRP', 'process group id (heading PGRP)', (p) => p.pgid),
  num('sid', 'SID', 'session id', (p) => p.sid),
  num('sess', 'SESS', 'session id (heading SESS)', (p) => p.sid, ['session']),
  num('tpgid', 'TPGID', "foreground process group of its terminal (-1 without one)", (p) => p.tpgid),
  col({ key: 'tname', heading: 'TTY', description: 'controlling terminal (pts/0), ? without one', value: ttyText, text: ttyText }),
  col({ key: 'tty', aliases: ['tt'], heading: 'TT', description: 'controlling terminal (heading TT)', value: ttyText, text: ttyText }),
  col({ key: 'stat', heading: 'STAT', description: 'state letter and modifiers (< N L s l +)', value: statText, text: statText }),
  col({ key: 's', aliases: ['state'], heading: 'S', description: 'state letter alone', value: (p) => p.state.letter, text: (p) => p.state.letter }),
  col({
    key: 'user',
    aliases: ['euser', 'uname'],
    heading: 'USER',
    description: 'effective user name (the uid when it has none)',
    value: (p, ctx) => userText(effectiveUid(p), ctx),
    text: (p, ctx) => userText(effectiveUid(p), ctx),
  }),
  col({
    key: 'uid',
    aliases: ['euid'],
    heading: 'UID',
    right: true,
    description: 'effective uid',
    value: (p) => effectiveUid(p),
    text: (p) => String(effectiveUid(p) ?? UNKNOWN),
  }),
  col({
    key: 'pcpu',
    aliases: ['%cpu'],
    heading: '%CPU',
    right: true,
    needs: { cpuSample: true },
    description: 'CPU use in percent of one CPU, sampled over --interval (lifetime average with --interval 0)',
    value: cpuPercent,
    text: (p, ctx) => formatPercent(cpuPercent(p, ctx)),
  }),
  col({
    key: 'c',
    heading: 'C',
    right: true,
    description: 'integer lifetime CPU percent, at most 99 (procps -f)',
    value: (p, ctx) => Math.min(99, Math.floor(lifetimeCpuPercent(p, ctx))),
    text: (p, ctx) => String(Math.min(99, Math.floor(lifetimeCpuPercent(p, ctx)))),
  }),
  col({
    key: 'pmem',
    aliases: ['%mem'],
    heading: '%MEM',
    right: true,
    needs: { memTotal: true },
    description: 'resident memory in percent of MemTotal',
    value: (p, ctx) => (ctx.memTotal ? Math.min(99.9, (p.rss * 100) / ctx.memTotal) : undefined),
    text: (p, ctx) => (ctx.memTotal ? formatPercent(Math.min(99.9, (p.rss * 100) / ctx.memTotal)) : UNKNOWN),
  }),
  num('rss', 'RSS', 'resident set size in KiB', (p) => kib(p.rss), ['rssize']),
  num('rsz', 'RSZ', 'resident set size in KiB (heading RSZ)', (p) => kib(p.rss)),
  num('vsz', 'VSZ', 'virtual memory size in KiB', (p) => kib(p.vms), ['vsize']),
  startTimeColumn('start_time', 'START', 'start time: HH:MM today, MmmDD this year, else the year'),
  startTimeColumn('stime', 'STIME', 'start time as start_time (heading STIME, ps -f)'),
  col({
    key: 'start',
    heading: 'STARTED',
    description: 'start time: HH:MM:SS within 24 hours, else Mmm DD',
    right: true,
    value: (p) => p.startTime,
    text: (p, ctx) => formatStarted(p.startDate, new Date(ctx.nowMs)),
  }),
  col({
    key: 'lstart',
    heading: 'STARTED',
    description: 'start time in full (ctime(3) format)',
    value: (p) => p.startTime,
    text: (p) => formatLongStart(p.startDate),
  }),
  col({
    key: 'etime',
    heading: 'ELAPSED',
    right: true,
    description: 'time since it started, [[dd-]hh:]mm:ss',
    value: (p, ctx) => Math.floor(elapsedSeconds(p, ctx)),
    text: (p, ctx) => formatElapsed(elapsedSeconds(p, ctx)),
  }),
  col({
    key: 'etimes',
    heading: 'ELAPSED',
    right: true,
    description: 'time since it started, in seconds',
    value: (p, ctx) => Math.floor(elapsedSeconds(p, ctx)),
    text: (p, ctx) => String(Math.floor(elapsedSeconds(p, ctx))),
  }),
  col({
    key: 'time',
    aliases: ['cputime'],
    heading: 'TIME',
    right: true,
    description: 'CPU time used, [DD-]HH:MM:SS',
    value: cpuSeconds,
    text: (p) => formatCpuTime(cpuSeconds(p)),
  }),
  col({
    key: 'bsdtime',
    heading: 'TIME',
    right: true,
    description: 'CPU time used, M:SS (ps aux)',
    value: cpuSeconds,
    text: (p) => formatBsdTime(cpuSeconds(p)),
  }),
  num('ni', 'NI', 'nice value', (p) => p.nice, ['nice']),
  num('pri', 'PRI', 'priority, higher is more favoured: 39 minus stat field 18 (as procps)', (p) => 39 - p.priority, []),
  num('nlwp', 'NLWP', 'number of threads', (p) => p.numThreads, ['thcount']),
  col({
    key: 'psr',
    heading: 'PSR',
    right: true,
    description: 'CPU it last ran on',
    value: (p) => p.processor,
    text: (p) => String(p.processor ?? UNKNOWN),
  }),
  col({
    key: 'comm',
    aliases: ['ucomm', 'ucmd'],
    heading: 'COMMAND',
    cut: true,
    description: 'command name (comm); a zombie as [name] <defunct>',
    value: (p) => p.comm,
    text: (p) => procpsCommandText(p, false),
  }),
  col({
    key: 'args',
    aliases: ['command'],
    heading: 'COMMAND',
    cut: true,
    needs: { cmdline: true },
    description: 'command line, [comm] when there is none',
    value: (p) => procpsCommandText(p, true),
    text: (p) => procpsCommandText(p, true),
  }),
  col({
    key: 'cmd',
    heading: 'CMD',
    cut: true,
    needs: { cmdline: true },
    description: 'command line (heading CMD, ps -f)',
    value: (p) => procpsCommandText(p, true),
    text: (p) => procpsCommandText(p, true),
  }),
]);

const BY_NAME: ReadonlyMap<string, PsColumn> = new Map(PS_COLUMNS.flatMap((c) => [[c.key, c] as const, ...c.aliases.map((a) => [a, c] as const)]));

/** Every name `-o` and `--sort` accept (keys and aliases), for usage errors. */
export const PS_COLUMN_NAMES: readonly string[] = Object.freeze([...BY_NAME.keys()]);

/** The column a name (key or alias, case-insensitive as procps) stands for; undefined if none. */
export function findColumn(name: string): PsColumn | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * The cell of `column` for an entry: the column's text for a readable process; for one
 * whose stat could not be read, the pid, `? (unreadable: EPERM)` in a command column, and
 * `?` elsewhere.
 */
export function cellText(column: PsColumn, p: ProcessEntry, ctx: PsContext): string {
  if (p.readable) return column.text(p, ctx);
  if (column.key === 'pid') return String(p.pid);
  return column.cut ? `${UNKNOWN} (unreadable: ${p.error})` : UNKNOWN;
}

/** The sort value of `column` for an entry; undefined for an unreadable one (sorted last). */
export function cellValue(column: PsColumn, p: ProcessEntry, ctx: PsContext): number | string | undefined {
  if (p.readable) return column.value(p, ctx);
  return column.key === 'pid' ? p.pid : undefined;
}
