// The leak guard and containment: this process's cgroup keeper (native/shepherd.cc `keeper`
// mode), which lives as long as this process by design, is not a leak.
import { startLeakGuard } from '../../lib/guard/index';
import { spawn } from '../../lib/spawn';
import { childrenOf, descendantsOf, startTimeOf } from '../../lib/contain/procfs';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { LOADER, ROOT, readAll, reapIfAdopted, statFields } from '../helpers/supervise-helpers';
import { readFileSync } from 'node:fs';
import { jsonOf, runGuardCli, untilSleepingIn } from '../helpers/guard-fixtures';

test("the guard does not report this process's cgroup keeper; a contained child's tree leaves nothing", async () => {
  const guard = startLeakGuard();
  try {
    const child = spawn('/bin/sh', ['-c', 'setsid sleep 300 & wait'], { contain: 'cgroup' });
    const keeper = childrenOf(process.pid).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1] === 'keeper',
    );
    expect(keeper).toBeDefined();
    await child.terminate({ killGracePeriod: 0 });
    const report = guard.check();
    expect(report.leaked.map((p) => p.pid)).not.toContain(keeper);
    expect(report.leaked).toEqual([]);
  } finally {
    await guard.cleanup({ killGracePeriod: 0 });
    guard.dispose();
  }
});

test('an owner that exits normally ends and reaps its cgroup keeper: no orphan is left to the subreaper above it', async () => {
  // The keeper outlives its owner by design (it ends the owner's cgroups once the owner is
  // gone): were it left running at the owner's exit, it would be re-parented here (a
  // subreaper) at that very moment, and left here as a zombie once it exits.
  const restore = becomeSubreaper();
  let keeper: { pid: number; startTime: number } | undefined;
  try {
    const script = [
      "const { spawn } = require('./lib/spawn');",
      "const { childrenOf, startTimeOf } = require('./lib/contain/procfs');",
      "const fs = require('node:fs');",
      "(async () => {",
      "  const c = spawn('/bin/true', [], { contain: 'cgroup' });",
      "  const k = childrenOf(process.pid).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\\0')[1] === 'keeper');",
      "  process.stdout.write(`${k} ${startTimeOf(k)}\\n`);",
      "  await c.wait();",
      "})();",
    ].join('\n');
    const owner = spawn(process.execPath, ['-r', LOADER, '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, status] = await Promise.all([readAll(owner.stdout), owner.wait()]);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    const [pid, startTime] = out.trim().split(' ').map(Number);
    expect(pid).toBeGreaterThan(0);
    keeper = { pid, startTime };
    // Gone already (reaped by its owner), not re-parented here alive or as a zombie.
    expect(startTimeOf(pid) === startTime ? statFields(pid)?.[1] : undefined).toBeUndefined();
  } finally {
    // Before the fix: the orphaned keeper is this process's child now; reap it by pid.
    if (keeper !== undefined && startTimeOf(keeper.pid) === keeper.startTime) await reapIfAdopted(keeper.pid);
    restore();
  }
});

test("the cgroup keeper is invisible to any-child waits, in every copy of the library: with only it left, wait() says ECHILD, it does not block", async () => {
  // Before the fix, os.wait() in a second copy (another jest test file's module registry)
  // blocked on the keeper (its exit belongs to the first copy, so it was only ever peeked),
  // and a copy that had no foreign child registered reaped the keeper itself.
  const script = [
    "const { spawn } = require('./lib/spawn');",
    "(async () => {",
    "  const c = spawn('/bin/true', [], { contain: 'cgroup' });",
    "  await c.wait();",
    "  await c.terminate();",
    "  const out = [];",
    "  const tryWait = (os, how) => { try { out.push(how + ' returned ' + JSON.stringify(how === 'wait' ? os.wait() : os.waitpid(-1, os.WNOHANG))); } catch (e) { out.push(how + ' ' + e.code + ' ' + e.syscall); } };",
    "  tryWait(require('./lib/os'), 'wait');",
    "  tryWait(require('./lib/os'), 'waitpid');",
    "  for (const k of Object.keys(require.cache)) delete require.cache[k];",
    "  const second = require('./lib/os');",
    "  tryWait(second, 'wait');",
    "  tryWait(second, 'waitpid');",
    "  process.stdout.write(out.join('\\n') + '\\n');",
    "})();",
  ].join('\n');
  const owner = spawn(process.execPath, ['-r', LOADER, '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], timeout: 20000 });
  const [out, status] = await Promise.all([readAll(owner.stdout), owner.wait()]);
  expect(out.trim().split('\n')).toEqual(['wait ECHILD wait', 'waitpid ECHILD waitpid', 'wait ECHILD wait', 'waitpid ECHILD waitpid']);
  expect(status).toEqual({ kind: 'exited', code: 0 });
});

describe('unixproc guard holds the command in a cgroup where it can', () => {
  const SETSID_SLEEP = `setsid sleep 300 </dev/null >/dev/null 2>&1 & p=$!; ${untilSleepingIn('sleep')}; echo $p`;

  test('the JSON report names the mechanism: cgroup here, subreaper when forced; the leftover is reported and ended either way', async () => {
    for (const forced of [undefined, 'subreaper'] as const) {
      const env = { ...process.env };
      if (forced === undefined) delete env.UNIXPROC_CONTAINMENT;
      else env.UNIXPROC_CONTAINMENT = forced;
      const run = await runGuardCli(['--json', '--', 'sh', '-c', SETSID_SLEEP], undefined, undefined, env);
      // With --json the command's stdout goes to stderr: stdout holds the report alone.
      const sleepPid = Number(run.stderr.split('\n')[0]);
      const json = jsonOf(run) as ReturnType<typeof jsonOf> & { containment: string };
      expect(json.containment).toBe(forced ?? 'cgroup');
      expect(run.code).toBe(1);
      const entry = json.report.leaked.find((p) => p.pid === sleepPid);
      expect(entry).toMatchObject({ comm: 'sleep', relation: 'adopted' });
      expect(startTimeOf(sleepPid) === entry!.startTime).toBe(false);
    }
  });

  test('the text report says which mechanism held the tree', async () => {
    const run = await runGuardCli(['--', 'sh', '-c', SETSID_SLEEP]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^unixproc guard \(tree held by cgroup\): /);
  });

  test('a SIGKILLed guard leaves nothing: its cgroup keeper kills the setsid\'d grandchild within 1 s', async () => {
    const restore = becomeSubreaper();
    let sleep: { pid: number; startTime: number } | undefined;
    // Every process below the guard (its keeper, the command, the grandchild), recorded
    // before the kill: once they are zombies their cmdline is empty, so they are reaped by these pids.
    let below: number[] = [];
    try {
      const run = await runGuardCli(['--', 'sh', '-c', `${SETSID_SLEEP}; exec sleep 300`], (text, pid) => {
        if (sleep === undefined && text.includes('\n')) {
          const p = Number(text.split('\n')[0]);
          sleep = { pid: p, startTime: startTimeOf(p) as number };
          below = [...descendantsOf(pid), p];
          process.kill(pid, 'SIGKILL');
        }
      });
      expect(run.signal).toBe('SIGKILL');
      expect(sleep).toBeDefined();
      expect(below.some((pid) => pid !== sleep!.pid)).toBe(true); // the keeper and the command at least
      // Polled, not timed: alive means the same pid and start time, not a zombie.
      const alive = (): boolean => startTimeOf(sleep!.pid) === sleep!.startTime && statFields(sleep!.pid)?.[0] !== 'Z';
      let gone = false;
      for (let i = 0; i < 100 && !(gone = !alive()); i++) await new Promise((r) => setTimeout(r, 10));
      expect(gone).toBe(true);
    } finally {
      // What the dead guard's tree and keeper left to this subreaper: reaped by pid.
      for (const pid of below) {
        const f = statFields(pid);
        if (f !== undefined && Number(f[1]) === process.pid && f[0] !== 'Z' && !readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('keeper')) process.kill(pid, 'SIGKILL');
      }
      for (const pid of below) await reapIfAdopted(pid);
      restore();
    }
  });
});
