// wait()/waitpid(-1) never swallow a child_process child's exit: it is handed back, and
// the ChildProcess emits 'exit' (and 'close') with the right code and signal.
import * as childProcess from 'node:child_process';
import * as os from '../../lib/os';
import { childrenOf as allChildrenOf, spawnSh } from '../helpers/os-core-children';
import { isOwnKeeper } from '../../lib/contain/owner';
import { readFileSync } from 'node:fs';

// This process's children, less the library's cgroup keeper (started by a contained spawn
// in another test file of this worker): a helper no wait can return (test/integration/contain-guard).
function childrenOf(ppid: number): number[] {
  return allChildrenOf(ppid).filter((pid) => {
    try {
      return !isOwnKeeper(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0'));
    } catch {
      return true;
    }
  });
}

interface Observed {
  code: number | null;
  signal: NodeJS.Signals | null;
  closed: boolean;
}

function watch(child: childProcess.ChildProcess): Promise<Observed> {
  return new Promise((resolve) => {
    let exit: Omit<Observed, 'closed'> | undefined;
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.on('close', () => resolve({ ...(exit as Omit<Observed, 'closed'>), closed: true }));
  });
}

// A child_process child that ends as `expect` says: exit code n, or killed by a signal.
function cpChild(i: number): { child: childProcess.ChildProcess; expected: Omit<Observed, 'closed'> } {
  if (i % 10 === 3) {
    const child = childProcess.spawn('/bin/sh', ['-c', 'kill -TERM $$'], { stdio: 'ignore' });
    return { child, expected: { code: null, signal: 'SIGTERM' } };
  }
  // Some with pipes, so that 'close' needs the stdio streams to end as well.
  const stdio = i % 2 === 0 ? 'pipe' : 'ignore';
  const child = childProcess.spawn('/bin/sh', ['-c', `echo ${i}; exit ${i % 200}`], { stdio });
  child.stdout?.resume();
  return { child, expected: { code: i % 200, signal: null } };
}

// Blocks (without yielding to libuv, which would reap it) until `pid` has exited.
function untilExitedSync(pid: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) === null) Atomics.wait(cell, 0, 0, 1);
}

// Children that jest itself started (e.g. its file crawler, when it runs in band) end soon.
async function untilNoChildren(): Promise<void> {
  for (let i = 0; i < 1000 && childrenOf(process.pid).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('any-child waits beside child_process', () => {
  test('100 child_process and 100 posix_spawn children: each of ours is returned once, each of theirs emits its exit', async () => {
    // Precondition: this worker has no other child that a wait could legitimately return.
    await untilNoChildren();
    expect(childrenOf(process.pid)).toEqual([]);
    const ours = new Map<number, number>(); // pid -> expected exit code
    const theirs: { pid: number; done: Promise<Observed>; expected: Omit<Observed, 'closed'> }[] = [];
    const returned: number[] = [];
    // Everything below up to the last wait() is synchronous: libuv cannot run meanwhile,
    // so every child_process exit is met by our waits first, never by libuv.
    for (let i = 0; i < 100; i++) {
      const { child, expected } = cpChild(i);
      theirs.push({ pid: child.pid as number, done: watch(child), expected });
      const pid = spawnSh(`exit ${(i * 7) % 256}`);
      ours.set(pid, (i * 7) % 256);
      if (i % 5 === 4) {
        // waits in between: wait() and waitpid(-1, 0) alternately
        const [got, status] = i % 10 === 4 ? os.wait() : os.waitpid(-1, 0);
        returned.push(got);
        expect(ours.get(got)).toBe(os.WEXITSTATUS(status));
      }
    }
    while (returned.length < ours.size) {
      const [got, status] = returned.length % 2 === 0 ? os.wait() : os.waitpid(-1, 0);
      returned.push(got);
      expect(os.WIFEXITED(status)).toBe(true);
      expect(ours.get(got)).toBe(os.WEXITSTATUS(status));
    }
    // Every child_process child that is still unreaped is handed back by this last wait,
    // which then finds no child at all.
    expect(() => os.wait()).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'wait' }));

    expect(returned.sort((a, b) => a - b)).toEqual([...ours.keys()].sort((a, b) => a - b));
    const observed = await Promise.all(theirs.map((t) => t.done));
    observed.forEach((o, i) => expect({ pid: theirs[i].pid, ...o }).toEqual({ pid: theirs[i].pid, ...theirs[i].expected, closed: true }));
  });

  test('waitpid of a child_process pid returns its status and still hands it back', async () => {
    const child = childProcess.spawn('/bin/sh', ['-c', 'exit 42'], { stdio: 'ignore' });
    const done = watch(child);
    const [pid, status] = os.waitpid(child.pid as number, 0);
    expect(pid).toBe(child.pid);
    expect(os.WEXITSTATUS(status)).toBe(42);
    await expect(done).resolves.toEqual({ code: 42, signal: null, closed: true });
  });

  test('wait4(-1) and wait3 skip a child_process child and return ours with rusage', async () => {
    const child = childProcess.spawn('/bin/sh', ['-c', 'exit 9'], { stdio: 'ignore' });
    const done = watch(child);
    // Let the child_process child end first, so that the kernel would report it first.
    const cpPid = child.pid as number;
    untilExitedSync(cpPid);
    const a = spawnSh('exit 5');
    const [pidA, statusA, rusageA] = os.wait4(-1, 0);
    expect([pidA, os.WEXITSTATUS(statusA)]).toEqual([a, 5]);
    expect(typeof rusageA.ru_maxrss).toBe('number');
    const b = spawnSh('exit 6');
    const [pidB, statusB] = os.wait3(0);
    expect([pidB, os.WEXITSTATUS(statusB)]).toEqual([b, 6]);
    await expect(done).resolves.toEqual({ code: 9, signal: null, closed: true });
  });

  test('waitid(P_ALL) skips a child_process child and returns ours', async () => {
    const child = childProcess.spawn('/bin/sh', ['-c', 'kill -KILL $$'], { stdio: 'ignore' });
    const done = watch(child);
    const cpPid = child.pid as number;
    untilExitedSync(cpPid);
    const ours = spawnSh('exit 4');
    const r = os.waitid(os.P_ALL, 0, os.WEXITED);
    expect(r).toEqual(expect.objectContaining({ si_pid: ours, si_code: os.CLD_EXITED, si_status: 4 }));
    await expect(done).resolves.toEqual({ code: null, signal: 'SIGKILL', closed: true });
  });

  test('waitpid(-1, WNOHANG) with only a running child_process child returns [0, 0] and leaves it alone', async () => {
    const child = childProcess.spawn('/bin/sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const done = watch(child);
    expect(os.waitpid(-1, os.WNOHANG)).toEqual([0, 0]);
    child.stdin?.end('\n');
    await expect(done).resolves.toEqual({ code: 0, signal: null, closed: true });
  });
});

describe('any-child waits beside spawn() handles', () => {
  test('50 spawn() handles, 50 child_process and 50 posix_spawn children: wait() returns only the posix_spawn ones, every handle and ChildProcess gets its own exit', async () => {
    // spawn() lives above os; imported here so that the registry is shared as in an app.
    const { spawn } = await import('../../lib/spawn');
    await untilNoChildren();
    expect(childrenOf(process.pid)).toEqual([]);
    const ours = new Map<number, number>();
    const handles: { wait: Promise<unknown>; expected: number; kill: () => boolean }[] = [];
    const theirs: { done: Promise<Observed>; expected: Omit<Observed, 'closed'> }[] = [];
    for (let i = 0; i < 50; i++) {
      const h = spawn('/bin/sh', ['-c', `exit ${(i * 3) % 256}`], { stdio: 'ignore' });
      handles.push({ wait: h.wait(), expected: (i * 3) % 256, kill: () => h.kill('SIGTERM') });
      const { child, expected } = cpChild(i);
      theirs.push({ done: watch(child), expected });
      const pid = spawnSh(`exit ${(i * 11) % 256}`);
      ours.set(pid, (i * 11) % 256);
    }
    // Synchronously: every child is met by these waits first, not by libuv or the pidfd watch.
    const returned: number[] = [];
    while (returned.length < ours.size) {
      const [got, status] = os.wait();
      returned.push(got);
      expect(ours.get(got)).toBe(os.WEXITSTATUS(status));
    }
    expect(() => os.wait()).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    // Every spawn() child was reaped above and handed back: kill sends nothing.
    expect(handles.map((h) => h.kill())).toEqual(handles.map(() => false));
    expect(returned.sort((a, b) => a - b)).toEqual([...ours.keys()].sort((a, b) => a - b));
    const statuses = await Promise.all(handles.map((h) => h.wait));
    expect(statuses).toEqual(handles.map((h) => ({ kind: 'exited', code: h.expected })));
    const observed = await Promise.all(theirs.map((t) => t.done));
    expect(observed.map((o) => ({ code: o.code, signal: o.signal }))).toEqual(theirs.map((t) => t.expected));
  });
});
