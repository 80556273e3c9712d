/**
 * `unixproc ps`: the process table from listProcesses(), with procps's columns (`-o`),
 * selections (`-p`, `-u`, `-C`, `--ppid`, `-e`), sort keys (`--sort`) and the two habits
 * everyone types (`ps aux`, `ps -ef`); `--summary` prints stateSummary(). The columns are
 * ps-columns.ts, fitted to the terminal by ps-layout.ts.
 * @internal
 */
// From the modules themselves, not '../proc': its index loads every reader (orphans, pidfds,
// daemons...), which `unixproc ps` would pay for at each start (issue 14, item 4).
import { STATE_NAMES, stateOf } from '../proc/states';
import { stateSummary } from '../proc/summary';
import type { StateSummary } from '../proc/summary';
import { listProcesses } from '../proc/table';
import type { ProcessEntry } from '../proc/process-info';
import type { CliIO, Command } from './command';
import { UsageError } from './command';
import {
  atMostPositionals,
  COMMON_USAGE,
  parsePidList,
  parseStateLetters,
  ProcArgs,
  procfsOption,
  readProcArgs,
} from './proc-args';
import { cellText, cellValue, effectiveUid, findColumn, PS_COLUMN_NAMES, PS_COLUMNS, PsColumn, PsContext } from './ps-columns';
import { cpuPercentBetween, cpuSnapshot, psContext, uidOfName } from './ps-context';
import { layoutTable, LayoutColumn } from './ps-layout';
import { table, writeError, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc ps [-o COL[,COL...]] [--sort [-]COL[,...]] [-p PID] [-u USER] [-C NAME] [--ppid PID]
                   [--state LETTERS] [-e] [-f] [--kernel] [--cmdline] [--interval MS] [-w] [--json] [--procfs ROOT [--procfs-fixture]]
       unixproc ps aux | ax | ux | auxww       (BSD style: aux is every process, user-oriented columns)
       unixproc ps -ef                          (every process, full format)
       unixproc ps --summary [--json] [--procfs ROOT [--procfs-fixture]]

The process table, in pid order, like ps -eo pid,ppid,pgid,sid,tname,stat,time,comm.
Columns: PID PPID PGID SID TTY STAT TIME COMMAND. STAT is the state letter plus ps's
modifiers (< high priority, N low priority, L pages locked in memory, s session leader,
l multi-threaded, + foreground group of its terminal). COMMAND shows a zombie as
[name] <defunct> and control characters as ?, as procps does. A process whose stat cannot be read (hidepid) is listed with ? fields.
On a terminal, lines never wrap: COMMAND is cut last (marked ...[+N]), and before that
optional columns are dropped (--wide keeps everything).

  -o, --format COLS  these columns (comma or space separated, repeatable; KEY=HEADING renames one,
                     and every heading empty prints no heading line). Keys, as procps's:
                     ${columnList()}
  --sort KEYS      order by these keys, -KEY descending (comma list, repeatable); ties in pid order
  -p, --pid PID    only these processes (repeatable, or a comma list); exit 1 if one is not there
  -u, --user USER  processes of these effective users (names or uids; comma list, repeatable)
  -C, --comm NAME  processes with this command name (comm; comma list, repeatable)
  --ppid PID       children of these processes (comma list, repeatable)
                   (-p, -u, -C and --ppid add up, as in procps: a process matching any is shown)
  --state LETTERS  only processes in these states, e.g. --state Z, --state DR, --state Z,T (repeatable)
  -e, -A           every process, kernel threads included
  -f               full format: UID PID PPID C STIME TTY TIME CMD (ps -f)
  --kernel         include kernel threads (hidden by default; shown when selected by -p, -u, -C or --ppid)
  --cmdline        COMMAND shows the command line ([comm] when there is none) instead of comm
  --interval MS    %CPU is sampled over MS milliseconds (default 100, as a short top); 0: the
                   lifetime average, cputime / elapsed, as procps ps. Only %CPU waits
  -w               the same as --wide
  --summary        how many processes are in each state (stateSummary), kernel threads included
${COMMON_USAGE}

BSD style (one word, no dash): a every user's processes, x also those without a terminal,
u user-oriented columns (USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND), w wide.

Exit status: 0, or 1 when a pid given to -p/--pid does not exist; 2 for a usage error.`;

function columnList(): string {
  const names = PS_COLUMNS.map((c) => [c.key, ...c.aliases].join('|'));
  const lines: string[] = [];
  let line = '';
  for (const n of names) {
    if (line !== '' && line.length + n.length + 1 > 70) {
      lines.push(line);
      line = '';
    }
    line += (line === '' ? '' : ' ') + n;
  }
  lines.push(line);
  return lines.join('\n                     ');
}

const DEFAULT_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 60_000;

const col = (key: string): PsColumn => findColumn(key)!;

/** A named format: its columns (key, heading, drop rank; undefined never dropped). */
type Format = readonly LayoutColumn[];

function format(spec: readonly (readonly [string, number | undefined, string?])[]): Format {
  return spec.map(([key, dropRank, heading]) => ({ column: col(key), heading: heading ?? col(key).heading, dropRank }));
}

/** The default columns; on a narrow terminal SID goes first, then PGID, TTY, TIME, PPID, STAT. */
function defaultFormat(full: boolean): Format {
  return format([['pid', undefined], ['ppid', 5], ['pgid', 2], ['sid', 1], ['tname', 3], ['stat', 6], ['time', 4], [full ? 'args' : 'comm', undefined]]);
}

/** `ps -f`: UID PID PPID C STIME TTY TIME CMD (UID shows the user name, as procps's). */
const FULL_FORMAT = format([['user', 6, 'UID'], ['pid', undefined], ['ppid', 5], ['c', 1], ['stime', 2], ['tname', 3], ['time', 4], ['cmd', undefined]]);

/** BSD `u`: USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND. */
const BSD_USER_FORMAT = format([
  ['user', 8],
  ['pid', undefined],
  ['pcpu', undefined],
  ['pmem', 7],
  ['vsz', 1],
  ['rss', 5],
  ['tname', 3],
  ['stat', 6],
  ['start_time', 2],
  ['bsdtime', 4],
  ['args', undefined],
]);

/** BSD without `u` (`ps ax`): PID TTY STAT TIME COMMAND. */
const BSD_FORMAT = format([['pid', undefined], ['tname', 2], ['stat', 3], ['bsdtime', 1], ['args', undefined]]);

function unknownColumn(what: string, name: string): UsageError {
  return new UsageError(`${what}: unknown column '${name}' (known: ${PS_COLUMN_NAMES.join(' ')})`);
}

/**
 * `-o` values: keys separated by commas or spaces; `KEY=HEADING` gives the key that heading,
 * up to the next comma, as procps 4 reads it (`-o pid=,comm=` is two columns, no heading).
 * @throws UsageError for an unknown key (naming every known one), or an empty value.
 */
export function parseFormat(values: readonly string[]): Format {
  const out: LayoutColumn[] = [];
  for (const value of values) {
    const before = out.length;
    for (const item of value.split(',')) {
      const eq = item.indexOf('=');
      const names = (eq === -1 ? item : item.slice(0, eq)).split(/\s+/).filter((n) => n !== '');
      if (eq !== -1 && names.length !== 1) throw new UsageError(`-o: '${item}' renames one column, as KEY=HEADING (e.g. -o pid=ID)`);
      for (const name of names) {
        const column = findColumn(name);
        if (column === undefined) throw unknownColumn('-o', name);
        out.push({ column, heading: eq === -1 ? column.heading : item.slice(eq + 1) });
      }
    }
    if (out.length === before) throw new UsageError(`-o needs one or more columns, e.g. -o pid,user,comm (known: ${PS_COLUMN_NAMES.join(' ')})`);
  }
  // Named by the user: none is optional, but rather than wrap, the rightmost go first (a note says so).
  return out.map((c, i) => ({ ...c, dropRank: i === 0 || (i === out.length - 1 && c.column.cut) ? undefined : -i }));
}

/** One `--sort` key: a column, descending with a leading `-`. */
export interface SortKey {
  readonly column: PsColumn;
  readonly descending: boolean;
}

/**
 * `--sort` values: comma lists of `[+-]KEY`.
 * @throws UsageError for an unknown key (naming every known one), or an empty one.
 */
export function parseSortKeys(values: readonly string[]): SortKey[] {
  const out: SortKey[] = [];
  for (const value of values) {
    const parts = value.split(',').map((s) => s.trim());
    for (const part of parts) {
      const m = /^([+-]?)(.*)$/.exec(part)!;
      if (m[2] === '') throw new UsageError(`--sort needs column keys, e.g. --sort -pcpu,pid (known: ${PS_COLUMN_NAMES.join(' ')})`);
      const column = findColumn(m[2]);
      if (column === undefined) throw new UsageError(`--sort: unknown sort key '${m[2]}' (known: ${PS_COLUMN_NAMES.join(' ')})`);
      out.push({ column, descending: m[1] === '-' });
    }
  }
  return out;
}

function compareValues(a: number | string | undefined, b: number | string | undefined): number {
  // unknown values last, whichever the direction
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorts entries by the keys, stably; ties (and no keys) in pid order. */
export function sortEntries(entries: readonly ProcessEntry[], keys: readonly SortKey[], ctx: PsContext): ProcessEntry[] {
  const decorated = entries.map((p) => ({ p, v: keys.map((k) => cellValue(k.column, p, ctx)) }));
  decorated.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(x.v[i], y.v[i]);
      // an unknown value stays last in either direction
      const unknown = x.v[i] === undefined || y.v[i] === undefined;
      if (c !== 0) return keys[i].descending && !unknown ? -c : c;
    }
    return x.p.pid - y.p.pid;
  });
  return decorated.map((d) => d.p);
}

/** BSD-style letters (`aux`): which were given. */
interface BsdOptions {
  readonly a: boolean;
  readonly u: boolean;
  readonly x: boolean;
}

/**
 * Pulls the BSD word (`aux`, `ax`, `auxww`) out of argv, and splits `-oKEYS`, `-pPID`,
 * `-uUSER`, `-CNAME` into option and value, as procps reads them.
 */
function preprocess(argv: readonly string[]): { argv: string[]; bsd: BsdOptions | undefined } {
  const out: string[] = [];
  let bsd: BsdOptions | undefined;
  const end = argv.indexOf('--');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (end !== -1 && i >= end) {
      out.push(a);
      continue;
    }
    if (/^-[aux]{2,}$/.test(a) && a.includes('a') && a.includes('x')) {
      throw new UsageError(`'${a}' is not an option: for BSD ps's every-process view, type '${a.slice(1)}' without the dash`);
    }
    const prev = i > 0 ? argv[i - 1] : '';
    const takesValue = /^-[A-Za-z]*[opuC]$/.test(prev) || /^--(format|sort|pid|user|comm|ppid|state|interval|procfs)$/.test(prev);
    if (takesValue) {
      out.push(a);
      continue;
    }
    const glued = /^-([opuC])(.+)$/.exec(a);
    if (glued !== null) {
      out.push(`-${glued[1]}`, glued[2]);
      continue;
    }
    // A word of BSD option letters with a or x in it (axf, auxe); any other word is an argument.
    if (!a.startsWith('-') && (/^[auxw]+$/.test(a) || (/^[auxwfjlsvcehrSTn]+$/.test(a) && /[ax]/.test(a)))) {
      const bad = [...a].filter((l) => !'auxw'.includes(l));
      if (bad.length > 0) {
        throw new UsageError(`BSD-style option '${bad[0]}' (in '${a}') is not supported; the BSD letters known here are a, u, x and w (ps aux, ps ax, ps ux, ps auxww)`);
      }
      if (bsd !== undefined) throw new UsageError(`unexpected argument '${a}': give the BSD letters once (e.g. aux)`);
      bsd = { a: a.includes('a'), u: a.includes('u'), x: a.includes('x') };
      if (a.includes('w')) out.push('--wide');
      continue;
    }
    out.push(a);
  }
  return { argv: out, bsd };
}

/** `-u` values: user names or uids (comma lists). */
function parseUsers(args: ProcArgs): Set<number> | undefined {
  const values = args.values.get('user');
  if (values === undefined) return undefined;
  const out = new Set<number>();
  for (const value of values) {
    for (const part of value.split(',').map((s) => s.trim())) {
      if (/^\d+$/.test(part)) {
        const uid = Number(part);
        if (uid > 0xffff_fffe) throw new UsageError(`-u: ${part} is out of range (uids are 0 to 4294967294)`);
        out.add(uid);
        continue;
      }
      const uid = part === '' ? undefined : uidOfName(part);
      if (uid === undefined) throw new UsageError(`-u: no user '${part}' (a user name from the user database, or a numeric uid)`);
      out.add(uid);
    }
  }
  return out;
}

/** `-C` values: command names (comma lists). */
function parseComms(args: ProcArgs): Set<string> | undefined {
  const values = args.values.get('comm');
  if (values === undefined) return undefined;
  const out = new Set<string>();
  for (const value of values) {
    for (const part of value.split(',')) {
      if (part === '') throw new UsageError('-C needs command names, e.g. -C sshd,bash');
      out.add(part);
    }
  }
  return out;
}

function parseInterval(args: ProcArgs): number {
  const v = args.flags.get('interval');
  if (typeof v !== 'string') return DEFAULT_INTERVAL_MS;
  if (!/^\d+$/.test(v) || Number(v) > MAX_INTERVAL_MS) {
    throw new UsageError(`--interval: '${v}' is not a number of milliseconds from 0 to ${MAX_INTERVAL_MS}`);
  }
  return Number(v);
}

function summaryLines(s: StateSummary): string[] {
  const order = (letter: string): number => {
    const i = STATE_NAMES.indexOf(stateOf(letter).name);
    return i === -1 ? STATE_NAMES.length : i;
  };
  const letters = Object.keys(s.byLetter).sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  const rows = letters.map((l) => {
    const st = stateOf(l);
    return [l, st.name, String(s.byLetter[l]), st.meaning];
  });
  return [
    ...table([{ heading: 'STATE' }, { heading: 'NAME' }, { heading: 'COUNT', right: true }, { heading: 'MEANING' }], rows, {
      columns: undefined,
    }),
    '',
    `total ${s.total}: ${s.kernelThreads} kernel threads, ${s.unreadable} unreadable`,
  ];
}

const SELECTING = ['cmdline', 'state', 'pid', 'kernel', 'format', 'sort', 'user', 'comm', 'ppid', 'every', 'full', 'interval'];

function runSummary(args: ProcArgs, bsd: BsdOptions | undefined, io: CliIO): number {
  if (bsd !== undefined) throw new UsageError('--summary counts every process; it does not combine with BSD options (aux)');
  for (const f of SELECTING) {
    if (args.flags.has(f)) throw new UsageError(`--summary counts every process; it does not combine with --${f}`);
  }
  const s = stateSummary(procfsOption(args));
  if (args.json) writeJson(io, { summary: s });
  else writeLines(io, summaryLines(s));
  return 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A scan with the time it was taken at (seconds on the monotonic clock, mid-scan). `full`
 * reads status too (credentials: for the STAT column's L, VmLck, and the effective uid, as
 * procps reads them) and, with `cmdline`, the command lines; the first scan of a %CPU
 * sample needs only the stat lines.
 */
function timedScan(args: ProcArgs, full: boolean, cmdline: boolean): { table: readonly ProcessEntry[]; at: number } {
  const t0 = performance.now();
  const t = listProcesses(full ? { ...procfsOption(args), cmdline, credentials: true } : procfsOption(args));
  return { table: t, at: (t0 + performance.now()) / 2000 };
}

async function run(argv0: readonly string[], io: CliIO): Promise<number> {
  const { argv, bsd } = preprocess(argv0);
  const args = readProcArgs(
    argv,
    io,
    ['cmdline', 'kernel', 'summary', 'every', 'full'],
    ['state', 'pid', 'format', 'sort', 'user', 'comm', 'ppid', 'interval'],
    { p: 'pid', o: 'format', u: 'user', C: 'comm', e: 'every', A: 'every', f: 'full', w: 'wide' },
  );
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 0);
  if (args.flags.has('summary')) return runSummary(args, bsd, io);

  const full = args.flags.has('cmdline');
  const formatValues = args.values.get('format');
  if (formatValues !== undefined) {
    for (const [flag, given] of [['--cmdline', full], ['-f', args.flags.has('full')], ['BSD u', bsd?.u === true]] as const) {
      if (given) throw new UsageError(`-o chooses the columns; it does not combine with ${flag} (ask for args, or cmd, in -o)`);
    }
  }
  if (bsd?.u === true && args.flags.has('full')) throw new UsageError('BSD u and -f are two formats: choose one');
  const chosen: Format | undefined =
    formatValues !== undefined ? parseFormat(formatValues) : args.flags.has('full') ? FULL_FORMAT : bsd !== undefined ? (bsd.u ? BSD_USER_FORMAT : BSD_FORMAT) : undefined;
  const columns = chosen ?? defaultFormat(full);
  const sortKeys = parseSortKeys(args.values.get('sort') ?? []);
  const interval = parseInterval(args);

  const states = parseStateLetters(args, 'state');
  const pids = args.values.has('pid') ? parsePidList(args, 'pid') : undefined;
  const ppids = args.values.has('ppid') ? new Set(parsePidList(args, 'ppid')) : undefined;
  const users = parseUsers(args);
  const comms = parseComms(args);
  // -e, and BSD a with x, select every process; a selection list adds nothing to that (procps)
  const every = args.flags.has('every') || (bsd !== undefined && bsd.a && bsd.x);
  const kernel = args.flags.has('kernel');

  const used = [...columns.map((c) => c.column), ...sortKeys.map((k) => k.column)];
  const needsCmdline = full || used.some((c) => c.needs.cmdline === true);
  const sampleCpu = interval > 0 && used.some((c) => c.needs.cpuSample === true);

  let cpuPercent: Map<number, number> | undefined;
  let scan = timedScan(args, !sampleCpu, needsCmdline);
  if (sampleCpu) {
    const before = cpuSnapshot(scan.table, scan.at);
    await sleep(interval);
    scan = timedScan(args, true, needsCmdline);
    cpuPercent = cpuPercentBetween(before, cpuSnapshot(scan.table, scan.at));
  }
  const table0 = scan.table;
  const ctx = psContext({ ...procfsOption(args), memTotal: used.some((c) => c.needs.memTotal === true), cpuPercent });

  const wanted = pids === undefined ? undefined : new Set(pids);
  const listed = wanted !== undefined || ppids !== undefined || users !== undefined || comms !== undefined;
  const myUid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  const selected = table0.filter((p) => {
    let pick: boolean;
    if (listed) {
      // -p, --ppid, -u and -C add up (procps); a kernel thread they select is shown.
      pick =
        (wanted !== undefined && wanted.has(p.pid)) ||
        (p.readable &&
          ((ppids !== undefined && ppids.has(p.ppid)) ||
            (users !== undefined && users.has(effectiveUid(p) ?? -1)) ||
            (comms !== undefined && comms.has(p.comm))));
      if (every) pick = true;
    } else if (every) {
      pick = true;
    } else if (bsd !== undefined) {
      // BSD: without a, only your own processes; without x, only those with a terminal.
      pick = p.readable && (bsd.a || effectiveUid(p) === myUid) && (bsd.x || p.tty !== undefined);
    } else {
      pick = kernel || !(p.readable && p.kernelThread);
    }
    if (pick && states !== undefined) pick = p.readable && states.has(p.state.letter);
    return pick;
  });
  const found = new Set(table0.map((p) => p.pid));
  const missing = pids === undefined ? [] : pids.filter((pid) => !found.has(pid));
  const ordered = sortKeys.length > 0 ? sortEntries(selected, sortKeys, ctx) : selected;

  if (args.json) {
    const doc: Record<string, unknown> = { processes: ordered };
    if (chosen !== undefined || sampleCpu) {
      const keys = columns.map((c) => c.column);
      doc.columns = keys.map((c) => c.key);
      doc.rows = ordered.map((p) => Object.fromEntries(keys.map((c) => [c.key, cellValue(c, p, ctx)])));
    }
    writeJson(io, doc);
  } else {
    const rows = ordered.map((p) => columns.map((c) => cellText(c.column, p, ctx)));
    const out = layoutTable(columns, rows, args.width.columns);
    writeLines(io, out.lines);
    if (formatValues !== undefined && out.dropped.length > 0) {
      writeError(
        io,
        `unixproc ps: note: left out ${out.dropped.map((c) => c.column.key).join(',')} to fit ${args.width.columns} columns (--wide shows every column)`,
      );
    }
  }
  for (const pid of missing) writeError(io, `unixproc ps: no process ${pid}`);
  return missing.length > 0 ? 1 : 0;
}

/** `unixproc ps`. */
export const command: Command = {
  summary: 'the process table, with procps columns (-o), sorting, selections, ps aux and ps -ef',
  usage: USAGE,
  run,
};
