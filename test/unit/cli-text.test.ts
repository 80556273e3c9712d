// The human-output pieces of the /proc subcommands: escaping, explicit truncation, aligned
// tables, ps's TIME format, and the argument readers (pids, state letters, repeats).
import { parseArgs, UsageError } from '../../lib/cli/command';
import { parsePid, parsePidList, parseStateLetters } from '../../lib/cli/proc-args';
import { displayLength, escapeText, formatCpuTime, table, truncate, writeJson } from '../../lib/cli/text';

describe('escapeText', () => {
  test('writes newline, tab and carriage return as \\n, \\t, \\r', () => {
    expect(escapeText('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
  });

  test('writes ESC, BEL, NUL, DEL and C1 controls as \\xHH, so no terminal escape survives', () => {
    expect(escapeText('\x1b[2J\x07\0\x7f\x9b')).toBe('\\x1b[2J\\x07\\x00\\x7f\\x9b');
  });

  test('doubles a backslash, so a literal backslash-n differs from a newline', () => {
    expect(escapeText('a\\nb')).toBe('a\\\\nb');
    expect(escapeText('a\\nb')).not.toBe(escapeText('a\nb'));
  });

  test('writes bidi overrides and line separators as \\uHHHH', () => {
    expect(escapeText('x\u202ey\u2028z')).toBe('x\\u202ey\\u2028z');
  });

  test('writes the Arabic letter mark U+061C, a bidi control like LRM and RLM, as \\u061c', () => {
    expect(escapeText('x\u061cy')).toBe('x\\u061cy');
  });

  test('keeps printable text, parentheses and non-ASCII letters as they are', () => {
    expect(escapeText('x) Z 1 (y été 名前')).toBe('x) Z 1 (y été 名前');
  });

  test('escapes a whole line the same as its parts joined (so widths hold after escaping)', () => {
    const parts = ['a\x1b', 'b\n', 'c'];
    expect(escapeText(parts.join(''))).toBe(parts.map(escapeText).join(''));
    expect(displayLength('a\x1bb')).toBe('a\\x1bb'.length);
  });
});

describe('truncate', () => {
  test('leaves text that fits untouched', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
  });

  test('cuts to the width with the marker ...[+N] naming how many characters were left out', () => {
    const t = truncate('abcdefghijklmnopqrstuvwxyz', 16);
    expect(t).toBe('abcdefgh...[+18]');
    expect(t.length).toBe(16);
  });

  test('never cuts inside an escape sequence', () => {
    const t = truncate('ab\x1bcdefghijklmnopqrstuvwxyz', 12);
    expect(escapeText(t)).toBe('ab...[+25]');
  });
});

describe('table', () => {
  test('aligns columns, numbers right, and leaves the last column unpadded', () => {
    const lines = table(
      [{ heading: 'PID', right: true }, { heading: 'TTY' }, { heading: 'COMMAND' }],
      [
        ['1', '?', 'init'],
        ['12345', 'pts/3', 'bash'],
      ],
      { columns: undefined },
    );
    expect(lines).toEqual(['  PID  TTY    COMMAND', '    1  ?      init', '12345  pts/3  bash']);
  });

  test('measures cells escaped, so a newline in a cell keeps the columns aligned once escaped', () => {
    const lines = table([{ heading: 'NAME' }, { heading: 'X' }], [['a\nb', '1'], ['c', '2']], { columns: undefined });
    expect(lines.map(escapeText)).toEqual(['NAME  X', 'a\\nb  1', 'c     2']);
  });

  test('cuts only the last column, with the marker, to the given width', () => {
    const lines = table([{ heading: 'PID' }, { heading: 'COMMAND' }], [['7', 'x'.repeat(100)]], { columns: 40 });
    expect(lines[1]).toBe(`7    ${'x'.repeat(27)}...[+73]`);
    expect(lines[1].length).toBe(40);
  });
});

describe('formatCpuTime', () => {
  test('prints HH:MM:SS, seconds rounded down', () => {
    expect(formatCpuTime(0)).toBe('00:00:00');
    expect(formatCpuTime(3725.99)).toBe('01:02:05');
  });

  test('prefixes days as DD- beyond 24 hours', () => {
    expect(formatCpuTime(2 * 86400 + 3 * 3600)).toBe('2-03:00:00');
  });
});

describe('argument readers', () => {
  test('parseArgs keeps every value of a repeated option in values, the last in flags', () => {
    const a = parseArgs(['--pid', '1', '--pid=2,3'], [], ['pid']);
    expect(a.values.get('pid')).toEqual(['1', '2,3']);
    expect(a.flags.get('pid')).toBe('2,3');
  });

  test('parsePidList reads repeats and comma lists, without duplicates', () => {
    expect(parsePidList(parseArgs(['--pid', '1,2', '--pid', '2', '--pid', '40'], [], ['pid']), 'pid')).toEqual([1, 2, 40]);
  });

  test('parsePid rejects a negative, zero, a non-number and an out-of-range pid with a UsageError', () => {
    expect(() => parsePid('-5', '--pid')).toThrow(new UsageError('--pid: -5 is negative; a process id is a positive integer'));
    expect(() => parsePid('0', '--pid')).toThrow(/out of range/);
    expect(() => parsePid('abc', '--pid')).toThrow(new UsageError("--pid: 'abc' is not a process id (a positive integer)"));
    expect(() => parsePid('2147483648', '--pid')).toThrow(/out of range/);
    expect(() => parsePid('1e3', '--pid')).toThrow(UsageError);
    expect(parsePid('2147483647', '--pid')).toBe(2147483647);
  });

  test('parseStateLetters accepts known letters run together or comma-separated, case-sensitive', () => {
    const s = parseStateLetters(parseArgs(['--state', 'Z,D', '--state', 'Rt'], [], ['state']), 'state');
    expect([...(s ?? [])].sort()).toEqual(['D', 'R', 'Z', 't']);
  });

  test('parseStateLetters rejects an unknown letter and an empty value', () => {
    expect(() => parseStateLetters(parseArgs(['--state', 'ZQ'], [], ['state']), 'state')).toThrow(
      /unknown state letter 'Q'/,
    );
    expect(() => parseStateLetters(parseArgs(['--state', ','], [], ['state']), 'state')).toThrow(/needs one or more/);
  });

  test('parseStateLetters names the letter raw in the error (the dispatcher escapes the message once)', () => {
    expect(() => parseStateLetters(parseArgs(['--state', '\x1b'], [], ['state']), 'state')).toThrow(
      "unknown state letter '\x1b'",
    );
  });
});

describe('writeJson', () => {
  const json = (value: unknown): string => {
    let out = '';
    writeJson({ stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } }, value);
    return out;
  };

  test('writes C1 controls, DEL, bidi controls and line separators as \\u escapes, which JSON.stringify leaves raw', () => {
    const comm = 'a\u009b2J\u007f\u202e\u2028\u2066\u061cb';
    const out = json({ comm });
    expect(out).toBe('{\n  "comm": "a\\u009b2J\\u007f\\u202e\\u2028\\u2066\\u061cb"\n}\n');
    expect(JSON.parse(out)).toEqual({ comm });
  });

  test('keeps printable non-ASCII text as it is', () => {
    expect(json({ comm: 'café ✓' })).toBe('{\n  "comm": "café ✓"\n}\n');
  });
});
