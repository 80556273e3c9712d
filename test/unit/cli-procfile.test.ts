// Procfiles and .env files for `unixproc supervise --procfile`: what foreman and honcho accept,
// and every malformed line refused with its file and line number.
import { linePrefixes, parseEnvFile, parseProcfile, ProcfileError, useColour } from '../../lib/cli/procfile';

function errorOf(f: () => unknown): ProcfileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProcfileError);
    return e as ProcfileError;
  }
  throw new Error('did not throw');
}

describe('parseProcfile', () => {
  test('reads name: command lines in order, skipping blank and # lines, with CRLF too', () => {
    const text = '# services\nweb: node server.js --port $PORT\r\n\n  worker:bin/worker  -q \nclock_2:  sh -c "echo a: b"\n';
    expect(parseProcfile(text, 'Procfile')).toEqual([
      { name: 'web', command: 'node server.js --port $PORT', line: 2 },
      { name: 'worker', command: 'bin/worker  -q', line: 4 },
      { name: 'clock_2', command: 'sh -c "echo a: b"', line: 5 },
    ]);
  });

  test.each([
    ['web node server.js\n', 1, "Procfile:1: not a 'name: command' line: 'web node server.js'"],
    ['web: a\n\nweb: b\n', 3, "Procfile:3: 'web' is already defined on line 1"],
    ['web:\n', 1, "Procfile:1: no command for 'web'"],
    ['we b: x\n', 1, "Procfile:1: bad process name 'we b' (letters, digits, '_' and '-', 1 to 64 of them)"],
    ['a: x\n\x1b[31m: y\n', 2, "Procfile:2: bad process name '\\x1b[31m' (letters, digits, '_' and '-', 1 to 64 of them)"],
    [`${'n'.repeat(65)}: x\n`, 1, `Procfile:1: bad process name '${'n'.repeat(40)}...' (letters, digits, '_' and '-', 1 to 64 of them)`],
    ['a: x\nb: y\0z\n', 2, 'Procfile:2: a NUL byte (not a text file?)'],
    ['a: echo \x07\n', 1, "Procfile:1: a control character in the command of 'a'"],
    ['# nothing\n\n', 1, "Procfile:1: no 'name: command' line"],
    ['', 1, "Procfile:1: no 'name: command' line"],
  ])('refuses %j at line %d', (text, line, message) => {
    const e = errorOf(() => parseProcfile(text, 'Procfile'));
    expect([e.line, e.file, e.message]).toEqual([line, 'Procfile', message]);
  });

  test('refuses a line of more than 64 KiB instead of reading on', () => {
    expect(errorOf(() => parseProcfile(`a: b\nc: ${'x'.repeat(70000)}\n`, 'P')).message).toBe('P:2: line longer than 65536 characters');
  });
});

describe('parseEnvFile', () => {
  test('reads bare, single- and double-quoted values, export, comments, and a repeated key', () => {
    const text = [
      '# config',
      'A=1',
      'export B = two words  # a comment',
      "C='$HOME \\n kept # as is'",
      'D="line1\\nline2 \\"q\\" \\\\"  # after',
      'E=',
      'A=again',
      'F=a#b',
    ].join('\n');
    expect(Object.fromEntries(parseEnvFile(text, '.env'))).toEqual({
      A: 'again',
      B: 'two words',
      C: '$HOME \\n kept # as is',
      D: 'line1\nline2 "q" \\',
      E: '',
      F: 'a#b',
    });
  });

  test.each([
    ['A\n', 1, ".env:1: not a 'KEY=value' line: 'A'"],
    ['A=1\n1B=2\n', 2, ".env:2: bad variable name '1B'"],
    ['A="open\n', 1, '.env:1: unterminated double-quoted value of A'],
    ["A='open\n", 1, '.env:1: unterminated single-quoted value of A'],
    ['A="x" y\n', 1, ".env:1: text after the quoted value of A: 'y'"],
    ['A="\\q"\n', 1, ".env:1: unknown escape '\\q' in the value of A"],
    ['A=\x1b]0;x\x07\n', 1, '.env:1: a control character in the value of A'],
  ])('refuses %j at line %d', (text, line, message) => {
    const e = errorOf(() => parseEnvFile(text, '.env'));
    expect([e.line, e.message]).toEqual([line, message]);
  });
});

describe('output prefixes', () => {
  test('pads names to the longest and colours them in turn only when asked', () => {
    expect([...linePrefixes(['web', 'worker'], false)]).toEqual([
      ['web', 'web    | '],
      ['worker', 'worker | '],
    ]);
    expect(linePrefixes(['a', 'b', 'c', 'd', 'e', 'f', 'g'], true).get('g')).toBe('\x1b[36mg | \x1b[0m');
    expect(linePrefixes(['a', 'b'], true).get('b')).toBe('\x1b[33mb | \x1b[0m');
  });

  test('colour only on a TTY, never under NO_COLOR or TERM=dumb', () => {
    expect(useColour(true, {})).toBe(true);
    expect(useColour(false, {})).toBe(false);
    expect(useColour(undefined, {})).toBe(false);
    expect(useColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(true, { NO_COLOR: '' })).toBe(true);
    expect(useColour(true, { TERM: 'dumb' })).toBe(false);
  });
});
