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
  const { width } = procConstants();
  const r = b().procScan(dir, which, extras, fixture);
  if (typeof r === 'number') return r;
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

/**
 * One file under a procfs root (`name` relative to it), read as the scan reads: a regular
 * file only (EISDIR, ELOOP or EINVAL otherwise), never blocking, at most `cap` bytes
 * (`truncated` says there was more). A negative errno, or {@link NOT_PROCFS}.
 */
export function procReadFile(dir: string, name: string, cap: number, fixture: boolean): { text: string; truncated: boolean } | number {
  const r = b().procReadFile(dir, name, cap, fixture);
  return typeof r === 'number' ? r : { text: r[0], truncated: r[1] };
}
