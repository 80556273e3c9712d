// The error classes run() throws are public and constructible (Python's CalledProcessError
// and TimeoutExpired are): what user code passes is checked like any other argument, so a
// bad one is a coded argument error, never "Cannot read properties of undefined".
import { AbortError, CalledProcessError, TimeoutExpiredError } from '../../lib/spawn/errors';

const exited1 = { kind: 'exited', code: 1 } as const;
const killed = { kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false } as const;

describe('CalledProcessError', () => {
  test('is built from the command, the status and what was captured', () => {
    const e = new CalledProcessError(['false', '-x'], exited1, 'out', Buffer.from('err'));
    expect(e.message).toBe('Command ["false","-x"] exited with code 1');
    expect([e.name, e.code, e.args, e.status, e.stdout, e.stderr]).toEqual([
      'CalledProcessError', 'ERR_UNIXPROC_CHILD_FAILED', ['false', '-x'], exited1, 'out', Buffer.from('err'),
    ]);
  });

  test('captured output defaults to null, as Python\'s output=None', () => {
    const e = new CalledProcessError(['sleep'], killed);
    expect([e.message, e.stdout, e.stderr]).toEqual(['Command ["sleep"] was killed by SIGKILL', null, null]);
  });

  test('keeps its own frozen copy of the command', () => {
    const args = ['a'];
    const e = new CalledProcessError(args, exited1);
    args.push('b');
    expect([e.args, Object.isFrozen(e.args)]).toEqual([['a'], true]);
  });

  const bad: [string, string, () => unknown][] = [
    ['no arguments (issue 8)', 'ERR_INVALID_ARG_TYPE', () => new (CalledProcessError as unknown as new () => unknown)()],
    ['a command that is a string', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError('ls' as never, exited1)],
    ['a hole in the command', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError([, 'a'] as never, exited1)],
    ['a bigint in the command', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError([1n] as never, exited1)],
    ['no status', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError(['x'], undefined as never)],
    ['an unknown status kind', 'ERR_INVALID_ARG_VALUE', () => new CalledProcessError(['x'], { kind: 'gone' } as never)],
    ['an exit code of 256', 'ERR_OUT_OF_RANGE', () => new CalledProcessError(['x'], { kind: 'exited', code: 256 })],
    ['a signaled status without coreDumped', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError(['x'], { kind: 'signaled', signal: 'SIGKILL', signo: 9 } as never)],
    ['stdout that is a number', 'ERR_INVALID_ARG_TYPE', () => new CalledProcessError(['x'], exited1, 5 as never)],
  ];
  test.each(bad)('rejects %s with %s', (_what, code, make) => {
    expect(make).toThrow(expect.objectContaining({ code }));
  });
});

describe('TimeoutExpiredError', () => {
  test('is built from the command, the timeout and the status', () => {
    const e = new TimeoutExpiredError(['sleep', '9'], 10, killed, null, '');
    expect([e.message, e.code, e.timeout, e.stdout, e.stderr]).toEqual([
      'Command ["sleep","9"] timed out after 10 ms', 'ERR_UNIXPROC_TIMEOUT', 10, null, '',
    ]);
  });

  const bad: [string, string, () => unknown][] = [
    ['a bigint command (issue 8)', 'ERR_INVALID_ARG_TYPE', () => new (TimeoutExpiredError as unknown as new (a: unknown) => unknown)(10n)],
    ['a bigint timeout', 'ERR_INVALID_ARG_TYPE', () => new TimeoutExpiredError(['x'], 10n as never, killed)],
    ['a NaN timeout', 'ERR_OUT_OF_RANGE', () => new TimeoutExpiredError(['x'], NaN, killed)],
    ['a negative timeout', 'ERR_OUT_OF_RANGE', () => new TimeoutExpiredError(['x'], -1, killed)],
    ['a status that is null', 'ERR_INVALID_ARG_TYPE', () => new TimeoutExpiredError(['x'], 1, null as never)],
  ];
  test.each(bad)('rejects %s with %s', (_what, code, make) => {
    expect(make).toThrow(expect.objectContaining({ code }));
  });
});

describe('AbortError', () => {
  test('is shaped as Node\'s own, with the cause it is given', () => {
    const reason = new Error('why');
    const e = new AbortError(undefined, { cause: reason });
    expect([e.name, e.code, e.message, e.cause]).toEqual(['AbortError', 'ABORT_ERR', 'The operation was aborted', reason]);
    expect('cause' in new AbortError('m')).toBe(false);
  });

  test('rejects a message that is not a string (issue 8: a symbol)', () => {
    expect(() => new AbortError(Symbol('x') as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('rejects options that are not an object', () => {
    expect(() => new AbortError('m', 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
