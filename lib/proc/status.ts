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

// What the scan hands over from a kernel's status (native/procfs.cc KeepCredentialLines
// keeps only these lines, after a newline as the Uid line is not the file's first): on this
// exact shape the general parse below gives these numbers, so it is read with one regex.
const KERNEL_SHAPE = /^\nUid:\t(\d+)\t(\d+)\t(\d+)\t(\d+)\nGid:\t(\d+)\t(\d+)\t(\d+)\t(\d+)(?:\nVmLck:[ \t]*(\d+) kB)?$/;

/** Parses the Uid, Gid and VmLck lines; a missing or malformed line gives undefined. */
export function parseStatus(text: string): StatusFields {
  const k = KERNEL_SHAPE.exec(text);
  if (k !== null) {
    return {
      uids: Object.freeze({ real: Number(k[1]), effective: Number(k[2]), saved: Number(k[3]), filesystem: Number(k[4]) }),
      gids: Object.freeze({ real: Number(k[5]), effective: Number(k[6]), saved: Number(k[7]), filesystem: Number(k[8]) }),
      lockedMemory: k[9] === undefined ? undefined : Number(k[9]) * 1024,
    };
  }
  return { uids: ids(text, 'Uid'), gids: ids(text, 'Gid'), lockedMemory: vmLck(text) };
}
