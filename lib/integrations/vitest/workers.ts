/**
 * Which processes are Vitest's own (its forks pool), for the whole-run guard's `ignore`.
 * @internal
 */
import { isErrnoException } from '../../errors';
import type { LeakedProcess } from '../../guard/report';
import { Extra } from '../../proc/binding';
import { validateProcfsOptions } from '../../proc/options';
import { readOne } from '../../proc/table';

/** tinypool's child_process entry: a forks-pool worker before it names itself. */
const TINYPOOL_ENTRY = /[/\\]tinypool[/\\]dist[/\\]entry[/\\]process\.js$/;
const VITEST_TITLE = /^node \(vitest \d+\)/;
const VITEST_DIST = /[/\\]vitest[/\\]dist[/\\]/;
const PROCFS = validateProcfsOptions(undefined);
/** How far up the tree an ancestor is looked for. */
const MAX_DEPTH = 16;

/** The ppid and arguments of `pid` (one read of its stat and cmdline), or undefined when it is gone or unreadable. */
function readAncestor(pid: number): { ppid: number; cmdline: readonly string[] } | undefined {
  try {
    const info = readOne(PROCFS, pid, Extra.cmdline)?.info;
    return info === undefined ? undefined : { ppid: info.ppid, cmdline: info.cmdline ?? [] };
  } catch (e) {
    if (!isErrnoException(e)) throw e;
    return undefined; // EACCES (hidepid)
  }
}

const isStartingWorker = (cmdline: readonly string[]): boolean => cmdline.some((a) => TINYPOOL_ENTRY.test(a));

/**
 * Vitest's own worker processes (forks pool): titled `node (vitest N)` as its workers name
 * themselves, a child of the guard running from Vitest's dist, or tinypool's entry script (a
 * worker that has not yet taken its title: it has run no test). A worker can still be on its
 * way out at the teardown, already re-parented to the guard (seen with Vitest 3.2): not a
 * leak either. Descendants of a named worker are still examined (tests run there); the
 * descendants of a worker that is still starting are tinypool's own (at load it runs
 * `cat /proc/cpuinfo | grep "physical id" | ...` to count CPUs), and are left out too.
 * @internal
 */
export function isVitestWorker(p: LeakedProcess, guardPid: number = process.pid): boolean {
  const cmd = p.cmdline.join(' ');
  if (VITEST_TITLE.test(cmd) || isStartingWorker(p.cmdline)) return true;
  if (p.relation === 'child' && VITEST_DIST.test(cmd)) return true;
  let pid = p.ppid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1 && pid !== guardPid; depth++) {
    const ancestor = readAncestor(pid);
    if (ancestor === undefined || VITEST_TITLE.test(ancestor.cmdline.join(' '))) return false;
    if (isStartingWorker(ancestor.cmdline)) return true;
    pid = ancestor.ppid;
  }
  return false;
}
