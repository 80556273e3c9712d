// Zombies, orphans, orphaned process groups, daemons, trees, threads, fds and identity on
// the fixture procfs tree (test/fixtures/proc/make-fixtures.py).
import * as path from 'node:path';
import {
  ancestors,
  children,
  descendants,
  findDaemons,
  findOrphans,
  findZombies,
  isRunning,
  isSameProcess,
  openFds,
  orphanedProcessGroups,
  processTree,
  stateSummary,
  threads,
} from '../../lib/proc';

const procfs = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');

describe('findZombies on a fixture tree', () => {
  test('groups the zombie under its parent with the parent\'s comm, state and cmdline', () => {
    const groups = findZombies({ procfs, procfsFixture: true });
    expect(groups).toHaveLength(1);
    expect(groups[0]).toEqual(
      expect.objectContaining({ parentPid: 100, parentKind: 'process', count: 1 }),
    );
    expect(groups[0].zombies.map((z) => z.pid)).toEqual([102]);
    expect(groups[0].parent).toEqual(expect.objectContaining({ pid: 100, comm: 'x) Z 1 (y', cmdline: undefined }));
    expect(groups[0].parent?.state.letter).toBe('S');
  });

  test('a parent named as a subreaper is reported as one', () => {
    expect(findZombies({ procfs, procfsFixture: true, subreapers: [100] })[0].parentKind).toBe('subreaper');
  });
});

describe('findOrphans on a fixture tree', () => {
  const byPid = () => new Map(findOrphans({ procfs, procfsFixture: true }).map((o) => [o.process.pid, o]));

  test('kernel threads, PID 1, zombies and ppid-0 processes are not orphans', () => {
    const m = byPid();
    for (const pid of [1, 2, 3, 102, 112]) expect(m.has(pid)).toBe(false);
  });

  test('a double-forked process (session leader gone, no tty, stdio on /dev/null) is a daemon', () => {
    const o = byPid().get(231);
    expect(o).toEqual(
      expect.objectContaining({ reparentedTo: 'init', classification: 'daemon', basis: 'heuristic' }),
    );
    expect(o?.evidence).toEqual({
      sessionLeader: false,
      sessionLeaderAlive: false,
      detached: true,
      controllingTerminal: false,
      stdioOnTerminal: false,
      lineage: undefined,
      spawnerAlive: undefined,
    });
  });

  test('a lineage record with intent daemon makes it a daemon, by lineage', () => {
    const o = byPid().get(106);
    expect(o).toEqual(expect.objectContaining({ classification: 'daemon', basis: 'lineage' }));
    expect(o?.evidence.lineage).toEqual({ spawnerPid: 999, spawnerStartTime: 12, intent: 'daemon' });
    expect(o?.evidence.spawnerAlive).toBe(false);
    expect(o?.evidence.stdioOnTerminal).toBe(true);
  });

  test('a lineage record with intent child, not detached, makes it a leaked orphan, by lineage', () => {
    const o = byPid().get(301);
    expect(o).toEqual(expect.objectContaining({ classification: 'leaked-orphan', basis: 'lineage' }));
    expect(o?.evidence.spawnerAlive).toBe(true);
    expect(o?.evidence.sessionLeaderAlive).toBe(true);
  });

  test('a session leader that owns a terminal (a getty) is not classed a daemon', () => {
    // 210's parent is 200, not init: not an orphan at all.
    expect(byPid().has(210)).toBe(false);
    expect(byPid().get(107)).toEqual(expect.objectContaining({ classification: 'leaked-orphan', basis: 'heuristic' }));
  });

  test('children of a named subreaper count as re-parented to it', () => {
    const o = findOrphans({ procfs, procfsFixture: true, subreapers: [200] }).find((x) => x.process.pid === 210);
    expect(o?.reparentedTo).toBe('subreaper');
  });

  test('subreapers must be a list of pids', () => {
    expect(() => findOrphans({ procfs, procfsFixture: true, subreapers: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => findOrphans({ procfs, procfsFixture: true, subreapers: [0] })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('a hole in subreapers is rejected, not skipped (issue 8)', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [, 200] as number[];
    const hole = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.subreapers[0]"') });
    expect(() => findOrphans({ procfs, procfsFixture: true, subreapers: sparse })).toThrow(hole);
    expect(() => findDaemons({ procfs, procfsFixture: true, subreapers: sparse })).toThrow(hole);
  });
});

describe('orphanedProcessGroups on a fixture tree (POSIX definition)', () => {
  const groups = () => new Map(orphanedProcessGroups({ procfs, procfsFixture: true }).map((g) => [g.pgid, g]));

  test('a group whose members\' parents are in the group or outside the session is orphaned', () => {
    const g = groups().get(200);
    expect(g?.members.map((m) => m.pid)).toEqual([200, 201]);
    expect(g?.leader?.pid).toBe(200);
    expect(g?.sid).toBe(200);
  });

  test('a group with a member whose parent is in the same session but another group is not', () => {
    expect(groups().has(210)).toBe(false);
  });

  test('stopped members of an orphaned group are reported', () => {
    expect(groups().get(220)?.stoppedMembers.map((m) => m.pid)).toEqual([220]);
  });

  test('kernel threads (group 0) are left out', () => {
    expect(groups().has(0)).toBe(false);
  });
});

describe('findDaemons on a fixture tree', () => {
  const daemons = () => new Map(findDaemons({ procfs, procfsFixture: true }).map((d) => [d.process.pid, d]));

  test('a root daemon with an fd that is not close-on-exec fails those two checks', () => {
    const d = daemons().get(231);
    expect(d?.checks).toEqual([
      expect.objectContaining({ id: 'runs-as-root', passed: false }),
      expect.objectContaining({ id: 'controlling-terminal', passed: true }),
      expect.objectContaining({ id: 'inherited-fds', passed: false }),
    ]);
    expect(d?.inheritableFds?.map((f) => [f.fd, f.target])).toEqual([[3, '/var/log/daemond.log']]);
  });

  test('a daemon owning a terminal fails that check; close-on-exec fds are not flagged', () => {
    const d = daemons().get(106);
    expect(d?.checks).toEqual([
      expect.objectContaining({ id: 'runs-as-root', passed: true }),
      expect.objectContaining({ id: 'controlling-terminal', passed: false }),
      expect.objectContaining({ id: 'inherited-fds', passed: false }),
    ]);
    expect(d?.inheritableFds?.map((f) => f.fd)).toEqual([7]);
  });

  test('leaked orphans are not daemons', () => {
    expect(daemons().has(301)).toBe(false);
  });
});

describe('trees on a fixture tree', () => {
  test('children are the processes whose ppid is the pid', () => {
    expect(children(100, { procfs, procfsFixture: true }).map((p) => p.pid)).toEqual([101, 102]);
  });

  test('descendants include grandchildren, breadth first', () => {
    expect(descendants(1, { procfs, procfsFixture: true }).map((p) => p.pid)).toEqual(
      expect.arrayContaining([100, 101, 102, 200, 201, 210]),
    );
    const d = descendants(1, { procfs, procfsFixture: true }).map((p) => p.pid);
    expect(d.indexOf(100)).toBeLessThan(d.indexOf(101));
  });

  test('ancestors walk up to a process with ppid 0', () => {
    expect(ancestors(101, { procfs, procfsFixture: true }).map((p) => p.pid)).toEqual([100, 1]);
  });

  test('processTree(root) nests children; processTree() returns every root', () => {
    const t = processTree(200, { procfs, procfsFixture: true });
    expect(t?.process.pid).toBe(200);
    expect(t?.children.map((c) => c.process.pid)).toEqual([201, 210]);
    expect(processTree(undefined, { procfs, procfsFixture: true }).map((n) => n.process.pid)).toEqual([1, 2, 112]);
    expect(processTree(4242, { procfs, procfsFixture: true })).toBeUndefined();
  });
});

describe('threads, fds and state summary on a fixture tree', () => {
  test('threads lists each task with its own state', () => {
    expect(threads(106, { procfs, procfsFixture: true })?.map((t) => [t.tid, t.comm, t.state.letter])).toEqual([
      [106, 'worker', 'S'],
      [107, 'worker-io', 'D'],
    ]);
  });

  test('threads of a process that is not there is undefined', () => {
    expect(threads(4242, { procfs, procfsFixture: true })).toBeUndefined();
  });

  test('threads and openFds throw ENOENT naming the root when the procfs root is not there', () => {
    const missing = path.join(procfs, 'no-such-root');
    for (const read of [() => threads(106, { procfs: missing, procfsFixture: true }), () => openFds(106, { procfs: missing, procfsFixture: true })]) {
      expect(read).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing }));
    }
  });

  test('openFds of a process that is not there is undefined', () => {
    expect(openFds(4242, { procfs, procfsFixture: true })).toBeUndefined();
  });

  test('openFds reads targets and close-on-exec from fdinfo flags', () => {
    expect(openFds(106, { procfs, procfsFixture: true })).toEqual([
      { fd: 0, target: '/dev/pts/3', flags: 0o100002, cloexec: false },
      { fd: 1, target: '/dev/null', flags: 0o100001, cloexec: false },
      { fd: 2, target: '/dev/null', flags: 0o100001, cloexec: false },
      { fd: 5, target: 'socket:[4242]', flags: 0o2000002, cloexec: true },
      { fd: 7, target: 'pipe:[77]', flags: 0, cloexec: false },
    ]);
  });

  test('stateSummary counts every state name, unreadable entries apart', () => {
    const s = stateSummary({ procfs, procfsFixture: true });
    expect(s.unreadable).toBe(2);
    expect(s.kernelThreads).toBe(2);
    expect(s.byState.zombie).toBe(1);
    expect(s.byState.unknown).toBe(1);
    expect(s.byState.stopped).toBe(1);
    expect(s.byState['disk-sleep']).toBe(0);
    expect(s.byLetter.Q).toBe(1);
    expect(s.total).toBe(Object.values(s.byState).reduce((a, b) => a + b, 0) + s.unreadable);
  });
});

describe('identity on a fixture tree', () => {
  test('the same pid with the same start time is the same process', () => {
    expect(isSameProcess({ pid: 106, startTime: 3000 }, { procfs, procfsFixture: true })).toBe(true);
  });

  test('the same pid with another start time is not (a recycled pid)', () => {
    expect(isSameProcess({ pid: 106, startTime: 2999 }, { procfs, procfsFixture: true })).toBe(false);
  });

  test('a zombie is the same process but not running', () => {
    expect(isSameProcess({ pid: 102, startTime: 2002 }, { procfs, procfsFixture: true })).toBe(true);
    expect(isRunning({ pid: 102, startTime: 2002 }, { procfs, procfsFixture: true })).toBe(false);
  });

  test('a ref must be an object with a pid and a start time', () => {
    expect(() => isSameProcess(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => isSameProcess({ pid: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => isRunning({ pid: 1, startTime: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
