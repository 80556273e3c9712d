/**
 * Process trees from one table scan: children, descendants, ancestors, processTree.
 * Each call scans once, so the relations it reports hold at one moment.
 * @see proc(5) /proc/pid/stat field 4 (ppid)
 */
import { validatePid } from '../validate';
import { ProcfsOptions, validateProcfsOptions } from './options';
import { ProcessInfo } from './process-info';
import { readableOnly, scanTable } from './table';

/** A node of {@link processTree}. */
export interface ProcessTreeNode {
  readonly process: ProcessInfo;
  readonly children: readonly ProcessTreeNode[];
}

function table(options: unknown): ProcessInfo[] {
  return readableOnly(scanTable(validateProcfsOptions(options)));
}

function childMap(procs: readonly ProcessInfo[]): Map<number, ProcessInfo[]> {
  const m = new Map<number, ProcessInfo[]>();
  for (const p of procs) {
    if (p.ppid === p.pid) continue;
    let list = m.get(p.ppid);
    if (list === undefined) m.set(p.ppid, (list = []));
    list.push(p);
  }
  return m;
}

/**
 * The direct children of `pid` (processes whose ppid is `pid`).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; ENOENT when the
 *   procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function children(pid: number, options?: ProcfsOptions): readonly ProcessInfo[] {
  validatePid(pid, 'pid');
  return table(options).filter((p) => p.ppid === pid);
}

/**
 * Every descendant of `pid`, breadth first (children, then grandchildren...). Orphans
 * re-parented away from the subtree are, by then, no longer descendants.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; ENOENT when the
 *   procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function descendants(pid: number, options?: ProcfsOptions): readonly ProcessInfo[] {
  validatePid(pid, 'pid');
  const byParent = childMap(table(options));
  const out: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  for (let queue = [pid]; queue.length > 0; ) {
    const next: number[] = [];
    for (const parent of queue) {
      for (const c of byParent.get(parent) ?? []) {
        if (seen.has(c.pid)) continue;
        seen.add(c.pid);
        out.push(c);
        next.push(c.pid);
      }
    }
    queue = next;
  }
  return out;
}

/**
 * The parent of `pid`, its parent, and so on up to a process whose ppid is 0 (PID 1,
 * kthreadd, or a process whose parent is outside the pid namespace). Empty if `pid` is gone.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; ENOENT when the
 *   procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function ancestors(pid: number, options?: ProcfsOptions): readonly ProcessInfo[] {
  validatePid(pid, 'pid');
  const byPid = new Map(table(options).map((p) => [p.pid, p] as const));
  const out: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  for (let p = byPid.get(pid); p !== undefined && p.ppid !== 0 && !seen.has(p.ppid); ) {
    seen.add(p.ppid);
    p = byPid.get(p.ppid);
    if (p !== undefined) out.push(p);
  }
  return out;
}

// Iterative, so that a chain thousands of processes deep cannot overflow the stack.
function build(root: ProcessInfo, byParent: Map<number, ProcessInfo[]>, seen: Set<number>): ProcessTreeNode {
  const top: { process: ProcessInfo; children: ProcessTreeNode[] } = { process: root, children: [] };
  seen.add(root.pid);
  for (const stack = [top]; stack.length > 0; ) {
    const node = stack.pop()!;
    for (const c of byParent.get(node.process.pid) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      const child = { process: c, children: [] };
      node.children.push(child);
      stack.push(child);
    }
  }
  return top;
}

/**
 * The process tree: rooted at `rootPid` (undefined when it is gone), or, without it, the
 * forest of every process whose parent is not in the table (ppid 0, or a parent that
 * could not be read).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; ENOENT when the
 *   procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5)
 */
export function processTree(rootPid?: undefined, options?: ProcfsOptions): readonly ProcessTreeNode[];
export function processTree(rootPid: number, options?: ProcfsOptions): ProcessTreeNode | undefined;
export function processTree(
  rootPid?: number,
  options?: ProcfsOptions,
): ProcessTreeNode | readonly ProcessTreeNode[] | undefined {
  if (rootPid !== undefined) validatePid(rootPid, 'rootPid');
  const procs = table(options);
  const byParent = childMap(procs);
  const seen = new Set<number>();
  if (rootPid !== undefined) {
    const root = procs.find((p) => p.pid === rootPid);
    return root === undefined ? undefined : build(root, byParent, seen);
  }
  const pids = new Set(procs.map((p) => p.pid));
  return procs.filter((p) => !pids.has(p.ppid) || p.ppid === p.pid).map((p) => build(p, byParent, seen));
}
