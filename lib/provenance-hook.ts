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
  /** Called before the spawn; `via` names the API (`'unixproc.spawn'`...). */
  begin(via: string, argv: readonly (string | Buffer)[]): SpawnRecord | undefined;
}

const KEY = Symbol.for('unixproc.spawnProvenanceHook.v1');

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
  const rec = hook?.begin(via, argv);
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
