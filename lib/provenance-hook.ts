/**
 * The one hook point in unixproc's own spawn paths (spawn(), posix_spawn, fork(), system())
 * for the leak guard's provenance (lib/guard/provenance.ts): when a hook is installed, a
 * spawn asks it for an environment entry to give the child and tells it the child's pid.
 * Kept on `globalThis` under a `Symbol.for` key, so that a hook installed through one copy of
 * the library (dist/, or lib/ through a test runner's loader) is seen by every copy in the
 * same thread. Nothing is recorded when no hook is installed.
 * @internal
 */

/** One spawn being recorded: the entry for the child's environment, and its completion. */
export interface SpawnRecord {
  /** `KEY=value`, to add to (or replace in) the child's environment. */
  readonly entry: string;
  /** Called with the child's pid once it has started (not called when the spawn failed). */
  done(pid: number): void;
}

/** What an installed hook does. */
export interface SpawnProvenanceHook {
  /**
   * Called before the spawn; `via` names the API (`'unixproc.spawn'`...), `below` is the
   * outermost of the API's own functions on the stack (the stack of interest is under it),
   * `limit` how many frames under it the caller's line is mostly among (the hook captures
   * them, before the spawn or in `done`, where the stack is the same).
   */
  // eslint-disable-next-line @typescript-eslint/ban-types
  begin(via: string, argv: readonly (string | Buffer)[], below: Function, limit: number): SpawnRecord | undefined;
}

/**
 * How many frames the first capture takes by default: the spawn's line is mostly among them.
 * Each caller passes what its own API's depth needs (child_process.exec is 3 frames above
 * the caller's, spawnSync none); a capture that holds no line is retried deep.
 */
export const SHORT_FRAMES = 4;
const rawSites = (_e: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/**
 * V8's structured frames under `below`, `limit` of them, captured where the spawn is
 * entered: V8's cost is per frame walked, so the fewer frames between here and the
 * caller's, the cheaper (a record is made per spawn).
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/ban-types
export function callSitesUnder(below: Function, limit: number = SHORT_FRAMES): NodeJS.CallSite[] {
  const saved = Error.stackTraceLimit;
  const installed = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = rawSites;
    Error.captureStackTrace(holder, below);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = installed;
    Error.stackTraceLimit = saved;
  }
}

// v2: begin() takes the capture's limit (v1 took the captured frames).
const KEY = Symbol.for('unixproc.spawnProvenanceHook.v2');

/** The installed hook, if any. @internal */
export function spawnProvenanceHook(): SpawnProvenanceHook | undefined {
  return (globalThis as Record<symbol, SpawnProvenanceHook | undefined>)[KEY];
}

/** Installs (or, with undefined, removes) the hook. @internal */
export function setSpawnProvenanceHook(hook: SpawnProvenanceHook | undefined): void {
  (globalThis as Record<symbol, SpawnProvenanceHook | undefined>)[KEY] = hook;
}

/**
 * Runs a spawn that takes an environment array (`KEY=value` entries) or null (this
 * process's environment): with a hook installed, the hook's entry replaces the same key in
 * the array, or is set in process.env for the duration of the (synchronous) call; the pid
 * `run` returns (when > 0) is handed to the hook. Without a hook, `run(envp)` as is.
 * @internal
 */
export function withSpawnProvenance<T>(
  via: string,
  argv: readonly (string | Buffer)[],
  envp: (string | Buffer)[] | null,
  run: (envp: (string | Buffer)[] | null) => T,
  pidOf: (result: T) => number,
): T {
  const hook = spawnProvenanceHook();
  const rec = hook?.begin(via, argv, withSpawnProvenance, SHORT_FRAMES);
  if (rec === undefined) return run(envp);
  const eq = rec.entry.indexOf('=');
  const key = rec.entry.slice(0, eq);
  let result: T;
  if (envp !== null) {
    const prefix = `${key}=`;
    result = run([...envp.filter((e) => !e.toString().startsWith(prefix)), rec.entry]);
  } else {
    const saved = process.env[key];
    process.env[key] = rec.entry.slice(eq + 1);
    try {
      result = run(null);
    } finally {
      if (saved === undefined) delete process.env[key];
      else process.env[key] = saved;
    }
  }
  const pid = pidOf(result);
  if (pid > 0) rec.done(pid);
  return result;
}
