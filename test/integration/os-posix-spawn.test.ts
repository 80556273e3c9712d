// posix_spawn / posix_spawnp: what the spawned program inherits, file actions, attributes,
// exec failures in the caller, and argument validation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from '../../lib/os';
import { childrenOf, fdsOfSpawned, reap, runCapture, signalMask, spawnSh, tempDir } from '../helpers/os-core-children';

const { O_RDONLY, O_WRONLY, O_CREAT } = fs.constants;

describe('what the spawned program inherits', () => {
  test('no ignored and no blocked signal, although Node ignores SIGPIPE here', () => {
    const own = fs.readFileSync('/proc/self/status', 'utf8');
    expect(signalMask(own, 'SigIgn') & (1n << 12n)).toBe(1n << 12n); // SIGPIPE (13) ignored by Node
    const { status, stdout } = runCapture('/bin/cat', ['cat', '/proc/self/status']);
    expect(status).toBe(0);
    expect([signalMask(stdout, 'SigIgn'), signalMask(stdout, 'SigBlk')]).toEqual([0n, 0n]);
  });

  test('setsigmask is the mask the program starts with', () => {
    const { stdout } = runCapture('/bin/cat', ['cat', '/proc/self/status'], { setsigmask: ['SIGUSR1', 12] });
    expect(signalMask(stdout, 'SigBlk')).toBe((1n << 9n) | (1n << 11n));
  });

  test('only fds 0, 1 and 2 reach the program (Node keeps them close-on-exec)', () => {
    const flags = fs.readFileSync('/proc/self/fdinfo/2', 'utf8');
    // libuv marks stdio O_CLOEXEC (0o2000000): without care they would not reach the program.
    expect(Number.parseInt(/flags:\s*(\d+)/.exec(flags)?.[1] ?? '0', 8) & 0o2000000).toBe(0o2000000);
    expect([...fdsOfSpawned().keys()].sort()).toEqual([0, 1, 2]);
  });

  // Python's posix_spawn passes every inheritable fd (issue 13; CPython's
  // TestPosixSpawn.test_setsid hands its pipe over that way). Node opens fds close-on-exec,
  // so an inheritable fd is one the caller made so with set_inheritable.
  test('a descriptor made inheritable with set_inheritable reaches the program, as in Python', () => {
    const fd = fs.openSync('/etc/hostname', 'r');
    const other = fs.openSync('/dev/null', 'r'); // left close-on-exec: not passed
    try {
      os.set_inheritable(fd, true);
      expect(fdsOfSpawned().get(fd)).toBe('/etc/hostname');
      expect(fdsOfSpawned().has(other)).toBe(false);
      // also above a file action's target (the one-by-one range) and below it
      expect(fdsOfSpawned({ file_actions: [[os.POSIX_SPAWN_DUP2, 1, fd + 10]] }).get(fd)).toBe('/etc/hostname');
      // the caller's CLOSE still closes it
      expect(fdsOfSpawned({ file_actions: [[os.POSIX_SPAWN_CLOSE, fd]] }).has(fd)).toBe(false);
    } finally {
      fs.closeSync(fd);
      fs.closeSync(other);
    }
  });

  test('a descriptor made non-inheritable again is closed in the program', () => {
    const fd = fs.openSync('/etc/hostname', 'r');
    try {
      os.set_inheritable(fd, true);
      os.set_inheritable(fd, false);
      expect(fdsOfSpawned().has(fd)).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
  });

  // Python takes None for each defaulted keyword argument; null does the same (issue 13).
  test('null options, file_actions, setpgroup and scheduler are "not given", as Python\'s None', () => {
    const pid = os.posix_spawn('/bin/true', ['true'], null, { file_actions: null, setpgroup: null, scheduler: null });
    expect(reap(pid)).toBe(0);
    expect(reap(os.posix_spawnp('true', ['true'], null, null))).toBe(0);
    expect(reap(os.posix_spawn('/bin/true', ['true'], undefined, { file_actions: undefined }))).toBe(0);
  });

  test.each(['resetids', 'setsid', 'setsigmask', 'setsigdef'])('%s: null is a TypeError, as None is in Python', (key) => {
    expect(() => os.posix_spawn('/bin/true', ['true'], null, { [key]: null })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('file actions: OPEN, DUP2 and CLOSE give exactly the fds asked for', () => {
    const fds = fdsOfSpawned({
      file_actions: [
        [os.POSIX_SPAWN_OPEN, 5, '/dev/null', O_RDONLY, 0],
        [os.POSIX_SPAWN_DUP2, 1, 9],
        [os.POSIX_SPAWN_CLOSE, 0],
      ],
    });
    expect([...fds.keys()].sort((a, b) => a - b)).toEqual([1, 2, 5, 9]);
    expect(fds.get(5)).toBe('/dev/null');
    expect(fds.get(9)).toBe(fds.get(1));
  });

  test('file action CLOSEFROM closes every fd from its argument', () => {
    const fds = fdsOfSpawned({ file_actions: [[os.POSIX_SPAWN_DUP2, 1, 4], [os.POSIX_SPAWN_CLOSEFROM, 2]] });
    expect([...fds.keys()].sort()).toEqual([0, 1]);
  });

  test('env is the whole environment of the program, from an object or a Map', () => {
    expect(runCapture('/usr/bin/env', ['env'], {}, { A: '1', B: 'two words' }).stdout).toBe('A=1\nB=two words\n');
    expect(runCapture('/usr/bin/env', ['env'], {}, new Map([['C', '']])).stdout).toBe('C=\n');
  });

  test('env null passes this process environment', () => {
    const { stdout } = runCapture('/usr/bin/env', ['env'], {}, null);
    expect(stdout.split('\n')).toContain(`PATH=${process.env.PATH}`);
  });

  test('argv reaches the program unchanged, argv[0] included', () => {
    const { stdout } = runCapture('/bin/cat', ['my-cat', '/proc/self/cmdline', ''], {});
    expect(stdout).toBe('my-cat\0/proc/self/cmdline\0\0');
  });
});

describe('attributes', () => {
  test('setpgroup 0 makes the child leader of a new group; setsid of a new session', () => {
    const a = spawnSh('exec sleep 30', { setpgroup: 0 });
    const b = spawnSh('exec sleep 30', { setsid: true });
    try {
      expect(os.getpgid(a)).toBe(a);
      expect(os.getsid(a)).toBe(os.getsid(0));
      expect([os.getsid(b), os.getpgid(b)]).toEqual([b, b]);
    } finally {
      os.kill(a, 'SIGKILL');
      os.kill(b, 'SIGKILL');
      reap(a);
      reap(b);
    }
  });

  test('setpgroup of an existing group puts the child in it', () => {
    const a = spawnSh('exec sleep 30', { setpgroup: 0 });
    const b = spawnSh('exec sleep 30', { setpgroup: a });
    try {
      expect(os.getpgid(b)).toBe(a);
    } finally {
      os.killpg(a, 'SIGKILL');
      reap(a);
      reap(b);
    }
  });

  test('scheduler sets the policy the program runs under', () => {
    const { stdout } = runCapture('/bin/cat', ['cat', '/proc/self/stat'], { scheduler: [os.SCHED_FIFO, { sched_priority: 1 }] });
    const fields = stdout.slice(stdout.lastIndexOf(')') + 2).split(' ');
    expect([Number(fields[38]), Number(fields[37])]).toEqual([os.SCHED_FIFO, 1]); // fields 41 policy, 40 rt_priority
  });

  test('scheduler with a policy glibc does not offer (SCHED_BATCH) throws EINVAL, as in CPython', () => {
    expect(() => os.posix_spawn('/bin/true', ['true'], null, { scheduler: [os.SCHED_BATCH, { sched_priority: 0 }] })).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'posix_spawn' }),
    );
  });

  test('resetids and setsigdef are accepted and the program runs', () => {
    expect(reap(spawnSh('exit 5', { resetids: true, setsigdef: ['SIGPIPE', 15] }))).toBe(5 << 8);
  });

  test('posix_spawnp finds a program in PATH', () => {
    const pid = os.posix_spawnp('sh', ['sh', '-c', 'exit 4'], null);
    expect(reap(pid)).toBe(4 << 8);
  });
});

describe('exec failures are thrown in the caller', () => {
  test('a missing program throws ENOENT with path', () => {
    expect(() => os.posix_spawn('/no/such/program', ['x'], null)).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'posix_spawn', path: '/no/such/program', message: "posix_spawn ENOENT '/no/such/program'" }),
    );
    expect(() => os.posix_spawnp('no-such-program-unixproc', ['x'], null)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'posix_spawnp', path: 'no-such-program-unixproc' }),
    );
  });

  test('a file without execute permission throws EACCES with path', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'not-executable');
      fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      expect(() => os.posix_spawn(file, ['x'], null)).toThrow(expect.objectContaining({ code: 'EACCES', errno: -13, path: file }));
    } finally {
      cleanup();
    }
  });

  test('a failed exec leaves no child behind (glibc reaped it)', () => {
    const before = childrenOf(process.pid);
    expect(() => os.posix_spawn('/no/such/program', ['x'], null)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(childrenOf(process.pid)).toEqual(before);
  });

  // Issue 13: a negative fd is an int; glibc's posix_spawn_file_actions_add* answer EBADF, as
  // Python's posix_spawn reports it.
  test.each([
    ['DUP2 -1', [os.POSIX_SPAWN_DUP2, -1, 2]],
    ['DUP2 to -1', [os.POSIX_SPAWN_DUP2, 1, -1]],
    ['CLOSE -1', [os.POSIX_SPAWN_CLOSE, -1]],
    ['OPEN as -1', [os.POSIX_SPAWN_OPEN, -1, '/dev/null', O_RDONLY, 0]],
  ])('a file action on a negative fd (%s) throws EBADF from glibc', (_what, action) => {
    expect(() => os.posix_spawn('/bin/true', ['true'], null, { file_actions: [action as unknown as os.FileAction] })).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'posix_spawn' }),
    );
  });

  test('a negative setpgroup goes to the kernel: EINVAL (setpgid in the child), as in Python', () => {
    expect(() => os.posix_spawn('/bin/true', ['true'], null, { setpgroup: -1 })).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'posix_spawn' }));
  });

  test('a failed OPEN file action throws its errno', () => {
    expect(() => os.posix_spawn('/bin/true', ['true'], null, { file_actions: [[os.POSIX_SPAWN_OPEN, 3, '/no/such/file', O_RDONLY, 0]] })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'posix_spawn' }),
    );
  });
});

describe('bad arguments', () => {
  const ok = ['/bin/true', ['true'], null] as const;
  const cases: [string, string, () => unknown][] = [
    ['a numeric path', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(1 as unknown as string, ['x'], null)],
    ['a path with NUL', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn('/bin/true\0x', ['x'], null)],
    ['an empty path', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn('', ['x'], null)],
    ['argv not an array', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], 'true' as unknown as string[], null)],
    ['an empty argv', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], [], null)],
    ["an empty argv[0]", 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], [''], null)],
    ['a number in argv', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true', 1 as unknown as string], null)],
    ['NUL in argv', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true', 'a\0b'], null)],
    ['env as an array', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], ['A=1'] as unknown as os.Environment)],
    ["'=' in an env key", 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], { 'A=B': '1' })],
    ['NUL in an env value', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], { A: 'x\0' })],
    ['a number as env value', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], { A: 1 } as unknown as os.Environment)],
    ['options not an object', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, 5 as unknown as os.PosixSpawnOptions)],
    ['file_actions not an array', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: {} as unknown as [] })],
    ['a file action not an array', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [1 as unknown as os.FileAction] })],
    ['an unknown file action tag', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [[7, 1] as unknown as os.FileAction] })],
    ['a CLOSE with two fds', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [[1, 1, 2] as unknown as os.FileAction] })],
    ['a DUP2 with an fd beyond int', 'ERR_OUT_OF_RANGE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [[os.POSIX_SPAWN_DUP2, 2 ** 31, 2]] })],
    ['an OPEN path with NUL', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [[os.POSIX_SPAWN_OPEN, 3, 'a\0', 0, 0]] })],
    ['an OPEN mode beyond 0o7777', 'ERR_OUT_OF_RANGE', () => os.posix_spawn(ok[0], ['true'], null, { file_actions: [[os.POSIX_SPAWN_OPEN, 3, '/x', O_WRONLY | O_CREAT, 0o10000]] })],
    ['a setpgroup beyond pid_t', 'ERR_OUT_OF_RANGE', () => os.posix_spawn(ok[0], ['true'], null, { setpgroup: 2 ** 31 })],
    ['a string resetids', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { resetids: 'yes' as unknown as boolean })],
    ['a numeric setsid', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { setsid: 1 as unknown as boolean })],
    ['a setsigmask that is not iterable', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { setsigmask: 5 as unknown as number[] })],
    ['an unknown signal name', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], null, { setsigmask: ['SIGNOPE'] as never })],
    ['signal 0 in setsigdef', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(ok[0], ['true'], null, { setsigdef: [0] })],
    ['signal 65', 'ERR_OUT_OF_RANGE', () => os.posix_spawn(ok[0], ['true'], null, { setsigdef: [65] })],
    ['a scheduler that is not a pair', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn(ok[0], ['true'], null, { scheduler: [1] as unknown as [number, number] })],
    ['a fractional priority', 'ERR_OUT_OF_RANGE', () => os.posix_spawn(ok[0], ['true'], null, { scheduler: [0, { sched_priority: 0.5 }] })],
    ['posix_spawnp with a NUL', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawnp('tr\0ue', ['true'], null)],
  ];
  test.each(cases)('%s is rejected with %s', (_what, code, call) => {
    expect(call).toThrow(expect.objectContaining({ code }));
  });

  // Issue 8: their own entries are not a mapping, so both passed as an empty environment.
  test.each([
    ['a Set', new Set(['A=1'])],
    ['a Date', new Date(0)],
    ['a Buffer', Buffer.from('A=1')],
  ])('env that is %s is rejected with ERR_INVALID_ARG_TYPE', (_what, env) => {
    let outcome: unknown;
    try {
      outcome = os.posix_spawn(ok[0], ['true'], env as unknown as os.Environment);
      os.waitpid(outcome as number, 0); // it ran: reap it before the assertion fails
    } catch (e) {
      outcome = e;
    }
    expect(outcome).toEqual(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"env"') }));
  });
});
