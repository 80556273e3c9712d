/**
 * What the /proc subcommands (ps, tree, zombies, orphans, daemons) share: the common
 * options (`--json`, `--procfs`, `--wide`, `--help`), pid and state-letter arguments, and
 * the command-line lookup that --cmdline needs.
 * @internal
 */
// From the modules themselves, not '../proc', whose index loads every reader: each
// subcommand loads only what it uses (issue 14, item 4).
import { stateOf } from '../proc/states';
import type { ProcessInfo } from '../proc/process-info';
import { assertRoot, listProcesses } from '../proc/table';
import { ancestors } from '../proc/tree';
import { validateProcfsOptions } from '../proc/options';
import type { CliIO } from './command';
import { parseArgs, ParsedArgs, UsageError } from './command';
import type { Width } from './text';

/** The usage lines of the common options, for each command's usage text. */
export const COMMON_USAGE = [
  '  --json           one JSON document on stdout (the library\'s objects; Dates as ISO strings, absent values as null)',
  '  --procfs ROOT    read ROOT instead of /proc (a procfs mounted elsewhere; with --procfs-fixture, a fixture tree)',
  '  --procfs-fixture let --procfs ROOT be a tree laid out like /proc on another filesystem (test fixtures)',
  '  --wide           never cut long command lines (human output cuts them to the terminal width, marked ...[+N])',
  '  -h, --help       this text',
].join('\n');

/** Parsed arguments of a /proc subcommand, with the common options resolved. */
export interface ProcArgs extends ParsedArgs {
  readonly json: boolean;
  readonly help: boolean;
  /** The `procfs` option for the library: undefined reads /proc. */
  readonly procfs: string | undefined;
  /** `--procfs-fixture`: the `procfsFixture` option (ROOT need not be a procfs). */
  readonly procfsFixture: boolean;
  /** Where human output is cut: no limit with --wide or when stdout is not a terminal. */
  readonly width: Width;
}

/**
 * Reads a /proc subcommand's arguments: its own flags plus the common ones. (Usage errors
 * quote their input raw; the dispatcher escapes the message as it prints it.)
 * @param aliases - single letters mapped to long names (`{ p: 'pid' }`), beside `-h`
 * @throws UsageError for an unknown option, a missing value, or an empty `--procfs`.
 */
export function readProcArgs(
  argv: readonly string[],
  io: CliIO,
  known: readonly string[],
  withValue: readonly string[] = [],
  aliases: Readonly<Record<string, string>> = {},
): ProcArgs {
  // --help wins wherever it is among the options (docs/cli.md), even after an unknown
  // option or where a value was expected: whoever typed it wants the usage, not an error.
  const end = argv.indexOf('--');
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    const flags = new Map<string, string | true>([['help', true]]);
    return {
      flags,
      positionals: [],
      rest: undefined,
      values: new Map(),
      json: false,
      help: true,
      procfs: undefined,
      procfsFixture: false,
      width: { columns: undefined },
    };
  }
  const parsed = parseArgs(argv, [...known, 'json', 'wide', 'help', 'procfs-fixture'], [...withValue, 'procfs'], { ...aliases, h: 'help' });
  if (parsed.rest !== undefined) throw new UsageError(`unexpected '--': this command runs no other command`);
  const procfs = parsed.flags.get('procfs');
  if (procfs === '') throw new UsageError('--procfs needs a directory');
  if (typeof procfs === 'string' && procfs.includes('\0')) throw new UsageError('--procfs must not contain a NUL byte');
  const procfsFixture = parsed.flags.has('procfs-fixture');
  if (procfsFixture && typeof procfs !== 'string') throw new UsageError('--procfs-fixture needs --procfs ROOT (the fixture tree to read)');
  if (typeof procfs === 'string' && !procfsFixture) refuseNonProcfs(procfs);
  const wide = parsed.flags.has('wide');
  const columns = (io.stdout as { columns?: unknown }).columns;
  return {
    ...parsed,
    json: parsed.flags.has('json'),
    help: parsed.flags.has('help'),
    procfs: typeof procfs === 'string' ? procfs : undefined,
    procfsFixture,
    width: { columns: !wide && typeof columns === 'number' && columns > 0 ? columns : undefined },
  };
}

/**
 * Refuses, before the command reads anything, a --procfs ROOT that is a directory on
 * another filesystem than procfs (a fixture tree) when --procfs-fixture was not given:
 * a usage error. A ROOT that cannot be opened at all is left to the command, which fails
 * with the system error (exit 1).
 */
function refuseNonProcfs(procfs: string): void {
  try {
    assertRoot(validateProcfsOptions({ procfs }));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE') {
      throw new UsageError(`--procfs: '${procfs}' is not a procfs; add --procfs-fixture to read a fixture tree laid out like /proc`);
    }
  }
}

/** Rejects positional arguments beyond `max`. */
export function atMostPositionals(args: ParsedArgs, max: number): void {
  if (args.positionals.length > max) {
    throw new UsageError(`unexpected argument '${args.positionals[max]}'`);
  }
}

const PID_MAX = 2 ** 31 - 1;

/**
 * A process id from the command line: decimal digits, 1 .. 2^31-1.
 * @throws UsageError naming `what` otherwise (negative, zero, not a number).
 */
export function parsePid(text: string, what: string): number {
  if (/^-\d+$/.test(text)) throw new UsageError(`${what}: ${text} is negative; a process id is a positive integer`);
  if (!/^\d+$/.test(text)) throw new UsageError(`${what}: '${text}' is not a process id (a positive integer)`);
  const pid = Number(text);
  if (pid === 0 || pid > PID_MAX) throw new UsageError(`${what}: ${text} is out of range (1 to ${PID_MAX})`);
  return pid;
}

/** Every pid given to a repeatable option, each value a comma-separated list. */
export function parsePidList(args: ParsedArgs, flag: string): number[] {
  const out: number[] = [];
  for (const value of args.values.get(flag) ?? []) {
    for (const part of value.split(',')) out.push(parsePid(part.trim(), `--${flag}`));
  }
  return [...new Set(out)];
}

/**
 * State letters given to `--state` (repeatable; letters may be run together or separated
 * by commas): each must be a letter the library knows (proc(5)), case-sensitive as the
 * kernel writes them (`t` tracing stop is not `T` stopped).
 * @throws UsageError for an empty value or an unknown letter.
 */
export function parseStateLetters(args: ParsedArgs, flag: string): Set<string> | undefined {
  const values = args.values.get(flag);
  if (values === undefined) return undefined;
  const out = new Set<string>();
  for (const value of values) {
    const letters = value.replace(/[,\s]/g, '');
    if (letters === '') throw new UsageError(`--${flag} needs one or more state letters, e.g. --${flag} Z`);
    for (const letter of letters) {
      if (stateOf(letter).name === 'unknown') {
        throw new UsageError(`--${flag}: unknown state letter '${letter}' (known: R S D T t Z X x K W P I)`);
      }
      out.add(letter);
    }
  }
  return out;
}

/**
 * Whether this process itself would show in what the command reads: true when reading the
 * live /proc (the pids there are this pid namespace's, as process.pid is).
 */
export function readsOwnProcfs(args: ProcArgs): boolean {
  return args.procfs === undefined || args.procfs.replace(/(.)\/+$/, '$1') === '/proc';
}

/**
 * Leaves out the command's own process. Started by a shell that is PID 1 (a container's
 * entry point, `sh -c` in CI) or re-parented while running, the command would otherwise
 * report itself as an orphan, and fail the check it was run for.
 */
export function notSelf<T extends { readonly process: { readonly pid: number } }>(args: ProcArgs, items: readonly T[]): readonly T[] {
  return readsOwnProcfs(args) ? items.filter((x) => x.process.pid !== process.pid) : items;
}

/**
 * Leaves out the leaked orphans that are ancestors of this command: the processes running
 * the check. Under a PID 1 shell (`sh -c 'npm run check'` as a container's entry point, as
 * in CI), the first process it started (`npm`) has ppid 1 and stays in a session led from
 * outside the pid namespace, so it reads as a leaked orphan and would fail every run.
 * Ancestors classified as daemons (an sshd the command was run under) are still listed.
 * Matched by pid and start time: the ancestors come from another scan.
 */
export function notRunningThis<T extends { readonly classification: string; readonly process: { readonly pid: number; readonly startTime: number } }>(
  args: ProcArgs,
  items: readonly T[],
): readonly T[] {
  if (!readsOwnProcfs(args) || !items.some((x) => x.classification === 'leaked-orphan')) return items;
  const running = new Map(ancestors(process.pid, procfsOption(args)).map((p) => [p.pid, p.startTime] as const));
  return items.filter((x) => x.classification !== 'leaked-orphan' || running.get(x.process.pid) !== x.process.startTime);
}

/** The `procfs` (and `procfsFixture`) options for the library. */
export function procfsOption(args: ProcArgs): { procfs?: string; procfsFixture?: boolean } {
  if (args.procfs === undefined) return {};
  return args.procfsFixture ? { procfs: args.procfs, procfsFixture: true } : { procfs: args.procfs };
}

/**
 * Says on stderr how many processes could not be read (hidepid, another user's process
 * without the privilege to read it): a finder cannot judge them, so "no zombies" covers
 * only what it could see. Silent when every process was readable.
 */
export function noteUnreadable(io: CliIO, args: ProcArgs, command: string): void {
  const n = listProcesses(procfsOption(args)).filter((p) => !p.readable).length;
  if (n > 0) {
    io.stderr.write(
      `unixproc ${command}: note: ${n} process${n === 1 ? '' : 'es'} could not be read (hidepid or permissions) and ${n === 1 ? 'was' : 'were'} not examined\n`,
    );
  }
}

/** Command lines by pid from one scan, with the start time that makes the pid a process. */
export type CmdlineMap = ReadonlyMap<
  number,
  { readonly startTime: number; readonly cmdline: readonly string[] | undefined; readonly cmdlineTruncated: boolean }
>;

/** Reads every command line in one scan (for commands whose library call reads none). */
export function readCmdlines(args: ProcArgs): CmdlineMap {
  const out = new Map<number, { startTime: number; cmdline: readonly string[] | undefined; cmdlineTruncated: boolean }>();
  for (const p of listProcesses({ ...procfsOption(args), cmdline: true })) {
    if (p.readable) out.set(p.pid, { startTime: p.startTime, cmdline: p.cmdline, cmdlineTruncated: p.cmdlineTruncated });
  }
  return out;
}

/**
 * `p` with its command line from `map`, when the pid there is still the same process
 * (same start time); `p` unchanged otherwise.
 */
export function withCmdline<T extends ProcessInfo>(p: T, map: CmdlineMap | undefined): T {
  if (map === undefined || p.cmdline !== undefined) return p;
  const c = map.get(p.pid);
  return c !== undefined && c.startTime === p.startTime ? { ...p, cmdline: c.cmdline, cmdlineTruncated: c.cmdlineTruncated } : p;
}

/**
 * What the COMMAND column shows for a process: its comm, or with `full` its command line
 * (arguments joined by spaces, as ps does, and ` ...[cut at 2 MiB]` after one longer than
 * the library reads); `[comm]` when there is no command line (kernel threads, zombies, or
 * unreadable), and ` <defunct>` after a zombie's.
 */
export function commandText(p: ProcessInfo, full: boolean): string {
  let text = p.comm;
  if (full) text = p.cmdline !== undefined && p.cmdline.length > 0 ? p.cmdline.join(' ') : `[${p.comm}]`;
  if (full && p.cmdlineTruncated) text += ' ...[cut at 2 MiB]';
  return p.state.name === 'zombie' ? `${text} <defunct>` : text;
}

/**
 * The COMMAND column of `unixproc ps`, as procps writes it where a user compares the two
 * (issue 13): a zombie, which has no command line, as `[comm] <defunct>` (ps -o args), and
 * control characters as `?` ({@link procpsPrintable}), but a newline inside an argument as a
 * space, as procps 4 writes it (issue 14: its oracle test).
 */
export function procpsCommandText(p: ProcessInfo, full: boolean): string {
  if (p.state.name === 'zombie') return procpsPrintable(`[${p.comm}] <defunct>`);
  // procps 4 writes a newline inside an argument as a space (every other control as ?)
  if (full && p.cmdline !== undefined && p.cmdline.length > 0) return procpsPrintable(commandText(p, full).replace(/\n/g, ' '));
  return procpsPrintable(commandText(p, full));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * What procps prints for a name or command line (its escape_str): each control character
 * (C0, DEL, C1) and each byte that is not UTF-8 (a lone U+DC80..U+DCFF here) as `?`, so a
 * newline in a name reads `a?b`, as in `ps` (issue 13).
 */
export function procpsPrintable(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text; // nothing to replace: most names
  return text.replace(/[\x00-\x1f\x7f-\x9f]|[\udc80-\udcff]/g, (ch, offset: number) => {
    // a low surrogate that completes a pair is part of a real character
    if (ch.charCodeAt(0) >= 0xdc80 && offset > 0) {
      const prev = text.charCodeAt(offset - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) return ch;
    }
    return '?';
  });
}

/** The TTY column: `pts/3`, `ttyS0`...; `?` without a controlling terminal; `major:minor` when unnamed. */
export function ttyText(p: ProcessInfo): string {
  if (p.tty === undefined) return '?';
  return p.tty.name !== undefined ? p.tty.name.replace(/^\/dev\//, '') : `${p.tty.major}:${p.tty.minor}`;
}

/**
 * The STAT column as ps(1) writes it: the state letter, then `<` (nice < 0) or `N`
 * (nice > 0), `s` session leader, `l` multi-threaded, `+` in the foreground process group
 * of its terminal, in procps's order, with `L` (pages locked in memory: VmLck > 0) after
 * the nice flag when `lockedMemory` was read.
 */
export function statText(p: ProcessInfo): string {
  let s = p.state.letter;
  if (p.nice < 0) s += '<';
  else if (p.nice > 0) s += 'N';
  if (p.lockedMemory !== undefined && p.lockedMemory > 0) s += 'L';
  if (p.sid === p.pid) s += 's';
  if (p.numThreads > 1) s += 'l';
  if (p.tty !== undefined && p.tpgid === p.pgid) s += '+';
  return s;
}

/** `yes`, `no` or `?` for a fact that may be unknown. */
export function yesNo(v: boolean | undefined): string {
  return v === undefined ? '?' : v ? 'yes' : 'no';
}
