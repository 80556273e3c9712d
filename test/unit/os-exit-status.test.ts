// decodeWaitStatus: every kind of status the kernel reports, and the values it never does.
// Statuses are built with the Linux bit layout (glibc bits/waitstatus.h):
// exited (code << 8), signaled (signo | 0x80 core), stopped (signo << 8 | 0x7f), continued 0xffff.
import { decodeWaitStatus, nameOfSignal } from '../../lib/exit-status';
import * as unixproc from '../../lib/index';

describe('decodeWaitStatus decodes each kind', () => {
  test.each([0, 1, 255])('exit code %i', (code) => {
    expect(decodeWaitStatus(code << 8)).toEqual({ kind: 'exited', code });
  });

  test('SIGTERM without a core dump', () => {
    expect(decodeWaitStatus(15)).toEqual({ kind: 'signaled', signal: 'SIGTERM', signo: 15, coreDumped: false });
  });

  test('SIGKILL without a core dump', () => {
    expect(decodeWaitStatus(9)).toEqual({ kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false });
  });

  test('SIGSEGV with a core dump', () => {
    expect(decodeWaitStatus(11 | 0x80)).toEqual({ kind: 'signaled', signal: 'SIGSEGV', signo: 11, coreDumped: true });
  });

  test('a real-time signal Node has no name for is SIG<n>', () => {
    expect(decodeWaitStatus(34)).toEqual({ kind: 'signaled', signal: 'SIG34', signo: 34, coreDumped: false });
  });

  test('the highest signal, 64, is SIG64', () => {
    expect(decodeWaitStatus(64)).toEqual({ kind: 'signaled', signal: 'SIG64', signo: 64, coreDumped: false });
  });

  test('stopped by SIGSTOP', () => {
    expect(decodeWaitStatus((19 << 8) | 0x7f)).toEqual({ kind: 'stopped', signal: 'SIGSTOP', signo: 19 });
  });

  test('stopped by SIGTSTP', () => {
    expect(decodeWaitStatus((20 << 8) | 0x7f)).toEqual({ kind: 'stopped', signal: 'SIGTSTP', signo: 20 });
  });

  test('stopped by a real-time signal is SIG<n>', () => {
    expect(decodeWaitStatus((40 << 8) | 0x7f)).toEqual({ kind: 'stopped', signal: 'SIG40', signo: 40 });
  });

  test('a ptrace event stop (event << 16 | SIGTRAP << 8 | 0x7f) is stopped by SIGTRAP', () => {
    expect(decodeWaitStatus((1 << 16) | (5 << 8) | 0x7f)).toEqual({ kind: 'stopped', signal: 'SIGTRAP', signo: 5 });
  });

  test('continued', () => {
    expect(decodeWaitStatus(0xffff)).toEqual({ kind: 'continued' });
  });
});

describe('decodeWaitStatus rejects what is not a status', () => {
  test.each([
    ['a string', '0'],
    ['a bigint', 0n],
    ['null', null],
    ['undefined', undefined],
  ])('%s is ERR_INVALID_ARG_TYPE', (_what, value) => {
    expect(() => decodeWaitStatus(value as unknown as number)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test.each([
    ['a fraction', 1.5],
    ['NaN', NaN],
    ['2^31', 2 ** 31],
    ['below -2^31', -(2 ** 31) - 1],
  ])('%s is ERR_OUT_OF_RANGE', (_what, value) => {
    expect(() => decodeWaitStatus(value)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });

  test.each([
    ['low byte 0xff', 0xff],
    ['-1', -1],
    ['a core flag without a signal (0x80)', 0x80],
    ['an exit code with bits above 15 (0x10000)', 0x10000],
    ['a signal number above 64 (65)', 65],
    ['a signal with bits above the low byte', 0x100 | 9],
    ['a stop by signal 0 (0x7f)', 0x7f],
    ['a stop by a signal above 64', (65 << 8) | 0x7f],
  ])('%s is ERR_INVALID_ARG_VALUE naming status', (_what, value) => {
    expect(() => decodeWaitStatus(value)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'status'") }),
    );
  });
});

describe('nameOfSignal (internal, issue 8)', () => {
  test('names a signal, or SIG<n> where Node has no name', () => {
    expect([nameOfSignal(15), nameOfSignal(40), nameOfSignal(0x85)]).toEqual(['SIGTERM', 'SIG40', 'SIG133']);
  });

  test.each<[string, unknown, string]>([
    ['a symbol', Symbol('x'), 'ERR_INVALID_ARG_TYPE'],
    ['a bigint', 15n, 'ERR_INVALID_ARG_TYPE'],
    ['NaN', NaN, 'ERR_OUT_OF_RANGE'],
    ['-1', -1, 'ERR_OUT_OF_RANGE'],
  ])('rejects %s with %s', (_what, value, code) => {
    expect(() => nameOfSignal(value as number)).toThrow(expect.objectContaining({ code }));
  });

  test('is not exported by the package, nor is statusBits (they are internals)', () => {
    expect(['nameOfSignal' in unixproc, 'statusBits' in unixproc, typeof unixproc.decodeWaitStatus]).toEqual([false, false, 'function']);
  });
});
