/**
 * Parser for /proc/<pid>/status: the real, effective, saved and filesystem ids, which
 * /proc/<pid>/stat does not carry.
 * @see proc(5) /proc/pid/status "Uid", "Gid", "VmLck"
 */

/** The four ids of a process (credentials(7)). */
export interface Ids {
  readonly real: number;
  readonly effective: number;
  readonly saved: number;
  readonly filesystem: number;
}

/** What status contributes. */
export interface StatusFields {
  readonly uids: Ids | undefined;
  readonly gids: Ids | undefined;
  /** VmLck in bytes: memory locked with mlock(2) (ps's `L` flag); undefined without an mm (zombie, kernel thread). */
  readonly lockedMemory: number | undefined;
}

// Compiled once: this runs for every process of a `ps` (no g flag, so exec keeps no state).
const VMLCK = /^VmLck:\s*(\d+) kB$/m;

function vmLck(text: string): number | undefined {
  const m = VMLCK.exec(text);
  return m === null ? undefined : Number(m[1]) * 1024;
}

function ids(text: string, key: string): Ids | undefined {
  const at = text.indexOf(`\n${key}:`);
  const start = at < 0 ? (text.startsWith(`${key}:`) ? 0 : -1) : at + 1;
  if (start < 0) return undefined;
  const end = text.indexOf('\n', start);
  const parts = text.slice(start + key.length + 1, end < 0 ? undefined : end).trim().split(/\s+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0)) return undefined;
  return Object.freeze({ real: parts[0], effective: parts[1], saved: parts[2], filesystem: parts[3] });
}

/** Parses the Uid, Gid and VmLck lines; a missing or malformed line gives undefined. */
export function parseStatus(text: string): StatusFields {
  return { uids: ids(text, 'Uid'), gids: ids(text, 'Gid'), lockedMemory: vmLck(text) };
}
