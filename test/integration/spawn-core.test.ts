// The core of spawn(): exit statuses, signals, kill after reaping, abort and timeout
// escalation, exec failures. Every test runs against both exit-watch paths: pidfd and
// the SIGCHLD fallback.
import { openSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, Subprocess } from '../../lib/spawn';
import { ContainedSubprocess } from '../../lib/contain';
import { createSubprocess } from '../../lib/spawn/handle';
import { native } from '../../lib/native';
import { isForeignChild } from '../../lib/os/foreign-children';
import { setExitWatchMode, type ExitWatchMode } from '../../lib/spawn/exit-watch';
import { duringReapWindow, processState, readAll } from '../helpers/spawn-helpers';

describe.each<ExitWatchMode>(['pidfd', 'sigchld'])('spawn with the %s exit watch', (mode) => {
  beforeAll(() => setExitWatchMode(mode));
  afterAll(() => setExitWatchMode(undefined));

  test.each([0, 1, 255])('wait() resolves exited with code %i', async (code) => {
    const child = spawn('/bin/sh', ['-c', `exit ${code}`]);
    expect(child.pid).toBeGreaterThan(0);
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code });
    expect(child.exited).toBe(true);
    expect(child.exitStatus).toEqual({ kind: 'exited', code });
  });

  test.each(['SIGTERM', 'SIGKILL', 'SIGUSR1'])('wait() resolves signaled for a child killed by %s', async (sig) => {
    const child = spawn('/bin/sh', ['-c', `kill -${sig.slice(3)} $$`]);
    const status = await child.wait();
    expect(status).toMatchObject({ kind: 'signaled', signal: sig, coreDumped: false });
  });

  test('kill() through the handle ends a running child with that signal', async () => {
    const child = spawn('/bin/sleep', ['100']);
    expect(child.exited).toBe(false);
    expect(child.kill('SIGTERM')).toBe(true);
    await expect(child.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });

  test('wait() may be called many times and gives the same status', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 7']);
    const [a, b] = await Promise.all([child.wait(), child.wait()]);
    expect(a).toEqual({ kind: 'exited', code: 7 });
    expect(await child.wait()).toBe(a);
    expect(b).toBe(a);
  });

  test('kill() once the child was reaped returns false and sends nothing, before and after wait() settles', async () => {
    const child = spawn('/bin/true');
    // The window between reaping (the pid is free) and delivery (wait() settles).
    const inWindow = await duringReapWindow(child, () => [child.exited, child.kill('SIGKILL'), child.kill(0)]);
    expect(inWindow).toEqual([false, false, false]);
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
    expect(child.kill('SIGKILL')).toBe(false);
    expect(child.kill(0)).toBe(false);
  });

  // Issue 8, defect 8: a zombie accepts signals (pidfd_send_signal(2) and kill(2) alike).
  test('kill() on a child that has exited but is not reaped yet (a zombie) returns false', async () => {
    const child = spawn('/bin/true');
    // The event loop does not run here, so the exit watch cannot reap it meanwhile.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (processState(child.pid) !== 'Z') Atomics.wait(pause, 0, 0, 1);
    const answers = [child.exited, child.kill('SIGKILL'), child.kill(0), processState(child.pid)];
    expect(answers).toEqual([false, false, false, 'Z']);
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
  });

  test('abort sends killSignal, then SIGKILL after the grace period to a child that ignores it', async () => {
    const ac = new AbortController();
    const child = spawn('/bin/sh', ['-c', 'trap "" TERM; echo ready; exec sleep 100'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      signal: ac.signal,
      killGracePeriod: 200,
    });
    // Abort only once the trap is in place, so SIGTERM is known to be ignored.
    const firstLine = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(String(d))));
    expect(firstLine).toBe('ready\n');
    ac.abort();
    const status = await child.wait();
    child.stdout!.destroy();
    expect(status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    expect(child.terminationReason).toBe('abort');
  });

  test('abort ends a child that does not ignore killSignal with killSignal', async () => {
    const ac = new AbortController();
    const child = spawn('/bin/sleep', ['100'], { signal: ac.signal, killSignal: 'SIGINT' });
    ac.abort();
    await expect(child.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGINT' });
    expect(child.terminationReason).toBe('abort');
  });

  test('timeout sends killSignal; a child ignoring it is SIGKILLed after the grace period', async () => {
    // SIGCONT's default action does not end a running process: the child survives the
    // killSignal as surely as one that ignores it, with no start-up race.
    const child = spawn('/bin/sleep', ['100'], { timeout: 50, killSignal: 'SIGCONT', killGracePeriod: 50 });
    await expect(child.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    expect(child.terminationReason).toBe('timeout');
  });

  test('timeout with a trap on SIGTERM escalates to SIGKILL', async () => {
    // The timeout must not fire before sh has installed its trap, however slow the machine:
    // the clock is jest's (only timers are faked; I/O and immediates stay real) and is
    // moved on once the child has said it is ready.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const child = spawn('/bin/sh', ['-c', 'trap "" TERM; echo ready; exec sleep 100'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 1500,
        killGracePeriod: 100,
      });
      const firstLine = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(String(d))));
      expect(firstLine).toBe('ready\n');
      jest.advanceTimersByTime(1500); // the timeout: SIGTERM, ignored
      expect(child.terminationReason).toBe('timeout');
      jest.advanceTimersByTime(100); // the grace period: SIGKILL
      const status = await child.wait();
      child.stdout!.destroy();
      expect(status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    } finally {
      jest.useRealTimers();
    }
  });

  test('a child that exits before its timeout is not killed', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 3'], { timeout: 60000 });
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 3 });
    expect(child.terminationReason).toBeUndefined();
  });

  test('exec of a missing file throws ENOENT with the path', () => {
    expect(() => spawn('/no/such/program')).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'execve', path: '/no/such/program' }),
    );
  });

  test('exec of a name not found in PATH throws ENOENT with the name as path', () => {
    expect(() => spawn('no-such-program-unixproc', [], { env: { PATH: '/usr/bin:/bin' } })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: 'no-such-program-unixproc' }),
    );
  });

  test('exec of a file without execute permission throws EACCES with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unixproc-spawn-'));
    try {
      const file = join(dir, 'not-executable');
      writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      expect(() => spawn(file)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'execve', path: file }));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('a cwd that does not exist throws ENOENT from chdir with the cwd as path', () => {
    expect(() => spawn('/bin/true', [], { cwd: '/no/such/dir' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir', path: '/no/such/dir' }),
    );
  });

  test('stdout piped: the child output arrives, then EOF', async () => {
    const child = spawn('/bin/echo', ['hello', 'world'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
    expect(out).toBe('hello world\n');
    expect(status).toEqual({ kind: 'exited', code: 0 });
  });
});

// Issue 8, defect 7: a handle built by hand (`new Subprocess({ pid: X, pidfd: -1, ... })`)
// signalled any pid X through kill(); with no argument it failed with an untyped error.
describe('Subprocess cannot be constructed from outside', () => {
  const forged = {
    pid: process.pid,
    pidfd: -1,
    args: ['/bin/true'],
    fds: [-1, -1, -1],
    timeout: 0,
    killSignal: 15,
    killGracePeriod: 5000,
    signal: undefined,
  };
  test.each<[string, () => unknown]>([
    ['no argument', () => new (Subprocess as unknown as new () => unknown)()],
    ['a forged child record', () => new (Subprocess as unknown as new (init: unknown) => unknown)(forged)],
    ['a forged token', () => new Subprocess(Symbol('Subprocess.construct'), forged as never)],
  ])('new Subprocess(%s) throws ERR_ILLEGAL_CONSTRUCTOR', (_what, construct) => {
    expect(construct).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }));
  });

  test.each<[string, () => unknown]>([
    ['no argument', () => new (ContainedSubprocess as unknown as new () => unknown)()],
    ['a forged child record', () => new (ContainedSubprocess as unknown as new (i: unknown, c: unknown) => unknown)(forged, { kind: 'cgroup', dir: '/' })],
    ['a forged token', () => new ContainedSubprocess(Symbol('Subprocess.construct'), forged as never, { kind: 'cgroup', dir: '/' })],
  ])('new ContainedSubprocess(%s) throws ERR_ILLEGAL_CONSTRUCTOR', (_what, construct) => {
    expect(construct).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }));
  });

  test('a spawned handle is still a Subprocess', async () => {
    const child = spawn('/bin/true');
    expect(child).toBeInstanceOf(Subprocess);
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
  });
});

describe('a pidfd watch that cannot start', () => {
  // A child of this process that no handle knows (the raw native call), given to a handle
  // with an fd the event loop cannot poll (a regular file: epoll refuses it, EPERM).
  test('rejects wait() and leaves no registration behind for "any child" waits', async () => {
    const config = new Int32Array([-2, -2, -2, 0, -1, 0, -1, -1, 0]);
    const r = native<{ spawnChild(...a: unknown[]): number[] }>().spawnChild(['/bin/true'], ['/bin/true'], [], '', config);
    const pid = r[0];
    expect(pid).toBeGreaterThan(0);
    const fd = openSync(__filename, 'r'); // owned by the handle from here: it closes it
    const handle = createSubprocess({
      pid,
      pidfd: fd,
      args: ['/bin/true'],
      fds: [-1, -1, -1],
      timeout: 0,
      killSignal: 15,
      killGracePeriod: 5000,
      signal: undefined,
    });
    const registered = isForeignChild(pid);
    await expect(handle.wait()).rejects.toMatchObject({ code: 'EPERM', syscall: 'uv_poll_init' });
    expect(registered).toBe(false);
    expect(native<{ waitpid(pid: number, options: number): [number, number] | number }>().waitpid(pid, 0)).toEqual([pid, 0]);
  });
});
