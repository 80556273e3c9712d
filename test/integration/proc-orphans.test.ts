// Real orphans, daemons and orphaned process groups. This process becomes a child
// subreaper, so every orphan made here is re-parented here and reaped here, by pid.
import { findDaemons, findOrphans, getProcess, Orphan, orphanedProcessGroups } from '../../lib/proc';
import {
  becomeSubreaper,
  killPid,
  ppidOf,
  PYTHON,
  reapPid,
  Reporter,
  spawnReporter,
  stateLetter,
  waitFor,
} from '../helpers/proc-spawn';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

function orphan(pid: number): Orphan | undefined {
  return findOrphans().find((o) => o.process.pid === pid);
}

// A session leader that stays alive while a short-lived shell inside its session starts
// three sleeps and exits: one plain, one with a lineage record of intent "child", one of
// intent "daemon" (what unixproc's spawn() writes), so all three become orphans here.
const INNER = [
  'st=$(cut -d" " -f22 /proc/$$/stat)',
  'sleep 300 </dev/null >/dev/null 2>&1 & echo plain $!',
  'UNIXPROC_LINEAGE=$$:$st:child sleep 300 </dev/null >/dev/null 2>&1 & echo child $!',
  'UNIXPROC_LINEAGE=$$:$st:daemon sleep 300 </dev/null >/dev/null 2>&1 & echo daemon $!',
  'echo spawner $$ $st',
].join('\n');

describe('orphans re-parented to this subreaper', () => {
  let leader: Reporter;
  const pids: Record<string, number> = {};
  let spawnerStart = 0;

  beforeAll(async () => {
    leader = spawnReporter('sh', ['-c', 'sh -c "$INNER"; exec sleep 300'], {
      detached: true,
      env: { ...process.env, INNER },
    });
    for (const line of await leader.lines(4)) {
      const [label, pid, start] = line.split(' ');
      pids[label] = Number(pid);
      if (label === 'spawner') spawnerStart = Number(start);
    }
    await waitFor('re-parenting', () => ['plain', 'child', 'daemon'].every((k) => ppidOf(pids[k]) === process.pid));
    // The pids are printed at fork: until each has exec'd sleep (with its lineage record in
    // its environment) and sleeps in it, it is still the shell, with no record to classify by.
    await waitFor('each asleep in sleep', () =>
      ['plain', 'child', 'daemon'].every((k) => getProcess(pids[k])?.comm === 'sleep' && stateLetter(pids[k]) === 'S'),
    );
  });

  afterAll(async () => {
    for (const k of ['plain', 'child', 'daemon']) killPid(pids[k]);
    for (const k of ['plain', 'child', 'daemon']) await reapPid(pids[k]);
    killPid(leader.child.pid!);
    await leader.exited();
  });

  test('a plain orphan still in a live session is a leaked orphan, by heuristic', () => {
    const o = orphan(pids.plain);
    expect(o).toEqual(expect.objectContaining({ reparentedTo: 'subreaper', classification: 'leaked-orphan', basis: 'heuristic' }));
    expect(o?.evidence).toEqual(
      expect.objectContaining({
        sessionLeader: false,
        sessionLeaderAlive: true,
        detached: false,
        controllingTerminal: false,
        stdioOnTerminal: false,
        lineage: undefined,
      }),
    );
    expect(o?.process.sid).toBe(leader.child.pid);
  });

  test('an orphan whose lineage says "child" and whose spawner died is a leaked orphan, by lineage', () => {
    const o = orphan(pids.child);
    expect(o).toEqual(expect.objectContaining({ classification: 'leaked-orphan', basis: 'lineage' }));
    expect(o?.evidence.lineage).toEqual({ spawnerPid: pids.spawner, spawnerStartTime: spawnerStart, intent: 'child' });
    expect(o?.evidence.spawnerAlive).toBe(false);
  });

  test('an orphan whose lineage says "daemon" is a daemon, by lineage', () => {
    const o = orphan(pids.daemon);
    expect(o).toEqual(expect.objectContaining({ classification: 'daemon', basis: 'lineage' }));
  });
});

// The classic daemon(3) dance: fork, setsid, fork again, first child exits, stdio to
// /dev/null, every other fd closed. With "leak", it then opens /dev/zero as fd 7 without
// close-on-exec, as a careless daemon would.
const doubleFork = (leak: boolean) => `
import os, sys, time
c1 = os.fork()
if c1 == 0:
    os.setsid()
    if os.fork() == 0:
        print(os.getpid(), flush=True)
        fd = os.open('/dev/null', os.O_RDWR)
        for i in (0, 1, 2):
            os.dup2(fd, i)
        os.closerange(3, 65536)
        if ${leak ? 'True' : 'False'}:
            z = os.open('/dev/zero', os.O_RDONLY)
            os.dup2(z, 7)
            os.close(z)
        time.sleep(300)
    os._exit(0)
os.waitpid(c1, 0)
`;

async function startDaemon(leak: boolean): Promise<number> {
  const starter = spawnReporter(PYTHON, ['-c', doubleFork(leak)]);
  const [d] = (await starter.lines(1)).map(Number);
  await starter.exited();
  await waitFor('re-parenting', () => ppidOf(d) === process.pid);
  // It prints its pid before moving its stdio to /dev/null, closing its fds (and opening the
  // leaky one): all done once it sleeps (none of those steps sleeps).
  await waitFor('the daemon asleep', () => stateLetter(d) === 'S');
  return d;
}

describe('a double-forked daemon', () => {
  test('is found as an orphan and classified as a daemon, with security checks', async () => {
    const d = await startDaemon(false);
    try {
      const o = orphan(d);
      expect(o).toEqual(expect.objectContaining({ classification: 'daemon', basis: 'heuristic', reparentedTo: 'subreaper' }));
      expect(o?.evidence).toEqual(
        expect.objectContaining({ sessionLeader: false, sessionLeaderAlive: false, detached: true, controllingTerminal: false, stdioOnTerminal: false }),
      );
      const daemon = findDaemons().find((x) => x.process.pid === d);
      expect(daemon?.checks.map((c) => [c.id, c.passed])).toEqual([
        ['runs-as-root', process.getuid!() !== 0],
        ['controlling-terminal', true],
        ['inherited-fds', true],
      ]);
    } finally {
      killPid(d);
      await reapPid(d);
    }
  });

  test('holding an fd beyond 0..2 without close-on-exec fails the inherited-fds check', async () => {
    const d = await startDaemon(true);
    try {
      const daemon = findDaemons().find((x) => x.process.pid === d);
      expect(daemon?.inheritableFds).toEqual([{ fd: 7, target: '/dev/zero', flags: expect.any(Number), cloexec: false }]);
      expect(daemon?.checks.find((c) => c.id === 'inherited-fds')?.passed).toBe(false);
    } finally {
      killPid(d);
      await reapPid(d);
    }
  });
});

// A session leader L with a job: group A = {A, B}, B a child of A. While L lives, A's
// parent is in the session but outside the group: not orphaned. Once L exits, A's parent
// is this process, outside the session: the group is orphaned (POSIX).
const JOB = `
import os, sys, time
a = os.fork()
if a == 0:
    os.setpgid(0, 0)
    b = os.fork()
    if b == 0:
        time.sleep(300)
        os._exit(0)
    sys.stdout.write(f'b {b}\\n')  # one write: PYTHONUNBUFFERED may be set
    sys.stdout.flush()
    time.sleep(300)
    os._exit(0)
os.setpgid(a, a)
sys.stdout.write(f'a {a}\\n')
sys.stdout.flush()
sys.stdin.readline()
`;

describe('an orphaned process group', () => {
  test('is not orphaned while the session leader lives, and is once it exits', async () => {
    const leader = spawnReporter(PYTHON, ['-c', JOB], { detached: true });
    const got: Record<string, number> = {};
    for (const line of await leader.lines(2)) {
      const [k, v] = line.split(' ');
      got[k] = Number(v);
    }
    const { a, b } = got;
    if (a === undefined || b === undefined) throw new Error('lines: ' + JSON.stringify(got));
    try {
      await waitFor('group set up', () => getProcess(b)?.pgid === a && getProcess(a)?.pgid === a);
      expect(orphanedProcessGroups().find((g) => g.pgid === a)).toBeUndefined();

      leader.child.stdin?.write('\n');
      await leader.exited();
      await waitFor('re-parenting', () => ppidOf(a) === process.pid);
      const g = orphanedProcessGroups().find((x) => x.pgid === a);
      expect(g?.members.map((m) => m.pid).sort((x, y) => x - y)).toEqual([a, b].sort((x, y) => x - y));
      expect(g?.sid).toBe(leader.child.pid);
      expect(g?.leader?.pid).toBe(a);
    } finally {
      killPid(a);
      killPid(b);
      if (leader.child.exitCode === null && leader.child.signalCode === null) {
        killPid(leader.child.pid!);
        await leader.exited();
      }
      await reapPid(a);
      await reapPid(b);
    }
  });
});
