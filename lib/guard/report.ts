/**
 * What a leak check reports, and its text form (used by the CLI and the test-runner
 * integrations, so every surface prints a leak the same way).
 */
import * as path from 'node:path';
import { escapeText } from '../escape';
import { describeHelper } from '../helper-process';
import { invalidArgType, invalidArgValue } from '../errors';
import type { ExitStatus } from '../exit-status';
import type { ProcessRef } from '../proc/process-info';
import type { ProcessState } from '../proc/states';
import { validateArray, validateBoolean, validateInteger } from '../validate';
import type { Provenance } from './provenance';

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
  /**
   * Who started it, where provenance was recorded (the test-runner integrations): the test
   * file, the test, the line, the chain of commands; `null` when nothing was recorded for it
   * or its ancestors (unknown, never guessed). Absent when provenance was not looked up.
   */
  readonly provenance?: Provenance | null;
  /**
   * What unixproc helper process this is, read from its command line, e.g. `supervisor
   * helper of service "web" (its process-group keeper)` (a supervisor's group keeper or
   * containment shepherd, a cgroup keeper); absent for any other process.
   */
  readonly helper?: string;
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

/** What the text shows of a leaked process, read once from the report. */
interface ShownProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly letter: string;
  readonly cmdline: readonly string[];
  readonly relation: LeakRelation;
  readonly parent: { readonly pid: number; readonly comm: string; readonly stateName: string; readonly isGuard: boolean } | undefined;
  /** undefined: not looked up; null: unknown. */
  readonly provenance: ShownProvenance | null | undefined;
  readonly helper: string | undefined;
}

interface ShownProvenance {
  readonly testFile: string | undefined;
  readonly testName: string | undefined;
  readonly site: string | undefined;
  readonly via: string;
  readonly chain: readonly string[];
}

/** A path relative to the working directory when it is below it. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** `test/api.test.ts:42:11 in "api > starts a server"`, or the parts of it that are known. */
function describeOrigin(p: ShownProvenance): string {
  const where = p.site ?? `an unknown line${p.testFile === undefined ? '' : ` of ${oneLine(shortPath(p.testFile))}`}`;
  const test = p.testName === undefined ? '' : ` in "${oneLine(p.testName)}"`;
  return `${where}${test}`;
}

function describeProvenance(p: ShownProvenance | null): string {
  if (p === null) return 'started by: unknown (no record of it or of its ancestors)';
  return `started at ${describeOrigin(p)} (${oneLine(p.via)}): ${p.chain.map(oneLine).join(' -> ')}`;
}

/** Above this many processes, the report is summarised by provenance. */
const SUMMARY_OVER = 20;
/** Processes listed per provenance in a summary. */
const SUMMARY_EXAMPLES = 3;

function summary(all: readonly (readonly [ShownProcess, boolean])[]): string[] {
  const groups = new Map<string, [ShownProcess, boolean][]>();
  for (const entry of all) {
    const p = entry[0].provenance;
    const k = p === null || p === undefined ? 'unknown' : describeOrigin(p);
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = []));
    g.push([...entry]);
  }
  const lines: string[] = [];
  for (const [k, g] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const n = g.length;
    lines.push(`  ${n} process${n === 1 ? '' : 'es'} from ${k === 'unknown' ? 'an unknown origin' : k}, e.g.:`);
    for (const [p, zombie] of g.slice(0, SUMMARY_EXAMPLES)) {
      lines.push(`    ${describeProcess(p)}: ${describeRelation(p, zombie)}`);
      if (p.provenance !== undefined) lines.push(`      ${describeProvenance(p.provenance)}`);
    }
  }
  return lines;
}

function describeParent(p: ShownProcess): string {
  const parent = p.parent;
  if (parent === undefined) return `parent ${p.ppid}`;
  if (parent.isGuard) return `the guard (${parent.pid})`;
  return `${parent.pid} (${oneLine(parent.comm)}, ${parent.stateName})`;
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

function describeProcess(p: ShownProcess): string {
  const cmd = p.cmdline.length > 0 ? oneLine(p.cmdline.join(' ')) : `[${oneLine(p.comm)}]`;
  const helper = p.helper === undefined ? '' : ` [${oneLine(p.helper)}]`;
  return `pid ${p.pid} ${p.letter} ${cmd}${helper}`;
}

function describeRelation(p: ShownProcess, zombie: boolean): string {
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
 * `  pid 4242 S sleep 30: orphan adopted by the guard (its parent exited without it)`; a
 * unixproc helper is named after its command line, e.g. `pid 4243 T unixproc-keeper: web -c
 * ... [supervisor helper of service "web" (its process-group keeper)]: ...`.
 * Empty string when the report is ok.
 * @param report - what {@link LeakGuard.check} returned.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE / ERR_INVALID_ARG_VALUE when `report` is not a
 *   report (each field the text shows is checked, e.g. `report.leaked[0].pid`).
 */
export function formatLeakReport(report: LeakReport): string {
  if (typeof report !== 'object' || report === null) throw invalidArgType('report', 'of type object', report);
  // Read once, into plain arrays of checked entries: a report may come from anywhere (a
  // hand-built one, a getter), and the text must not throw halfway with an untyped error.
  const leaked = validateArray(report.leaked, 'report.leaked', validateLeaked);
  const zombies = validateArray(report.zombies, 'report.zombies', validateLeaked);
  if (leaked.length === 0 && zombies.length === 0) return '';
  const lines: string[] = [];
  const n = leaked.length;
  const z = zombies.length;
  const parts: string[] = [];
  if (n > 0) parts.push(`${n} process${n === 1 ? '' : 'es'} still running`);
  if (z > 0) parts.push(`${z} zombie${z === 1 ? '' : 's'}`);
  lines.push(`leak: ${parts.join(' and ')} left behind:`);
  // By list, not by state letter: a leader that shows 'Z' while its other threads run is alive.
  const all = [...leaked.map((p) => [p, false] as const), ...zombies.map((p) => [p, true] as const)];
  if (all.length > SUMMARY_OVER && all.some(([p]) => p.provenance !== undefined)) {
    lines.push(...summary(all));
    return `${lines.join('\n')}\n`;
  }
  for (const [p, zombie] of all) {
    lines.push(`  ${describeProcess(p)}: ${describeRelation(p, zombie)}`);
    if (p.provenance !== undefined) lines.push(`    ${describeProvenance(p.provenance)}`);
  }
  return `${lines.join('\n')}\n`;
}

const RELATIONS: readonly string[] = ['child', 'adopted', 'descendant'] satisfies readonly LeakRelation[];

function objectAt(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'of type object', value);
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return value;
}

/** The fields of one leaked process that the text shows, checked and copied (the rest is not read). */
function validateLeaked(value: unknown, name: string): ShownProcess {
  const p = objectAt(value, name);
  const pid = validateInteger(p.pid, `${name}.pid`);
  const ppid = validateInteger(p.ppid, `${name}.ppid`);
  const comm = stringAt(p.comm, `${name}.comm`);
  const letter = stringAt(objectAt(p.state, `${name}.state`).letter, `${name}.state.letter`);
  const cmdline = validateArray(p.cmdline, `${name}.cmdline`, stringAt);
  const relation = p.relation;
  if (typeof relation !== 'string' || !RELATIONS.includes(relation)) {
    throw invalidArgValue(`${name}.relation`, relation, `must be one of ${RELATIONS.map((r) => `'${r}'`).join(', ')}`);
  }
  const rawParent = p.parent;
  let parent: ShownProcess['parent'];
  if (rawParent !== undefined) {
    const q = objectAt(rawParent, `${name}.parent`);
    parent = {
      pid: validateInteger(q.pid, `${name}.parent.pid`),
      comm: stringAt(q.comm, `${name}.parent.comm`),
      stateName: stringAt(objectAt(q.state, `${name}.parent.state`).name, `${name}.parent.state.name`),
      isGuard: validateBoolean(q.isGuard, `${name}.parent.isGuard`),
    };
  }
  // A report built by hand may lack the field: the command line says it as well.
  const helper = p.helper === undefined ? describeHelper(cmdline) : stringAt(p.helper, `${name}.helper`);
  return { pid, ppid, comm, letter, cmdline, relation: relation as LeakRelation, parent, provenance: validateProvenance(p.provenance, `${name}.provenance`), helper };
}

function optionalString(value: unknown, name: string): string | undefined {
  return value === undefined || value === null ? undefined : stringAt(value, name);
}

/** The provenance fields the text shows: undefined (not looked up), null (unknown) or an object. */
function validateProvenance(value: unknown, name: string): ShownProvenance | null | undefined {
  if (value === undefined || value === null) return value;
  const q = objectAt(value, name);
  let site: string | undefined;
  if (q.site !== undefined && q.site !== null) {
    const f = objectAt(q.site, `${name}.site`);
    const file = stringAt(f.file, `${name}.site.file`);
    site = `${oneLine(shortPath(file))}:${validateInteger(f.line, `${name}.site.line`)}:${validateInteger(f.column, `${name}.site.column`)}`;
  }
  return {
    testFile: optionalString(q.testFile, `${name}.testFile`),
    testName: optionalString(q.testName, `${name}.testName`),
    site,
    via: stringAt(q.via, `${name}.via`),
    chain: validateArray(q.chain, `${name}.chain`, stringAt),
  };
}
