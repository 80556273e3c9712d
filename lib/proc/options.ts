/**
 * Options shared by every /proc reader, and their validation.
 * @internal
 */
import { optionKeys, validateBoolean, validateOptions, validatePath, validatePid } from '../validate';
import { invalidArgType } from '../errors';

/** Options every /proc reader accepts. */
export interface ProcfsOptions {
  /**
   * The procfs root to read, `'/proc'` by default. Another path reads a tree laid out like
   * /proc (a fixture, or a procfs mounted elsewhere, e.g. another pid namespace's).
   */
  readonly procfs?: string;
}

/** The default procfs root. */
export const DEFAULT_PROCFS = '/proc';

/** Validated common options. @internal */
export interface ResolvedOptions {
  readonly procfs: string;
  /** True when reading the live /proc of this process (so "self" facts apply). */
  readonly live: boolean;
}

/** Validates the `procfs` option of an options object. @internal */
export function resolveProcfs(options: { procfs?: unknown }, name: string): ResolvedOptions {
  if (options.procfs === undefined) return { procfs: DEFAULT_PROCFS, live: true };
  const procfs = validatePath(options.procfs, `${name}.procfs`).replace(/(.)\/+$/, '$1');
  return { procfs, live: procfs === DEFAULT_PROCFS };
}

const PROCFS_KEYS = optionKeys<ProcfsOptions>({ procfs: true });

/** Validates an options object whose only key is `procfs`. @internal */
export function validateProcfsOptions(options: unknown, name = 'options'): ResolvedOptions {
  return resolveProcfs(validateOptions<ProcfsOptions>(options, name, PROCFS_KEYS), name);
}

/** An optional boolean option. @internal */
export function optionalBoolean(value: unknown, name: string): boolean {
  return value === undefined ? false : validateBoolean(value, name);
}

/** An optional list of pids (e.g. known subreapers). @internal */
export function optionalPidList(value: unknown, name: string): readonly number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value.map((pid, i) => validatePid(pid, `${name}[${i}]`));
}
