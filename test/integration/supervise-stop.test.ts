// Graceful stop of a child's whole process group, escalation to SIGKILL, grandchildren,
// and what is left of a group when its leader exits on its own. This process is a
// subreaper: the grandchildren are re-parented here when their parent dies, and are
// reaped here by pid.
import { becomeSubreaper } from '../helpers/proc-spawn';
import { superviseGroup as supervise, groupOf, liveMembers, reapAll, shellWithSleeps, statFields, untilGroupReady, waitFor } from '../helpers/supervise-helpers';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

/** Members of `pgid` other than the leader and the (stopped) keeper: the grandchildren. */
function grandchildren(pgid: number): number[] {
  return groupOf(pgid)
    .filter((p) => p.pid !== pgid && p.state !== 'T' && p.state !== 'Z')
    .map((p) => p.pid);
}

describe('the child and its group', () => {
  test('the child leads its own process group, in this session', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    const pid = sup.pid as number;
    const f = statFields(pid) as string[];
    expect(Number(f[2])).toBe(pid);
    expect(Number(f[3])).toBe(Number((statFields(process.pid) as string[])[3]));
    await sup.terminate();
  });

  test('a stopped group keeper holds the group id while the child runs', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    const pid = sup.pid as number;
    await untilGroupReady(pid, 2);
    const keeper = groupOf(pid).find((p) => p.pid !== pid) as { pid: number; state: string };
    expect(keeper.state).toBe('T');
    expect(Number((statFields(keeper.pid) as string[])[1])).toBe(process.pid);
    await sup.terminate();
    expect(groupOf(pid)).toEqual([]);
  });
});

describe('stop()', () => {
  test('a child that handles SIGTERM exits by itself, and stop() resolves with its status', async () => {
    // stdio ignored: the shell reports its sleep's death by SIGTERM ("Terminated") on stderr.
    const sup = supervise('/bin/sh', ['-c', 'trap "exit 7" TERM; while :; do sleep 0.05; done'], {
      killGracePeriod: 60000,
      stdio: 'ignore',
    });
    const pid = sup.pid as number;
    await untilGroupReady(pid, 3);
    await expect(sup.terminate()).resolves.toEqual({ kind: 'exited', code: 7 });
    expect(sup.state).toBe('stopped');
    // The sleep in the group got the SIGTERM too; it was the shell's child, so it is a
    // zombie of this subreaper now, or already reaped by the shell.
    await reapAll(groupOf(pid).map((p) => p.pid));
  });

  test('a child that ignores SIGTERM is SIGKILLed after killGracePeriod', async () => {
    const sup = supervise('/bin/sh', ['-c', 'trap "" TERM; echo; while :; do sleep 0.05; done'], { killGracePeriod: 200 });
    const pid = sup.pid as number;
    await untilGroupReady(pid, 3);
    const status = await sup.terminate();
    expect(status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    await reapAll(groupOf(pid).map((p) => p.pid));
  });

  test('grandchildren in the group are stopped too: none is left running', async () => {
    const sup = supervise('/bin/sh', ['-c', shellWithSleeps(3)]);
    const pid = sup.pid as number;
    await untilGroupReady(pid, 5); // sh, 3 sleeps, keeper
    const gc = grandchildren(pid);
    expect(gc).toHaveLength(3);
    await sup.terminate();
    expect(liveMembers(pid)).toEqual([]);
    const statuses = await reapAll(gc.filter((p) => statFields(p) !== undefined));
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });

  test('grandchildren that ignore the stop signal are SIGKILLed after killGracePeriod', async () => {
    const sup = supervise('/bin/sh', ['-c', shellWithSleeps(2, 'trap "" TERM;')], { killGracePeriod: 200 });
    const pid = sup.pid as number;
    await untilGroupReady(pid, 4);
    const gc = grandchildren(pid);
    await sup.terminate();
    expect(liveMembers(pid)).toEqual([]);
    const statuses = await reapAll(gc.filter((p) => statFields(p) !== undefined));
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  test('the stop signal is configurable', async () => {
    const sup = supervise('/bin/sleep', ['300'], { killSignal: 'SIGINT' });
    await expect(sup.terminate()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGINT' });
  });
});

describe('a leader that exits on its own', () => {
  test('what is left of its group is ended before the restart', async () => {
    // The leader (exec'd sleep) exits, leaving two sleeps in its group; the supervisor
    // must end them before starting the next child.
    const sup = supervise('/bin/sh', ['-c', 'sleep 300 & sleep 300 & exec sleep 0.3'], {
      restart: 'always',
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 1, window: 60000 },
    });
    const first = sup.pid as number;
    await untilGroupReady(first, 4);
    const gc = grandchildren(first);
    expect(gc).toHaveLength(2);
    const second = await new Promise<number>((resolve) => sup.once('spawn', resolve));
    // By the time of the restart, the first group has no live member left.
    expect(liveMembers(first)).toEqual([]);
    const statuses = await reapAll(gc);
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    expect(second).not.toBe(first);
    await expect(sup.done()).resolves.toBe('failed');
    expect(liveMembers(second)).toEqual([]);
    await reapAll(groupOf(second).map((p) => p.pid)); // its sleeps, zombies adopted here
  });
});

describe('signal()', () => {
  test('reaches every member of the group', async () => {
    const sup = supervise('/bin/sh', ['-c', 'sleep 300 & sleep 300 & wait'], { restart: 'never' });
    const pid = sup.pid as number;
    await untilGroupReady(pid, 4);
    const gc = grandchildren(pid);
    expect(sup.kill('SIGUSR1')).toBe(true);
    await expect(sup.done()).resolves.toBe('stopped');
    expect(sup.lastStatus).toMatchObject({ kind: 'signaled', signal: 'SIGUSR1' });
    const statuses = await reapAll(gc.filter((p) => statFields(p) !== undefined));
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGUSR1' });
  });

  test('returns false once the supervisor has stopped', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    await sup.terminate();
    expect(sup.kill('SIGTERM')).toBe(false);
  });
});

describe('the exit hook', () => {
  test('a live supervisor listens for exit and SIGTERM; a stopped one no longer does', async () => {
    const before = [process.listenerCount('exit'), process.listenerCount('SIGTERM')];
    const sup = supervise('/bin/sleep', ['300']);
    const during = [process.listenerCount('exit'), process.listenerCount('SIGTERM')];
    await sup.terminate();
    const after = [process.listenerCount('exit'), process.listenerCount('SIGTERM')];
    expect(during).toEqual([before[0] + 1, before[1] + 1]);
    expect(after).toEqual(before);
  });
});

describe('a group keeper killed from outside', () => {
  test('leftovers of the exited child are not waited for (nothing can signal them safely): the supervisor settles', async () => {
    const sup = supervise('/bin/sh', ['-c', 'trap "exit 1" USR1; sleep 300 & wait'], { restart: 'never', killGracePeriod: 100 });
    const pid = sup.pid as number;
    await untilGroupReady(pid, 3); // sh, sleep, keeper
    const keeper = (groupOf(pid).find((p) => p.state === 'T') as { pid: number }).pid;
    const sleep = (groupOf(pid).find((p) => p.pid !== pid && p.pid !== keeper) as { pid: number }).pid;
    // Asleep before (not still exec'ing or starting up, R), so asleep after means not signalled.
    await waitFor('the sleep asleep', () => statFields(sleep)?.[0] === 'S');
    process.kill(keeper, 'SIGKILL');
    await waitFor('the keeper reaped by the supervisor', () => statFields(keeper) === undefined);
    process.kill(pid, 'SIGUSR1');
    await expect(sup.done()).resolves.toBe('stopped');
    expect(sup.lastStatus).toEqual({ kind: 'exited', code: 1 });
    expect(statFields(sleep)?.[0]).toBe('S'); // not signalled
    process.kill(sleep, 'SIGKILL');
    await reapAll([sleep]);
  });
});
