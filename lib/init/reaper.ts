/**
 * Reaping adopted orphans, for a Node process that is PID 1 of its pid namespace or a child
 * subreaper, without taking the exit of a child somebody in this process owns.
 *
 * Why: every process whose parent dies is re-parented to the nearest child subreaper, else
 * to PID 1 of its pid namespace (prctl(2) PR_SET_CHILD_SUBREAPER, pid_namespaces(7)); when
 * it exits it stays a zombie until that process waits for it. libuv waits only for the
 * children it started, by pid, and declined to reap the others (libuv#3199), so a Node PID 1
 * fills the pid table with zombies (the nodejs/docker-node "Handling Kernel Signals" note).
 * Reaping with `waitpid(-1)` is not an option: libuv loses a child_process child that someone
 * else reaped (lib/os/foreign-children.ts), and spawn() handles would reject with ECHILD.
 *
 * How, on every SIGCHLD (a native uv_signal_t watch, unref'd: it never keeps the process
 * alive; `process.on('SIGCHLD')` would do in plain Node but not where `process` is wrapped,
 * as in jest), and once at start:
 * 1. Only while this process is PID 1 or a child subreaper (prctl PR_GET_CHILD_SUBREAPER,
 *    asked at each SIGCHLD: the flag can be set after import). Elsewhere no orphan is ever
 *    re-parented here, so a child nobody registered is some other code's (a native addon
 *    that waits by pid): it is left alone.
 * 2. The children of the MAIN THREAD are read from /proc/<pid>/task/<pid>/children (proc(5),
 *    CONFIG_PROC_CHILDREN). Orphans are always re-parented to the main thread (the kernel's
 *    find_new_reaper/find_alive_thread pick the first live thread of the reaper's group),
 *    and children that a Worker thread's child_process started are listed under that
 *    worker's task, where no registry of this thread can see them: they are never touched.
 * 3. Each child that no registry owns (child_process children and spawn() handles:
 *    lib/os/foreign-children.ts; posix_spawn/fork/spawnv children: lib/own-children.ts; the
 *    contain keeper and shepherd are spawn() handles) is reaped with
 *    `waitpid(pid, WNOHANG | __WALL)`, which returns 0 and changes nothing for a child
 *    still running. There is no peek with `waitid(P_ALL, WNOWAIT)`: it reports one child at
 *    a time, the same one until it is reaped, so an owned zombie at the head of the queue
 *    (a posix_spawn child its owner reaps later) would hide every orphan behind it.
 * 4. The list is read again until a pass reaps nothing: the children file may skip an entry
 *    when the list changes while it is read (proc(5): "only reliable when all of the child
 *    processes are stopped or frozen"), and an orphan that exits later raises a SIGCHLD of
 *    its own.
 *
 * A registry is consulted on the same thread, synchronously, and its owner registers a
 * child right after starting it, in the same turn of the event loop; this sweep runs in a
 * later turn, so a child is never seen before its owner has claimed it.
 *
 * Fallback when /proc is not this pid namespace's (`unshare -p` without `--mount-proc`, a
 * container with the host's /proc: /proc/self does not name getpid()) or has no children
 * file: peek with `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT | __WNOTHREAD)` (the main
 * thread's children only, as above); an unowned head is reaped,
 * a foreign one is reaped and its status handed back to its owner (as lib/os/wait.ts does),
 * and an own child (posix_spawn/fork, which its owner reaps by pid) at the head stops the
 * sweep, which is tried again every {@link BLOCKED_RETRY_MS} until that child is reaped.
 * @internal
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { systemError } from '../errors';
import { native } from '../native';
import { handBackExit, hasForeignChildren, isForeignChild } from '../os/foreign-children';
import { P_ALL, WEXITED, WNOHANG, WNOWAIT, CLD_DUMPED, CLD_EXITED, CLD_KILLED } from '../os/status';
import { isOwnChild } from '../own-children';
import type { WatchHandle } from '../spawn/native-child';

interface ReaperBinding {
  waitpid(pid: number, options: number): [number, number] | number;
  waitid(idtype: number, id: number, options: number): [number, number, number, number, number] | number;
  getpid(): number;
  getChildSubreaper(): boolean | number;
  watchSignal(signo: number, callback: (signo: number) => void): WatchHandle | number;
  refWatch(handle: WatchHandle, ref: boolean): number;
}
const b = (): ReaperBinding => native<ReaperBinding>();

const SIGCHLD = 17;
// waitpid(2): wait for every kind of child, whatever its exit signal. An adopted orphan's
// exit signal is reset to SIGCHLD when it is re-parented; this also covers a child started
// with another exit signal by code that registered it nowhere.
const WALL = 0x40000000;
// waitid(2)/waitpid(2): only the calling (main) thread's children, where orphans land; never
// those a Worker thread's child_process started (their registry is in the worker's isolate).
const WNOTHREAD = 0x20000000;

/** How often a fallback sweep blocked by an owned zombie at the head looks again. @internal */
export const BLOCKED_RETRY_MS = 100;

/** How the last sweep found the children. @internal */
export type SweepMethod = 'children' | 'waitid';

/** The reaper's counters, shared by every copy of this module. @internal */
export interface ReaperState {
  reaped: number;
  method: SweepMethod | undefined;
  watch: WatchHandle | undefined;
  retry: NodeJS.Timeout | undefined;
}

/** Whether this process adopts orphans now: PID 1 of its namespace, or a child subreaper. @internal */
export function adoptsOrphans(): boolean {
  return b().getpid() === 1 || b().getChildSubreaper() === true;
}

/** Whether `pid`, a child of this process, belongs to somebody here who will reap it. */
function owned(pid: number): boolean {
  return isForeignChild(pid) || isOwnChild(pid);
}

/** The main thread's children, or undefined when /proc is not this namespace's. */
function mainThreadChildren(pid: number): number[] | undefined {
  let text: string;
  try {
    if (readlinkSync('/proc/self') !== String(pid)) return undefined;
    text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1');
  } catch {
    return undefined; // no /proc, or a kernel without CONFIG_PROC_CHILDREN
  }
  const out: number[] = [];
  for (const word of text.split(' ')) {
    const child = Number(word);
    if (Number.isInteger(child) && child > 0) out.push(child);
  }
  return out;
}

/** Reaps `pid` if it has ended; whether it did. */
function reapIfEnded(pid: number): boolean {
  const r = b().waitpid(pid, WNOHANG | WALL);
  return typeof r !== 'number' && r[0] === pid;
}

/** The /proc way (module notes, 2-4); false when /proc cannot be used. */
function sweepChildren(state: ReaperState, pid: number): boolean {
  for (;;) {
    const children = mainThreadChildren(pid);
    if (children === undefined) return false;
    let reapedNow = 0;
    for (const child of children) {
      if (!owned(child) && reapIfEnded(child)) reapedNow++;
    }
    state.reaped += reapedNow;
    if (reapedNow === 0) return true;
  }
}

/** The fallback (module notes): peek at the head of the queue, one child at a time. */
function sweepWaitid(state: ReaperState): void {
  for (;;) {
    const r = b().waitid(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT | WNOTHREAD);
    if (typeof r === 'number' || r[0] === 0) return; // ECHILD: no child at all; 0: none ended
    const [child, , , , code] = r;
    if (isOwnChild(child)) {
      // Its owner reaps it by pid, whenever it chooses; until then it hides what is behind it.
      state.retry ??= setTimeout(() => {
        state.retry = undefined;
        sweep(state);
      }, BLOCKED_RETRY_MS).unref();
      return;
    }
    const ended = code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED;
    if (!ended) return; // WEXITED reports only ends; nothing else to do
    const reaped = b().waitpid(child, WNOHANG | WALL | WNOTHREAD);
    if (typeof reaped === 'number' || reaped[0] !== child) continue; // reaped meanwhile by its owner
    if (isForeignChild(child)) handBackExit(child, reaped[1]);
    else state.reaped++;
  }
}

/** One sweep: reaps every ended orphan, when this process adopts orphans. @internal */
export function sweep(state: ReaperState): void {
  if (!adoptsOrphans()) return;
  const pid = b().getpid();
  if (sweepChildren(state, pid)) {
    state.method = 'children';
    return;
  }
  state.method = 'waitid';
  sweepWaitid(state);
}

/**
 * Installs the child_process registry, starts the SIGCHLD watch (unref'd) and sweeps once
 * for the orphans that ended before.
 * @throws what uv_signal_start reports (`syscall` 'uv_signal_start').
 * @internal
 */
export function startReaper(state: ReaperState): void {
  // Installs the child_process registry now, whether or not this process reaps yet: a child
  // spawned from here on is recorded, also in a process that becomes a subreaper later.
  hasForeignChildren();
  const h = b().watchSignal(SIGCHLD, () => sweep(state));
  if (typeof h === 'number') throw systemError(h, 'uv_signal_start');
  b().refWatch(h, false);
  state.watch = h;
  sweep(state);
}
