/**
 * The slice of the addon that reads procfs (native/procfs.cc), and the layout of what it
 * returns. Nothing here is exported from the package.
 * @internal
 */
import { fsdecodeLatin1 } from '../fs-encoding';
import { native } from '../native';

/** Field offsets of one scanned entry; mirrors `enum ScanField` in native/procfs.cc. */
export const F = {
  pid: 0,
  err: 1,
  state: 2,
  ppid: 3,
  pgrp: 4,
  session: 5,
  ttyNr: 6,
  tpgid: 7,
  flags: 8,
  minflt: 9,
  majflt: 10,
  utime: 11,
  stime: 12,
  cutime: 13,
  cstime: 14,
  priority: 15,
  nice: 16,
  numThreads: 17,
  startTime: 18,
  vsize: 19,
  rss: 20,
  processor: 21,
  uid: 22,
  gid: 23,
} as const;

/** Extras that the scan can read per process (a bit mask); mirrors `enum Extra`. */
export const Extra = {
  cmdline: 1,
  exe: 2,
  cwd: 4,
  status: 8,
  environ: 16,
  fdCount: 32,
  /** fds 0..2 link targets: "+target" or "-errno" each, joined by NUL */
  stdio: 64,
} as const;

/** What one procScan call returns: numbers, comms joined by NUL, extras (or -errno). */
export interface RawScan {
  readonly values: Float64Array;
  readonly comms: readonly string[];
  /** Per entry, one value per set bit of the mask, in bit order. */
  readonly extras: readonly (string | number)[];
  /** Indices into `extras` of the strings cut at their cap (cmdline, environ: 2 MiB). */
  readonly truncated: ReadonlySet<number>;
  readonly count: number;
  readonly width: number;
  readonly extrasPerEntry: number;
}

interface ProcfsBinding {
  procScan(
    dir: string,
    which: number | readonly number[],
    extras: number,
    fixture: boolean,
  ): [Float64Array, string, (string | number)[], number[]] | number;
  procScanStart(dir: string, extras: number): object | number;
  procScanChunk(handle: object): [Float64Array, string, (string | number)[], number[]] | null | number;
  procScanDiscard(handle: object): number;
  procReadFile(dir: string, name: string, cap: number, fixture: boolean): [string, boolean] | number;
  procConstants(): [number, number, number];
}

const b = (): ProcfsBinding => native<ProcfsBinding>();

let constants: { width: number; clkTck: number; pageSize: number } | undefined;

/** Fields per entry, CLK_TCK and the page size, read once (sysconf(3)). */
export function procConstants(): { width: number; clkTck: number; pageSize: number } {
  if (constants === undefined) {
    const [width, clkTck, pageSize] = b().procConstants();
    if (width !== Object.keys(F).length) {
      throw new Error(`unixproc: native scan layout has ${width} fields, TypeScript expects ${Object.keys(F).length}`);
    }
    constants = { width, clkTck, pageSize };
  }
  return constants;
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m >>>= 1) n += m & 1;
  return n;
}

/** What procScan and procReadFile return when the root is not on a procfs (-EMEDIUMTYPE). */
export const NOT_PROCFS = -124;

/**
 * One native pass over `dir`: every numeric entry (`which` = -1), one pid, or a list of
 * pids. Returns a negative errno when `dir` itself cannot be opened, and
 * {@link NOT_PROCFS} when it is not on a procfs and `fixture` is false.
 */
export function procScan(dir: string, which: number | readonly number[], extras: number, fixture = false): RawScan | number {
  const r = b().procScan(dir, which, extras, fixture);
  return typeof r === 'number' ? r : toRawScan(r, extras);
}

function toRawScan(r: [Float64Array, string, (string | number)[], number[]], extras: number): RawScan {
  const { width } = procConstants();
  const [values, comms, extraValues, truncated] = r;
  const count = values.length / width;
  // Native text is latin1 (one char per byte): decoded here as UTF-8 with surrogateescape,
  // lossless for names that are not UTF-8 (lib/fs-encoding.ts).
  for (let k = 0; k < extraValues.length; k++) {
    const x = extraValues[k];
    if (typeof x === 'string') extraValues[k] = fsdecodeLatin1(x);
  }
  return {
    values,
    comms: count === 0 ? [] : fsdecodeLatin1(comms).split('\0'),
    extras: extraValues,
    truncated: new Set(truncated),
    count,
    width,
    extrasPerEntry: popcount(extras),
  };
}

/** How long a prefetched scan stays good for the first whole-table scan that asks for it. */
const PREFETCH_MAX_AGE_MS = 1000;

let prefetched: { dir: string; extras: number; handle: object; at: number } | undefined;
let prefetchHits = 0;

/**
 * Starts the whole-table scan of a procfs root `dir` with `extras` on native threads and
 * returns at once (the `unixproc` bin calls this before it loads the rest of its code, so
 * the kernel's reads overlap Node's module loading: lib/cli/prefetch.ts). The first
 * whole-table scan of the same root and extras within a second (lib/proc/table.ts
 * scanTable, through {@link takePrefetchedChunks}) takes it instead of scanning again; a
 * first one that asks for anything else throws it away. Any failure (the root is gone, not a
 * procfs) leaves nothing started: that scan then fails with its own error. A second call
 * replaces an untaken prefetch.
 */
export function prefetchScan(dir: string, extras: number): void {
  discardPrefetched();
  const handle = b().procScanStart(dir, extras);
  if (typeof handle !== 'number') prefetched = { dir, extras, handle, at: performance.now() };
}

/** Throws away a prefetched scan that was not taken (its threads stop at their next entry). */
export function discardPrefetched(): void {
  const p = prefetched;
  prefetched = undefined;
  if (p !== undefined) b().procScanDiscard(p.handle);
}

/** How many whole-table scans were served by a prefetch, in this process (tests read it). */
export function prefetchHitCount(): number {
  return prefetchHits;
}

/**
 * The prefetched scan of `dir` with `extras`, when there is one that fits (same root and
 * extras, started less than a second ago), as a reader of its chunks in pid-list order:
 * each call waits for the next chunk's reads and returns it, undefined after the last. The
 * caller builds one chunk's entries while the threads read the next ones. Undefined when
 * nothing fits; a prefetch that does not fit is thrown away, so only a first scan can take it.
 */
export function takePrefetchedChunks(dir: string, extras: number): (() => RawScan | undefined) | undefined {
  const p = prefetched;
  if (p === undefined) return undefined;
  if (p.dir !== dir || p.extras !== extras || performance.now() - p.at > PREFETCH_MAX_AGE_MS) {
    discardPrefetched();
    return undefined;
  }
  prefetched = undefined;
  prefetchHits++;
  return () => {
    const r = b().procScanChunk(p.handle);
    if (r === null) return undefined;
    if (typeof r === 'number') throw new Error(`unixproc: internal error: a prefetched scan failed (${r})`);
    return toRawScan(r, extras);
  };
}

/**
 * One file under a procfs root (`name` relative to it), read as the scan reads: a regular
 * file only (EISDIR, ELOOP or EINVAL otherwise), never blocking, at most `cap` bytes
 * (`truncated` says there was more). A negative errno, or {@link NOT_PROCFS}.
 */
export function procReadFile(dir: string, name: string, cap: number, fixture: boolean): { text: string; truncated: boolean } | number {
  const r = b().procReadFile(dir, name, cap, fixture);
  return typeof r === 'number' ? r : { text: r[0], truncated: r[1] };
}
