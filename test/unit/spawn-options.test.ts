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
    ['uid out of range', { uid: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
    ['uid negative', { uid: -1 }, 'ERR_OUT_OF_RANGE'],
    ['gid fraction', { gid: 1.5 }, 'ERR_OUT_OF_RANGE'],
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
