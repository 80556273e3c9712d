// The leak guard's core on real processes: what counts as a leak, how each leftover relates
// to the guard, clean-up by identity, and that it never reaps a child someone else owns.
import { spawn as cpSpawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { formatLeakReport, LeakGuard, startLeakGuard } from '../../lib/guard/index';
import { signalByIdentity } from '../../lib/guard/signal';
import { isRunning, isSameProcess } from '../../lib/proc/identity';
import { openProcess } from '../../lib/proc/process-handle';
import { getProcess } from '../../lib/proc/table';
import { spawn } from '../../lib/spawn/index';
import { readAll } from '../helpers/spawn-helpers';
import { killPid, reapPid, stateLetter, waitFor } from '../helpers/proc-spawn';
import { BACKGROUND_SLEEP, DOUBLE_FORK_DAEMON, LEADER_EXITED, ZOMBIE_HOLDER } from '../helpers/guard-fixtures';

let guard: LeakGuard | undefined;

afterEach(async () => {
  // Whatever a failed test left: killed and reaped by the guard (identity-checked), then stop.
  if (guard !== undefined && !guard.disposed) {
    await guard.cleanup({ killGracePeriod: 0 });
    guard.dispose();
  }
  guard = undefined;
});

/** Runs a fixture with spawn(), waits for it, returns the pids it printed. */
async function leave(argv: readonly string[]): Promise<number[]> {
  const [file, ...args] = argv;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = await readAll(child.stdout);
  const status = await child.wait();
  expect(status).toEqual({ kind: 'exited', code: 0 });
  return out.trim().split(/\s+/).map(Number);
}

function ref(pid: number): { pid: number; startTime: number } {
  const p = getProcess(pid);
  if (p === undefined) throw new Error(`no process ${pid}`);
  return { pid, startTime: p.startTime };
}

describe('startLeakGuard / check', () => {
  test('a command that leaves nothing gives an ok report', async () => {
    guard = startLeakGuard();
    const child = spawn('sh', ['-c', 'true']);
    await child.wait();
    expect(guard.check()).toEqual({ ok: true, guardPid: process.pid, leaked: [], zombies: [], reaped: [] });
  });

  test('a background process whose parent exited is reported as an orphan adopted by the guard', async () => {
    guard = startLeakGuard();
    const [sleepPid] = await leave(BACKGROUND_SLEEP);
    const report = guard.check();
    expect(report.ok).toBe(false);
    expect(report.leaked).toEqual([
      expect.objectContaining({
        pid: sleepPid,
        ppid: process.pid,
        comm: 'sleep',
        cmdline: ['sleep', '300'],
        relation: 'adopted',
        parent: expect.objectContaining({ pid: process.pid, isGuard: true }),
      }),
    ]);
    expect(report.leaked[0].startTime).toBe(ref(sleepPid).startTime);
  });

  test('a zombie is reported with the live parent that holds it; the parent is reported too', async () => {
    guard = startLeakGuard();
    const [holder, zombie] = await leave(ZOMBIE_HOLDER);
    const report = guard.check();
    expect(report.zombies).toEqual([
      expect.objectContaining({
        pid: zombie,
        ppid: holder,
        relation: 'descendant',
        cmdline: [],
        state: expect.objectContaining({ letter: 'Z', name: 'zombie' }),
        parent: expect.objectContaining({ pid: holder, isGuard: false }),
      }),
    ]);
    expect(report.leaked.map((p) => [p.pid, p.relation])).toEqual([[holder, 'adopted']]);
  });

  test('a double-forked daemon in its own session is adopted through the subreaper and reported', async () => {
    guard = startLeakGuard();
    const [daemon] = await leave(DOUBLE_FORK_DAEMON);
    const info = getProcess(daemon);
    const report = guard.check();
    const entry = report.leaked.find((p) => p.pid === daemon);
    expect(entry).toMatchObject({ relation: 'adopted', ppid: process.pid, cmdline: ['sleep', '300'] });
    // The middle process made a new session: the daemon is not in ours.
    expect(info?.sid).not.toBe(getProcess(process.pid)?.sid);
  });

  test('a child started with spawn() and still running is reported as a child, not as adopted', async () => {
    guard = startLeakGuard();
    const child = spawn('sleep', ['300']);
    const report = guard.check();
    expect(report.leaked).toEqual([expect.objectContaining({ pid: child.pid, relation: 'child' })]);
    child.kill('SIGKILL');
    await child.wait();
  });

  test('a grandchild still attached to its parent is reported as a descendant of that parent', async () => {
    guard = startLeakGuard();
    const parent = spawn('sh', ['-c', 'sleep 300 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    const grandchild = Number(line.trim());
    const report = guard.check();
    expect(report.leaked).toContainEqual(
      expect.objectContaining({ pid: grandchild, ppid: parent.pid, relation: 'descendant', parent: expect.objectContaining({ pid: parent.pid, comm: 'sh' }) }),
    );
    killPid(grandchild); // the shell's wait returns, and it exits
    expect(await parent.wait()).toEqual({ kind: 'exited', code: 0 });
    parent.stdout!.destroy();
  });

  test('processes that were already descendants when the guard started are not reported', async () => {
    const before = spawn('sleep', ['300']);
    guard = startLeakGuard();
    expect(guard.baseline).toContainEqual(ref(before.pid));
    expect(guard.check().ok).toBe(true);
    before.kill('SIGKILL');
    await before.wait();
  });

  test('the ignore predicate leaves a process out of the report and out of the clean-up', async () => {
    guard = startLeakGuard({ ignore: (p) => p.cmdline.join(' ') === 'sleep 300' });
    const [sleepPid] = await leave(BACKGROUND_SLEEP);
    const identity = ref(sleepPid);
    expect(guard.check().ok).toBe(true);
    const result = await guard.cleanup({ killGracePeriod: 0 });
    expect(result.signaled).toEqual([]);
    expect(isSameProcess(identity)).toBe(true);
    killPid(sleepPid);
    await reapPid(sleepPid);
  });

  test('an adopted orphan that has exited is reaped by the check, by pid, and is not a leak', async () => {
    guard = startLeakGuard();
    const [sleepPid] = await leave(BACKGROUND_SLEEP);
    killPid(sleepPid);
    await waitFor('the orphan to be a zombie', () => stateLetter(sleepPid) === 'Z');
    const report = guard.check();
    expect(report.ok).toBe(true);
    expect(report.reaped).toEqual([
      { pid: sleepPid, comm: 'sleep', status: { kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false } },
    ]);
    expect(stateLetter(sleepPid)).toBeUndefined();
  });

  test('reapAdopted() reaps an adopted orphan that has exited, by pid, and returns its status', async () => {
    guard = startLeakGuard();
    const [sleepPid] = await leave(BACKGROUND_SLEEP);
    killPid(sleepPid);
    await waitFor('the orphan to be a zombie', () => stateLetter(sleepPid) === 'Z');
    expect(guard.reapAdopted()).toEqual([
      { pid: sleepPid, comm: 'sleep', status: { kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false } },
    ]);
    expect(stateLetter(sleepPid)).toBeUndefined();
  });

  test('reapAdopted() leaves a running orphan alone', async () => {
    guard = startLeakGuard();
    const [sleepPid] = await leave(BACKGROUND_SLEEP);
    const identity = ref(sleepPid);
    expect(guard.reapAdopted()).toEqual([]);
    expect(isRunning(identity)).toBe(true);
  });

  test('the exited child of child_process is never reaped by the check: its exit event still fires', async () => {
    guard = startLeakGuard();
    const child = cpSpawn('sh', ['-c', 'exit 5']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pid = child.pid as number;
    // Block the event loop until it is a zombie, so libuv has not reaped it yet.
    while (stateLetter(pid) !== 'Z') {
      /* spin: a condition on /proc, no timing */
    }
    const report = guard.check();
    expect(report.ok).toBe(true);
    expect(report.reaped).toEqual([]);
    expect(stateLetter(pid)).toBe('Z');
    expect(await exited).toBe(5);
  });

  test('formatLeakReport names each leftover and how it relates', async () => {
    guard = startLeakGuard();
    const [holder, zombie] = await leave(ZOMBIE_HOLDER);
    const text = formatLeakReport(guard.check());
    expect(text).toContain('leak: 1 process still running and 1 zombie left behind:');
    expect(text).toMatch(new RegExp(`pid ${holder} S .*python.*: orphan adopted by the guard`));
    expect(text).toContain(`pid ${zombie} Z [python3]: zombie held by ${holder} (python3, sleeping), which has not waited for it`);
  });
});

describe('cleanup', () => {
  test('kills the leftovers with SIGTERM and reaps what was adopted, leaving an ok report', async () => {
    guard = startLeakGuard();
    const [holder, zombie] = await leave(ZOMBIE_HOLDER);
    const identities = [ref(holder), ref(zombie)];
    const result = await guard.cleanup({ killGracePeriod: 1000 });
    expect(result.signaled).toEqual([expect.objectContaining({ pid: holder, signal: 'SIGTERM' })]);
    expect(result.reaped.map((r) => r.pid).sort()).toEqual([holder, zombie].sort());
    expect(result.remaining.ok).toBe(true);
    for (const id of identities) expect(isSameProcess(id)).toBe(false);
  });

  test('sends SIGKILL after killGracePeriod to a process that ignores SIGTERM', async () => {
    guard = startLeakGuard();
    // The inner shell prints its pid itself, once its trap is set (printed by the outer one
    // at once, SIGTERM could come before the trap and end it), then lets go of our pipe.
    const [pid] = await leave(['sh', '-c', "sh -c 'trap \"\" TERM; echo $$; exec >/dev/null 2>&1; while :; do sleep 1; done' </dev/null &"]);
    const result = await guard.cleanup({ killGracePeriod: 200 });
    const signals = result.signaled.filter((s) => s.pid === pid).map((s) => s.signal);
    expect(signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(result.remaining.ok).toBe(true);
  });

  test('a process whose main thread exited (its leader shows Z, another thread runs) is reported alive and killed', async () => {
    guard = startLeakGuard();
    const [pid] = await leave(LEADER_EXITED);
    const identity = ref(pid);
    expect(stateLetter(pid)).toBe('Z');
    const report = guard.check();
    expect(report.leaked.map((p) => [p.pid, p.relation])).toEqual([[pid, 'adopted']]);
    expect(report.zombies).toEqual([]);
    expect(formatLeakReport(report)).toContain(`pid ${pid} Z [python3]: orphan adopted by the guard`);
    const result = await guard.cleanup({ killGracePeriod: 0 });
    expect(result.signaled).toContainEqual(expect.objectContaining({ pid, signal: 'SIGKILL' }));
    expect(result.reaped.map((r) => r.pid)).toContain(pid);
    expect(result.remaining.ok).toBe(true);
    expect(isSameProcess(identity)).toBe(false);
  });

  test('a child of spawn() killed by the clean-up is reaped by its own handle, which sees the signal', async () => {
    guard = startLeakGuard();
    const child = spawn('sleep', ['300']);
    const result = await guard.cleanup({ killGracePeriod: 1000 });
    expect(result.reaped).toEqual([]);
    expect(await child.wait()).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });
});

describe('cleanupSync', () => {
  test('SIGKILLs the leftovers at once and reaps them and their zombies before returning', () => {
    guard = startLeakGuard();
    const child = cpSpawn(ZOMBIE_HOLDER[0], ZOMBIE_HOLDER.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('close', () => {
        try {
          const [holder, zombie] = out.trim().split(' ').map(Number);
          const ids = [ref(holder), ref(zombie)];
          const result = guard!.cleanupSync({ timeout: 5000 });
          expect(result.signaled).toEqual([expect.objectContaining({ pid: holder, signal: 'SIGKILL' })]);
          expect(result.reaped.map((r) => r.pid).sort()).toEqual([holder, zombie].sort());
          expect(result.remaining.ok).toBe(true);
          for (const id of ids) expect(isSameProcess(id)).toBe(false);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  });

  test('rejects a bad timeout with ERR_OUT_OF_RANGE', () => {
    guard = startLeakGuard();
    expect(() => guard!.cleanupSync({ timeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('identity', () => {
  test('a signal aimed at a pid whose start time no longer matches is not sent', async () => {
    const victim = spawn('sleep', ['300']);
    const { pid, startTime } = ref(victim.pid);
    // As if the recorded process had been reaped and its pid handed to this one.
    expect(signalByIdentity({ pid, startTime: startTime + 1 }, 9)).toBe('gone');
    expect(signalByIdentity({ pid, startTime }, 15)).toBe('sent');
    // Had the SIGKILL gone out, it would be what ended the process.
    expect(await victim.wait()).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    expect(isRunning({ pid, startTime })).toBe(false);
  });

  test('a pid that now names a thread (not a process) is reported gone, not an error', () => {
    // pidfd_open(2) refuses a thread that is not a thread-group leader (EINVAL; ENOENT since
    // Linux 6.9); a leaked process's pid can be recycled as such a thread's id. This
    // process's own threads stand in for one, with their real start time.
    const fs = require('node:fs') as typeof import('node:fs');
    const tid = fs.readdirSync('/proc/self/task').map(Number).find((t) => t !== process.pid);
    expect(tid).toBeGreaterThan(0);
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(signalByIdentity({ pid: tid as number, startTime }, 0)).toBe('gone');
  });

  test('a process that is gone is reported gone, not an error', async () => {
    const child = spawn('true');
    const id = ref(child.pid);
    await child.wait();
    expect(signalByIdentity(id, 15)).toBe('gone');
  });

  test('a zombie (exited, not reaped yet) is reported gone: nothing is sent', async () => {
    // pidfd_send_signal(2) succeeds on a zombie; a dead process was not signalled.
    const child = cpSpawn('/bin/true', { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const id = ref(child.pid!);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // The event loop does not run here, so libuv cannot reap it meanwhile.
    while (stateLetter(child.pid!) !== 'Z') Atomics.wait(pause, 0, 0, 1);
    expect([signalByIdentity(id, 15), stateLetter(child.pid!)]).toEqual(['gone', 'Z']);
    await exited;
  });

  test('an open ProcessHandle is signalled through its own pidfd', async () => {
    const victim = spawn('sleep', ['300']);
    const handle = openProcess(victim.pid);
    try {
      expect(signalByIdentity(handle, 15)).toBe('sent');
      expect(await victim.wait()).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
      expect(signalByIdentity(handle, 9)).toBe('gone');
    } finally {
      handle.close();
    }
  });
});

describe('lifecycle and validation', () => {
  test('stop() clears the subreaper flag the guard set, and check() then throws ERR_INVALID_STATE', () => {
    const { isChildSubreaper } = require('../../lib/guard/subreaper') as typeof import('../../lib/guard/subreaper');
    const was = isChildSubreaper();
    const g = startLeakGuard();
    expect(isChildSubreaper()).toBe(true);
    g.dispose();
    expect(isChildSubreaper()).toBe(was);
    expect(() => g.check()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  test("ERR_INVALID_STATE is shaped like Node's own: an Error, 'Invalid state: ...', the code in the stack", () => {
    const g = startLeakGuard();
    g.dispose();
    let err: (Error & { code?: string }) | undefined;
    try {
      g.check();
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toBe('Invalid state: LeakGuard.check() called after dispose()');
    expect(err!.stack!.split('\n')[0]).toBe('Error [ERR_INVALID_STATE]: Invalid state: LeakGuard.check() called after dispose()');
  });

  test('subreaper: false leaves the flag as it was', () => {
    const { isChildSubreaper } = require('../../lib/guard/subreaper') as typeof import('../../lib/guard/subreaper');
    const was = isChildSubreaper();
    const g = startLeakGuard({ subreaper: false });
    expect(isChildSubreaper()).toBe(was);
    g.dispose();
  });

  test.each([
    ['options', 5, 'ERR_INVALID_ARG_TYPE'],
    ['options.ignore', { ignore: 'sleep' }, 'ERR_INVALID_ARG_TYPE'],
    ['options.subreaper', { subreaper: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ])('startLeakGuard rejects a bad %s with %s', (name, options, code) => {
    expect(() => startLeakGuard(options as never)).toThrow(expect.objectContaining({ code, message: expect.stringContaining(`"${name}"`) }));
  });

  test('new LeakGuard() throws ERR_ILLEGAL_CONSTRUCTOR: only startLeakGuard makes guards (it validates first)', () => {
    const { isChildSubreaper } = require('../../lib/guard/subreaper') as typeof import('../../lib/guard/subreaper');
    const was = isChildSubreaper();
    const Ctor = LeakGuard as unknown as new (...args: unknown[]) => LeakGuard;
    let made: LeakGuard | undefined;
    try {
      expect(() => (made = new Ctor(undefined, true))).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }));
      expect(isChildSubreaper()).toBe(was);
    } finally {
      made?.dispose();
    }
  });

  test('startLeakGuard in a worker thread throws ERR_WORKER_UNSUPPORTED_OPERATION (it would see the main thread\'s children as adopted)', async () => {
    const root = path.join(__dirname, '..', '..');
    const worker = new Worker(
      `require(${JSON.stringify(path.join(root, 'test/helpers/ts-register.js'))});
      const { startLeakGuard } = require(${JSON.stringify(path.join(root, 'lib/guard/guard.ts'))});
      const { parentPort } = require('node:worker_threads');
      try { startLeakGuard().dispose(); parentPort.postMessage('started'); }
      catch (e) { parentPort.postMessage(e.name + ' ' + e.code); }`,
      { eval: true },
    );
    // Listen for 'exit' before awaiting the message: when the worker has already ended by the
    // time this thread gets to it, Node emits the message and then 'exit' in one go (the
    // exit drains the port), before a listener added after the await could be there.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const answer = await new Promise((resolve) => worker.once('message', resolve));
    expect(await exited).toBe(0);
    expect(answer).toBe('TypeError ERR_WORKER_UNSUPPORTED_OPERATION');
  });

  test.each([
    [{ killGracePeriod: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ killGracePeriod: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ killGracePeriod: '1' }, 'ERR_INVALID_ARG_TYPE'],
    ['now', 'ERR_INVALID_ARG_TYPE'],
  ])('cleanup(%p) rejects with %s', async (options, code) => {
    guard = startLeakGuard();
    await expect(guard.cleanup(options as never)).rejects.toMatchObject({ code });
  });

  test.each([
    [-1, undefined, 'ERR_OUT_OF_RANGE'],
    ['1', undefined, 'ERR_INVALID_ARG_TYPE'],
    [10, 0, 'ERR_OUT_OF_RANGE'],
    [2 ** 31, undefined, 'ERR_OUT_OF_RANGE'],
    [10, 2 ** 31, 'ERR_OUT_OF_RANGE'],
  ])('settle(%p, %p) rejects with %s', async (timeout, interval, code) => {
    guard = startLeakGuard();
    await expect(guard.settle(timeout as never, interval as never)).rejects.toMatchObject({ code });
  });

  test.each([[null], [{}], [{ leaked: [], zombies: 'none' }]])('formatLeakReport(%p) throws ERR_INVALID_ARG_TYPE', (report) => {
    expect(() => formatLeakReport(report as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
