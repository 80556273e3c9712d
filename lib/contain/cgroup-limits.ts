/**
 * Limits a cgroup enforces on the whole tree: `memoryMax` (memory.max, bytes), `pidsMax`
 * (pids.max, processes and threads), `cpuMax` (cpu.max, in CPUs: 0.5 is half of one). Each
 * needs its controller on the cgroup2 hierarchy, enabled down to the child's cgroup
 * (cgroup.subtree_control); where it is not available the error names the controller and
 * what cgroup.controllers offers (on a hybrid hierarchy the v1 mounts usually hold them).
 * @see cgroup-v2.rst (memory.max, pids.max, cpu.max, cgroup.subtree_control, "no internal process")
 * @internal
 */
import { optionKeys } from '../validate';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';

/** The cgroup limits of the `limits` option. */
export interface CgroupLimits {
  /** memory.max in bytes (the tree is OOM-killed above it). Needs the memory controller. */
  readonly memoryMax?: number;
  /** pids.max: at most this many processes and threads in the tree. Needs the pids controller. */
  readonly pidsMax?: number;
  /** cpu.max as a number of CPUs (0.5: half of one, 2: two). Needs the cpu controller. */
  readonly cpuMax?: number;
}

/** The keys of the `limits` option that are cgroup limits. */
export const CGROUP_LIMIT_KEYS: readonly string[] = optionKeys<CgroupLimits>({ memoryMax: true, pidsMax: true, cpuMax: true });

const CONTROLLER: Record<string, string> = { memoryMax: 'memory', pidsMax: 'pids', cpuMax: 'cpu' };
const FILE: Record<string, string> = { memoryMax: 'memory.max', pidsMax: 'pids.max', cpuMax: 'cpu.max' };
const CPU_PERIOD = 100000; // microseconds, the kernel's default period

/** The validated cgroup limits: file name -> value to write. @internal */
export type CgroupLimitSpec = readonly { readonly key: string; readonly file: string; readonly controller: string; readonly value: string }[];

/** Validates the cgroup keys of `limits`. @internal */
export function validateCgroupLimits(limits: Record<string, unknown>): CgroupLimitSpec {
  const out: { key: string; file: string; controller: string; value: string }[] = [];
  for (const key of CGROUP_LIMIT_KEYS) {
    const v = limits[key];
    if (v === undefined) continue;
    const name = `options.limits.${key}`;
    if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
    let value: string;
    if (key === 'cpuMax') {
      if (!(v > 0) || !Number.isFinite(v)) throw outOfRange(name, 'a positive finite number of CPUs', v);
      value = `${Math.max(1000, Math.round(v * CPU_PERIOD))} ${CPU_PERIOD}`;
    } else {
      if (v === Infinity) value = 'max';
      else if (!Number.isSafeInteger(v) || v < 1) throw outOfRange(name, 'an integer >= 1 or Infinity', v);
      else value = String(v);
    }
    out.push({ key, file: FILE[key], controller: CONTROLLER[key], value });
  }
  return out;
}

export function controllersOf(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'latin1').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Enables each limit's controller for `ownerDir`'s children and writes the limits into
 * `childDir` (before the child is placed in it).
 * @throws ERR_INVALID_ARG_VALUE naming the controller and the reason when it is not available.
 * @internal
 */
export function applyCgroupLimits(ownerDir: string, childDir: string, spec: CgroupLimitSpec): void {
  for (const l of spec) {
    if (!controllersOf(ownerDir).includes(l.controller)) {
      // Offered to the owner cgroup only if its parent (this process's cgroup) enables it;
      // that works where the parent has no process of its own (the root, or a delegated
      // subtree's inner node): the "no internal process" rule.
      try {
        writeFileSync(join(dirname(ownerDir), 'cgroup.subtree_control'), `+${l.controller}`);
      } catch (e) {
        const available = controllersOf(dirname(ownerDir));
        throw invalidArgValue(
          `options.limits.${l.key}`,
          l.value,
          `needs the ${l.controller} controller, which the cgroup2 hierarchy does not offer here ` +
            `(cgroup.controllers of ${dirname(ownerDir)}: ${available.length > 0 ? available.join(' ') : 'none'}; ` +
            `enabling it failed with ${(e as NodeJS.ErrnoException).code})`,
        );
      }
    }
    writeFileSync(join(ownerDir, 'cgroup.subtree_control'), `+${l.controller}`);
    writeFileSync(join(childDir, l.file), l.value);
  }
}
