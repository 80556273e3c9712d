// Every argument of supervise(), daemonize() and readPidfile() is checked before anything
// starts: Node's ERR_* codes, naming the argument.
import { daemonize, readPidfile, supervise, Supervisor } from '../../lib/supervise';
import { validateSupervisorOptions } from '../../lib/supervise/options';
import { childrenOf } from '../helpers/os-core-children';

describe('supervise() rejects', () => {
  test.each<[string, unknown[], string]>([
    ['a non-string file', [42], 'ERR_INVALID_ARG_TYPE'],
    ['an empty file', [''], 'ERR_INVALID_ARG_VALUE'],
    ['a file with a NUL byte', ['/bin/\u0000sh'], 'ERR_INVALID_ARG_VALUE'],
    ['args that are not an array', ['/bin/true', 'x'], 'ERR_INVALID_ARG_TYPE'],
    ['an arg that is not a string', ['/bin/true', [1]], 'ERR_INVALID_ARG_TYPE'],
    ['options that are not an object', ['/bin/true', [], 'x'], 'ERR_INVALID_ARG_TYPE'],
    ['an unknown restart policy', ['/bin/true', [], { restart: 'sometimes' }], 'ERR_INVALID_ARG_VALUE'],
    ['a restart policy that is not a string', ['/bin/true', [], { restart: 1 }], 'ERR_INVALID_ARG_TYPE'],
    ['a negative initial backoff', ['/bin/true', [], { backoff: { initial: -1 } }], 'ERR_OUT_OF_RANGE'],
    ['a backoff factor below 1', ['/bin/true', [], { backoff: { factor: 0.5 } }], 'ERR_OUT_OF_RANGE'],
    ['a backoff max below the initial delay', ['/bin/true', [], { backoff: { initial: 100, max: 10 } }], 'ERR_OUT_OF_RANGE'],
    ['a non-finite resetAfter', ['/bin/true', [], { backoff: { resetAfter: Infinity } }], 'ERR_OUT_OF_RANGE'],
    ['a fractional maxRestarts', ['/bin/true', [], { startLimit: { maxRestarts: 1.5 } }], 'ERR_OUT_OF_RANGE'],
    ['a zero window', ['/bin/true', [], { startLimit: { window: 0 } }], 'ERR_OUT_OF_RANGE'],
    ['killSignal 0', ['/bin/true', [], { killSignal: 0 }], 'ERR_OUT_OF_RANGE'],
    ['an unknown killSignal', ['/bin/true', [], { killSignal: 'SIGNOPE' }], 'ERR_INVALID_ARG_VALUE'],
    ['a negative killGracePeriod', ['/bin/true', [], { killGracePeriod: -1 }], 'ERR_OUT_OF_RANGE'],
    ["stdio[0] 'pipe' (a piped stdin is refused; stdout and stderr may be piped)", ['/bin/true', [], { stdio: ['pipe', 'pipe'] }], 'ERR_INVALID_ARG_VALUE'],
    ['a bad cwd', ['/bin/true', [], { cwd: 5 }], 'ERR_INVALID_ARG_TYPE'],
    ['a user id out of range', ['/bin/true', [], { user: -1 }], 'ERR_OUT_OF_RANGE'],
    ['a user name the user database does not have', ['/bin/true', [], { user: 'no-such-user-unixproc' }], 'ERR_INVALID_ARG_VALUE'],
    ['the former uid (now user)', ['/bin/true', [], { uid: 0 }], 'ERR_INVALID_ARG_VALUE'],
    ['the former gid (now group)', ['/bin/true', [], { gid: 0 }], 'ERR_INVALID_ARG_VALUE'],
    ['an unknown readiness', ['/bin/true', [], { ready: 'exec' }], 'ERR_INVALID_ARG_VALUE'],
    ['a readiness of the wrong type', ['/bin/true', [], { ready: 1 }], 'ERR_INVALID_ARG_TYPE'],
    ['ready: {} without fd', ['/bin/true', [], { ready: {} }], 'ERR_INVALID_ARG_VALUE'],
    ['ready: { fd } with an unknown key', ['/bin/true', [], { ready: { fd: 4, fdd: 5 } }], 'ERR_INVALID_ARG_VALUE'],
    ['ready: { fd: 1 } (stdio)', ['/bin/true', [], { ready: { fd: 1 } }], 'ERR_OUT_OF_RANGE'],
    ['ready: { fd: 4.5 }', ['/bin/true', [], { ready: { fd: 4.5 } }], 'ERR_OUT_OF_RANGE'],
    ["ready: { fd: '4' }", ['/bin/true', [], { ready: { fd: '4' } }], 'ERR_INVALID_ARG_TYPE'],
    ['a zero readyTimeout', ['/bin/true', [], { ready: 'notify', readyTimeout: 0 }], 'ERR_OUT_OF_RANGE'],
    ['a negative readyTimeout', ['/bin/true', [], { readyTimeout: -1 }], 'ERR_OUT_OF_RANGE'],
    ['a zero watchdog', ['/bin/true', [], { watchdog: 0 }], 'ERR_OUT_OF_RANGE'],
    ['an infinite watchdog', ['/bin/true', [], { watchdog: Infinity }], 'ERR_OUT_OF_RANGE'],
    ['a watchdog that is not a number', ['/bin/true', [], { watchdog: '1s' }], 'ERR_INVALID_ARG_TYPE'],
    ['a relative notifySocket', ['/bin/true', [], { ready: 'notify', notifySocket: 'notify.sock' }], 'ERR_INVALID_ARG_VALUE'],
    ['an empty abstract notifySocket', ['/bin/true', [], { ready: 'notify', notifySocket: '@' }], 'ERR_INVALID_ARG_VALUE'],
    ['a notifySocket with a NUL byte', ['/bin/true', [], { ready: 'notify', notifySocket: '/tmp/a\u0000b' }], 'ERR_INVALID_ARG_VALUE'],
    ['a notifySocket longer than sun_path', ['/bin/true', [], { ready: 'notify', notifySocket: `/${'x'.repeat(107)}` }], 'ERR_INVALID_ARG_VALUE'],
    ['a notifySocket without notify or watchdog', ['/bin/true', [], { notifySocket: '@x' }], 'ERR_INVALID_ARG_VALUE'],
    ['a notifySocket that is not a string', ['/bin/true', [], { ready: 'notify', notifySocket: 5 }], 'ERR_INVALID_ARG_TYPE'],
  ])('%s', (_what, args, code) => {
    const before = childrenOf(process.pid).length;
    expect(() => (supervise as (...a: unknown[]) => unknown)(...args)).toThrow(expect.objectContaining({ code }));
    expect(childrenOf(process.pid).length).toBe(before);
  });
});

describe('supervise() with a NOTIFY_SOCKET it cannot bind', () => {
  test('throws the bind error at once (code, errno, syscall, path), with nothing started', () => {
    const before = childrenOf(process.pid).length;
    const path = '/nonexistent-unixproc-dir/notify.sock';
    expect(() => supervise('/bin/true', [], { ready: 'notify', notifySocket: path })).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'bind', path }),
    );
    expect(childrenOf(process.pid).length).toBe(before);
  });

  test('an abstract name another supervisor holds is EADDRINUSE at supervise() time', async () => {
    const name = `@unixproc-test-notify-${process.pid}`;
    const first = supervise('sleep', ['60'], { ready: 'notify', notifySocket: name, readyTimeout: 60000 });
    try {
      expect(() => supervise('/bin/true', [], { ready: 'notify', notifySocket: name })).toThrow(
        expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
      );
    } finally {
      await first.terminate();
    }
  });
});

describe('daemonize() rejects', () => {
  test.each<[string, unknown[], string]>([
    ['a non-string file', [null], 'ERR_INVALID_ARG_TYPE'],
    ['args that are not an array', ['/bin/true', {}], 'ERR_INVALID_ARG_TYPE'],
    ['a umask above 0777', ['/bin/true', [], { umask: 0o1000 }], 'ERR_OUT_OF_RANGE'],
    ['a stdio that is not a stream target', ['/bin/true', [], { stdio: true }], 'ERR_INVALID_ARG_TYPE'],
    ['a negative stdio[2] fd', ['/bin/true', [], { stdio: ['ignore', 'ignore', -1] }], 'ERR_OUT_OF_RANGE'],
    ["stdio 'pipe' (nothing reads a daemon's output)", ['/bin/true', [], { stdio: 'pipe' }], 'ERR_INVALID_ARG_VALUE'],
    ['a stdin other than /dev/null', ['/bin/true', [], { stdio: [0] }], 'ERR_INVALID_ARG_VALUE'],
    ['more than 3 stdio entries', ['/bin/true', [], { stdio: ['ignore', 'ignore', 'ignore', 'ignore'] }], 'ERR_INVALID_ARG_VALUE'],
    ['an empty cwd', ['/bin/true', [], { cwd: '' }], 'ERR_INVALID_ARG_VALUE'],
    ['a pidfile that is not a string', ['/bin/true', [], { pidfile: 1 }], 'ERR_INVALID_ARG_TYPE'],
    ['a pidfile given as a Buffer (its temporary file is named from the string)', ['/bin/true', [], { pidfile: Buffer.from('/tmp/x.pid') }], 'ERR_INVALID_ARG_TYPE'],
    ['a bad env', ['/bin/true', [], { env: 'PATH=/bin' }], 'ERR_INVALID_ARG_TYPE'],
  ])('%s', (_what, args, code) => {
    expect(() => (daemonize as (...a: unknown[]) => unknown)(...args)).toThrow(expect.objectContaining({ code }));
  });
});

describe('readPidfile() rejects', () => {
  test.each<[string, unknown, string]>([
    ['a number', 1, 'ERR_INVALID_ARG_TYPE'],
    ['an empty path', '', 'ERR_INVALID_ARG_VALUE'],
    ['a path with a NUL byte', '/tmp/\u0000x', 'ERR_INVALID_ARG_VALUE'],
  ])('%s', (_what, path, code) => {
    expect(() => (readPidfile as (p: unknown) => unknown)(path)).toThrow(expect.objectContaining({ code }));
  });
});

describe('new Supervisor() (issue 8): supervisors come only from supervise()', () => {
  const Ctor = Supervisor as unknown as new (...a: unknown[]) => Supervisor;
  test.each<[string, unknown[]]>([
    ['no arguments', []],
    ['supervise()\'s arguments', ['/bin/sleep', ['300'], validateSupervisorOptions(undefined)]],
    ['a forged token', [Symbol('Supervisor.construct'), '/bin/sleep', ['300'], validateSupervisorOptions(undefined)]],
  ])('with %s is ERR_ILLEGAL_CONSTRUCTOR and starts nothing', (_what, args) => {
    const before = childrenOf(process.pid).length;
    expect(() => new Ctor(...args)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }));
    expect(childrenOf(process.pid).length).toBe(before);
  });
});

describe('Supervisor methods reject', () => {
  test('signal() with an unknown signal name', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    try {
      expect(() => sup.kill('SIGNOPE' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    } finally {
      await sup.terminate();
    }
  });
});
