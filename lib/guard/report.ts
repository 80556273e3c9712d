/**
 * What a leak check reports, and its text form (used by the CLI and the test-runner
 * integrations, so every surface prints a leak the same way).
 */
import { escapeText } from '../escape';
import { invalidArgType } from '../errors';
import type { ExitStatus } from '../exit-status';
import type { ProcessRef } from '../proc/process-info';
import type { ProcessState } from '../proc/states';

/**
 * How a leaked process hangs below the guard:
 * - `'child'`: a direct child that this process started itself (child_process, spawn(),
 *   posix_spawn) and that is still running;
 * - `'adopted'`: an orphan re-parented to this process because it is a child subreaper
 *   (its parent died: a `cmd &` left behind, a daemon's double fork);
 * - `'descendant'`: a child of another descendant (`parent` says which).
 */
export type LeakRelation = 'child' | 'adopted' | 'descendant';

/** The parent of a leaked process, as read in the same scan. */
export interface LeakParent {
  readonly pid: number;
  readonly comm: string;
  readonly state: ProcessState;
  /** True when the parent is the guard's own process. */
  readonly isGuard: boolean;
}

/** A process the check found left behind. */
export interface LeakedProcess extends ProcessRef {
  readonly pid: number;
  /** Start time in clock ticks since boot: with `pid`, the process's identity. */
  readonly startTime: number;
  readonly ppid: number;
  readonly state: ProcessState;
  /** The command name (up to 15 bytes). */
  readonly comm: string;
  /** The arguments from /proc/<pid>/cmdline; empty for a zombie, or when unreadable. */
  readonly cmdline: readonly string[];
  readonly relation: LeakRelation;
  /** The parent: for a zombie, the process that holds it by not calling wait(). */
  readonly parent: LeakParent | undefined;
}

/** An adopted orphan that had exited and that the guard reaped (by pid). Not a leak. */
export interface ReapedProcess {
  readonly pid: number;
  readonly comm: string;
  readonly status: ExitStatus;
}

/** The result of {@link LeakGuard.check}. */
export interface LeakReport {
  /** True when nothing was left behind: `leaked` and `zombies` are both empty. */
  readonly ok: boolean;
  /** The pid of the guarding process. */
  readonly guardPid: number;
  /** New descendants that are still alive (running, sleeping, stopped...). */
  readonly leaked: readonly LeakedProcess[];
  /** New descendants that are zombies held by a parent that does not reap them. */
  readonly zombies: readonly LeakedProcess[];
  /** Adopted orphans that had already exited, reaped by this check (not leaks). */
  readonly reaped: readonly ReapedProcess[];
}

function describeParent(p: LeakedProcess): string {
  const parent = p.parent;
  if (parent === undefined) return `parent ${p.ppid}`;
  if (parent.isGuard) return `the guard (${parent.pid})`;
  return `${parent.pid} (${oneLine(parent.comm)}, ${parent.state.name})`;
}

/** Longest command line shown in a report line; the JSON form has it all. */
const MAX_COMMAND = 160;

function oneLine(s: string): string {
  // Escaped (control characters, C1, bidi controls, line separators), then cut; the cut
  // backs off so it never splits an escape sequence such as \x1b.
  const flat = escapeText(s);
  if (flat.length <= MAX_COMMAND) return flat;
  let cut = MAX_COMMAND - 1;
  const lastEscape = flat.lastIndexOf('\\', cut);
  if (lastEscape !== -1 && lastEscape > cut - 6) cut = lastEscape;
  return `${flat.slice(0, cut)}…`;
}

function describeProcess(p: LeakedProcess): string {
  const cmd = p.cmdline.length > 0 ? oneLine(p.cmdline.join(' ')) : `[${oneLine(p.comm)}]`;
  return `pid ${p.pid} ${p.state.letter} ${cmd}`;
}

function describeRelation(p: LeakedProcess, zombie: boolean): string {
  if (zombie) return `zombie held by ${describeParent(p)}, which has not waited for it`;
  switch (p.relation) {
    case 'child':
      return `still a child of ${describeParent(p)}`;
    case 'adopted':
      return 'orphan adopted by the guard (its parent exited without it)';
    case 'descendant':
      return `still a child of ${describeParent(p)}`;
  }
}

/**
 * The report as text, one line per process (control characters escaped, long command lines
 * cut at 160 characters), e.g.
 * `  pid 4242 S sleep 30: orphan adopted by the guard (its parent exited without it)`.
 * Empty string when the report is ok.
 * @param report - what {@link LeakGuard.check} returned.
 * @throws ERR_INVALID_ARG_TYPE when `report` is not a report.
 */
export function formatLeakReport(report: LeakReport): string {
  if (typeof report !== 'object' || report === null) throw invalidArgType('report', 'of type object', report);
  for (const field of ['leaked', 'zombies'] as const) {
    if (!Array.isArray(report[field])) throw invalidArgType(`report.${field}`, 'an instance of Array', report[field]);
  }
  if (report.leaked.length === 0 && report.zombies.length === 0) return '';
  const lines: string[] = [];
  const n = report.leaked.length;
  const z = report.zombies.length;
  const parts: string[] = [];
  if (n > 0) parts.push(`${n} process${n === 1 ? '' : 'es'} still running`);
  if (z > 0) parts.push(`${z} zombie${z === 1 ? '' : 's'}`);
  lines.push(`leak: ${parts.join(' and ')} left behind:`);
  // By list, not by state letter: a leader that shows 'Z' while its other threads run is alive.
  for (const p of report.leaked) lines.push(`  ${describeProcess(p)}: ${describeRelation(p, false)}`);
  for (const p of report.zombies) lines.push(`  ${describeProcess(p)}: ${describeRelation(p, true)}`);
  return `${lines.join('\n')}\n`;
}
