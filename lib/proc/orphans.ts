/**
 * Orphans: processes whose parent died and that were re-parented to init (PID 1 of the
 * pid namespace) or to a child subreaper; each classified as a likely daemon or a likely
 * leaked orphan, with the evidence.
 * @see proc(5), prctl(2) PR_SET_CHILD_SUBREAPER, credentials(7), setsid(2), daemon(7)
 */
import { constants } from 'node:os';
import { Lineage, lineageFromEnviron } from '../lineage';
import { isForeignChild } from '../os/foreign-children';
import { isOwnChild } from '../own-children';
import { validateOptions } from '../validate';
import { ORPHAN_OPTION_KEYS } from './orphan-options';
import { Extra, F, procScan } from './binding';
import { optionalPidList, ProcfsOptions, resolveProcfs, ResolvedOptions } from './options';
import { extrasOf, extraString, hasEnded, ProcessInfo } from './process-info';
import { knownSubreapers, selfSubreaper } from './subreapers';
import { readableOnly, scanTable } from './table';

/** Options of {@link findOrphans} and {@link findDaemons}. */
export interface OrphanOptions extends ProcfsOptions {
  /**
   * Pids known to be child subreapers (besides the calling process, which is checked with
   * prctl). Processes whose parent is one of these count as re-parented.
   */
  readonly subreapers?: readonly number[];
}

/** What the classification of an orphan rests on. */
export interface OrphanEvidence {
  /** It leads its own session (sid === pid): it called setsid(). */
  readonly sessionLeader: boolean;
  /**
   * The leader of its session still exists; false after a double fork (the session leader
   * forked it and exited); undefined when the session id is 0 (leader outside the pid
   * namespace).
   */
  readonly sessionLeaderAlive: boolean | undefined;
  /** Session leader, or its session leader is gone: detached from the session that started it. */
  readonly detached: boolean;
  /** It has a controlling terminal (stat tty_nr != 0). */
  readonly controllingTerminal: boolean;
  /**
   * One of fds 0..2 points at a terminal (/dev/pts/N, /dev/ttyN, /dev/console...);
   * undefined when its fds cannot be read.
   */
  readonly stdioOnTerminal: boolean | undefined;
  /** The lineage unixproc's spawn() recorded in its environment, if any. */
  readonly lineage: Lineage | undefined;
  /** Whether the spawner named by the lineage (pid AND start time) still runs. */
  readonly spawnerAlive: boolean | undefined;
}

/** One orphan and what it likely is. */
export interface Orphan {
  readonly process: ProcessInfo;
  /** Who adopted it: init (ppid 1) or a known subreaper. */
  readonly reparentedTo: 'init' | 'subreaper';
  readonly classification: 'daemon' | 'leaked-orphan';
  /**
   * `lineage`: decided from the spawn record (a fact); `heuristic`: from the evidence. A
   * process whose parent is a subreaper and that has no spawn record is always
   * `heuristic`: it may be that subreaper's own child rather than an adopted orphan.
   */
  readonly basis: 'lineage' | 'heuristic';
  readonly evidence: OrphanEvidence;
  /** One line explaining the classification. */
  readonly reason: string;
}

const { ENOENT } = constants.errno;

const TERMINAL = /^\/dev\/(pts\/\d+|tty[A-Za-z]*\d*|console|hvc\d+)$/;

/** Whether a fd target is a terminal device. @internal */
export function isTerminalPath(target: string | undefined): boolean {
  return target !== undefined && TERMINAL.test(target);
}

/** What the per-orphan reads found: lineage and whether stdio is on a terminal. @internal */
export interface OrphanReads {
  readonly lineage: Lineage | undefined;
  readonly stdioOnTerminal: boolean | undefined;
}

// "+target" / "-errno" for fds 0..2 (native/procfs.cc ReadStdioAt).
function stdioFrom(encoded: string | number | undefined): boolean | undefined {
  if (typeof encoded !== 'string') return undefined;
  let known = false;
  for (const part of encoded.split('\0')) {
    if (part.startsWith('+')) {
      if (isTerminalPath(part.slice(1))) return true;
      known = true;
    } else if (part === `-${ENOENT}`) {
      known = true; // that fd is closed
    }
  }
  return known ? false : undefined;
}

/**
 * Reads environ (for the lineage) and fds 0..2 of every candidate in ONE native call,
 * each through a directory handle bound to that process, keeping only those whose start
 * time still matches the scan (a recycled pid gets no evidence). @internal
 */
export function readOrphanEvidence(opts: ResolvedOptions, candidates: readonly ProcessInfo[]): Map<number, OrphanReads> {
  const out = new Map<number, OrphanReads>();
  if (candidates.length === 0) return out;
  const mask = Extra.environ | Extra.stdio;
  const r = procScan(opts.procfs, candidates.map((p) => p.pid), mask, opts.fixture);
  if (typeof r === 'number') return out;
  const start = new Map(candidates.map((p) => [p.pid, p.startTime] as const));
  for (let i = 0; i < r.count; i++) {
    const pid = r.values[i * r.width + F.pid];
    if (r.values[i * r.width + F.startTime] !== start.get(pid)) continue;
    const x = extrasOf(r, i, mask);
    const environ = extraString(x.environ);
    out.set(pid, {
      lineage: environ === undefined ? undefined : lineageFromEnviron(environ),
      stdioOnTerminal: stdioFrom(x.stdio),
    });
  }
  return out;
}

/** Classifies one orphan candidate. @internal */
export function classify(
  p: ProcessInfo,
  byPid: ReadonlyMap<number, ProcessInfo>,
  reparentedTo: 'init' | 'subreaper',
  reads: OrphanReads | undefined,
): Orphan | undefined {
  const lineage = reads?.lineage;
  let spawnerAlive: boolean | undefined;
  if (lineage !== undefined) {
    const s = byPid.get(lineage.spawnerPid);
    spawnerAlive = s !== undefined && s.startTime === lineage.spawnerStartTime && !hasEnded(s);
    // Its parent is the process that spawned it: a child, not an orphan.
    if (spawnerAlive && lineage.spawnerPid === p.ppid) return undefined;
  }
  const sessionLeader = p.sid === p.pid;
  const sessionLeaderAlive = p.sid === 0 ? undefined : byPid.has(p.sid);
  const detached = sessionLeader || sessionLeaderAlive === false;
  const controllingTerminal = p.tty !== undefined;
  const onTerminal = reads?.stdioOnTerminal;
  const evidence: OrphanEvidence = {
    sessionLeader,
    sessionLeaderAlive,
    detached,
    controllingTerminal,
    stdioOnTerminal: onTerminal,
    lineage,
    spawnerAlive,
  };
  let classification: Orphan['classification'];
  let basis: Orphan['basis'];
  let reason: string;
  if (lineage !== undefined && lineage.intent === 'daemon') {
    basis = 'lineage';
    classification = 'daemon';
    reason = `spawned by pid ${lineage.spawnerPid} as a daemon (detached)`;
  } else if (lineage !== undefined) {
    basis = 'lineage';
    classification = detached ? 'daemon' : 'leaked-orphan';
    reason = detached
      ? `spawned by pid ${lineage.spawnerPid} as a child, then detached itself (setsid)`
      : `spawned by pid ${lineage.spawnerPid} as a child; outlived its parent without detaching`;
  } else {
    basis = 'heuristic';
    const daemonLike = detached && !controllingTerminal && onTerminal !== true;
    classification = daemonLike ? 'daemon' : 'leaked-orphan';
    const why: string[] = [];
    why.push(
      sessionLeader
        ? 'session leader'
        : sessionLeaderAlive === false
          ? 'session leader gone (double fork)'
          : sessionLeaderAlive === undefined
            ? 'in session 0 (its leader is outside the pid namespace, or it never had one)'
            : 'still in the session that started it',
    );
    why.push(controllingTerminal ? 'has a controlling terminal' : 'no controlling terminal');
    if (onTerminal !== undefined) why.push(onTerminal ? 'stdio on a terminal' : 'stdio away from a terminal');
    if (reparentedTo === 'subreaper') {
      why.push(`parent ${p.ppid} is a subreaper: it may have started this process itself, which /proc cannot tell from an adoption`);
    }
    reason = why.join(', ');
  }
  return { process: p, reparentedTo, classification, basis, evidence, reason };
}

/** The orphans of one table. @internal */
export function orphansOf(opts: ResolvedOptions, procs: readonly ProcessInfo[], named: readonly number[]): Orphan[] {
  const subreapers = knownSubreapers(opts, named);
  const self = selfSubreaper(opts);
  const byPid = new Map<number, ProcessInfo>();
  for (const p of procs) byPid.set(p.pid, p);
  const candidates: ProcessInfo[] = [];
  for (const p of procs) {
    if (p.kernelThread || p.pid === 1 || hasEnded(p)) continue;
    if (p.ppid !== 1 && !subreapers.has(p.ppid)) continue;
    // This subreaper's own children (posix_spawn, child_process...) are children, not orphans.
    if (p.ppid === self && (isOwnChild(p.pid) || isForeignChild(p.pid))) continue;
    candidates.push(p);
  }
  const reads = readOrphanEvidence(opts, candidates);
  const out: Orphan[] = [];
  for (const p of candidates) {
    const o = classify(p, byPid, p.ppid === 1 ? 'init' : 'subreaper', reads.get(p.pid));
    if (o !== undefined) out.push(o);
  }
  return out;
}

/**
 * Processes re-parented to init (ppid 1) or to a known child subreaper, kernel threads
 * and zombies excluded (zombies are {@link findZombies}'s), each classified as a likely
 * daemon or a likely leaked orphan with its evidence. For a process started by unixproc's
 * spawn() the lineage in its environment decides (a fact); otherwise: a daemon is detached
 * (session leader, or its session leader gone after a double fork), has no controlling
 * terminal and keeps stdio away from terminals.
 *
 * Limits: a process started directly by init (a service) also has ppid 1. A subreaper's
 * children all have ppid == its pid, started or adopted: when the caller is a subreaper,
 * the children it started itself (unixproc's posix_spawn, child_process) are left out;
 * any other child of a subreaper, the caller or one named in `subreapers`, is reported
 * with `basis: 'heuristic'` unless its lineage decides, since it may be the subreaper's
 * own. Other processes' subreaper status cannot be read (see `subreapers`).
 *
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options;
 *   ENOENT when the procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5), prctl(2) PR_SET_CHILD_SUBREAPER, daemon(7)
 */
export function findOrphans(options?: OrphanOptions): readonly Orphan[] {
  const o = validateOptions<OrphanOptions>(options, 'options', ORPHAN_OPTION_KEYS);
  const opts = resolveProcfs(o, 'options');
  const named = optionalPidList(o.subreapers, 'options.subreapers');
  return orphansOf(opts, readableOnly(scanTable(opts)), named);
}
