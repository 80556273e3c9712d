// What becomes of supervised children when the supervisor's process ends: normally, by an
// uncaught exception, by SIGTERM, by SIGKILL. The supervisor runs in a separate node
// process; this process is a subreaper, adopts everything that outlives it, and reaps it
// by pid.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { groupOf, reapAll, statFields, SUPERVISE_LIB, supervisorProcess, untilGroupReady } from '../helpers/supervise-helpers';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

const START = `const sup = supervise('/bin/sh', ['-c', 'sleep 300 & sleep 300 & wait'], { contain: false });
process.stdout.write(JSON.stringify({ pid: sup.pid }) + '\\n');\n`;

/** Starts a supervisor process; resolves once its child's group is complete (sh, 2 sleeps, keeper). */
async function started(tail: string, setsid = true) {
  const { proc, report } = await supervisorProcess(START + tail, setsid);
  await untilGroupReady(report.pid, 4);
  const members = groupOf(report.pid).map((p) => p.pid);
  const keeper = groupOf(report.pid).find((p) => p.state === 'T')!.pid;
  const sleeps = members.filter((p) => p !== report.pid && p !== keeper);
  return { proc, leader: report.pid, keeper, sleeps, members };
}

/**
 * Whom this kernel sends the orphaned group's SIGHUP: "all" members (POSIX, and Linux as
 * long documented), or "stopped-only" (the running ones get SIGCONT alone: kernel 6.18 on
 * this project's CI machines). Measured, not assumed: test/fixtures/orphan-sighup-probe.py.
 */
function orphanSighup(): string {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, '..', 'fixtures', 'orphan-sighup-probe.py')], { encoding: 'utf8', timeout: 20000 });
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe('the supervisor process is SIGKILLed', () => {
  test('the child dies of its parent-death signal; the grandchildren get the hang-up of their orphaned group where the kernel sends it to running members', async () => {
    const kernel = orphanSighup();
    expect(['all', 'stopped-only']).toContain(kernel);
    const { proc, leader, keeper, sleeps } = await started('');
    expect(proc.kill('SIGKILL')).toBe(true);
    await expect(proc.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    const head = await reapAll([leader, keeper]);
    expect(head.get(leader)).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    // The keeper, continued by the kernel (the SIGCONT goes to every member either way),
    // saw its new parent and exited.
    expect(head.get(keeper)).toEqual({ kind: 'exited', code: 0 });
    if (kernel === 'all') {
      const statuses = await reapAll(sleeps);
      for (const p of sleeps) expect(statuses.get(p)).toMatchObject({ kind: 'signaled', signal: 'SIGHUP' });
    } else {
      // The limit of the process-group mode on such a kernel (docs/supervise.md): the
      // grandchildren run on, adopted by this subreaper. contain (the default) ends them.
      await new Promise((r) => setTimeout(r, 200));
      const states = sleeps.map((p) => statFields(p)?.[0]);
      for (const p of sleeps) process.kill(p, 'SIGKILL');
      const statuses = await reapAll(sleeps);
      expect(states).toEqual(['S', 'S']);
      for (const p of sleeps) expect(statuses.get(p)).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    }
  });

  test('the limit: when the new parent is in the same session, the group is not orphaned and grandchildren survive', async () => {
    // Not a new session: this subreaper, which adopts them, is in the supervisor's session.
    const { proc, leader, keeper, sleeps } = await started('', false);
    proc.kill('SIGKILL');
    await proc.wait();
    const leaderStatus = await reapAll([leader]);
    expect(leaderStatus.get(leader)).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    const states = sleeps.map((p) => statFields(p)?.[0]);
    for (const p of [keeper, ...sleeps]) process.kill(p, 'SIGKILL');
    await reapAll([keeper, ...sleeps]);
    expect(states).toEqual(['S', 'S']);
  });
});

describe('the supervisor process ends otherwise: its exit hook SIGKILLs the groups', () => {
  test('process.exit()', async () => {
    const { proc, members } = await started("process.stdin.once('data', () => process.exit(0));");
    proc.stdin!.end('go\n');
    await expect(proc.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
    const statuses = await reapAll(members);
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  test('an uncaught exception', async () => {
    const { proc, members } = await started("process.stdin.once('data', () => { throw new Error('boom'); });");
    proc.stdin!.end('go\n');
    await expect(proc.wait()).resolves.toEqual({ kind: 'exited', code: 1 });
    const statuses = await reapAll(members);
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  test('SIGTERM with no listener of its own: the process still dies of SIGTERM', async () => {
    const { proc, members } = await started('');
    proc.kill('SIGTERM');
    await expect(proc.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    const statuses = await reapAll(members);
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });
});

describe('two copies of the library in one process (two versions of the package)', () => {
  test('SIGTERM with no listener of the application: each copy SIGKILLs its groups and the process dies of SIGTERM', async () => {
    // The second copy: the supervise modules loaded again (a fresh exit hook), same addon.
    const body = `const first = supervise('/bin/sleep', ['300'], { contain: false });
for (const k of Object.keys(require.cache)) if (k.includes('/lib/supervise/')) delete require.cache[k];
const second = require(${JSON.stringify(SUPERVISE_LIB)}).supervise('/bin/sleep', ['300'], { contain: false });
process.stdout.write(JSON.stringify({ first: first.pid, second: second.pid }) + '\\n');\n`;
    const { proc, report } = await supervisorProcess(body);
    await untilGroupReady(report.first, 2); // sleep, keeper
    await untilGroupReady(report.second, 2);
    const members = [...groupOf(report.first), ...groupOf(report.second)].map((p) => p.pid);
    proc.kill('SIGTERM');
    await expect(proc.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    const statuses = await reapAll(members);
    for (const s of statuses.values()) expect(s).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });
});
