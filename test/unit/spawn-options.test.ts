// Every argument and option of spawn() is validated before native code runs.
import { spawn } from '../../lib/spawn';
import { execCandidates, searchPath } from '../../lib/spawn/path-search';
import { statusFromSiginfo } from '../../lib/exit-status';
import { decodeWaitStatus } from '../../lib/exit-status';

describe('spawn argument validation', () => {
  test.each([
    ['file not a string', [42], 'ERR_INVALID_ARG_TYPE'],
    ['empty file', [''], 'ERR_INVALID_ARG_VALUE'],
    ['NUL in file', ['/bin/true\0x'], 'ERR_INVALID_ARG_VALUE'],
    ['args not an array', ['/bin/true', 'x'], 'ERR_INVALID_ARG_TYPE'],
    ['NUL in an arg', ['/bin/true', ['a\0']], 'ERR_INVALID_ARG_VALUE'],
    ['a number arg', ['/bin/true', [1]], 'ERR_INVALID_ARG_TYPE'],
    ['options not an object', ['/bin/true', [], 'x'], 'ERR_INVALID_ARG_TYPE'],
  ])('%s throws %s', (_what, args, code) => {
    expect(() => (spawn as (...a: unknown[]) => unknown)(...args)).toThrow(expect.objectContaining({ code }));
  });

  test.each([
    ['cwd', { cwd: 5 }, 'ERR_INVALID_ARG_TYPE'],
    ['cwd with NUL', { cwd: '/tmp\0' }, 'ERR_INVALID_ARG_VALUE'],
    ['env', { env: 'PATH=/bin' }, 'ERR_INVALID_ARG_TYPE'],
    ['env as a Set (issue 8: was an empty environment)', { env: new Set(['PATH=/bin']) }, 'ERR_INVALID_ARG_TYPE'],
    ['env as a Date', { env: new Date(0) }, 'ERR_INVALID_ARG_TYPE'],
    ['env value with NUL', { env: { A: 'x\0' } }, 'ERR_INVALID_ARG_VALUE'],
    ['env key with =', { env: { 'A=B': 'x' } }, 'ERR_INVALID_ARG_VALUE'],
    ['stdio word', { stdio: 'pipes' }, 'ERR_INVALID_ARG_VALUE'],
    ['stdio type', { stdio: [{}] }, 'ERR_INVALID_ARG_TYPE'],
    ['stdio negative fd', { stdio: [-1] }, 'ERR_OUT_OF_RANGE'],
    ['stdio too long', { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }, 'ERR_INVALID_ARG_VALUE'],
    ['setsid', { setsid: 1 }, 'ERR_INVALID_ARG_TYPE'],
    ['processGroup', { processGroup: 'new' }, 'ERR_INVALID_ARG_TYPE'],
    ['processGroup negative', { processGroup: -3 }, 'ERR_OUT_OF_RANGE'],
    ['processGroup with setsid', { setsid: true, processGroup: 5 }, 'ERR_INVALID_ARG_VALUE'],
    ['killOnParentDeath', { killOnParentDeath: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE'],
    ['killOnParentDeath 0', { killOnParentDeath: 0 }, 'ERR_OUT_OF_RANGE'],
    ['signal', { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    ['timeout negative', { timeout: -1 }, 'ERR_OUT_OF_RANGE'],
    ['timeout NaN', { timeout: NaN }, 'ERR_OUT_OF_RANGE'],
    ['timeout string', { timeout: '5' }, 'ERR_INVALID_ARG_TYPE'],
    ['killSignal', { killSignal: 'SIGFOO' }, 'ERR_INVALID_ARG_VALUE'],
    ['killSignal 0', { killSignal: 0 }, 'ERR_OUT_OF_RANGE'],
    ['killGracePeriod', { killGracePeriod: -5 }, 'ERR_OUT_OF_RANGE'],
    ['user out of range', { user: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
    ['user (uid_t)-1, which the kernel reads as "no change"', { user: 2 ** 32 - 1 }, 'ERR_OUT_OF_RANGE'],
    ['user negative', { user: -1 }, 'ERR_OUT_OF_RANGE'],
    ['user a boolean', { user: true }, 'ERR_INVALID_ARG_TYPE'],
    ['user empty', { user: '' }, 'ERR_INVALID_ARG_VALUE'],
    ['group fraction', { group: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ['group with NUL', { group: 'users\0' }, 'ERR_INVALID_ARG_VALUE'],
    ['extraGroups a string (Python: "Groups must be a list, not a string")', { extraGroups: 'users' }, 'ERR_INVALID_ARG_TYPE'],
    ['extraGroups an element of the wrong type', { extraGroups: [100, null] }, 'ERR_INVALID_ARG_TYPE'],
    ['extraGroups a negative gid', { extraGroups: [-1] }, 'ERR_OUT_OF_RANGE'],
    ['the former uid', { uid: 0 }, 'ERR_INVALID_ARG_VALUE'],
    ['the former gid', { gid: 0 }, 'ERR_INVALID_ARG_VALUE'],
    ['argv0 with NUL', { argv0: 'a\0' }, 'ERR_INVALID_ARG_VALUE'],
    ['lineage', { lineage: 'no' }, 'ERR_INVALID_ARG_TYPE'],
  ])('option %s throws %s', (_what, options, code) => {
    expect(() => spawn('/bin/true', [], options as never)).toThrow(expect.objectContaining({ code }));
  });

  test('an already aborted signal throws AbortError and starts nothing', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => spawn('/bin/true', [], { signal: ac.signal })).toThrow(
      expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR' }),
    );
  });
});

describe('PATH search', () => {
  test('a file with a slash is the only candidate', () => {
    expect(execCandidates('./x', '/bin:/usr/bin')).toEqual(['./x']);
  });
  test('each PATH entry in order; an empty entry is the working directory', () => {
    expect(execCandidates('ls', '/a:/b/::/c')).toEqual(['/a/ls', '/b/ls', 'ls', '/c/ls']);
  });
  test("PATH comes from the child's environment, else glibc's default", () => {
    expect(searchPath(['A=1', 'PATH=/x:/y'])).toBe('/x:/y');
    expect(searchPath(['A=1'])).toBe('/bin:/usr/bin');
  });
});

describe('waitid siginfo to wait status', () => {
  test.each([
    [1, 0, { kind: 'exited', code: 0 }],
    [1, 255, { kind: 'exited', code: 255 }],
    [2, 15, { kind: 'signaled', signal: 'SIGTERM', signo: 15, coreDumped: false }],
    [3, 11, { kind: 'signaled', signal: 'SIGSEGV', signo: 11, coreDumped: true }],
  ])('si_code %i si_status %i', (code, status, expected) => {
    expect(decodeWaitStatus(statusFromSiginfo(code, status))).toEqual(expected);
  });
});
