// The fork() variant of native/child.cc (UNIXPROC_SPAWN_METHOD=fork, kept to measure the
// clone(CLONE_VM|CLONE_VFORK) default against it) behaves the same; and spawning from a
// worker thread that is terminated with a child still running leaves nothing broken.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawn } from '../../lib/spawn';
import { native } from '../../lib/native';
import { readAll } from '../helpers/spawn-helpers';

describe('UNIXPROC_SPAWN_METHOD=fork', () => {
  beforeAll(() => {
    process.env.UNIXPROC_SPAWN_METHOD = 'fork';
  });
  afterAll(() => {
    delete process.env.UNIXPROC_SPAWN_METHOD;
  });

  test('exit codes come back through wait()', async () => {
    await expect(spawn('/bin/sh', ['-c', 'exit 42']).wait()).resolves.toEqual({ kind: 'exited', code: 42 });
  });

  test('exec failure travels through the CLOEXEC pipe as ENOENT with path', () => {
    expect(() => spawn('/no/such/program')).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: '/no/such/program' }));
  });

  test('a chdir failure names chdir', () => {
    expect(() => spawn('/bin/true', [], { cwd: '/no/such/dir' })).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'chdir' }));
  });

  test('the program starts clean: no signal ignored or blocked, fds 0..2 only', async () => {
    const child = spawn('/bin/sh', ['-c', 'grep -E "^SigIgn:" /proc/self/status; ls /proc/$$/fd'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    expect(out).toBe('SigIgn:\t0000000000000000\n0\n1\n2\n');
  });
});

describe('worker threads', () => {
  test('a worker terminated while its child runs: the watch is closed, the child can still be reaped', async () => {
    const loader = join(__dirname, '..', 'helpers', 'ts-register.js');
    const lib = join(__dirname, '..', '..', 'lib', 'spawn', 'index.ts');
    const worker = new Worker(
      `require(${JSON.stringify(loader)});
       const { parentPort } = require('node:worker_threads');
       const { spawn } = require(${JSON.stringify(lib)});
       const child = spawn('/bin/sleep', ['100'], { stdio: 'ignore' });
       parentPort.postMessage(child.pid);`,
      { eval: true },
    );
    const pid = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // Nobody watches the child any more: reap it here, by pid.
    process.kill(pid, 'SIGKILL');
    const r = native<{ waitpid(pid: number, options: number): [number, number] }>().waitpid(pid, 0);
    expect(r).toEqual([pid, 9]);
  });
});
