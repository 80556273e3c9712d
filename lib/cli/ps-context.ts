/**
 * What the columns of ps-columns.ts need beyond each process: the time since boot and
 * MemTotal of the procfs root being read, user names, and a %CPU sampled over an interval.
 * Everything read from the root is hostile input: read bounded, as the scan reads
 * (procReadFile), and a value that does not parse is unknown, never a guess.
 * @internal
 */
import { procConstants, procReadFile } from '../proc/binding';
import type { ProcessEntry } from '../proc';
import { native } from '../native';
import type { PsContext } from './ps-columns';
import { cpuSeconds } from './ps-columns';

/** Where the context reads from: the same root as the scan. */
export interface PsContextOptions {
  /** The procfs root (`/proc` when undefined). */
  readonly procfs?: string;
  readonly procfsFixture?: boolean;
  /** Read `<procfs>/meminfo` (for %MEM). */
  readonly memTotal?: boolean;
  /** A sampled %CPU by pid (from {@link sampleCpu}); undefined for the lifetime average. */
  readonly cpuPercent?: ReadonlyMap<number, number>;
}

const SMALL_FILE_CAP = 64 * 1024;

function readSmall(root: string, name: string, fixture: boolean): string | undefined {
  const r = procReadFile(root, name, SMALL_FILE_CAP, fixture);
  return typeof r === 'number' ? undefined : r.text;
}

/** Seconds since boot from an uptime file's text (`12345.67 54321.00`); undefined if malformed. */
export function parseUptime(text: string): number | undefined {
  const m = /^(\d{1,12}(?:\.\d{1,9})?)\s/.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** MemTotal in bytes from a meminfo file's text; undefined if missing, malformed or 0. */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d{1,15}) kB$/m.exec(text);
  if (m === null) return undefined;
  const bytes = Number(m[1]) * 1024;
  return bytes > 0 ? bytes : undefined;
}

interface PasswdBinding {
  getpwuid(uid: number): [number, number, string] | null | number;
  getpwnam(name: string): [number, number, string] | null | number;
}

const names = new Map<number, string | undefined>();

/**
 * The name of a uid from the user database (getpwuid(3), through NSS as procps does),
 * cached; undefined when there is none or the lookup fails.
 */
export function userNameOf(uid: number): string | undefined {
  if (names.has(uid)) return names.get(uid);
  const r = native<PasswdBinding>().getpwuid(uid);
  const name = Array.isArray(r) ? r[2] : undefined;
  names.set(uid, name);
  return name;
}

/** The uid of a user name (getpwnam(3)); undefined when there is no such user. */
export function uidOfName(name: string): number | undefined {
  if (name === '' || name.includes('\0')) return undefined;
  const r = native<PasswdBinding>().getpwnam(name);
  return Array.isArray(r) ? r[0] : undefined;
}

/** The time since boot of a root, in seconds; undefined when it cannot be read. */
export function uptimeOf(procfs: string, fixture: boolean): number | undefined {
  const text = readSmall(procfs, 'uptime', fixture);
  return text === undefined ? undefined : parseUptime(text);
}

/** Builds the context for one table, right after its scan. */
export function psContext(options: PsContextOptions = {}): PsContext {
  const root = options.procfs ?? '/proc';
  const fixture = options.procfsFixture === true;
  const meminfo = options.memTotal === true ? readSmall(root, 'meminfo', fixture) : undefined;
  return {
    nowMs: Date.now(),
    uptime: uptimeOf(root, fixture),
    clkTck: procConstants().clkTck,
    memTotal: meminfo === undefined ? undefined : parseMemTotal(meminfo),
    cpuPercent: options.cpuPercent,
    userName: userNameOf,
  };
}

/** CPU seconds by pid with the start time that makes the pid one process, and when. */
export interface CpuSnapshot {
  /** Seconds since boot (or a monotonic clock, in seconds) at the scan. */
  readonly at: number;
  readonly byPid: ReadonlyMap<number, { readonly startTime: number; readonly cpu: number }>;
}

/** A snapshot of a table's CPU times, taken at `at` (seconds, any clock that does not step). */
export function cpuSnapshot(table: readonly ProcessEntry[], at: number): CpuSnapshot {
  const byPid = new Map<number, { startTime: number; cpu: number }>();
  for (const p of table) if (p.readable) byPid.set(p.pid, { startTime: p.startTime, cpu: cpuSeconds(p) });
  return { at, byPid };
}

/**
 * %CPU by pid between two snapshots, as psutil's cpu_percent(interval) and top: CPU seconds
 * used over wall seconds between them, times 100 (a process with two busy threads shows
 * 200). A pid in `after` that is not the same process in `before` (new, or its pid reused:
 * another start time) is left out: its %CPU is then its lifetime average.
 */
export function cpuPercentBetween(before: CpuSnapshot, after: CpuSnapshot): Map<number, number> {
  const out = new Map<number, number>();
  const wall = after.at - before.at;
  if (!(wall > 0)) return out;
  for (const [pid, now] of after.byPid) {
    const then = before.byPid.get(pid);
    if (then === undefined || then.startTime !== now.startTime) continue;
    out.set(pid, Math.max(0, ((now.cpu - then.cpu) * 100) / wall));
  }
  return out;
}
