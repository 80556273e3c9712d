// Restart policies, backoff and the start limit, with real children (short shells).
import { performance } from 'node:perf_hooks';
import type { Supervisor } from '../../lib/supervise';
import type { ExitStatus } from '../../lib/exit-status';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { superviseGroup as supervise, groupOf, reapAll } from '../helpers/supervise-helpers';

// A shell stopped during its foreground `sleep` leaves the sleep to the nearest subreaper:
// this process, which reaps it by pid.
let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

interface Timeline {
  spawns: number[];
  exits: { at: number; status: ExitStatus }[];
  delays: number[];
}

function record(sup: Supervisor): Timeline {
  const t: Timeline = { spawns: [], exits: [], delays: [] };
  sup.on('spawn', () => t.spawns.push(performance.now()));
  sup.on('exit', ({ status }) => t.exits.push({ at: performance.now(), status }));
  sup.on('restart', ({ delay }) => t.delays.push(delay));
  return t;
}

// libuv timers count whole milliseconds of the loop's cached clock: a timer may fire up
// to 1 ms before its delay by a finer clock. Lower bounds allow that, nothing more.
const CLOCK_GRAIN_MS = 1;

describe("restart policy 'on-failure' (the default)", () => {
  test('a failing child is restarted until the start limit, then the supervisor is failed', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 3'], {
      backoff: { initial: 30, factor: 2 },
      startLimit: { maxRestarts: 3, window: 60000 },
    });
    const t = record(sup);
    const failed = new Promise((resolve) => sup.once('failed', resolve));
    await expect(sup.done()).resolves.toBe('failed');
    expect(sup.state).toBe('failed');
    expect(sup.restarts).toBe(3);
    expect(t.spawns).toHaveLength(3); // the first spawn happened before the listener
    expect(t.exits).toHaveLength(4);
    expect(t.exits.every((e) => e.status.kind === 'exited' && e.status.code === 3)).toBe(true);
    await expect(failed).resolves.toEqual({ name: 'sh', reason: 'start-limit', status: { kind: 'exited', code: 3 }, error: undefined });
  });

  test('restart delays grow by the backoff factor and are never shorter than asked', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 1'], {
      backoff: { initial: 40, factor: 2, max: 100 },
      startLimit: { maxRestarts: 4, window: 60000 },
    });
    const t = record(sup);
    await sup.done();
    expect(t.delays).toEqual([40, 80, 100, 100]);
    // Each restart came at least `delay` after the exit that caused it.
    for (let i = 0; i < t.spawns.length; i++) {
      expect(t.spawns[i] - t.exits[i].at).toBeGreaterThanOrEqual(t.delays[i] - CLOCK_GRAIN_MS);
    }
  });

  test('a child that exits with code 0 is not restarted: the supervisor is stopped', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 0']);
    const t = record(sup);
    await expect(sup.done()).resolves.toBe('stopped');
    expect(sup.restarts).toBe(0);
    expect(sup.lastStatus).toEqual({ kind: 'exited', code: 0 });
    expect(t.delays).toEqual([]);
  });

  test('a child killed by a signal counts as a failure and is restarted', async () => {
    const sup = supervise('/bin/sh', ['-c', 'kill -KILL $$'], {
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 1, window: 60000 },
    });
    await expect(sup.done()).resolves.toBe('failed');
    expect(sup.restarts).toBe(1);
    expect(sup.lastStatus).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  test('a run longer than resetAfter starts the backoff again at its initial delay', async () => {
    // The child's first run is long (a marker file does not exist yet), the others short.
    const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'sup-'));
    const sup = supervise('/bin/sh', ['-c', `if [ -e ${dir}/m ]; then exit 1; fi; touch ${dir}/m; sleep 0.3; exit 1`], {
      backoff: { initial: 20, factor: 2, resetAfter: 200 },
      startLimit: { maxRestarts: 3, window: 60000 },
    });
    const t = record(sup);
    await sup.done();
    require('node:fs').rmSync(dir, { recursive: true, force: true });
    expect(t.delays).toEqual([20, 40, 80]);
  });
});

describe("restart policy 'never'", () => {
  test('a failing child is not restarted and the supervisor stops with its status', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 5'], { restart: 'never' });
    const t = record(sup);
    await expect(sup.done()).resolves.toBe('stopped');
    expect(sup.restarts).toBe(0);
    expect(sup.lastStatus).toEqual({ kind: 'exited', code: 5 });
    expect(t.delays).toEqual([]);
  });
});

describe("restart policy 'always'", () => {
  test('a child that exits with code 0 is restarted too', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 0'], {
      restart: 'always',
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 2, window: 60000 },
    });
    const t = record(sup);
    await expect(sup.done()).resolves.toBe('failed');
    expect(sup.restarts).toBe(2);
    expect(t.exits.map((e) => e.status)).toEqual([
      { kind: 'exited', code: 0 },
      { kind: 'exited', code: 0 },
      { kind: 'exited', code: 0 },
    ]);
  });

  test('stop() during the backoff cancels the restart', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 0'], { restart: 'always', backoff: { initial: 60000 } });
    await new Promise((resolve) => sup.once('restart', resolve));
    expect(sup.state).toBe('backoff');
    await expect(sup.terminate()).resolves.toEqual({ kind: 'exited', code: 0 });
    expect(sup.state).toBe('stopped');
    expect(sup.restarts).toBe(0);
  });
});

describe('the start limit', () => {
  test('maxRestarts 0: the first failure fails the supervisor', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 2'], { startLimit: { maxRestarts: 0, window: 1000 } });
    await expect(sup.done()).resolves.toBe('failed');
    expect(sup.restarts).toBe(0);
    expect(sup.failure?.reason).toBe('start-limit');
  });

  test('restarts older than the window no longer count', async () => {
    // 1 restart allowed per 100 ms window; each run lasts longer than the window.
    const sup = supervise('/bin/sh', ['-c', 'sleep 0.2; exit 1'], {
      backoff: { initial: 10, factor: 1 },
      startLimit: { maxRestarts: 1, window: 100 },
    });
    const thirdRestart = new Promise<string>((resolve) => {
      sup.on('spawn', () => {
        if (sup.restarts === 3) resolve('restarted 3 times');
      });
    });
    await expect(Promise.race([thirdRestart, sup.done()])).resolves.toBe('restarted 3 times');
    expect(sup.state).toBe('running');
    const pgid = sup.pid as number;
    await sup.terminate();
    await reapAll(groupOf(pgid).map((p) => p.pid));
  });

  test('restarts within the window count: the limit is reached', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 1'], {
      backoff: { initial: 10, factor: 1 },
      startLimit: { maxRestarts: 2, window: 60000 },
    });
    await expect(sup.done()).resolves.toBe('failed');
    expect(sup.restarts).toBe(2);
  });
});

describe('restart()', () => {
  test('restarts a running child at once with a new pid, not counted by the start limit', async () => {
    const sup = supervise('/bin/sleep', ['300'], { startLimit: { maxRestarts: 0, window: 60000 } });
    const first = sup.pid;
    const pid = await sup.restart();
    expect(pid).not.toBe(first);
    expect(sup.pid).toBe(pid);
    expect(sup.state).toBe('running');
    expect(sup.restarts).toBe(1);
    expect(sup.lastStatus).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    await sup.terminate();
    expect(sup.state).toBe('stopped');
  });

  test('a stop() called while a restart() is ending the child wins: restart() rejects with ABORT_ERR and nothing is started', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    const spawned: number[] = [];
    sup.on('spawn', (pid) => spawned.push(pid));
    const restarting = sup.restart();
    const status = await sup.terminate();
    await expect(restarting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(status).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    expect(sup.state).toBe('stopped');
    expect(sup.pid).toBeUndefined();
    expect(spawned).toEqual([]);
  });

  test('during the backoff: starts the program at once, and counts as a restart', async () => {
    const sup = supervise('/bin/sh', ['-c', 'exit 1'], { backoff: { initial: 60000 } });
    await new Promise((resolve) => sup.once('restart', resolve));
    expect(sup.state).toBe('backoff');
    const spawned = new Promise<number>((resolve) => sup.once('spawn', resolve));
    const pid = await sup.restart();
    await sup.terminate();
    await expect(spawned).resolves.toBe(pid);
    expect(sup.restarts).toBe(1);
  });

  test('starts a stopped supervisor again', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    await sup.terminate();
    const pid = await sup.restart();
    expect(sup.state).toBe('running');
    expect(sup.pid).toBe(pid);
    await sup.terminate();
  });
});

describe('spawn failures', () => {
  test('supervise() throws the first spawn error: ENOENT from execve with the path', () => {
    expect(() => supervise('/nonexistent/program')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/program' }),
    );
  });
});
