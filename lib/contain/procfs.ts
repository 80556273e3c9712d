/**
 * The few /proc reads containment needs, each bounded to the processes of one tree: a
 * process's start time, and its descendants from /proc/pid/task/tid/children (no scan of
 * all of /proc). A process that vanishes mid-read is simply not there.
 * @see proc(5) /proc/pid/stat (field 22, starttime), /proc/pid/task/tid/children
 * @internal
 */
import { readFileSync, readdirSync } from 'node:fs';

/** (pid, start time): a process's identity (DESIGN.md, proc). */
export interface Member {
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/pid/stat field 22). */
  readonly startTime: number;
}

/** Fields of /proc/pid/stat after the comm, split (the last-')' rule: comm may hold ')'). */
export function statFields(pid: number | 'self'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // gone (ENOENT/ESRCH) or hidden (EACCES/EPERM)
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // fields[0] is field 3 (state)
  return text.slice(close + 2).trim().split(' ');
}

/** The start time of `pid`, or undefined when it is gone. */
export function startTimeOf(pid: number): number | undefined {
  const f = statFields(pid);
  if (f === undefined || f.length < 20) return undefined;
  return Number(f[19]);
}

/** The state letter of `pid` (/proc/pid/stat field 3), or undefined when it is gone. */
export function stateOf(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** The direct children of every thread of `pid`. */
export function childrenOf(pid: number | 'self'): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const word of text.split(' ')) if (word !== '' && word !== '\n') out.push(Number(word));
  }
  return out;
}

/** Every descendant of `pid` (not `pid` itself), parents before their children. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

/** Pids with their start times; the ones that vanished meanwhile are left out. */
export function withStartTimes(pids: readonly number[]): Member[] {
  const out: Member[] = [];
  for (const pid of pids) {
    const startTime = startTimeOf(pid);
    if (startTime !== undefined) out.push({ pid, startTime });
  }
  return out;
}

/** The live ones of `pids` (zombies and vanished ones left out), with their start times: one read each. */
export function liveMembers(pids: readonly number[]): Member[] {
  const out: Member[] = [];
  for (const pid of pids) {
    const f = statFields(pid);
    if (f === undefined || f.length < 20 || f[0] === 'Z' || f[0] === 'X') continue;
    out.push({ pid, startTime: Number(f[19]) });
  }
  return out;
}
