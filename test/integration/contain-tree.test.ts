// Containment (issue 10): with each mechanism forced, nothing a contained child starts
// outlives it, however it detaches (setsid, a double fork, another process group, SIGTERM
// ignored): not after terminate(), not after the program exits, not after the owner is
// SIGKILLed. This process is a subreaper: whatever the cgroup mechanism lets be re-parented
// (the shepherd reaps its own) comes here and is reaped by pid.
import { spawn } from '../../lib/spawn';
import type { ContainedSubprocess, Containment, TreeMember } from '../../lib/contain';
import { becomeSubreaper, waitFor } from '../helpers/proc-spawn';
import { LOADER, ROOT, readAll, reapIfAdopted, statFields } from '../helpers/supervise-helpers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

// sh (the program), a setsid'd sleep, a double-forked sleep, a sleep that ignores SIGTERM,
// and bash job control putting a sleep into a process group of its own: 6 live members.
const TREE = [
  'setsid sleep 300 &',
  '(sleep 301 &)',
  "(trap '' TERM; exec sleep 302) &",
  "bash -c 'set -m; sleep 303 & wait' &",
  'wait',
].join('\n');
const TREE_SIZE = 6;

const alive = (m: TreeMember): boolean => {
  const f = statFields(m.pid);
  return f !== undefined && Number(f[19]) === m.startTime && f[0] !== 'Z';
};
const exists = (m: TreeMember): boolean => {
  const f = statFields(m.pid);
  return f !== undefined && Number(f[19]) === m.startTime;
};

async function startTree(mechanism: Containment, killGracePeriod = 200): Promise<ContainedSubprocess> {
  const child = spawn('/bin/sh', ['-c', TREE], { contain: mechanism, killGracePeriod });
  // Every sleep asleep (S), not just forked: then each has done what it detaches with.
  await waitFor('the whole tree', () => {
    const m = child.members();
    return m.length === TREE_SIZE && m.every((x) => statFields(x.pid)?.[0] === 'S');
  });
  return child;
}

/** Whether SIGTERM is ignored by `pid` (SigIgn in /proc/pid/status, bit 15). */
function ignoresSigterm(pid: number): boolean {
  const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m !== null && (BigInt('0x' + m[1]) & (1n << 14n)) !== 0n;
}

/** The pgid and sid of a member (fields 5 and 6 of /proc/pid/stat). */
function groupAndSession(pid: number): [number, number] {
  const f = statFields(pid)!;
  return [Number(f[2]), Number(f[3])];
}

describe.each<Containment>(['cgroup', 'subreaper'])('contain: %s', (mechanism) => {
  test('the handle reports the mechanism, and members() lists the detached processes too', async () => {
    const child = await startTree(mechanism);
    expect(child.containment).toBe(mechanism);
    const members = child.members();
    expect(members.map((m) => m.pid)).toContain(child.programPid);
    // at least one member in another session and one in another group than the program's
    const [pg, sid] = groupAndSession(child.programPid);
    expect(members.some((m) => groupAndSession(m.pid)[1] !== sid)).toBe(true);
    expect(members.some((m) => groupAndSession(m.pid)[0] !== pg && groupAndSession(m.pid)[1] === sid)).toBe(true);
    await child.terminate({ killGracePeriod: 0 });
    for (const m of members) await reapIfAdopted(m.pid);
  });

  test('terminate() ends every member, escalating to SIGKILL for the one that ignores SIGTERM', async () => {
    const child = await startTree(mechanism);
    const members = child.members();
    const ignoring = members.find((m) => ignoresSigterm(m.pid))!.pid;
    const result = await child.terminate();
    for (const m of members) await reapIfAdopted(m.pid);
    expect(members.filter(exists)).toEqual([]);
    expect(child.members()).toEqual([]);
    expect(result.escalated).toBe(true);
    expect(result.members.map((m) => m.pid).sort()).toEqual(members.map((m) => m.pid).sort());
    // Only sleep 302 ignored SIGTERM: it alone needed SIGKILL; the program died of SIGTERM.
    expect(result.members.filter((m) => m.endedBy === 'SIGKILL').map((m) => m.pid)).toEqual([ignoring]);
    expect(result).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });

  test('kill(signal, { tree: true }) signals every member once; kill(signal) only the program', async () => {
    const child = await startTree(mechanism);
    const members = child.members();
    expect(child.kill('SIGSTOP', { tree: true })).toBe(true);
    await waitFor('every member stopped', () => members.every((m) => statFields(m.pid)?.[0] === 'T'));
    expect(child.kill('SIGCONT', { tree: true })).toBe(true);
    await waitFor('every member running again', () => members.every((m) => statFields(m.pid)?.[0] !== 'T'));
    expect(child.kill('SIGKILL')).toBe(true);
    // The program is gone; the rest of its tree is ended after it (nothing outlives it).
    await expect(child.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    await child.terminate();
    for (const m of members) await reapIfAdopted(m.pid);
    expect(members.filter(exists)).toEqual([]);
  });

  test('when the program exits, what it left behind is ended and its exit status is the program\'s', async () => {
    const child = spawn('/bin/sh', ['-c', 'setsid sleep 300 & echo $!; (sleep 301 & echo $!); exit 7'], {
      contain: mechanism, killGracePeriod: 100, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
    expect(status).toEqual({ kind: 'exited', code: 7 });
    const result = await child.terminate();
    expect(result).toMatchObject({ kind: 'exited', code: 7 });
    expect(child.members()).toEqual([]);
    // With 'cgroup' the sleeps, orphaned when sh exited, were re-parented here (a subreaper)
    // and ended as zombies: reap them (with 'subreaper' the shepherd did).
    const left = out.trim().split('\n').map(Number);
    expect(left).toHaveLength(2);
    for (const pid of left) await reapIfAdopted(pid);
  });

  test('a timeout ends the program, and with it the rest of the tree', async () => {
    const timed = spawn('/bin/sh', ['-c', 'setsid sleep 300 & wait'], { contain: mechanism, timeout: 100, killGracePeriod: 100 });
    await waitFor('sh and its setsid sleep', () => timed.members().length === 2);
    const escapee = timed.members().find((m) => m.pid !== timed.programPid)!;
    await expect(timed.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
    expect(timed.terminationReason).toBe('timeout');
    await timed.terminate();
    await reapIfAdopted(escapee.pid);
    expect(exists(escapee)).toBe(false);
  });

  test('an exec failure is thrown by spawn(), with the path', () => {
    expect(() => spawn('/nonexistent/prog', [], { contain: mechanism })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/prog' }),
    );
  });

  test('the owner is SIGKILLed: the whole tree dies, and nothing is left unreaped', async () => {
    const script = `
      const { spawn } = require(${JSON.stringify(join(ROOT, 'lib', 'spawn', 'index.ts'))});
      const { childrenOf } = require(${JSON.stringify(join(ROOT, 'lib', 'contain', 'procfs.ts'))});
      const child = spawn('/bin/sh', ['-c', ${JSON.stringify(TREE)}], { contain: ${JSON.stringify(mechanism)} });
      const tick = () => {
        const m = child.members();
        if (m.length === ${TREE_SIZE} && m.every((x) => require('fs').readFileSync('/proc/' + x.pid + '/stat', 'latin1').split(') ')[1][0] === 'S')) {
          process.stdout.write(JSON.stringify({ members: m, helpers: childrenOf(process.pid) }) + '\\n');
        } else setTimeout(tick, 10);
      };
      tick();
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ['-r', LOADER, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    for await (const chunk of owner.stdout!) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const report = JSON.parse(text) as { members: TreeMember[]; helpers: number[] };
    expect(report.members.length).toBe(TREE_SIZE);
    expect(owner.kill('SIGKILL')).toBe(true);
    await owner.wait();
    // Everything the owner started (keeper or shepherd, and the members re-parented here).
    for (const pid of report.helpers) await reapIfAdopted(pid);
    for (const m of report.members) await reapIfAdopted(m.pid);
    await waitFor('every member gone', () => !report.members.some(exists));
    expect(report.members.filter(alive)).toEqual([]);
  });

  test("the program is in the owner's process group, as a plain spawn() child is; processGroup: true gives it one of its own", async () => {
    const plain = spawn('/bin/sleep', ['300'], { contain: mechanism });
    const grouped = spawn('/bin/sleep', ['300'], { contain: mechanism, processGroup: true });
    try {
      await waitFor('both programs', () => statFields(plain.programPid) !== undefined && statFields(grouped.programPid) !== undefined);
      expect(groupAndSession(plain.programPid)[0]).toBe(groupAndSession(process.pid)[0]);
      // With processGroup the group is the one spawn() made: led by child.pid (the shepherd, with 'subreaper').
      expect(groupAndSession(grouped.programPid)[0]).toBe(grouped.pid);
    } finally {
      await plain.terminate({ killGracePeriod: 0 });
      await grouped.terminate({ killGracePeriod: 0 });
    }
  });

  test("the owner's whole process group is SIGKILLed (kill -9 -pgid, timeout -s KILL): the helper is not in it, and the tree dies", async () => {
    const script = `
      const { spawn } = require(${JSON.stringify(join(ROOT, 'lib', 'spawn', 'index.ts'))});
      const { childrenOf } = require(${JSON.stringify(join(ROOT, 'lib', 'contain', 'procfs.ts'))});
      const child = spawn('/bin/sh', ['-c', 'setsid sleep 300 & wait'], { contain: ${JSON.stringify(mechanism)} });
      const tick = () => {
        const m = child.members();
        if (m.length === 2) process.stdout.write(JSON.stringify({ members: m, helpers: childrenOf(process.pid) }) + '\\n');
        else setTimeout(tick, 10);
      };
      tick();
      setInterval(() => {}, 1000);
    `;
    // The owner leads its own session and group, as a shell job or `timeout`'s command does.
    const owner = spawn(process.execPath, ['-r', LOADER, '-e', script], { setsid: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    for await (const chunk of owner.stdout!) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const report = JSON.parse(text) as { members: TreeMember[]; helpers: number[] };
    expect(report.members.length).toBe(2);
    try {
      // The keeper or shepherd is out of the owner's group, so the signal below spares it.
      const helper = report.helpers.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('unixproc-shepherd'))!;
      expect(groupAndSession(helper)[0]).not.toBe(owner.pid);
      process.kill(-owner.pid, 'SIGKILL');
      await owner.wait();
      for (const pid of report.helpers) await reapIfAdopted(pid);
      await waitFor('every member gone', () => !report.members.some(alive), 3000).catch(() => undefined);
      expect(report.members.filter(alive)).toEqual([]);
    } finally {
      owner.kill('SIGKILL');
      await owner.wait();
      for (const pid of report.helpers) await reapIfAdopted(pid);
      for (const m of report.members.filter(alive)) process.kill(m.pid, 'SIGKILL');
      for (const m of report.members) await reapIfAdopted(m.pid);
    }
  });
});

test('UNIXPROC_CONTAINMENT picks the mechanism for contain: true; a bad value is ERR_INVALID_ARG_VALUE', async () => {
  const before = process.env.UNIXPROC_CONTAINMENT;
  try {
    process.env.UNIXPROC_CONTAINMENT = 'subreaper';
    const a = spawn('/bin/true', [], { contain: true });
    expect(a.containment).toBe('subreaper');
    await a.terminate();
    process.env.UNIXPROC_CONTAINMENT = 'cgroup';
    const b = spawn('/bin/true', [], { contain: true });
    expect(b.containment).toBe('cgroup');
    await b.terminate();
    process.env.UNIXPROC_CONTAINMENT = 'nope';
    expect(() => spawn('/bin/true', [], { contain: true })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  } finally {
    if (before === undefined) delete process.env.UNIXPROC_CONTAINMENT;
    else process.env.UNIXPROC_CONTAINMENT = before;
  }
});

test('options.contain is validated', () => {
  expect(() => spawn('/bin/true', [], { contain: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => spawn('/bin/true', [], { contain: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

test('two copies of the library in one process (a jest module registry each) share one owner cgroup and keeper', async () => {
  const children: ContainedSubprocess[] = [];
  for (let i = 0; i < 2; i++) {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const copy = require('../../lib/spawn') as typeof import('../../lib/spawn');
      children.push(copy.spawn('/bin/sleep', ['300'], { contain: 'cgroup' }));
    });
  }
  const cgroupOf = (pid: number): string => readFileSync(`/proc/${pid}/cgroup`, 'latin1').match(/^0::(.*)$/m)![1];
  const [a, b] = children.map((c) => cgroupOf(c.pid));
  expect(a).not.toBe(b); // one cgroup per child
  expect(a.slice(0, a.lastIndexOf('/'))).toBe(b.slice(0, b.lastIndexOf('/'))); // one owner cgroup
  for (const c of children) await c.terminate({ killGracePeriod: 0 });
});
