/**
 * The per-test-file leak check of the runner integrations (Jest's environment, Vitest's
 * setup file): the processes below the run's guard that provenance attributes to one test
 * file, found when that file ends, and ended there (by identity: pidfd after a start-time
 * check), so that the next file starts clean. The whole-run guard stays the safety net for
 * what provenance cannot attribute.
 * @internal
 */
import { invalidArgValue } from '../errors';
import { hasEnded } from '../proc/process-info';
import type { ProcessInfo } from '../proc/process-info';
import { readEntry } from '../proc/table';
import { descendants } from '../proc/tree';
import { validateProcfsOptions } from '../proc/options';
import { PROVENANCE_DIR_ENV, ProvenanceIndex } from './provenance';
import type { LeakedProcess, LeakReport } from './report';
import { formatLeakReport } from './report';
import { FirstSightHandles } from './signal';
import { leakedEntry } from './guard';

const DEFAULT_OPTS = validateProcfsOptions(undefined);
const SIGTERM = 15;
const SIGKILL = 9;
const SIGCONT = 18;

/** What a file's check does with its leftovers: fail the file, only warn, or end them and report. */
export type LeakCheckMode = 'fail' | 'warn' | 'kill';
export const LEAK_CHECK_MODES: readonly LeakCheckMode[] = ['fail', 'warn', 'kill'];

/** The environment variable the integrations' global setup sets to the guarding process's pid. */
export const GUARD_PID_ENV = 'UNIXPROC_LEAK_GUARD_PID';

/** Validates a `leakCheck` option. @internal */
export function validateLeakCheckMode(value: unknown, name: string): LeakCheckMode {
  if (value === undefined) return 'fail';
  if (typeof value !== 'string' || !(LEAK_CHECK_MODES as readonly string[]).includes(value)) {
    throw invalidArgValue(name, value, `must be one of ${LEAK_CHECK_MODES.map((m) => `'${m}'`).join(', ')}`);
  }
  return value as LeakCheckMode;
}

/** The pid whose descendants are examined: the run's guard, else this process. */
export function guardRoot(): number {
  const v = Number(process.env[GUARD_PID_ENV]);
  if (Number.isSafeInteger(v) && v > 1) {
    const e = readEntry(DEFAULT_OPTS, v);
    if (e !== undefined && e.readable) return v;
  }
  return process.pid;
}

function entryOf(p: ProcessInfo, root: number, byPid: Map<number, ProcessInfo>): LeakedProcess {
  let q = byPid.get(p.ppid);
  if (q === undefined && (p.ppid === root || p.ppid === process.pid)) {
    const e = readEntry(DEFAULT_OPTS, p.ppid);
    if (e !== undefined && e.readable) q = e;
  }
  const relation = p.ppid === process.pid ? 'child' : p.ppid === root ? 'adopted' : 'descendant';
  return leakedEntry(p, relation, q === undefined ? undefined : { pid: q.pid, comm: q.comm, state: q.state, isGuard: q.pid === root });
}

/**
 * The processes below the guard (or this process) that were started while `testFile` ran,
 * with their provenance. Zombies of this process's own children are left to their owner.
 */
export function checkFile(testFile: string, dir: string | undefined = process.env[PROVENANCE_DIR_ENV]): LeakReport {
  const root = guardRoot();
  const all = descendants(root);
  const byPid = new Map(all.map((p) => [p.pid, p] as const));
  const ix = new ProvenanceIndex(dir);
  const leaked: LeakedProcess[] = [];
  const zombies: LeakedProcess[] = [];
  if (ix.size > 0) {
    for (const p of all) {
      if (p.pid === process.pid) continue;
      const zombie = hasEnded(p);
      if (zombie && p.ppid === process.pid) continue; // our own child: libuv or spawn() reaps it
      const provenance = ix.attribute(p.pid, p.startTime, root);
      if (provenance === undefined || provenance.testFile !== testFile) continue;
      const e = Object.freeze({ ...entryOf(p, root, byPid), provenance });
      (zombie ? zombies : leaked).push(e);
    }
  }
  return Object.freeze({
    ok: leaked.length === 0 && zombies.length === 0,
    guardPid: root,
    leaked: Object.freeze(leaked),
    zombies: Object.freeze(zombies),
    reaped: Object.freeze([]),
  });
}

function isAlive(ref: LeakedProcess): boolean {
  try {
    const p = readEntry(DEFAULT_OPTS, ref.pid);
    return p !== undefined && p.readable && p.startTime === ref.startTime && !hasEnded(p);
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the leaked processes: SIGTERM (and SIGCONT), SIGKILL after `killGracePeriod` ms to
 * those still alive, each through a pidfd after an identity check. Orphans end as zombies of
 * the guard, which reaps them. Returns those still alive at the end.
 */
export async function endLeftovers(report: LeakReport, killGracePeriod = 1000): Promise<readonly LeakedProcess[]> {
  const handles = new FirstSightHandles();
  try {
    let alive = report.leaked.filter(isAlive);
    for (const p of alive) {
      handles.signal(p, SIGTERM);
      handles.signal(p, SIGCONT);
    }
    const deadline = Date.now() + killGracePeriod;
    while ((alive = alive.filter(isAlive)).length > 0 && Date.now() < deadline) await sleep(20);
    for (const p of alive) handles.signal(p, SIGKILL);
    const end = Date.now() + 2000;
    while ((alive = alive.filter(isAlive)).length > 0 && Date.now() < end) await sleep(20);
    return alive;
  } finally {
    handles.close();
  }
}

/**
 * The whole per-file check: waits up to `settle` ms for the file's processes to go, then
 * reports (and, unless `mode` is 'warn', ends) what stays. Returns the text for the runner
 * (empty when nothing leaked) and whether the file must fail.
 */
export async function runFileCheck(
  testFile: string,
  mode: LeakCheckMode,
  settle: number,
  killGracePeriod: number,
): Promise<{ readonly text: string; readonly fail: boolean; readonly report: LeakReport }> {
  const deadline = Date.now() + settle;
  let report = checkFile(testFile);
  while (!report.ok && Date.now() < deadline) {
    await sleep(20);
    report = checkFile(testFile);
  }
  if (report.ok) return { text: '', fail: false, report };
  let text = `this test file left processes behind.\n${formatLeakReport(report)}`;
  if (mode !== 'warn') {
    const remaining = await endLeftovers(report, killGracePeriod);
    text += remaining.length === 0 ? 'They have been ended.\n' : `${remaining.length} could not be ended.\n`;
  } else {
    text += 'They were left running (leakCheck: warn); the whole-run check still sees them.\n';
  }
  return { text, fail: mode === 'fail', report };
}
