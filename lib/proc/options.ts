/**
 * Options shared by every /proc reader, and their validation.
 * @internal
 */
import { optionKeys, validateArray, validateBoolean, validateOptions, validatePath, validatePid } from '../validate';
import { ErrnoException, invalidArgType, invalidArgValue, systemError } from '../errors';
import { NOT_PROCFS } from './binding';

/** Options every /proc reader accepts. */
export interface ProcfsOptions {
  /**
   * The procfs root to read, `'/proc'` by default. Another path must be a procfs too
   * (fstatfs(2) says PROC_SUPER_MAGIC), mounted elsewhere: another pid namespace's, or the
   * host's /proc mounted into a container. A directory on any other filesystem is refused
   * with ERR_INVALID_ARG_VALUE unless `procfsFixture` is true.
   */
  readonly procfs?: string;
  /**
   * Allow `procfs` to be a fixture: a tree laid out like /proc on an ordinary filesystem
   * (test fixtures, a copy for a bug report). Only with `procfs`. A fixture is read as
   * warily as a procfs: its files must be regular files (a FIFO, a device or a symlink in
   * place of `<pid>/stat` makes that entry unreadable, it never blocks), every read is
   * bounded, and a number out of its field's range makes the entry unreadable (`EPROTO`).
   */
  readonly procfsFixture?: boolean;
}

/** The default procfs root. @group Constants */
export const DEFAULT_PROCFS = '/proc';

/** Validated common options. @internal */
export interface ResolvedOptions {
  readonly procfs: string;
  /** True when reading the live /proc of this process (so "self" facts apply). */
  readonly live: boolean;
  /** `procfsFixture`: the root need not be a procfs. */
  readonly fixture: boolean;
  /** The name of the `procfs` option as the caller wrote it, for errors (`options.procfs`). */
  readonly optionName: string;
}

/** Validates the `procfs` and `procfsFixture` options of an options object. @internal */
export function resolveProcfs(options: { procfs?: unknown; procfsFixture?: unknown }, name: string): ResolvedOptions {
  const fixture = optionalBoolean(options.procfsFixture, `${name}.procfsFixture`);
  const optionName = `${name}.procfs`;
  if (options.procfs === undefined) {
    if (fixture) {
      throw invalidArgValue(`${name}.procfsFixture`, true, `needs ${optionName}: it allows a fixture tree as the root, and /proc is read without one`);
    }
    return { procfs: DEFAULT_PROCFS, live: true, fixture, optionName };
  }
  const procfs = validatePath(options.procfs, optionName).replace(/(.)\/+$/, '$1');
  return { procfs, live: procfs === DEFAULT_PROCFS, fixture, optionName };
}

/**
 * The error for a native result on the root: ERR_INVALID_ARG_VALUE for a root that is not
 * a procfs (naming the option that allows a fixture), a system error otherwise. @internal
 */
export function rootError(opts: ResolvedOptions, errno: number, syscall: string, path: string): (TypeError & { code: string }) | ErrnoException {
  if (errno === NOT_PROCFS) {
    return invalidArgValue(
      opts.optionName,
      opts.procfs,
      `is not a procfs (fstatfs(2) does not say PROC_SUPER_MAGIC); to read a fixture tree laid out like /proc, pass procfsFixture: true`,
    );
  }
  return systemError(errno, syscall, path);
}

const PROCFS_KEYS = optionKeys<ProcfsOptions>({ procfs: true, procfsFixture: true });

/** Validates an options object whose only keys are `procfs` and `procfsFixture`. @internal */
export function validateProcfsOptions(options: unknown, name = 'options'): ResolvedOptions {
  return resolveProcfs(validateOptions<ProcfsOptions>(options, name, PROCFS_KEYS), name);
}

/** An optional boolean option. @internal */
export function optionalBoolean(value: unknown, name: string): boolean {
  return value === undefined ? false : validateBoolean(value, name);
}

/**
 * An optional list of pids (e.g. known subreapers). Read with an index loop: `map` skips
 * holes, so `[, 1]` would pass with a hole where a pid should be (issue 8). @internal
 */
export function optionalPidList(value: unknown, name: string): readonly number[] {
  if (value === undefined) return [];
  return validateArray(value, name, validatePid);
}
