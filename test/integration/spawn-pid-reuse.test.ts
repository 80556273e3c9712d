// Pid reuse between the reaping of a spawn() child and the settling of its wait(): the pid
// is free, a new child may get it at once, and nothing the old handle still does may touch
// the new child's bookkeeping (issue 8, defect 3), nor signal it. Forced in a pid namespace
// through ns_last_pid, in both exit-watch modes.
import { join } from 'node:path';
import { canUnshare, runInPidNamespace } from '../helpers/pid-namespace';

const STEAL = join(__dirname, '..', 'fixtures', 'pid-reuse', 'steal-exit.ts');
const FOREIGN_REAP = join(__dirname, '..', 'fixtures', 'pid-reuse', 'kill-after-foreign-reap.ts');
const maybe = canUnshare ? test : test.skip;
const skipped = canUnshare ? '' : ' [skipped: cannot make a pid namespace with a writable ns_last_pid here]';

interface StealResult {
  oldPid: number;
  newPid: number;
  oldStatus: unknown;
  anyChildWait: unknown;
  newExit: unknown;
}

describe.each(['pidfd', 'sigchld'])('a new child that reuses a reaped spawn() child’s pid, with the %s exit watch', (mode) => {
  maybe(`keeps its exit: a child_process child still emits 'exit', an "any child" wait does not take it${skipped}`, () => {
    const r = runInPidNamespace<StealResult>(STEAL, [mode, 'child_process']);
    expect(r.newPid).toBe(r.oldPid);
    expect(r.oldStatus).toEqual({ kind: 'exited', code: 0 });
    expect(r.anyChildWait).toBe('ECHILD'); // handed back, and no other child to wait for
    expect(r.newExit).toBe(7);
  });

  maybe(`keeps its exit: a spawn() child's wait() resolves with it, an "any child" wait does not take it${skipped}`, () => {
    const r = runInPidNamespace<StealResult>(STEAL, [mode, 'spawn']);
    expect(r.newPid).toBe(r.oldPid);
    expect(r.oldStatus).toEqual({ kind: 'exited', code: 0 });
    expect(r.anyChildWait).toBe('ECHILD');
    expect(r.newExit).toEqual({ kind: 'exited', code: 7 });
  });

  maybe(`reaped behind the library's back (a raw waitpid) and reused: kill() sends nothing, wait() rejects ECHILD${skipped}`, () => {
    const r = runInPidNamespace<Record<string, unknown>>(FOREIGN_REAP, [mode]);
    expect(r.newPid).toBe(r.oldPid);
    expect(r.reaped).toEqual([r.oldPid, 0]);
    expect([r.killed, r.newcomerKilled]).toEqual([false, true]);
    expect(r.oldEnd).toBe('ECHILD');
    // Died of the test's SIGKILL, not of the SIGTERM sent through the old handle.
    expect(r.newcomerEnd).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });
});
