/**
 * The shape every `unixproc` subcommand has, and the small argument reader they share.
 * @internal
 */
import { constants } from 'node:os';

/** Where a command writes. Tests pass their own; the bin passes process.stdout/stderr. */
export interface CliIO {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

/** One subcommand: its one-line summary, its usage text, and its body (resolving to the exit code). */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/** A usage error: the dispatcher prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What {@link parseArgs} found: flags by long name, positionals, and what followed `--`. */
export interface ParsedArgs {
  readonly flags: Map<string, string | true>;
  readonly positionals: string[];
  /** Everything after a bare `--`, untouched; undefined when there was no `--`. */
  readonly rest: string[] | undefined;
  /**
   * Every value given to each flag that takes one, in order (`flags` keeps only the last):
   * for options that may be repeated, e.g. `--pid 1 --pid 2`.
   */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

/**
 * Reads `--name`, `--name=value`, `--name value` (for names in `withValue`), and single-letter
 * aliases, stopping at a bare `--`. Unknown flags are a {@link UsageError}. A flag given
 * twice keeps its last value in `flags`; `values` has them all.
 * @param known long flag names that take no value
 * @param withValue long flag names that take a value
 * @param aliases single letters mapped to long names, e.g. `{ j: 'json' }`
 * @param renamed former long names mapped to the new ones, e.g. `{ 'stop-signal': 'kill-signal' }`:
 *   a former name is a {@link UsageError} that names the new one (docs/conventions.md)
 */
export function parseArgs(
  argv: readonly string[],
  known: readonly string[],
  withValue: readonly string[] = [],
  aliases: Readonly<Record<string, string>> = {},
  renamed: Readonly<Record<string, string>> = {},
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const setValue = (name: string, value: string): void => {
    flags.set(name, value);
    const list = values.get(name);
    if (list === undefined) values.set(name, [value]);
    else list.push(value);
  };
  let rest: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (withValue.includes(name)) {
        const value: string | undefined = eq === -1 ? argv[++i] : a.slice(eq + 1);
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        setValue(name, value);
      } else if (known.includes(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
      } else if (Object.prototype.hasOwnProperty.call(renamed, name)) {
        throw new UsageError(`--${name} was renamed --${renamed[name]}`);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
    } else if (a.length > 1 && a.startsWith('-') && !/^-\d/.test(a)) {
      for (const letter of a.slice(1)) {
        const name = aliases[letter];
        if (name === undefined) throw new UsageError(`unknown option -${letter}`);
        if (withValue.includes(name)) {
          const value = argv[++i];
          if (value === undefined) throw new UsageError(`-${letter} needs a value`);
          setValue(name, value);
        } else {
          flags.set(name, true);
        }
      }
    } else {
      positionals.push(a);
    }
  }
  return { flags, positionals, rest, values };
}

/** A signal given on the command line: `TERM`, `SIGTERM`, `term` or a number from 1 to 64. */
export function signalOf(value: string): NodeJS.Signals | number {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1 || n > 64) throw new UsageError(`unknown signal '${value}' (signal numbers are 1 to 64)`);
    return n;
  }
  const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
  if (!(name in constants.signals)) throw new UsageError(`unknown signal '${value}'`);
  return name as NodeJS.Signals;
}
