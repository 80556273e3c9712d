/**
 * The `limits` option: resource limits set in the child before exec (setrlimit(2) there, so
 * the program and everything it starts inherit them), by name, with prlimit(1)'s semantics:
 * one number sets the soft and the hard limit, `[soft, hard]` each; `Infinity` is
 * RLIM_INFINITY.
 * @see setrlimit(2), prlimit(1), getrlimit(2) for each resource
 * @internal
 */
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { optionKeys, validateOptions } from '../validate';
import { CGROUP_LIMIT_KEYS, validateCgroupLimits, type CgroupLimits, type CgroupLimitSpec } from './cgroup-limits';

/** Resource numbers of Linux's generic ABI (asm-generic/resource.h; x86, arm, arm64, riscv). */
export const RLIMITS = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7,
  memlock: 8, as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
} as const;

/** A resource limit's name, as prlimit(1) spells it (without the dashes). */
export type RlimitName = keyof typeof RLIMITS;

/** A limit: one value for soft and hard, or `[soft, hard]`; `Infinity` for unlimited. */
export type RlimitValue = number | readonly [number, number];

/** The `limits` option: rlimits by name, and with `contain: 'cgroup'` the cgroup's limits. */
export type Limits = { readonly [K in RlimitName]?: RlimitValue } & CgroupLimits;

/** The validated `limits`. @internal */
export interface LimitsSpec {
  /** [resource, soft, hard] triples, flat, for the native call (Infinity: RLIM_INFINITY). */
  readonly rlimits: Float64Array | undefined;
  readonly cgroup: CgroupLimitSpec;
}

function limitValue(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (value === Infinity) return value;
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'an integer >= 0 or Infinity', value);
  return value;
}

/** The keys of {@link Limits}: every rlimit name and the cgroup limits. @internal */
export const LIMIT_KEYS = optionKeys<Limits>({
  cpu: true, fsize: true, data: true, stack: true, core: true, rss: true, nproc: true, nofile: true,
  memlock: true, as: true, locks: true, sigpending: true, msgqueue: true, nice: true, rtprio: true, rttime: true,
  memoryMax: true, pidsMax: true, cpuMax: true,
});

/**
 * Validates the `limits` option: an unknown key is ERR_INVALID_ARG_VALUE naming the closest
 * limit, as for every options object. @internal
 */
export function validateLimits(value: unknown): LimitsSpec {
  if (value === undefined) return { rlimits: undefined, cgroup: [] };
  validateOptions<Limits>(value, 'options.limits', LIMIT_KEYS);
  const out: number[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (CGROUP_LIMIT_KEYS.includes(key)) continue;
    const name = `options.limits.${key}`;
    let soft: number;
    let hard: number;
    if (Array.isArray(v)) {
      if (v.length !== 2) throw invalidArgValue(name, v, 'must be a number or [soft, hard]');
      soft = limitValue(v[0], `${name}[0]`);
      hard = limitValue(v[1], `${name}[1]`);
      if (soft > hard) throw outOfRange(`${name}[0]`, `<= the hard limit (${hard})`, soft);
    } else {
      soft = hard = limitValue(v, name);
    }
    out.push(RLIMITS[key as RlimitName], soft, hard);
  }
  return {
    rlimits: out.length === 0 ? undefined : Float64Array.from(out),
    cgroup: validateCgroupLimits(value as Record<string, unknown>),
  };
}
