/**
 * The process collectors of `unixproc metrics` (issue 14): zombies by the parent at fault,
 * orphans by class, orphaned process groups, daemon findings, process states and
 * process-exporter style groups, all from ONE scan of the procfs root, as
 * {@link MetricFamily} values that any exposition (text, OpenMetrics, prom-client) takes.
 *
 * Never a pid in a label: a label's every value is a new time series, and pids are
 * recycled by the thousand. The labels are bounded sets (states, classes, checks, the
 * configured groups) or a parent's command name.
 * @see docs/metrics.md
 */
import { invalidArgType, invalidArgValue } from '../errors';
import { optionKeys, validateArray, validateOptions } from '../validate';
import { Extra, F, procScan } from '../proc/binding';
import { daemonOf } from '../proc/daemons';
import { orphanedGroupsOf } from '../proc/groups';
import { optionalPidList, resolveProcfs, ResolvedOptions } from '../proc/options';
import type { OrphanOptions } from '../proc/orphans';
import { orphansOf } from '../proc/orphans';
import { extrasOf, isZombie, ProcessEntry, ProcessInfo } from '../proc/process-info';
import { STATE_NAMES } from '../proc/states';
import { knownSubreapers } from '../proc/subreapers';
import { readableOnly, readEntry, scanTable } from '../proc/table';
import { labelText } from './labels';
import type { MetricFamily, Sample } from './types';

/** One process-exporter style group: the processes whose comm (or cmdline) matches. */
export interface ProcessGroupSpec {
  /** The `group` label value: 1 to 64 of `A-Z a-z 0-9 _ . : / -`, unique among the groups. */
  readonly name: string;
  /** Tested (unanchored: write `^...$` for a whole name) against the comm or the cmdline. */
  readonly pattern: RegExp;
  /**
   * `'comm'` (default): the command name, at most 15 bytes (what `ps -o comm` shows);
   * `'cmdline'`: the arguments joined by spaces (costs a read of every process's cmdline).
   */
  readonly match?: 'comm' | 'cmdline';
}

/** Options of {@link collectProcessMetrics} and {@link ProcessMetricsCollector}. */
export interface CollectOptions extends OrphanOptions {
  /**
   * Groups to report (`unixproc_group_*`). A process belongs to the first group it matches,
   * so a process is counted once.
   */
  readonly groups?: readonly ProcessGroupSpec[];
}

const COLLECT_KEYS = optionKeys<CollectOptions>({ procfs: true, procfsFixture: true, subreapers: true, groups: true });
const GROUP_KEYS = optionKeys<ProcessGroupSpec>({ name: true, pattern: true, match: true });
const GROUP_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;

interface Group {
  readonly name: string;
  readonly pattern: RegExp;
  readonly match: 'comm' | 'cmdline';
}

interface Validated {
  readonly opts: ResolvedOptions;
  readonly subreapers: readonly number[];
  readonly groups: readonly Group[];
}

function validateGroup(value: unknown, name: string): Group {
  const g = validateOptions<ProcessGroupSpec>(value, name, GROUP_KEYS);
  if (typeof g.name !== 'string') throw invalidArgType(`${name}.name`, 'of type string', g.name);
  if (!GROUP_NAME.test(g.name)) {
    throw invalidArgValue(`${name}.name`, g.name, 'must be 1 to 64 of the characters A-Z a-z 0-9 _ . : / -');
  }
  if (!(g.pattern instanceof RegExp)) throw invalidArgType(`${name}.pattern`, 'an instance of RegExp', g.pattern);
  const match = g.match ?? 'comm';
  if (match !== 'comm' && match !== 'cmdline') throw invalidArgValue(`${name}.match`, match, "must be 'comm' or 'cmdline'");
  // A global or sticky RegExp keeps lastIndex between test() calls: matching would depend on
  // the previous process. Matched through a copy without those flags.
  const pattern = new RegExp(g.pattern.source, g.pattern.flags.replace(/[gy]/g, ''));
  return { name: g.name, pattern, match };
}

function validate(options: unknown): Validated {
  const o = validateOptions<CollectOptions>(options, 'options', COLLECT_KEYS);
  const opts = resolveProcfs(o, 'options');
  const subreapers = optionalPidList(o.subreapers, 'options.subreapers');
  const groups = o.groups === undefined ? [] : validateArray(o.groups, 'options.groups', validateGroup);
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    if (seen.has(g.name)) throw invalidArgValue(`options.groups[${i}].name`, g.name, 'names another group already: group names are unique');
    seen.add(g.name);
  });
  return { opts, subreapers, groups };
}

/** CPU seconds of one process, by mode. */
interface Cpu {
  user: number;
  system: number;
}

/** What a group's CPU counter keeps across scrapes. */
interface GroupCpu {
  /** CPU of members seen earlier that are gone now (their last reading). */
  readonly gone: Cpu;
  /** The members of the last scrape, by `pid:startTime` (a recycled pid is a new key). */
  live: Map<string, Cpu>;
}

/** One group's figures from one scan. */
interface GroupFigures {
  processes: number;
  threads: number;
  resident: number;
  virtual: number;
  fds: number;
  fdsUnreadable: number;
  readonly states: Map<string, number>;
  readonly members: ProcessInfo[];
}

function gauge(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}

function countBy<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** The open fd counts of `members`, read in one native pass; a pid now naming another process is left out. */
function fdCounts(opts: ResolvedOptions, members: readonly ProcessInfo[]): Map<number, number> {
  const out = new Map<number, number>();
  if (members.length === 0) return out;
  const r = procScan(opts.procfs, members.map((p) => p.pid), Extra.fdCount, opts.fixture);
  if (typeof r === 'number') return out;
  const start = new Map(members.map((p) => [p.pid, p.startTime] as const));
  for (let i = 0; i < r.count; i++) {
    const pid = r.values[i * r.width + F.pid];
    if (r.values[i * r.width + F.startTime] !== start.get(pid)) continue;
    const n = extrasOf(r, i, Extra.fdCount).fdCount;
    if (typeof n === 'number' && n >= 0) out.set(pid, n);
  }
  return out;
}

const ORPHAN_CLASSES = ['leaked-orphan', 'daemon'] as const;
const REPARENTED = ['init', 'subreaper'] as const;
const CHECKS = ['runs-as-root', 'controlling-terminal', 'inherited-fds'] as const;

/**
 * The process collectors with the state a long-running exporter needs: each group's CPU
 * counter keeps the CPU time of members that have exited since the previous
 * {@link ProcessMetricsCollector.collect}, so it never goes down (a Prometheus counter
 * that drops reads as a reset). Use one instance per registry or endpoint.
 */
export class ProcessMetricsCollector {
  readonly #v: Validated;
  readonly #cpu = new Map<string, GroupCpu>();

  /**
   * @param options - `procfs` (default `/proc`), `procfsFixture`, `subreapers` (pids known
   *   to be child subreapers), `groups`.
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options
   *   (an unknown key, a group name outside its character set or given twice, a pattern that
   *   is not a RegExp, a `match` other than 'comm' or 'cmdline').
   */
  constructor(options?: CollectOptions) {
    this.#v = validate(options);
    for (const g of this.#v.groups) this.#cpu.set(g.name, { gone: { user: 0, system: 0 }, live: new Map() });
  }

  /**
   * One scrape: one scan of the procfs root (with cmdlines only when a group matches on
   * them), then the few reads the findings need (the orphans' environ and stdio, the
   * daemons' status and fds, the group members' fd counts). A process that exits meanwhile
   * is left out of what it could not be read for; no entry is half-read.
   * @returns the metric families, in a fixed order, every family present (with no sample
   *   only for `unixproc_zombies` and `unixproc_zombie_parents` when there is no zombie).
   * @throws ERR_INVALID_ARG_VALUE when the procfs root is not a procfs (and `procfsFixture`
   *   is not true); ENOENT, ENOTDIR, EACCES when the root (or its `stat`) cannot be read.
   */
  collect(): MetricFamily[] {
    const began = process.hrtime.bigint();
    const { opts, subreapers, groups } = this.#v;
    const extras = groups.some((g) => g.match === 'cmdline') ? Extra.cmdline : 0;
    const table = scanTable(opts, extras);
    const procs = readableOnly(table);
    const now = Date.now();
    const out: MetricFamily[] = [];
    out.push(...stateFamilies(table, procs));
    out.push(...zombieFamilies(opts, procs, subreapers, now));
    out.push(...orphanFamilies(opts, table, procs, subreapers));
    out.push(...this.#groupFamilies(opts, procs, groups));
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    out.push(gauge('unixproc_scrape_duration_seconds', 'How long this scrape took to read the process table and compute every metric.', [{ labels: {}, value: seconds }]));
    return out;
  }

  #groupFamilies(opts: ResolvedOptions, procs: readonly ProcessInfo[], groups: readonly Group[]): MetricFamily[] {
    if (groups.length === 0) return [];
    const figures = new Map<string, GroupFigures>();
    for (const g of groups) {
      figures.set(g.name, { processes: 0, threads: 0, resident: 0, virtual: 0, fds: 0, fdsUnreadable: 0, states: new Map(), members: [] });
    }
    for (const p of procs) {
      const g = groups.find((x) => x.pattern.test(x.match === 'comm' ? p.comm : (p.cmdline ?? []).join(' ')));
      if (g === undefined) continue;
      const f = figures.get(g.name) as GroupFigures;
      f.processes++;
      f.threads += p.numThreads;
      f.resident += p.rss;
      f.virtual += p.vms;
      countBy(f.states, p.state.name);
      f.members.push(p);
    }
    const all = [...figures.values()].flatMap((f) => f.members);
    const fds = fdCounts(opts, all);
    const processes: Sample[] = [];
    const threads: Sample[] = [];
    const cpu: Sample[] = [];
    const memory: Sample[] = [];
    const openFds: Sample[] = [];
    const unreadable: Sample[] = [];
    const states: Sample[] = [];
    for (const g of groups) {
      const f = figures.get(g.name) as GroupFigures;
      for (const m of f.members) {
        const n = fds.get(m.pid);
        if (n === undefined) f.fdsUnreadable++;
        else f.fds += n;
      }
      const c = this.#cpuOf(g.name, f.members);
      const group = g.name;
      processes.push({ labels: { group }, value: f.processes });
      threads.push({ labels: { group }, value: f.threads });
      cpu.push({ labels: { group, mode: 'user' }, value: c.user }, { labels: { group, mode: 'system' }, value: c.system });
      memory.push({ labels: { group, memtype: 'resident' }, value: f.resident }, { labels: { group, memtype: 'virtual' }, value: f.virtual });
      openFds.push({ labels: { group }, value: f.fds });
      unreadable.push({ labels: { group }, value: f.fdsUnreadable });
      for (const state of STATE_NAMES) states.push({ labels: { group, state }, value: f.states.get(state) ?? 0 });
    }
    return [
      gauge('unixproc_group_processes', 'Processes in each --group (a process is in the first group it matches).', processes),
      gauge('unixproc_group_threads', 'Threads of the processes in each group.', threads),
      {
        name: 'unixproc_group_cpu_seconds',
        help: 'CPU time of the processes in each group by mode, including members that exited since the exporter started.',
        type: 'counter',
        samples: cpu,
      },
      gauge('unixproc_group_memory_bytes', 'Memory of the processes in each group: resident (RSS) or virtual (VSZ), summed.', memory),
      gauge('unixproc_group_open_fds', 'Open file descriptors of the processes in each group whose fds could be read.', openFds),
      gauge('unixproc_group_fds_unreadable_processes', 'Processes in each group whose open fds could not be counted (permissions, or gone meanwhile).', unreadable),
      gauge('unixproc_group_states', 'Processes in each group by state.', states),
    ];
  }

  /** The group's CPU counter: the last reading of gone members plus the current members'. */
  #cpuOf(name: string, members: readonly ProcessInfo[]): Cpu {
    const state = this.#cpu.get(name) as GroupCpu;
    const live = new Map<string, Cpu>();
    for (const m of members) live.set(`${m.pid}:${m.startTime}`, { user: m.cpuTimes.user, system: m.cpuTimes.system });
    for (const [key, c] of state.live) {
      if (live.has(key)) continue;
      state.gone.user += c.user;
      state.gone.system += c.system;
    }
    state.live = live;
    const total = { user: state.gone.user, system: state.gone.system };
    for (const c of live.values()) {
      total.user += c.user;
      total.system += c.system;
    }
    return total;
  }
}

function stateFamilies(table: readonly ProcessEntry[], procs: readonly ProcessInfo[]): MetricFamily[] {
  const byState = new Map<string, number>();
  for (const p of procs) countBy(byState, p.state.name);
  return [
    gauge(
      'unixproc_processes',
      'Processes by state (proc(5) stat field 3), kernel threads included.',
      STATE_NAMES.map((state) => ({ labels: { state }, value: byState.get(state) ?? 0 })),
    ),
    gauge(
      'unixproc_processes_unreadable',
      'Processes whose stat could not be read (hidepid, permissions): not judged by any metric here.',
      [{ labels: {}, value: table.length - procs.length }],
    ),
  ];
}

function zombieFamilies(opts: ResolvedOptions, procs: readonly ProcessInfo[], named: readonly number[], now: number): MetricFamily[] {
  const byPid = new Map<number, ProcessInfo>();
  for (const p of procs) byPid.set(p.pid, p);
  const subreapers = knownSubreapers(opts, named);
  const zombies = new Map<string, { zombies: number; parents: Set<number>; parentComm: string; parentKind: string }>();
  let oldest = 0;
  for (const z of procs) {
    if (!isZombie(z)) continue;
    const parent = byPid.get(z.ppid);
    const parentComm = parent === undefined ? '' : labelText(parent.comm);
    const parentKind = z.ppid === 1 ? 'init' : subreapers.has(z.ppid) ? 'subreaper' : 'process';
    const key = `${parentKind}\0${parentComm}`;
    let e = zombies.get(key);
    if (e === undefined) zombies.set(key, (e = { zombies: 0, parents: new Set(), parentComm, parentKind }));
    e.zombies++;
    e.parents.add(z.ppid);
    oldest = Math.max(oldest, (now - z.startDate.getTime()) / 1000);
  }
  const entries = [...zombies.values()].sort((a, b) => (a.parentComm < b.parentComm ? -1 : a.parentComm > b.parentComm ? 1 : a.parentKind < b.parentKind ? -1 : 1));
  const labels = (e: (typeof entries)[number]): Record<string, string> => ({ parent_comm: e.parentComm, parent_kind: e.parentKind });
  return [
    gauge(
      'unixproc_zombies',
      'Zombie processes by the command of the parent that has not waited for them (parent_kind: init, subreaper or process; parent_comm empty when the parent could not be read).',
      entries.map((e) => ({ labels: labels(e), value: e.zombies })),
    ),
    gauge('unixproc_zombie_parents', 'Processes holding zombies, by command.', entries.map((e) => ({ labels: labels(e), value: e.parents.size }))),
    gauge(
      'unixproc_zombie_oldest_age_seconds',
      'Seconds since the oldest zombie process started (the kernel does not record when it exited); 0 when there is no zombie.',
      [{ labels: {}, value: Math.max(0, oldest) }],
    ),
  ];
}

function orphanFamilies(opts: ResolvedOptions, table: readonly ProcessEntry[], procs: readonly ProcessInfo[], named: readonly number[]): MetricFamily[] {
  const orphans = orphansOf(opts, procs, named);
  const byClass = new Map<string, number>();
  const failed = new Map<string, number>();
  const unknown = new Map<string, number>();
  let daemons = 0;
  for (const o of orphans) {
    countBy(byClass, `${o.classification}\0${o.reparentedTo}`);
    const d = daemonOf(opts, o);
    if (d === undefined) continue;
    daemons++;
    for (const c of d.checks) {
      if (c.passed === false) countBy(failed, c.id);
      else if (c.passed === undefined) countBy(unknown, c.id);
    }
  }
  const groups = orphanedGroupsOf(table, (pid) => readEntry(opts, pid));
  const orphanSamples: Sample[] = [];
  for (const cls of ORPHAN_CLASSES) {
    for (const to of REPARENTED) orphanSamples.push({ labels: { class: cls, reparented_to: to }, value: byClass.get(`${cls}\0${to}`) ?? 0 });
  }
  return [
    gauge(
      'unixproc_orphans',
      'Processes re-parented to init or a known subreaper, by class: leaked-orphan (outlived its parent without detaching) or daemon (detached on purpose).',
      orphanSamples,
    ),
    gauge('unixproc_orphaned_process_groups', 'Orphaned process groups (POSIX: the parent of every member is in the group or outside its session).', [
      { labels: {}, value: groups.length },
    ]),
    gauge('unixproc_orphaned_process_groups_stopped', 'Orphaned process groups with a stopped member: nothing can resume them by job control.', [
      { labels: {}, value: groups.filter((g) => g.stoppedMembers.length > 0).length },
    ]),
    gauge('unixproc_daemons', 'Orphans classified as daemons that were still running when their checks were made.', [{ labels: {}, value: daemons }]),
    gauge(
      'unixproc_daemon_findings',
      'Daemons failing each check: runs-as-root, controlling-terminal (owns one), inherited-fds (fds beyond 0..2 without close-on-exec).',
      CHECKS.map((check) => ({ labels: { check }, value: failed.get(check) ?? 0 })),
    ),
    gauge(
      'unixproc_daemon_checks_unknown',
      'Daemons for which each check could not be made (credentials or fds unreadable).',
      CHECKS.map((check) => ({ labels: { check }, value: unknown.get(check) ?? 0 })),
    ),
  ];
}

/**
 * Every unixproc process metric, from one scrape of the procfs root: the one-shot form of
 * {@link ProcessMetricsCollector} (its group CPU counters are just the current members' CPU
 * time). Metric names, types and labels: docs/metrics.md.
 *
 * @param options - `procfs` (default `/proc`), `procfsFixture`, `subreapers`, `groups`.
 * @returns the metric families, in a fixed order.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options;
 *   ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not true;
 *   ENOENT, ENOTDIR, EACCES when the procfs root (or its `stat`) cannot be read.
 * @example
 * ```ts
 * const families = collectProcessMetrics({ groups: [{ name: 'node', pattern: /^node$/ }] });
 * ```
 */
export function collectProcessMetrics(options?: CollectOptions): MetricFamily[] {
  return new ProcessMetricsCollector(options).collect();
}
