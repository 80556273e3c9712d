/**
 * Children of this process that belong to someone else: the ones Node's `child_process`
 * started (and, through {@link registerForeignChild}, any other owner, such as the
 * idiomatic `spawn()`). `wait()`, `waitpid(-1)` and the other "any child" waits in
 * lib/os/wait.ts consult this registry so that they never swallow such a child's exit.
 *
 * Why it is needed: libuv (1.46, src/unix/process.c `uv__wait_children`) reaps each of its
 * children with `waitpid(pid, WNOHANG)`; when someone else reaped the pid first it gets
 * ECHILD and "handles this by not handling it at all": the ChildProcess never emits 'exit'
 * and its handle keeps the event loop alive forever.
 *
 * How child_process children are found:
 * - `ChildProcess.prototype.spawn` is wrapped once per process (the wrapper and the
 *   registry live on the prototype under a `Symbol.for` key, so every copy of this module,
 *   for instance one per jest module registry, shares them) to record `this.pid`. Not at
 *   import (importing unixproc patches nothing): on the first call of a function that needs
 *   the registry (an "any child" wait of unixproc/os, spawn(), the leak guard);
 * - children spawned before that are found once, then, among `process._getActiveHandles()`
 *   (which lists only ref'd handles: a child that was both spawned before the first use and
 *   `unref()`ed is invisible, a documented limitation);
 * - an entry leaves the registry when libuv reports the exit (the handle's `onexit` is
 *   wrapped for that), or when unixproc reaps the child itself and hands the status back.
 *
 * The hand-back for a child_process child calls its `_handle.onexit(exitCode, signal)` on
 * the next turn of the event loop (setImmediate), with the arguments node's ProcessWrap::OnExit
 * passes after libuv's `uv__wait_children`: the exit code (0 for a kill) and the signal's
 * name ('' for an exit). That closes the uv handle and makes 'exit' and 'close' fire with
 * the right code and signal, exactly as if libuv had reaped the child.
 *
 * Children started by child_process inside a Worker thread are children of this process
 * too, but live in another isolate: they cannot be seen here, and an "any child" wait on
 * the main thread can take them. Do not mix the two.
 * @internal
 */
import * as childProcess from 'node:child_process';
import { statusBits } from '../exit-status';
import { signalName } from '../validate';

/** Called with the raw wait status of a foreign child that unixproc reaped. */
export type HandBack = (status: number) => void;

/** node's ProcessWrap (a ChildProcess's `_handle`). */
interface ProcessWrap {
  onexit?: (exitCode: number, signalCode: string) => void;
}
interface ChildProcessInternals {
  pid?: number;
  _handle?: ProcessWrap | null;
}

interface Registry {
  /** pid -> hand-back, for every live foreign child. */
  readonly children: Map<number, HandBack>;
}

const REGISTRY = Symbol.for('unixproc.foreignChildren.v1');

type PatchedPrototype = Record<PropertyKey, unknown> & {
  spawn: (this: ChildProcessInternals, ...args: unknown[]) => unknown;
};

/** The status libuv would have reported, turned into ProcessWrap::OnExit's arguments. */
function onexitArguments(status: number): [number, string] {
  const exitCode = statusBits.ifExited(status) ? statusBits.exitStatus(status) : 0;
  const signo = statusBits.ifSignaled(status) ? statusBits.termSig(status) : 0;
  // node's signo_string() gives '' for 0 and for numbers it has no name for.
  return [exitCode, signo === 0 ? '' : (signalName(signo) ?? '')];
}

function track(registry: Registry, child: ChildProcessInternals): void {
  const pid = child.pid;
  const handle = child._handle;
  if (typeof pid !== 'number' || pid <= 0 || handle === null || handle === undefined) return;
  const original = handle.onexit;
  if (typeof original !== 'function') return;
  const handBack: HandBack = (status) => {
    const [exitCode, signal] = onexitArguments(status);
    setImmediate(() => {
      // Still the same live handle: nobody (libuv included) has reported this exit.
      if (child._handle === handle) original.call(handle, exitCode, signal);
    });
  };
  // libuv reported the exit itself: the pid is no longer ours to protect.
  handle.onexit = function onexitTracked(this: ProcessWrap, exitCode: number, signalCode: string) {
    if (registry.children.get(pid) === handBack) registry.children.delete(pid);
    return original.call(this, exitCode, signalCode);
  };
  registry.children.set(pid, handBack);
}

function install(): Registry {
  const proto = childProcess.ChildProcess.prototype as unknown as PatchedPrototype;
  const existing = proto[REGISTRY] as Registry | undefined;
  if (existing !== undefined) return existing;
  const registry: Registry = { children: new Map() };
  Object.defineProperty(proto, REGISTRY, { value: registry, enumerable: false });
  const originalSpawn = proto.spawn;
  proto.spawn = function spawn(this: ChildProcessInternals, ...args: unknown[]) {
    const result = originalSpawn.apply(this, args);
    track(registry, this);
    return result;
  };
  const active = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  if (typeof active === 'function') {
    for (const h of active.call(process)) {
      if (h instanceof childProcess.ChildProcess) track(registry, h as unknown as ChildProcessInternals);
    }
  }
  return registry;
}

let installed: Registry | undefined;
/** The registry, installed on first use. */
function registry(): Registry {
  installed ??= install();
  return installed;
}

/**
 * Registers a child whose exit belongs to another owner in this process: if an "any child"
 * wait of unixproc/os reaps it, `handBack` is called with the raw status (synchronously;
 * defer your own callbacks). Used by the idiomatic spawn(); child_process is tracked
 * automatically.
 * @internal
 */
export function registerForeignChild(pid: number, handBack: HandBack): void {
  registry().children.set(pid, handBack);
}

/**
 * Removes a registration (the owner reaped the child itself), only if it is still
 * `handBack`'s: a new child that got the pid since keeps its own entry. @internal
 */
export function unregisterForeignChild(pid: number, handBack: HandBack): void {
  if (registry().children.get(pid) === handBack) registry().children.delete(pid);
}

/** Whether any foreign child is registered: when none is, waits go straight to the kernel. @internal */
export function hasForeignChildren(): boolean {
  return registry().children.size > 0;
}

/** Whether `pid` is a live foreign child. @internal */
export function isForeignChild(pid: number): boolean {
  return registry().children.has(pid);
}

/**
 * Gives the exit status of foreign child `pid`, which unixproc has just reaped, back to
 * its owner, and forgets the pid. Stop and continue statuses are not handed back (libuv
 * does not use them). @internal
 */
export function handBackExit(pid: number, status: number): void {
  if (!statusBits.ifExited(status) && !statusBits.ifSignaled(status)) return;
  const handBack = registry().children.get(pid);
  if (handBack === undefined) return;
  registry().children.delete(pid);
  handBack(status);
}
