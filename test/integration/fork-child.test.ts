// fork(): the child goes on running JavaScript. Each scenario forks in its own
// `node --single-threaded` process (test/fixtures/fork/scenario.js), which reaps the child
// with a 10 s watchdog; the assertions read the child's wait status and output.
import { decodeWaitStatus } from '../../lib/exit-status';
import { runFixture } from '../helpers/fork-run';

function childStatus(name: string) {
  const run = runFixture('scenario.js', [name]);
  expect(run.result.hung).toBe(false);
  return { ...run, status: decodeWaitStatus(run.result.status as number) };
}

describe('fork() child', () => {
  test('a timer fires in the child (exit code set from the timer)', () => {
    expect(childStatus('timer').status).toEqual({ kind: 'exited', code: 7 });
  });
  test('promises and setImmediate resolve in the child', () => {
    expect(childStatus('promise').status).toEqual({ kind: 'exited', code: 11 });
  });
  test('fs.promises.readFile completes in the child (libuv threadpool restarts)', () => {
    expect(childStatus('fs').status).toEqual({ kind: 'exited', code: 12 });
  });
  test('crypto.pbkdf2 in the child gives the same key as pbkdf2Sync', () => {
    expect(childStatus('crypto').status).toEqual({ kind: 'exited', code: 13 });
  });
  test('child_process.execFile works in the child', () => {
    expect(childStatus('child_process').status).toEqual({ kind: 'exited', code: 14 });
  });
  test('allocation and forced full GCs run in the child', () => {
    expect(childStatus('gc').status).toEqual({ kind: 'exited', code: 15 });
  });
  test('process.exit(n) in the child exits with n', () => {
    expect(childStatus('exit').status).toEqual({ kind: 'exited', code: 21 });
  });
  test('process.exitCode is the exit code at the natural end', () => {
    expect(childStatus('exitCode').status).toEqual({ kind: 'exited', code: 22 });
  });
  test("the natural end emits 'beforeExit' then 'exit' and exits 0", () => {
    const run = childStatus('natural');
    expect(run.status).toEqual({ kind: 'exited', code: 0 });
    expect(run.stdout).toContain('before-exit\nexit-listener code=0\n');
  });
  test("work scheduled by 'beforeExit' runs before the child ends", () => {
    expect(childStatus('beforeExitMoreWork').status).toEqual({ kind: 'exited', code: 23 });
  });
  test('an uncaught exception ends the child with code 1 and prints the error', () => {
    const run = childStatus('uncaught');
    expect(run.status).toEqual({ kind: 'exited', code: 1 });
    expect(run.stderr).toContain('boom-from-child');
  });
  test('an unhandled rejection ends the child with code 1', () => {
    const run = childStatus('rejection');
    expect(run.status).toEqual({ kind: 'exited', code: 1 });
    expect(run.stderr).toContain('rejected-in-child');
  });
  test('a child can fork and reap a grandchild', () => {
    expect(childStatus('nested').status).toEqual({ kind: 'exited', code: 35 });
  });
  test("process.pid and getpid() in the child are the child's pid, getppid() the parent's", () => {
    const run = childStatus('pid');
    const pid = run.result.pid as number;
    expect(run.stdout).toContain(`child pid=${pid} getpid=${pid} ppid=${run.result.parentPid as number}\n`);
  });
  test('stdout data still queued in libuv at the fork is written once, by the parent', () => {
    const run = childStatus('queuedStdout');
    expect(run.status).toEqual({ kind: 'exited', code: 0 });
    const body = run.stdout.slice(0, run.stdout.indexOf('RESULT '));
    expect(body.split('P').length - 1).toBe(300000);
    expect(body.split('C').length - 1).toBe(1);
  });
  test('1 MiB written to a stdout pipe before process.exit() is not lost', () => {
    const run = childStatus('output');
    expect(run.status).toEqual({ kind: 'exited', code: 0 });
    const body = run.stdout.slice(0, run.stdout.indexOf('RESULT '));
    expect(body.length).toBe(1024 * 1024);
    expect(run.stderr).toContain('stderr-line\n');
  });
});

describe("fork() while the parent has children of its own", () => {
  for (const [scenario, how] of [
    ['siblingCp', 'child_process'],
    ['siblingSpawn', 'unixproc spawn()'],
  ] as const) {
    test(`with a live ${how} child, the forked child still ends on its own and the parent keeps the sibling's pipes`, () => {
      const run = runFixture('scenario.js', [scenario]);
      expect(run.result.hung).toBe(false);
      expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 40 });
      expect(run.result.sibOut).toBe('got-hi\n');
      expect(run.result.sib).toBe(0);
    });
  }
});

describe('spawn() handles copied into a forked child', () => {
  test("send nothing from the child: kill() returns false, and the copied timeout and AbortSignal do not signal the parent's child", () => {
    const run = runFixture('scenario.js', ['siblingSpawnInert']);
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 43 });
    // The parent's own timeout (SIGTERM) ended the sibling: the child's abort() and its
    // SIGKILL did not reach it first.
    expect(run.result.sib).toEqual({ kind: 'signaled', signal: 'SIGTERM', signo: 15, coreDumped: false });
    expect(run.result.reason).toBe('timeout');
  });
});

describe('worker threads in a forked child', () => {
  test('new Worker() in the child throws ERR_UNIXPROC_FORK_UNSAFE, and the child ends normally', () => {
    const run = runFixture('scenario.js', ['workerInChild']);
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 42 });
    expect(run.stdout).toContain('codes: ERR_UNIXPROC_FORK_UNSAFE,ERR_UNIXPROC_FORK_UNSAFE,ERR_UNIXPROC_FORK_UNSAFE\n');
    expect(run.stdout).toMatch(/message: new Worker\(\) in a forked child: .*exec a fresh Node/);
  });
});

describe('random values in a forked child', () => {
  test("crypto.randomUUID() and randomInt() in the child do not repeat the parent's values", () => {
    const run = runFixture('scenario.js', ['randomCaches']);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    const parent = run.result.parent as { uuids: string[]; ints: number[] };
    const child = run.result.child as { uuids: string[]; ints: number[] };
    expect(child.uuids).toHaveLength(5);
    expect(child.uuids.filter((u) => parent.uuids.includes(u))).toEqual([]);
    expect(child.ints.filter((n) => parent.ints.includes(n))).toEqual([]);
  });
});

describe('fork() then exec', () => {
  test('a forked child can exec a program, whose exit code the parent reaps', () => {
    const run = runFixture('scenario.js', ['forkExec']);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 42 });
  });
});

describe('fork() with threadpool work in flight', () => {
  test('fork waits for it; its callbacks run in parent and child, and the child still ends', () => {
    const run = runFixture('scenario.js', ['inflight']);
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    for (const line of [
      'pbkdf2-callback in child err=null',
      'readFile-callback in child err=null',
      'pbkdf2-callback in parent err=null',
      'readFile-callback in parent err=null',
    ]) {
      expect(run.stdout).toContain(`${line}\n`);
    }
  });
});

describe("fork() counts libuv's pool threads as libuv does", () => {
  test('UV_THREADPOOL_SIZE=-1 (libuv: 1024 threads): fork still waits for all work in flight', () => {
    const run = runFixture('scenario.js', ['inflight'], undefined, { ...process.env, UV_THREADPOOL_SIZE: '-1' });
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    expect(run.stdout).toContain('pbkdf2-callback in child err=null\n');
  });
  test('changing UV_THREADPOOL_SIZE after the pool started does not change what fork waits for', () => {
    const run = runFixture('scenario.js', ['poolEnvChange']);
    const second = run.result.second as { status?: number; error?: string; hung?: boolean };
    expect(second.error).toBeUndefined();
    expect(second.hung).toBe(false);
    expect(decodeWaitStatus(second.status as number)).toEqual({ kind: 'exited', code: 0 });
  });
});

describe('fork() with DNS lookups in flight', () => {
  test('fork waits for queued lookups (libuv slow I/O): every child gets its 20 answers and ends', () => {
    const run = runFixture('scenario.js', ['dnsInflight']);
    const rounds = run.result.rounds as { hung: boolean; status: number }[];
    expect(rounds).toHaveLength(5);
    for (const r of rounds) {
      expect(r.hung).toBe(false);
      expect(decodeWaitStatus(r.status)).toEqual({ kind: 'exited', code: 41 });
    }
  });
});

describe('forkpty()', () => {
  test('the child runs on a new pseudo-terminal as session leader; the parent reads it from the master', () => {
    const run = runFixture('scenario.js', ['forkpty']);
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 3 });
    expect(run.result.master).toBeGreaterThan(2);
    expect(run.result.text).toBe('tty=true,true sid=true\r\n');
  });
});

describe('register_at_fork()', () => {
  test('before hooks run in reverse order, after hooks in order, a throwing hook is reported not raised', () => {
    const run = runFixture('scenario.js', ['hooks']);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    expect(run.result.log).toEqual(['before2', 'before1', 'parent1', 'parent2']);
    expect(run.stdout).toContain('child-hook child1\nchild-hook child2\n');
    expect(run.stderr).toContain('Exception ignored in fork hook before');
    expect(run.stderr).toContain('hook-error');
  });
});
