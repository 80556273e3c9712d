// The pure parts of `unixproc ps`: procps's formats (%CPU/%MEM, etime, bsdtime, start_time,
// start, lstart), the readers of uptime and meminfo, %CPU between two snapshots, -o and
// --sort parsing, sorting, and the layout that fits a terminal.
import * as path from 'node:path';
import { UsageError } from '../../lib/cli/command';
import { parseFormat, parseSortKeys, sortEntries } from '../../lib/cli/ps';
import {
  findColumn,
  formatBsdTime,
  formatElapsed,
  formatLongStart,
  formatPercent,
  formatStarted,
  formatStartTime,
  PS_COLUMN_NAMES,
  PsContext,
} from '../../lib/cli/ps-columns';
import { cpuPercentBetween, parseMemTotal, parseUptime } from '../../lib/cli/ps-context';
import { layoutTable } from '../../lib/cli/ps-layout';
import { displayLength } from '../../lib/cli/text';
import { listProcesses } from '../../lib/proc';
import { runCli } from '../helpers/cli-run';
import type { ProcessEntry, ProcessInfo } from '../../lib/proc';

describe('procps formats', () => {
  test('a percentage has one decimal, cut rather than rounded, as procps computes it', () => {
    expect(formatPercent(0)).toBe('0.0');
    expect(formatPercent(12.39)).toBe('12.3');
    expect(formatPercent(99.99)).toBe('99.9');
    expect(formatPercent(0.3)).toBe('0.3');
  });

  test('from 1000 percent on, a percentage is its integer part alone', () => {
    expect(formatPercent(1234.5)).toBe('1234');
  });

  test('elapsed time is [[dd-]hh:]mm:ss', () => {
    expect(formatElapsed(0)).toBe('00:00');
    expect(formatElapsed(59.9)).toBe('00:59');
    expect(formatElapsed(3599)).toBe('59:59');
    expect(formatElapsed(3600)).toBe('01:00:00');
    expect(formatElapsed(86400 * 3 + 3661)).toBe('3-01:01:01');
  });

  test('BSD time is M:SS with minutes unbounded', () => {
    expect(formatBsdTime(8.7)).toBe('0:08');
    expect(formatBsdTime(3725)).toBe('62:05');
  });

  test('start_time is HH:MM on the same day, MmmDD the same year, the year before', () => {
    const now = new Date(2026, 11, 2, 15, 40, 0);
    expect(formatStartTime(new Date(2026, 11, 2, 0, 5, 0), now)).toBe('00:05');
    expect(formatStartTime(new Date(2026, 11, 1, 23, 59, 0), now)).toBe('Dec01');
    expect(formatStartTime(new Date(2026, 0, 9, 12, 0, 0), now)).toBe('Jan09');
    expect(formatStartTime(new Date(2025, 11, 31, 12, 0, 0), now)).toBe('2025');
  });

  test('start is HH:MM:SS within 24 hours, Mmm DD before', () => {
    const now = new Date(2026, 11, 2, 15, 40, 0);
    expect(formatStarted(new Date(2026, 11, 1, 16, 0, 7), now)).toBe('16:00:07');
    expect(formatStarted(new Date(2026, 11, 1, 15, 0, 0), now)).toBe('Dec 01');
  });

  test('lstart is ctime(3) without the newline, day of month padded with a space', () => {
    expect(formatLongStart(new Date(2026, 11, 2, 15, 37, 13))).toBe('Wed Dec  2 15:37:13 2026');
  });
});

describe('what the context reads from the procfs root', () => {
  test('uptime is the first number of the uptime file', () => {
    expect(parseUptime('2563.41 9912.33\n')).toBe(2563.41);
  });

  test('a malformed uptime is unknown, not a guess', () => {
    expect(parseUptime('-5 3\n')).toBeUndefined();
    expect(parseUptime('')).toBeUndefined();
    expect(parseUptime('1e400 2\n')).toBeUndefined();
  });

  test('MemTotal is read in kB and returned in bytes; missing or zero is unknown', () => {
    expect(parseMemTotal('MemTotal:       16303932 kB\nMemFree: 1 kB\n')).toBe(16303932 * 1024);
    expect(parseMemTotal('MemFree: 1 kB\n')).toBeUndefined();
    expect(parseMemTotal('MemTotal: 0 kB\n')).toBeUndefined();
  });
});

describe('%CPU between two snapshots', () => {
  const snap = (at: number, entries: [number, number, number][]) => ({
    at,
    byPid: new Map(entries.map(([pid, startTime, cpu]) => [pid, { startTime, cpu }])),
  });

  test('is CPU seconds over wall seconds, times 100, and may pass 100 for several threads', () => {
    const r = cpuPercentBetween(snap(10, [[5, 1, 2], [6, 1, 0]]), snap(10.5, [[5, 1, 3], [6, 1, 0.05]]));
    expect(r.get(5)).toBeCloseTo(200, 6);
    expect(r.get(6)).toBeCloseTo(10, 6);
  });

  test('leaves out a pid that is another process now (new start time) or new', () => {
    const r = cpuPercentBetween(snap(1, [[5, 1, 2]]), snap(2, [[5, 7, 0.1], [9, 3, 1]]));
    expect(r.has(5)).toBe(false);
    expect(r.has(9)).toBe(false);
  });
});

describe('-o and --sort', () => {
  test('-o reads comma and space lists, aliases included, with procps headings', () => {
    const f = parseFormat(['pid,%cpu vsize', 'tty']);
    expect(f.map((c) => [c.column.key, c.heading])).toEqual([
      ['pid', 'PID'],
      ['pcpu', '%CPU'],
      ['vsz', 'VSZ'],
      ['tty', 'TT'],
    ]);
  });

  test('-o KEY=HEADING renames the key; the heading runs to the next comma, as procps 4', () => {
    const f = parseFormat(['pid=Process ID,comm=,etime']);
    expect(f.map((c) => [c.column.key, c.heading])).toEqual([
      ['pid', 'Process ID'],
      ['comm', ''],
      ['etime', 'ELAPSED'],
    ]);
  });

  test('an unknown column is a usage error listing every known one', () => {
    expect(() => parseFormat(['pid,bogus'])).toThrow(UsageError);
    expect(() => parseFormat(['pid,bogus'])).toThrow(`-o: unknown column 'bogus' (known: ${PS_COLUMN_NAMES.join(' ')})`);
  });

  test('an empty -o is a usage error', () => {
    expect(() => parseFormat([' , '])).toThrow(/-o needs one or more columns/);
  });

  test('--sort reads [+-]KEY lists; an unknown key is a usage error listing the known ones', () => {
    expect(parseSortKeys(['-rss,+pid', 'comm']).map((k) => [k.column.key, k.descending])).toEqual([
      ['rss', true],
      ['pid', false],
      ['comm', false],
    ]);
    expect(() => parseSortKeys(['-nope'])).toThrow(`--sort: unknown sort key 'nope' (known: ${PS_COLUMN_NAMES.join(' ')})`);
    expect(() => parseSortKeys(['-'])).toThrow(/--sort needs column keys/);
  });

  const ctx: PsContext = { nowMs: Date.now(), uptime: undefined, clkTck: 100, memTotal: undefined, cpuPercent: undefined, userName: () => undefined };

  test('sorting is by value (numbers as numbers), descending with -, ties in pid order, unreadable last', () => {
    const base = listProcesses().find((p): p is ProcessInfo => p.readable)!;
    const entries: ProcessEntry[] = [
      { ...base, pid: 30, ppid: 2, rss: 9 * 1024 },
      { ...base, pid: 10, ppid: 1, rss: 100 * 1024 },
      { readable: false, pid: 5, error: 'EPERM' },
      { ...base, pid: 20, ppid: 2, rss: 100 * 1024 },
    ];
    expect(sortEntries(entries, parseSortKeys(['-rss']), ctx).map((p) => p.pid)).toEqual([10, 20, 30, 5]);
    expect(sortEntries(entries, parseSortKeys(['ppid,-pid']), ctx).map((p) => p.pid)).toEqual([10, 30, 20, 5]);
  });
});

describe('the layout fits the terminal', () => {
  const cols = (keys: string[], ranks: (number | undefined)[]) =>
    keys.map((k, i) => ({ column: findColumn(k)!, heading: findColumn(k)!.heading, dropRank: ranks[i] }));
  const rows = [
    ['1', '0', 'root', 'a very long command line that goes on and on and on for a while'],
    ['123456', '1', 'daemon', 'sh'],
  ];

  test('without a width nothing is cut or dropped, and the last column is not padded', () => {
    const r = layoutTable(cols(['pid', 'ppid', 'user', 'args'], [undefined, 1, 2, undefined]), rows, undefined);
    expect(r.dropped).toEqual([]);
    expect(r.lines).toEqual([
      '   PID  PPID  USER    COMMAND',
      '     1     0  root    a very long command line that goes on and on and on for a while',
      '123456     1  daemon  sh',
    ]);
  });

  test('COMMAND is cut first, with the marker, while it keeps MIN_CUT columns', () => {
    const r = layoutTable(cols(['pid', 'ppid', 'user', 'args'], [undefined, 1, 2, undefined]), rows, 40);
    expect(r.dropped).toEqual([]);
    expect(r.lines[1]).toBe('     1     0  root    a very lon...[+53]');
    expect(r.lines[1].length).toBe(40);
    expect(r.lines.every((l) => displayLength(l) <= 40)).toBe(true);
  });

  test('then optional columns go, lowest rank first, so no line is longer than the width', () => {
    const r = layoutTable(cols(['pid', 'ppid', 'user', 'args'], [undefined, 1, 2, undefined]), rows, 30);
    expect(r.dropped.map((c) => c.column.key)).toEqual(['ppid']);
    expect(r.lines[0]).toBe('   PID  USER    COMMAND');
    expect(r.lines[1]).toBe('     1  root    a very...[+57]');
    expect(r.lines[1].length).toBe(30);
    const narrower = layoutTable(cols(['pid', 'ppid', 'user', 'args'], [undefined, 1, 2, undefined]), rows, 24);
    expect(narrower.dropped.map((c) => c.column.key)).toEqual(['ppid', 'user']);
    expect(narrower.lines.every((l) => displayLength(l) <= 24)).toBe(true);
    expect(narrower.lines[2]).toBe('123456  sh');
  });

  test('every heading empty: no heading line, as ps -o pid=', () => {
    const r = layoutTable([{ column: findColumn('pid')!, heading: '' }], [['1'], ['22']], undefined);
    expect(r.lines).toEqual([' 1', '22']);
  });
});

describe('on the fixture tree (no uptime, no meminfo: what cannot be known shows ?)', () => {
  const FIXTURE = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');
  const run = (argv: string[]) => runCli(['ps', '--procfs', FIXTURE, '--procfs-fixture', ...argv]);

  test('-o reads each value from the fixture, %MEM unknown without meminfo', async () => {
    const r = await run(['-o', 'pid,ppid,uid,rss,vsz,ni,tname,stat,pmem,comm', '-p', '106', '--interval', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1].trim().split(/\s+/)).toEqual(['106', '1', '1001', '1024', '8000', '5', 'pts/3', 'SNsl+', '?', 'worker']);
  });

  test('--sort puts the unreadable entries last, with ? in every column but the pid', async () => {
    const r = await run(['-o', 'pid,rss,etime', '--sort', '-rss', '--interval', '0']);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['106', '1024', expect.stringMatching(/^\d+-\d\d:\d\d:\d\d$/)]);
    expect(rows.slice(-2)).toEqual([
      ['105', '?', '?'],
      ['111', '?', '?'],
    ]);
  });
});
