/**
 * What `unixproc top` shows, apart from how it is drawn: one sample of the process table
 * (or of every thread), %CPU between two samples with psutil's cpu_percent semantics,
 * the header's counts (states, zombies, orphans), and the rows after filter, sort and the
 * tree view. Pure once the sample is taken, so the drawing and the keys can be tested on
 * values.
 * @internal
 */
import { performance } from 'node:perf_hooks';
import { Extra, procConstants, procReadFile } from '../proc/binding';
import { orphansOf } from '../proc/orphans';
import { validateProcfsOptions } from '../proc/options';
import { isZombie, ProcessInfo } from '../proc/process-info';
import { readableOnly, scanTable } from '../proc/table';
import { threads } from '../proc/threads';
import { cpuSeconds, effectiveUid } from './ps-columns';
import { parseMemTotal, parseUptime, uidOfName, userNameOf } from './ps-context';

/** The columns of the table, in the order they are drawn (procps top's default fields). */
export const SORT_KEYS = ['pid', 'user', 'pr', 'ni', 'virt', 'res', 's', 'cpu', 'mem', 'time', 'command'] as const;
/** A column `top` can sort by. */
export type SortKey = (typeof SORT_KEYS)[number];

/** One row of the table: a process, or one of its threads in the threads view. */
export interface TopRow {
  /** The pid, or the thread id in the threads view. */
  readonly id: number;
  /** The process (thread group) the row belongs to. */
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number | undefined;
  readonly user: string;
  readonly priority: number;
  readonly nice: number;
  /** Bytes. */
  readonly virt: number;
  /** Bytes. */
  readonly res: number;
  readonly state: string;
  /** Percent of one CPU over the last interval (can exceed 100 for a multi-threaded process). */
  readonly cpu: number;
  /** RES as a percentage of MemTotal; 0 when MemTotal is unknown. */
  readonly mem: number;
  /** CPU seconds, user + system. */
  readonly time: number;
  /** comm, or the command line when asked for. Raw text: escaped when drawn. */
  readonly command: string;
  readonly zombie: boolean;
  /** A leaked orphan (findOrphans' classification); daemons are deliberate and not marked. */
  readonly orphan: boolean;
  readonly kernelThread: boolean;
}

/** Counts for the header. */
export interface TaskCounts {
  readonly total: number;
  readonly running: number;
  readonly sleeping: number;
  readonly stopped: number;
  readonly zombie: number;
  /** Leaked orphans. */
  readonly orphans: number;
  /** Orphans classified as daemons. */
  readonly daemons: number;
}

/** System-wide figures for the header; each undefined when its file could not be read. */
export interface SystemInfo {
  readonly uptime: number | undefined;
  readonly load: readonly [number, number, number] | undefined;
  /** Bytes. */
  readonly memTotal: number | undefined;
  /** Bytes. */
  readonly memAvailable: number | undefined;
}

/** One sample: every row with its %CPU, the counts and the system figures. */
export interface Sample {
  /** performance.now() when the table was read. */
  readonly at: number;
  readonly threads: boolean;
  readonly rows: readonly TopRow[];
  readonly counts: TaskCounts;
  readonly system: SystemInfo;
  /** Seconds the %CPU was measured over; undefined for the first sample. */
  readonly interval: number | undefined;
  /** CPU seconds by `id:startTime`, for the next sample's %CPU. */
  readonly cpuTimes: ReadonlyMap<string, number>;
}

/** What the sampler needs besides the previous sample. */
export interface SampleOptions {
  readonly threads: boolean;
  readonly cmdline: boolean;
  /** Pids known to be child subreapers (as `unixproc orphans --subreaper`). */
  readonly subreapers: readonly number[];
}

const SMALL_FILE_CAP = 64 * 1024;

// A small file of the live /proc, read as the scan reads (bounded, regular files only);
// undefined when it cannot be read.
function readSmall(name: string): string | undefined {
  const r = procReadFile('/proc', name, SMALL_FILE_CAP, false);
  return typeof r === 'number' ? undefined : r.text;
}

/**
 * Parses /proc/uptime, /proc/loadavg and /proc/meminfo text (each may be undefined or
 * malformed: a field that does not parse is undefined, never NaN). Uptime and MemTotal
 * are read as `unixproc ps` reads them (ps-context.ts).
 */
export function parseSystem(uptime: string | undefined, loadavg: string | undefined, meminfo: string | undefined): SystemInfo {
  const m = loadavg === undefined ? null : /^(\d{1,6}\.\d{2}) (\d{1,6}\.\d{2}) (\d{1,6}\.\d{2}) /.exec(loadavg);
  const available = meminfo === undefined ? null : /^MemAvailable:\s+(\d{1,15}) kB$/m.exec(meminfo);
  return {
    uptime: uptime === undefined ? undefined : parseUptime(uptime),
    load: m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])],
    memTotal: meminfo === undefined ? undefined : parseMemTotal(meminfo),
    memAvailable: available === null ? undefined : Number(available[1]) * 1024,
  };
}

function readSystem(): SystemInfo {
  return parseSystem(readSmall('uptime'), readSmall('loadavg'), readSmall('meminfo'));
}

/** The user name of a uid (the user database, as `unixproc ps`), or the uid in decimal. */
export function userName(uid: number | undefined): string {
  if (uid === undefined) return '?';
  return userNameOf(uid) ?? String(uid);
}

/** The uid of a user name or decimal uid; undefined when there is no such user. */
export function uidOf(user: string): number | undefined {
  if (/^\d{1,10}$/.test(user) && Number(user) < 2 ** 32) return Number(user);
  return uidOfName(user);
}

/**
 * %CPU with psutil's cpu_percent semantics: the CPU time used between two samples over
 * the wall time between them, times 100 (percent of one CPU; a process busy on two CPUs
 * shows 200). A process (or thread) not in the previous sample started since (it gets
 * all of its CPU time) unless it started before that sample, when it was not seen
 * (unreadable then): 0, as psutil's first call returns.
 */
export function cpuPercent(
  now: number,
  previous: ReadonlyMap<string, number> | undefined,
  key: string,
  seconds: number,
  startedSince: boolean,
): number {
  if (previous === undefined || seconds <= 0) return 0;
  const before = previous.get(key);
  const used = before !== undefined ? now - before : startedSince ? now : 0;
  // A process's counters never go back; a negative delta is a torn or hostile read.
  return Math.max(0, (used / seconds) * 100);
}

/**
 * Reads one sample of the live /proc. With `previous` of the same kind (processes or
 * threads), %CPU is over the time since it; otherwise every %CPU is 0 (a priming sample).
 * @throws ENOENT and the other errors of listProcesses() when /proc cannot be read.
 */
export function takeSample(options: SampleOptions, previous: Sample | undefined): Sample {
  const opts = validateProcfsOptions(undefined);
  const table = readableOnly(scanTable(opts, options.cmdline ? Extra.cmdline : 0));
  const at = performance.now();
  const system = readSystem();
  const prev = previous !== undefined && previous.threads === options.threads ? previous : undefined;
  const interval = prev === undefined ? undefined : (at - prev.at) / 1000;
  const { clkTck } = procConstants();
  // Started after the previous sample: its start (ticks since boot) is later than the
  // uptime then. Without an uptime, nothing is taken to be new.
  const prevUptime = prev?.system.uptime;
  const startedSince = (startTime: number): boolean => prevUptime !== undefined && startTime / clkTck >= prevUptime - 1 / clkTck;

  const orphanSet = new Map<number, 'daemon' | 'leaked-orphan'>();
  for (const o of orphansOf(opts, table, options.subreapers)) orphanSet.set(o.process.pid, o.classification);
  // The command's own ancestors (npm under a container's PID 1 shell) are running it: not
  // marked, as `unixproc orphans` does not report them.
  const byPid = new Map(table.map((p) => [p.pid, p] as const));
  for (let p = byPid.get(process.pid); p !== undefined && p.pid > 1; p = byPid.get(p.ppid)) orphanSet.delete(p.pid);

  const cpuTimes = new Map<string, number>();
  const rows: TopRow[] = [];
  let running = 0;
  let sleeping = 0;
  let stopped = 0;
  let zombie = 0;
  let orphans = 0;
  let daemons = 0;
  const memPercent = (bytes: number): number => (system.memTotal ? (bytes / system.memTotal) * 100 : 0);
  for (const p of table) {
    const z = isZombie(p);
    const kind = orphanSet.get(p.pid);
    if (kind === 'leaked-orphan') orphans++;
    else if (kind === 'daemon') daemons++;
    const base = {
      pid: p.pid,
      ppid: p.ppid,
      uid: effectiveUid(p),
      user: userName(effectiveUid(p)),
      priority: p.priority,
      nice: p.nice,
      virt: p.vms,
      res: p.rss,
      mem: memPercent(p.rss),
      zombie: z,
      orphan: kind === 'leaked-orphan',
      kernelThread: p.kernelThread,
    };
    const command = commandOf(p, options.cmdline);
    if (!options.threads) {
      const total = cpuSeconds(p);
      const key = `${p.pid}:${p.startTime}`;
      cpuTimes.set(key, total);
      count(p.state.letter, z);
      rows.push({
        ...base,
        id: p.pid,
        state: p.state.letter,
        cpu: cpuPercent(total, prev?.cpuTimes, key, interval ?? 0, startedSince(p.startTime)),
        time: total,
        command,
      });
      continue;
    }
    let list;
    try {
      list = z ? undefined : threads(p.pid);
    } catch {
      list = undefined; // its task directory is not readable: shown as one row
    }
    for (const t of list ?? [{ tid: p.pid, comm: p.comm, state: p.state, startTime: p.startTime, cpuTimes: p.cpuTimes }]) {
      const total = t.cpuTimes.user + t.cpuTimes.system;
      const key = `${t.tid}:${t.startTime}`;
      cpuTimes.set(key, total);
      count(t.state.letter, z);
      rows.push({
        ...base,
        id: t.tid,
        state: t.state.letter,
        cpu: cpuPercent(total, prev?.cpuTimes, key, interval ?? 0, startedSince(t.startTime)),
        time: total,
        command: t.tid === p.pid ? command : t.comm,
      });
    }
  }
  function count(letter: string, z: boolean): void {
    if (z) zombie++;
    else if (letter === 'R') running++;
    else if (letter === 'T' || letter === 't') stopped++;
    else sleeping++;
  }
  const counts = { total: rows.length, running, sleeping, stopped, zombie, orphans, daemons };
  return { at, threads: options.threads, rows, counts, system, interval, cpuTimes };
}

function commandOf(p: ProcessInfo, full: boolean): string {
  if (isZombie(p)) return `[${p.comm}] <defunct>`;
  if (!full) return p.comm;
  return p.cmdline !== undefined && p.cmdline.length > 0 ? p.cmdline.join(' ') : `[${p.comm}]`;
}

/** What narrows the rows. */
export interface Filter {
  /** Case-insensitive substring of COMMAND; '' for none. */
  readonly name: string;
  /** Only this uid; undefined for every user. */
  readonly uid: number | undefined;
  /** Only these pids (`-p`); undefined for all. */
  readonly pids: ReadonlySet<number> | undefined;
  /** Kernel threads shown (`--kernel`). */
  readonly kernel: boolean;
}

/** The rows `filter` keeps. */
export function filterRows(rows: readonly TopRow[], filter: Filter): TopRow[] {
  const needle = filter.name.toLowerCase();
  return rows.filter(
    (r) =>
      (filter.kernel || !r.kernelThread || filter.pids?.has(r.pid) === true) &&
      (filter.pids === undefined || filter.pids.has(r.pid)) &&
      (filter.uid === undefined || r.uid === filter.uid) &&
      (needle === '' || r.command.toLowerCase().includes(needle)),
  );
}

function compareBy(key: SortKey): (a: TopRow, b: TopRow) => number {
  const text = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  switch (key) {
    case 'pid':
      return (a, b) => a.id - b.id;
    case 'user':
      return (a, b) => text(a.user, b.user);
    case 'pr':
      return (a, b) => a.priority - b.priority;
    case 'ni':
      return (a, b) => a.nice - b.nice;
    case 'virt':
      return (a, b) => a.virt - b.virt;
    case 'res':
    case 'mem':
      return (a, b) => a.res - b.res;
    case 's':
      return (a, b) => text(a.state, b.state);
    case 'cpu':
      return (a, b) => a.cpu - b.cpu;
    case 'time':
      return (a, b) => a.time - b.time;
    case 'command':
      return (a, b) => text(a.command, b.command);
  }
}

/**
 * Rows ordered by `key`, highest first unless `ascending` (procps top's default is highest
 * first for every field); ties in ascending pid order, so the order is stable between frames.
 */
export function sortRows(rows: readonly TopRow[], key: SortKey, ascending: boolean): TopRow[] {
  const cmp = compareBy(key);
  return [...rows].sort((a, b) => (ascending ? cmp(a, b) : cmp(b, a)) || a.id - b.id);
}

/** A row with the branch drawn before its COMMAND in the tree view. */
export interface PlacedRow {
  readonly row: TopRow;
  /** '' outside the tree view; `|- `, `` `- `` and their indents in it. */
  readonly branch: string;
}

/**
 * The tree view (procps top's V, forest mode): each process under its parent, siblings in
 * the sort order; a row whose parent is not among the rows is a root. A process's threads
 * (threads view) stay together, its first row carrying its children. Iterative: a deep
 * chain cannot overflow the stack.
 */
export function treeRows(sorted: readonly TopRow[]): PlacedRow[] {
  const groups = new Map<number, TopRow[]>(); // pid -> its rows (threads), in sort order
  const order: number[] = [];
  for (const r of sorted) {
    const g = groups.get(r.pid);
    if (g === undefined) {
      groups.set(r.pid, [r]);
      order.push(r.pid);
    } else {
      g.push(r);
    }
  }
  const kids = new Map<number, number[]>();
  const roots: number[] = [];
  for (const pid of order) {
    const ppid = groups.get(pid)![0].ppid;
    if (ppid !== pid && groups.has(ppid)) {
      const k = kids.get(ppid);
      if (k === undefined) kids.set(ppid, [pid]);
      else k.push(pid);
    } else {
      roots.push(pid);
    }
  }
  const out: PlacedRow[] = [];
  const seen = new Set<number>();
  const walk = (root: number): void => {
    const stack: [number, string, string][] = [[root, '', '']];
    while (stack.length > 0) {
      const [pid, branch, indent] = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const rows = groups.get(pid)!;
      out.push({ row: rows[0], branch });
      for (const t of rows.slice(1)) out.push({ row: t, branch: `${indent}  ` });
      const children = kids.get(pid) ?? [];
      for (let i = children.length - 1; i >= 0; i--) {
        const last = i === children.length - 1;
        stack.push([children[i], `${indent}${last ? '`- ' : '|- '}`, `${indent}${last ? '   ' : '|  '}`]);
      }
    }
  };
  for (const pid of roots) walk(pid);
  // A ppid cycle (only a hostile or torn table holds one) has no root: its rows are still
  // shown, from the first of them in the sort order.
  for (const pid of order) if (!seen.has(pid)) walk(pid);
  return out;
}
