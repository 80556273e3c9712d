// unixproc top's pure parts on values: key decoding, fitting text to cells, the table at
// 80, 40 and 20 columns, sort, filter, tree, %CPU between samples, the header's parsers,
// and the escape sequences a frame is drawn with.
import { decodeKeys } from '../../lib/cli/top-keys';
import { cpuPercent, filterRows, parseSystem, Sample, sortRows, TopRow, treeRows } from '../../lib/cli/top-model';
import { buildFrame, cellWidth, fit, flow, formatMemory, formatTimePlus, tableLines, View } from '../../lib/cli/top-render';
import { parseDelay, screenText } from '../../lib/cli/top-screen';

function row(over: Partial<TopRow> & { id: number }): TopRow {
  return {
    pid: over.id,
    ppid: 1,
    uid: 0,
    user: 'root',
    priority: 20,
    nice: 0,
    virt: 10 << 20,
    res: 1 << 20,
    state: 'S',
    cpu: 0,
    mem: 0.1,
    time: 1.5,
    command: `proc${over.id}`,
    zombie: false,
    orphan: false,
    kernelThread: false,
    ...over,
  };
}

const placed = (rows: readonly TopRow[]) => rows.map((r) => ({ row: r, branch: '' }));

describe('decodeKeys', () => {
  test('characters, Enter, Backspace, Ctrl-C and Ctrl-Z', () => {
    expect(decodeKeys('aM\r\x7f\x03\x1a')).toEqual([
      { kind: 'char', ch: 'a' },
      { kind: 'char', ch: 'M' },
      { kind: 'enter' },
      { kind: 'backspace' },
      { kind: 'ctrl-c' },
      { kind: 'ctrl-z' },
    ]);
  });
  test('arrow and paging keys from CSI and SS3 sequences', () => {
    expect(decodeKeys('\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[H\x1b[4~').map((k) => k.kind)).toEqual(['up', 'down', 'pageup', 'pagedown', 'home', 'end']);
  });
  test('a lone ESC is Escape; an unknown sequence is one other key, never stray characters', () => {
    expect(decodeKeys('\x1b')).toEqual([{ kind: 'escape' }]);
    expect(decodeKeys('\x1b[200~q')).toEqual([{ kind: 'other' }, { kind: 'char', ch: 'q' }]);
    expect(decodeKeys('\x1b[1;5A')).toEqual([{ kind: 'other' }]);
  });
});

describe('fit and cellWidth', () => {
  test('text that fits is kept; longer text is cut with + to exactly the width', () => {
    expect(fit('abc', 3)).toBe('abc');
    expect(fit('abcdef', 4)).toBe('abc+');
    expect(cellWidth(fit('abcdef', 4))).toBe(4);
  });
  test('control characters are escaped and never cut inside their escape', () => {
    expect(fit('a\x1bb', 10)).toBe('a\\x1bb');
    expect(fit('a\x1bbcdef', 4)).toBe('a+');
  });
  test('wide characters count two cells', () => {
    expect(cellWidth('日本')).toBe(4);
    expect(fit('日本語', 5)).toBe('日本+');
  });
});

describe('tableLines', () => {
  const rows = [row({ id: 1, command: 'init' }), row({ id: 4242, command: 'a-long-command-name-that-does-not-fit-anywhere', cpu: 99.5 })];

  test('at 80 columns every column is there and no line is wider', () => {
    const lines = tableLines(placed(rows), 80);
    expect(lines[0].text.split(/\s+/).filter(Boolean)).toEqual(['PID', 'USER', 'PR', 'NI', 'VIRT', 'RES', 'S', '%CPU', '%MEM', 'TIME+', 'COMMAND']);
    for (const l of lines) expect(cellWidth(l.text)).toBeLessThanOrEqual(80);
    expect(lines[2].text).toMatch(/ a-long-comman\+$/);
    expect(cellWidth(lines[2].text)).toBe(80);
  });
  test('at 40 columns PR, NI, VIRT, TIME+, USER and RES are dropped before COMMAND is cut', () => {
    const lines = tableLines(placed(rows), 40);
    expect(lines[0].text.split(/\s+/).filter(Boolean)).toEqual(['PID', 'S', '%CPU', '%MEM', 'COMMAND']);
    for (const l of lines) expect(cellWidth(l.text)).toBeLessThanOrEqual(40);
  });
  test('at 20 columns the lines are still no wider than 20', () => {
    for (const l of tableLines(placed(rows), 20)) expect(cellWidth(l.text)).toBeLessThanOrEqual(20);
  });
  test('without a width nothing is cut', () => {
    expect(tableLines(placed(rows), undefined)[2].text).toContain('a-long-command-name-that-does-not-fit-anywhere');
  });
  test('a zombie is marked Z and a leaked orphan O, with their styles', () => {
    const lines = tableLines(placed([row({ id: 7, zombie: true, command: '[x] <defunct>' }), row({ id: 8, orphan: true }), row({ id: 9 })]), 80);
    expect(lines.slice(1).map((l) => [l.text[0], l.style])).toEqual([
      ['Z', 'zombie'],
      ['O', 'orphan'],
      [' ', 'plain'],
    ]);
  });
  test('a hostile command is escaped: no control character reaches the terminal', () => {
    const lines = tableLines(placed([row({ id: 3, command: 'ev\x1b[2J\nil' })]), 80);
    expect(lines[1].text).toContain('ev\\x1b[2J\\nil');
    expect(lines[1].text).not.toMatch(/[\x00-\x1f]/);
  });
});

describe('sortRows, filterRows, treeRows', () => {
  const rows = [row({ id: 3, cpu: 5, res: 300 }), row({ id: 1, cpu: 50, res: 100 }), row({ id: 2, cpu: 5, res: 200 })];
  test('highest first by default, ties by ascending pid; lowest first when ascending', () => {
    expect(sortRows(rows, 'cpu', false).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(sortRows(rows, 'cpu', true).map((r) => r.id)).toEqual([2, 3, 1]);
    expect(sortRows(rows, 'mem', false).map((r) => r.id)).toEqual([3, 2, 1]);
    expect(sortRows(rows, 'pid', false).map((r) => r.id)).toEqual([3, 2, 1]);
  });
  test('the name filter is a case-insensitive substring; user and pid filters; kernel threads hidden', () => {
    const all = [row({ id: 1, command: 'Sleep' }), row({ id: 2, command: 'bash', uid: 1000 }), row({ id: 3, command: 'kworker', kernelThread: true })];
    const none = { name: '', uid: undefined, pids: undefined, kernel: false };
    expect(filterRows(all, { ...none, name: 'sLE' }).map((r) => r.id)).toEqual([1]);
    expect(filterRows(all, { ...none, uid: 1000 }).map((r) => r.id)).toEqual([2]);
    expect(filterRows(all, { ...none, pids: new Set([1, 3]) }).map((r) => r.id)).toEqual([1, 3]);
    expect(filterRows(all, none).map((r) => r.id)).toEqual([1, 2]);
    expect(filterRows(all, { ...none, kernel: true }).map((r) => r.id)).toEqual([1, 2, 3]);
  });
  test('the tree puts each process under its parent, siblings in the sort order', () => {
    const t = treeRows([row({ id: 1, ppid: 0 }), row({ id: 5, ppid: 1 }), row({ id: 3, ppid: 1 }), row({ id: 9, ppid: 5 })]);
    expect(t.map((p) => `${p.branch}${p.row.id}`)).toEqual(['1', '|- 5', '|  `- 9', '`- 3']);
  });
  test('a ppid cycle loses no row and ends', () => {
    const t = treeRows([row({ id: 1, ppid: 2 }), row({ id: 2, ppid: 1 })]);
    expect(t.map((p) => p.row.id).sort()).toEqual([1, 2]);
  });
  test('the threads of a process stay together under it', () => {
    const t = treeRows([row({ id: 10, pid: 10, ppid: 0 }), row({ id: 11, pid: 10, ppid: 0 }), row({ id: 20, ppid: 10 })]);
    expect(t.map((p) => `${p.branch}${p.row.id}`)).toEqual(['10', '  11', '`- 20']);
  });
});

describe('cpuPercent', () => {
  const prev = new Map([['5:100', 2.0]]);
  test('CPU seconds used over the interval, in percent of one CPU', () => {
    expect(cpuPercent(2.5, prev, '5:100', 0.5, false)).toBeCloseTo(100);
    expect(cpuPercent(3.0, prev, '5:100', 0.5, false)).toBeCloseTo(200);
  });
  test('a process started since the last sample gets all its CPU time; one merely unseen gets 0', () => {
    expect(cpuPercent(0.1, prev, '6:900', 1, true)).toBeCloseTo(10);
    expect(cpuPercent(50, prev, '7:50', 1, false)).toBe(0);
  });
  test('no previous sample (priming) is 0, and a counter that went back is 0, not negative', () => {
    expect(cpuPercent(3, undefined, '5:100', 1, false)).toBe(0);
    expect(cpuPercent(1, prev, '5:100', 1, false)).toBe(0);
  });
});

describe('parseSystem', () => {
  test('uptime, load and memory from the kernel text', () => {
    const s = parseSystem('3723.45 100.00\n', '0.52 0.40 0.33 1/245 9999\n', 'MemTotal:       16384000 kB\nMemFree: 1 kB\nMemAvailable:    8192000 kB\n');
    expect(s).toEqual({ uptime: 3723.45, load: [0.52, 0.4, 0.33], memTotal: 16384000 * 1024, memAvailable: 8192000 * 1024 });
  });
  test('malformed or missing text gives undefined fields, never NaN', () => {
    expect(parseSystem('x y', 'nan nan nan', 'MemTotal: lots')).toEqual({ uptime: undefined, load: undefined, memTotal: undefined, memAvailable: undefined });
    expect(parseSystem(undefined, undefined, undefined)).toEqual({ uptime: undefined, load: undefined, memTotal: undefined, memAvailable: undefined });
  });
});

describe('formats', () => {
  test('memory in KiB, then m/g when the KiB do not fit', () => {
    expect(formatMemory(5 * 1024, 7)).toBe('5');
    expect(formatMemory(2 * 2 ** 30, 6)).toBe('2048m');
    expect(formatMemory(2 * 2 ** 30, 4)).toBe('2.0g');
    expect(formatMemory(150 * 2 ** 20, 6)).toBe('153600');
    expect(formatMemory(150 * 2 ** 20, 5)).toBe('150m');
    expect(formatMemory(150 * 2 ** 20, 6)).toBe('153600');
  });
  test('TIME+ is minutes:seconds.hundredths', () => {
    expect(formatTimePlus(61.5)).toBe('1:01.50');
    expect(formatTimePlus(0)).toBe('0:00.00');
    expect(formatTimePlus(7265.01)).toBe('121:05.01');
  });
  test('a delay is 0.1 to 3600 seconds', () => {
    expect(parseDelay('0.5')).toBe(0.5);
    expect(parseDelay('3')).toBe(3);
    expect(parseDelay('.2')).toBe(0.2);
    for (const bad of ['0', '0.05', '3601', '-1', 'abc', '1e3', '', ' 1']) expect(parseDelay(bad)).toBeUndefined();
  });
});

describe('the frame', () => {
  const sample: Sample = {
    at: 0,
    threads: false,
    rows: [],
    counts: { total: 3, running: 1, sleeping: 1, stopped: 0, zombie: 1, orphans: 2, daemons: 0 },
    system: { uptime: 90061, load: [1, 2, 3], memTotal: 2 ** 34, memAvailable: 2 ** 33 },
    interval: 3,
    cpuTimes: new Map(),
  };
  const view = (): View => ({
    sort: 'cpu',
    ascending: false,
    filter: { name: 'x\x1b', uid: undefined, pids: undefined, kernel: false },
    userText: '',
    threads: false,
    tree: false,
    cmdline: false,
    delay: 3,
    offset: 0,
  });
  const rows = placed(Array.from({ length: 50 }, (_, i) => row({ id: i + 1 })));

  test('the header counts zombies and orphans, and says how the table is sorted and filtered (escaped)', () => {
    const text = buildFrame(sample, rows, view(), { columns: 80, rows: 24 }, {}, new Date(2026, 0, 1, 9, 5, 7))
      .map((l) => l.text)
      .join('\n');
    expect(text).toContain('unixproc top 09:05:07, up 1 day, 1:01, load average: 1.00 2.00 3.00');
    expect(text).toContain('1 zombie, 2 orphan');
    expect(text).toContain('sort %CPU highest first, name ~ "x\\x1b"');
  });
  test('a terminal-sized frame has at most its rows, each no wider than its columns', () => {
    for (const [columns, height] of [
      [80, 24],
      [40, 20],
      [20, 5],
    ]) {
      const lines = buildFrame(sample, rows, view(), { columns, rows: height }, {}, new Date());
      expect(lines.length).toBeLessThanOrEqual(height);
      for (const l of lines) expect(cellWidth(l.text)).toBeLessThanOrEqual(columns);
      expect(lines.some((l) => l.style === 'heading')).toBe(height > 1);
    }
  });
  test('a snapshot has every row; the offset scrolls a terminal frame and is clamped', () => {
    expect(buildFrame(sample, rows, view(), { columns: undefined, rows: undefined }, {}, new Date()).filter((l) => /^ +\d+ /.test(l.text))).toHaveLength(50);
    const v = view();
    v.offset = 1000;
    const lines = buildFrame(sample, rows, v, { columns: 80, rows: 24 }, {}, new Date());
    expect(lines[lines.length - 1].text).toMatch(/^ +50 /);
    expect(v.offset).toBeLessThan(50);
  });
  test('a prompt replaces the view line and keeps the end of what is typed in sight', () => {
    const lines = buildFrame(sample, rows, view(), { columns: 20, rows: 24 }, { prompt: { label: 'name', text: 'abcdefghijklmnopqrstuvwxyz' } }, new Date());
    const p = lines.find((l) => l.style === 'status')!;
    expect(p.text.endsWith('xyz_')).toBe(true);
    expect(cellWidth(p.text)).toBeLessThanOrEqual(20);
  });
  test('flow puts segments on lines of the width, continuing indented', () => {
    expect(flow([['aaaa', 'bbbb', 'cccc']], 10)).toEqual(['aaaa, bbbb', '  cccc']);
  });
});

describe('screenText', () => {
  test('erases after a short line but not after a full one (a pending wrap would lose its last cell), and clears the rows below', () => {
    const text = screenText(
      [
        { text: 'abcd', style: 'plain' },
        { text: 'ab', style: 'zombie' },
      ],
      4,
      3,
      true,
    );
    expect(text).toBe('\x1b[Habcd\r\n\x1b[1;31mab\x1b[0m\x1b[K\r\n\x1b[K');
  });
  test('without colour no SGR sequence at all', () => {
    expect(screenText([{ text: 'ab', style: 'heading' }], 4, 1, false)).toBe('\x1b[Hab\x1b[K');
  });
});
