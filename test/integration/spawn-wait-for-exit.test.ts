// waitForExit(): a handle, a pid of our own, a pid that is not our child; abort.
import { spawn as cpSpawn } from 'node:child_process';
import { spawn, waitForExit } from '../../lib/spawn';
import { native } from '../../lib/native';
import { posix_spawn } from '../../lib/os/posix-spawn';
import { isOwnChild } from '../../lib/own-children';
import { openFds, processState } from '../helpers/spawn-helpers';

const b = () => native<{ waitpid(pid: number, options: number): [number, number] | number }>();

describe('waitForExit', () => {
  test('a handle: resolves its status (the handle reaps it)', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 9']);
    await expect(waitForExit(child)).resolves.toEqual({ kind: 'exited', code: 9 });
    expect(child.exited).toBe(true);
  });

  test('the pid of a live spawn() child: the same as its handle', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 8']);
    await expect(waitForExit(child.pid)).resolves.toEqual({ kind: 'exited', code: 8 });
    await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 8 });
  });

  test('a child not started by spawn(): its status, and it is left unreaped by default', async () => {
    // A child_process child: waitForExit must not take its exit away from child_process.
    const cp = cpSpawn('/bin/sh', ['-c', 'exit 6'], { stdio: 'ignore' });
    const cpExit = new Promise((resolve) => cp.on('exit', (code) => resolve(code)));
    await expect(waitForExit(cp.pid!)).resolves.toEqual({ kind: 'exited', code: 6 });
    await expect(cpExit).resolves.toBe(6);
  });

  // A child of this process that no handle knows: started with the raw native call.
  function rawChild(args: string[]): number {
    const config = new Int32Array([-2, -2, -2, 0, -1, 0, -1, -1, 0]);
    const r = native<{ spawnChild(...a: unknown[]): number[] }>().spawnChild([args[0]], args, [], '', config);
    expect(r[0]).toBeGreaterThan(0);
    return r[0];
  }

  test('a child no handle knows: its status, and it stays a zombie by default', async () => {
    const pid = rawChild(['/bin/sh', '-c', 'exit 5']);
    await expect(waitForExit(pid)).resolves.toEqual({ kind: 'exited', code: 5 });
    expect(processState(pid)).toBe('Z');
    expect(b().waitpid(pid, 0)).toEqual([pid, 5 << 8]);
  });

  test('reap: true reaps a child of this process', async () => {
    const pid = rawChild(['/bin/sh', '-c', 'exit 4']);
    await expect(waitForExit(pid, { reap: true })).resolves.toEqual({ kind: 'exited', code: 4 });
    expect(b().waitpid(pid, 1)).toBe(-10); // ECHILD: already reaped
  });

  test("reap: true on a child_process child: the status is handed back and its 'exit' fires with the code", async () => {
    const cp = cpSpawn('/bin/sh', ['-c', 'exit 6'], { stdio: 'ignore' });
    const cpExit = new Promise((resolve) => cp.on('exit', (code, signal) => resolve([code, signal])));
    await expect(waitForExit(cp.pid!, { reap: true })).resolves.toEqual({ kind: 'exited', code: 6 });
    expect(b().waitpid(cp.pid!, 1)).toBe(-10); // ECHILD: reaped here
    // The hand-back runs on the next turn (setImmediate, queued before this one).
    await new Promise((resolve) => setImmediate(resolve));
    expect([cp.exitCode, cp.signalCode]).toEqual([6, null]);
    await expect(cpExit).resolves.toEqual([6, null]);
  });

  test('reap: true on an os.posix_spawn child: the own-children registry forgets it', async () => {
    const pid = posix_spawn('/bin/sh', ['sh', '-c', 'exit 3'], null);
    expect(isOwnChild(pid)).toBe(true);
    await expect(waitForExit(pid, { reap: true })).resolves.toEqual({ kind: 'exited', code: 3 });
    expect(isOwnChild(pid)).toBe(false);
  });

  test('a process that is not our child resolves null when it exits', async () => {
    // sh is our child; the sleep it starts is its child, not ours.
    const sh = spawn('/bin/sh', ['-c', 'sleep 100 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => sh.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const waiting = waitForExit(pid);
    process.kill(pid, 'SIGTERM');
    await expect(waiting).resolves.toBeNull();
    await expect(sh.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
    sh.stdout!.destroy();
  });

  test('abort rejects with AbortError and leaves the process alone', async () => {
    const child = spawn('/bin/sleep', ['100']);
    const ac = new AbortController();
    const p = waitForExit(child, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(child.exited).toBe(false);
    child.kill('SIGKILL');
    await child.wait();
  });

  test('abort of a pid wait rejects and closes its pidfd', async () => {
    const child = spawn('/bin/sleep', ['100']);
    const cp = cpSpawn('/bin/sleep', ['100'], { stdio: 'ignore' });
    const fds = openFds().length;
    const ac = new AbortController();
    const p = waitForExit(cp.pid!, { signal: ac.signal });
    expect(openFds().length).toBe(fds + 1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(openFds().length).toBe(fds);
    const exited = new Promise((resolve) => cp.on('exit', (_c, sig) => resolve(sig)));
    cp.kill('SIGKILL');
    await expect(exited).resolves.toBe('SIGKILL');
    child.kill('SIGKILL');
    await child.wait();
  });

  test('a pid that does not exist rejects ESRCH', async () => {
    await expect(waitForExit(2 ** 22 + 3)).rejects.toMatchObject({ code: 'ESRCH', syscall: 'pidfd_open' });
  });

  test.each([
    ['a string', '1', 'ERR_INVALID_ARG_TYPE'],
    ['zero', 0, 'ERR_OUT_OF_RANGE'],
    ['a fraction', 1.5, 'ERR_OUT_OF_RANGE'],
    ['an object', {}, 'ERR_INVALID_ARG_TYPE'],
  ])('rejects %s as target', async (_what, target, code) => {
    await expect(waitForExit(target as number)).rejects.toMatchObject({ code });
  });

  test('rejects a bad signal or reap option', async () => {
    await expect(waitForExit(1, { signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(waitForExit(1, { reap: 1 as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

