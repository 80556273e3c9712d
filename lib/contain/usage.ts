/**
 * Resource usage of a process or of its whole tree: CPU seconds and percent, memory (RSS,
 * PSS, USS), process and thread counts. A contained child with a cgroup is accounted from
 * the cgroup's own files (cpu.stat, cgroup.procs, cgroup.threads; memory.current where the
 * memory controller is on the cgroup2 hierarchy); otherwise the members are summed, read
 * from /proc/pid/{stat,statm,smaps_rollup} and found through /proc/pid/task/tid/children,
 * so accounting a tree never scans all of /proc.
 * @see proc(5) stat (fields 14 utime, 15 stime, 20 num_threads), statm, smaps_rollup;
 *   cgroup-v2.rst cpu.stat, memory.current; psutil's Process.cpu_percent and memory_full_info
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemError } from '../errors';
import { procConstants } from '../proc/binding';
import { optionKeys, validateBoolean, validateOptions, validatePid } from '../validate';
import { statFields } from './procfs';
import { TF, isEnded, treeStat } from './tree-stat';

/** What {@link processUsage} and `ContainedSubprocess.usage()` return. */
export interface ResourceUsage {
  /** CPU time in user mode, seconds (of the live members; with a cgroup, of every process that ever ran in it). */
  readonly cpuUser: number;
  /** CPU time in kernel mode, seconds. */
  readonly cpuSystem: number;
  /**
   * CPU use since the previous call for the same process or tree, in percent of one CPU
   * (above 100 when several CPUs are used), as psutil's `cpu_percent(interval=None)`. The
   * first call only primes the measurement: `undefined` (psutil returns a meaningless 0.0).
   */
  readonly cpuPercent: number | undefined;
  /** Resident set size in bytes (statm's resident pages, not stat field 24), summed over the members. */
  readonly rss: number;
  /**
   * Proportional set size in bytes (smaps_rollup Pss), with `fullMemory: true` (the kernel
   * walks every mapping for it: the costly part, as psutil's memory_full_info); else, and
   * where smaps_rollup is unreadable, undefined.
   */
  readonly pss: number | undefined;
  /** Unique set size in bytes: memory private to the members (smaps_rollup Private_*); as `pss`. */
  readonly uss: number | undefined;
  /** Bytes charged to the cgroup (memory.current), where the memory controller is enabled; else undefined. */
  readonly memoryCurrent: number | undefined;
  /** Live processes (zombies left out). */
  readonly processes: number;
  /** Threads of the live processes. */
  readonly threads: number;
  /** Where the CPU figures and counts come from. */
  readonly source: 'cgroup' | 'procfs';
}

/** Options of `ContainedSubprocess.usage()`. */
export interface UsageOptions {
  /** Read PSS and USS too (smaps_rollup: a walk of every mapping; default false). */
  readonly fullMemory?: boolean;
}

/** Options of {@link processUsage}. */
export interface ProcessUsageOptions extends UsageOptions {
  /** Account the process and all its descendants (default false: the process alone). */
  readonly tree?: boolean;
}

/** The keys of {@link UsageOptions}. @internal */
export const USAGE_OPTION_KEYS = optionKeys<UsageOptions>({ fullMemory: true });

/** The keys of {@link ProcessUsageOptions}. @internal */
export const PROCESS_USAGE_OPTION_KEYS = optionKeys<ProcessUsageOptions>({ fullMemory: true, tree: true });

/** Validates the options shared by usage() and processUsage(). @internal */
export function validateFullMemory(o: UsageOptions): boolean {
  return o.fullMemory === undefined ? false : validateBoolean(o.fullMemory, 'options.fullMemory');
}

interface Sample {
  readonly cpu: number;
  readonly at: number;
}

// The previous CPU sample per process or tree, for cpuPercent. Bounded: the oldest goes.
const samples = new Map<string, Sample>();
const MAX_SAMPLES = 4096;

function percentSince(key: string, cpu: number): number | undefined {
  const at = Number(process.hrtime.bigint()) / 1e9;
  const last = samples.get(key);
  samples.delete(key);
  samples.set(key, { cpu, at });
  if (samples.size > MAX_SAMPLES) samples.delete(samples.keys().next().value as string);
  if (last === undefined || at <= last.at) return undefined;
  return Math.max(0, ((cpu - last.cpu) / (at - last.at)) * 100);
}

interface One {
  user: number;
  system: number;
  threads: number;
  rss: number;
  pss: number | undefined;
  uss: number | undefined;
}

function readSmapsRollup(pid: number): { pss: number; uss: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  } catch {
    return undefined;
  }
  let pss = 0;
  let uss = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m === null) continue;
    const bytes = Number(m[2]) * 1024;
    if (m[1] === 'Pss') pss = bytes;
    else if (m[1] === 'Private_Clean' || m[1] === 'Private_Dirty' || m[1] === 'Private_Hugetlb') uss += bytes;
  }
  return { pss, uss };
}

/** One live process's figures; undefined when it is gone or a zombie. */
function readOneProcess(pid: number, memory: boolean): One | undefined {
  const f = statFields(pid);
  if (f === undefined || f[0] === 'Z' || f[0] === 'X') return undefined;
  const { clkTck, pageSize } = procConstants();
  let rss = 0;
  try {
    rss = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * pageSize;
  } catch {
    return undefined;
  }
  const smaps = memory ? readSmapsRollup(pid) : undefined;
  return {
    user: Number(f[11]) / clkTck,
    system: Number(f[12]) / clkTck,
    threads: Number(f[17]),
    rss,
    pss: smaps?.pss,
    uss: smaps?.uss,
  };
}

/** Sums the figures of the processes in a treeStat result (one native pass). */
function sumStat(v: Float64Array, fullMemory: boolean): { total: One; processes: number } {
  const { clkTck, pageSize } = procConstants();
  const total: One = { user: 0, system: 0, threads: 0, rss: 0, pss: fullMemory ? 0 : undefined, uss: fullMemory ? 0 : undefined };
  let processes = 0;
  for (let o = 0; o < v.length; o += TF.width) {
    if (isEnded(v[o + TF.state])) continue;
    processes++;
    total.user += v[o + TF.utime] / clkTck;
    total.system += v[o + TF.stime] / clkTck;
    total.threads += v[o + TF.threads];
    total.rss += v[o + TF.rssPages] * pageSize;
    if (fullMemory) {
      const smaps = readSmapsRollup(v[o + TF.pid]);
      total.pss = smaps === undefined || total.pss === undefined ? undefined : total.pss + smaps.pss;
      total.uss = smaps === undefined || total.uss === undefined ? undefined : total.uss + smaps.uss;
    }
  }
  return { total, processes };
}

/** Sums the members' figures. @internal */
export function sumOver(pids: readonly number[], fullMemory: boolean): { total: One; processes: number } {
  return sumStat(treeStat(0, false, pids), fullMemory);
}

/** Sums the members' figures, one by one in JS (kept as the reference the native pass is tested against). @internal */
export function sumOverJs(pids: readonly number[], fullMemory: boolean): { total: One; processes: number } {
  const total: One = { user: 0, system: 0, threads: 0, rss: 0, pss: fullMemory ? 0 : undefined, uss: fullMemory ? 0 : undefined };
  let processes = 0;
  for (const pid of pids) {
    const one = readOneProcess(pid, fullMemory);
    if (one === undefined) continue;
    processes++;
    total.user += one.user;
    total.system += one.system;
    total.threads += one.threads;
    total.rss += one.rss;
    total.pss = one.pss === undefined || total.pss === undefined ? undefined : total.pss + one.pss;
    total.uss = one.uss === undefined || total.uss === undefined ? undefined : total.uss + one.uss;
  }
  return { total, processes };
}

function readNumberFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'latin1').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function countLines(path: string): number {
  try {
    return readFileSync(path, 'latin1').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
}

/** The usage of a cgroup's tree, `pids` being its members (for memory). @internal */
export function cgroupUsage(dir: string, pids: readonly number[], key: string, fullMemory: boolean): ResourceUsage {
  let user = 0;
  let system = 0;
  try {
    const stat = readFileSync(join(dir, 'cpu.stat'), 'latin1');
    user = Number(/^user_usec (\d+)$/m.exec(stat)?.[1] ?? 0) / 1e6;
    system = Number(/^system_usec (\d+)$/m.exec(stat)?.[1] ?? 0) / 1e6;
  } catch {
    // removed meanwhile: all zero
  }
  const { total } = sumOver(pids, fullMemory);
  return {
    cpuUser: user,
    cpuSystem: system,
    cpuPercent: percentSince(key, user + system),
    rss: total.rss,
    pss: total.pss,
    uss: total.uss,
    memoryCurrent: readNumberFile(join(dir, 'memory.current')),
    processes: countLines(join(dir, 'cgroup.procs')),
    threads: countLines(join(dir, 'cgroup.threads')),
    source: 'cgroup',
  };
}

/** The usage of `pids` summed from /proc. @internal */
export function procfsUsage(pids: readonly number[], key: string, fullMemory: boolean): ResourceUsage {
  return statUsage(treeStat(0, false, pids), key, fullMemory);
}

/** The usage of root's descendants (root excluded), summed from /proc. @internal */
export function descendantsUsage(root: number, key: string, fullMemory: boolean): ResourceUsage {
  return statUsage(treeStat(root, false), key, fullMemory);
}

function statUsage(v: Float64Array, key: string, fullMemory: boolean): ResourceUsage {
  const { total, processes } = sumStat(v, fullMemory);
  return {
    cpuUser: total.user,
    cpuSystem: total.system,
    cpuPercent: percentSince(key, total.user + total.system),
    rss: total.rss,
    pss: total.pss,
    uss: total.uss,
    memoryCurrent: undefined,
    processes,
    threads: total.threads,
    source: 'procfs',
  };
}

/**
 * The resource usage of any process, or with `{ tree: true }` of it and every descendant
 * (found through /proc/pid/task/tid/children: no scan of all of /proc). CPU percent is
 * measured since the previous call for the same process (or tree), psutil-style: the first
 * call primes it (`undefined`).
 *
 * @param pid - the process.
 * @param options - `tree` (default false), `fullMemory` (PSS and USS; default false).
 * @returns its {@link ResourceUsage} (`source: 'procfs'`).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or option; ESRCH (syscall
 *   'open', path /proc/pid/stat) when the process does not exist or is a zombie.
 * @see proc(5) stat, statm, smaps_rollup
 */
export function processUsage(pid: number, options?: ProcessUsageOptions): ResourceUsage {
  validatePid(pid, 'pid');
  const o = validateOptions<ProcessUsageOptions>(options, 'options', PROCESS_USAGE_OPTION_KEYS);
  const tree = o.tree === undefined ? false : validateBoolean(o.tree, 'options.tree');
  const fullMemory = validateFullMemory(o);
  const f = statFields(pid);
  if (f === undefined || f[0] === 'Z' || f[0] === 'X') throw systemError(-3 /* ESRCH */, 'open', `/proc/${pid}/stat`);
  const key = `${pid}:${f[19]}:${tree ? 'tree' : 'one'}`;
  return statUsage(treeStat(pid, true, tree ? undefined : [pid]), key, fullMemory);
}
