/**
 * Lineage recorded at spawn, so that "orphan or daemon?" is a fact for processes this
 * library started rather than a guess.
 *
 * `spawn()` puts `UNIXPROC_LINEAGE=<spawnerPid>:<spawnerStartTicks>:<intent>` into the
 * child's environment. The environment is inherited by everything the child starts in
 * turn, and it stays readable in /proc/<pid>/environ after the spawner has died, which is
 * exactly when a process becomes an orphan. `intent` is `daemon` when the caller asked
 * for a detached child (a new session), `child` otherwise. The spawner is named by
 * (pid, start time) so that a recycled pid is never taken for it.
 * @internal
 */
import { systemError } from './errors';
// The /proc layer's native stat reader (native/procfs.cc), so that /proc/<pid>/stat has one
// parser. binding.ts imports only ../native: no cycle with proc/orphans.ts, which imports this.
import { F, procScan } from './proc/binding';

/** The environment variable that carries the lineage. */
export const LINEAGE_ENV = 'UNIXPROC_LINEAGE';

/** What the spawner meant the child to be. */
export type LineageIntent = 'child' | 'daemon';

/** A decoded lineage record. */
export interface Lineage {
  /** The process that called spawn(). */
  readonly spawnerPid: number;
  /** Its start time, in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  readonly spawnerStartTime: number;
  readonly intent: LineageIntent;
}

let selfStart: { pid: number; startTime: number } | undefined;

/**
 * Start time (ticks since boot, field 22 of /proc/<pid>/stat) of the calling process, whose
 * pid is `pid`; re-read when the pid changes (after a fork).
 * @throws ENOENT/EACCES... (`syscall` 'open') when its stat cannot be read.
 * @internal
 */
export function ownStartTime(pid: number): number {
  if (selfStart === undefined || selfStart.pid !== pid) {
    const scan = procScan('/proc', pid, 0);
    if (typeof scan === 'number') throw systemError(scan, 'open', '/proc');
    if (scan.count !== 1) throw systemError(-3 /* ESRCH */, 'open', `/proc/${pid}/stat`);
    const err = scan.values[F.err];
    if (err !== 0) throw systemError(-Math.abs(err), 'open', `/proc/${pid}/stat`);
    selfStart = { pid, startTime: scan.values[F.startTime] };
  }
  return selfStart.startTime;
}

/** The `KEY=value` entry to put into a spawned child's environment. @internal */
export function lineageEntry(pid: number, intent: LineageIntent): string {
  return `${LINEAGE_ENV}=${pid}:${ownStartTime(pid)}:${intent}`;
}

/** Parses a lineage value (the part after `=`); undefined when malformed. @internal */
export function parseLineage(value: string): Lineage | undefined {
  const m = /^(\d+):(\d+):(child|daemon)$/.exec(value);
  if (m === null) return undefined;
  return { spawnerPid: Number(m[1]), spawnerStartTime: Number(m[2]), intent: m[3] as LineageIntent };
}

/** Finds the lineage in a NUL-separated environ block (/proc/<pid>/environ). @internal */
export function lineageFromEnviron(environ: string): Lineage | undefined {
  const prefix = `${LINEAGE_ENV}=`;
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(prefix)) return parseLineage(entry.slice(prefix.length));
  }
  return undefined;
}
