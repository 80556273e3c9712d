// The glob language of `unixproc guard --ignore` (lib/cli/glob.ts): what matches, what is
// refused, and that a hostile command line cannot make matching slow (issue 8, defect 9).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { compileGlob, GlobSyntaxError } from '../../lib/cli/glob';

const matches = (pattern: string, text: string): boolean => compileGlob(pattern).matches(text);

describe('compileGlob: what matches', () => {
  test.each<[string, string, boolean]>([
    ['sleep 300', 'sleep 300', true],
    ['sleep 300', 'sleep 3000', false],
    ['sleep *', 'sleep 300', true],
    ['sleep *', 'sleep ', true],
    ['sleep *', 'sleep', false],
    ['sleep *', '/bin/sleep 300', false], // anchored at the start
    ['*sleep*', '/bin/sleep 300', true],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbYcZ', false], // anchored at the end
    ['a*b*c', 'abcbc', true], // needs the last star to retry past a first 'c'
    ['*/node_modules/*', 'node /x/node_modules/jest/bin', true],
    ['sleep ???', 'sleep 300', true],
    ['sleep ???', 'sleep 30', false],
    ['?', '😀', true], // one character, though two UTF-16 units
    ['??', '😀', false],
    ['x*😀', 'xyz😀', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['\\?', '?', true],
    ['\\?', 'a', false],
    ['a\\\\b', 'a\\b', true],
    ['\\[x]', '[x]', true],
    ['x]', 'x]', true],
    ['Sleep *', 'sleep 1', false], // case-sensitive
    ['a**b', 'ab', true],
  ])('%j against %j: %s', (pattern, text, expected) => {
    expect(matches(pattern, text)).toBe(expected);
  });
});

describe('compileGlob: what is refused', () => {
  test.each<[string, RegExp]>([
    ['[abc]', /character classes are not supported/],
    ['sleep [0-9]*', /'\[' at 6/],
    ['trailing\\', /trailing '\\' escapes nothing/],
  ])('%j', (pattern, message) => {
    expect(() => compileGlob(pattern)).toThrow(GlobSyntaxError);
    expect(() => compileGlob(pattern)).toThrow(message);
  });
});

describe('compileGlob: matching time is bounded by text length times pattern length', () => {
  // Patterns that make a backtracking matcher (or RegExp's /^(a+)+$/) exponential, against
  // 200,000 characters: run in a child with a timeout, so a regression fails instead of
  // hanging the suite. The bound is O(n·m): about 10^7 steps here.
  test('the pathological cases finish, with the right answers', () => {
    const script = `
      const { compileGlob } = require(${JSON.stringify(path.join(__dirname, '../../lib/cli/glob.ts'))});
      const text = 'a'.repeat(200000) + '!';
      const out = [
        compileGlob('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b').matches(text),
        compileGlob('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*!').matches(text),
        compileGlob('*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?!').matches(text),
        compileGlob('*aa').matches(text),
      ];
      process.stdout.write(JSON.stringify(out));
    `;
    const r = spawnSync(process.execPath, ['-r', path.join(__dirname, '../helpers/ts-register.js'), '-e', script], {
      encoding: 'utf8',
      timeout: 20000,
      killSignal: 'SIGKILL',
    });
    expect([r.signal, r.stderr]).toEqual([null, '']);
    expect(JSON.parse(r.stdout)).toEqual([false, true, true, false]);
  });
});
