// The process table on a fixture procfs tree (test/fixtures/proc/make-fixtures.py writes it):
// every stat field, the comm edge cases, vanished and unreadable entries, terminals.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getProcess, listProcesses, ProcessEntry, ProcessInfo } from '../../lib/proc';
import { procConstants } from '../../lib/proc/binding';

const procfs = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');
const BTIME_MS = 1700000000 * 1000;
const { clkTck, pageSize } = procConstants();

function table(): Map<number, ProcessEntry> {
  return new Map(listProcesses({ procfs, procfsFixture: true }).map((p) => [p.pid, p]));
}
function info(pid: number): ProcessInfo {
  const p = table().get(pid);
  if (p === undefined || !p.readable) throw new Error(`fixture ${pid} missing or unreadable`);
  return p;
}

describe('listProcesses on a fixture tree', () => {
  test('parses every field of a full stat line', () => {
    const p = info(106);
    const owner = fs.statSync(path.join(procfs, '106', 'stat'));
    expect(p).toEqual({
      readable: true,
      pid: 106,
      startTime: 3000,
      startDate: new Date(BTIME_MS + (3000 / clkTck) * 1000),
      ppid: 1,
      pgid: 106,
      sid: 106,
      tty: { nr: (136 << 8) | 3, major: 136, minor: 3, name: '/dev/pts/3' },
      tpgid: 106,
      state: { letter: 'S', name: 'sleeping', meaning: expect.stringContaining('interruptible') },
      kernelThread: false,
      flags: 0x400100,
      numThreads: 2,
      uid: owner.uid,
      gid: owner.gid,
      uids: undefined,
      gids: undefined,
      lockedMemory: undefined,
      comm: 'worker',
      rss: 256 * pageSize,
      vms: 8192000,
      priority: 25,
      nice: 5,
      processor: 3,
      minorFaults: 12345,
      majorFaults: 67,
      cpuTimes: { user: 250 / clkTck, system: 125 / clkTck, childrenUser: 40 / clkTck, childrenSystem: 20 / clkTck },
      cmdline: undefined,
      cmdlineTruncated: false,
      exe: undefined,
      exeDeleted: false,
    });
  });

  test('a comm "x) Z 1 (y" is read whole and the state stays S (last-paren rule)', () => {
    const p = info(100);
    expect(p.comm).toBe('x) Z 1 (y');
    expect(p.state.letter).toBe('S');
    expect(p.ppid).toBe(1);
    expect(p.pgid).toBe(100);
  });

  test('a comm with a newline and a space is read whole', () => {
    const p = info(101);
    expect(p.comm).toBe('a\nb c');
    expect(p.state.name).toBe('running');
    expect(p.ppid).toBe(100);
  });

  test('a zombie reads as state Z, zombie', () => {
    expect(info(102).state).toEqual(expect.objectContaining({ letter: 'Z', name: 'zombie' }));
  });

  test('an unknown state letter is reported as unknown, not an error', () => {
    expect(info(103).state).toEqual(expect.objectContaining({ letter: 'Q', name: 'unknown' }));
  });

  test('kernel threads are flagged from PF_KTHREAD; user processes are not', () => {
    expect(info(2).kernelThread).toBe(true);
    expect(info(3).kernelThread).toBe(true);
    expect(info(3).state.name).toBe('idle');
    expect(info(1).kernelThread).toBe(false);
  });

  test('ppid 0 is kept as 0 (init, kthreadd, parent outside the pid namespace)', () => {
    expect(info(1).ppid).toBe(0);
    expect(info(112).ppid).toBe(0);
    expect(info(112).sid).toBe(0);
  });

  test('an entry whose stat is missing is skipped as gone', () => {
    expect(table().has(104)).toBe(false);
  });

  test('an entry whose stat cannot be read is listed with the errno and no fields', () => {
    expect(table().get(105)).toEqual({ readable: false, pid: 105, error: 'EISDIR' });
  });

  test('a malformed stat line is listed as unreadable (EPROTO), never half-parsed', () => {
    expect(table().get(111)).toEqual({ readable: false, pid: 111, error: 'EPROTO' });
  });

  test('a stat line that ends at field 24 (older kernels) parses, processor unknown', () => {
    const p = info(110);
    expect(p.processor).toBeUndefined();
    expect(p.rss).toBe(100 * pageSize);
    expect(p.startTime).toBe(2103);
  });

  test('entries come in ascending pid order and non-numeric names (stat) are not processes', () => {
    const pids = listProcesses({ procfs, procfsFixture: true }).map((p) => p.pid);
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
    expect(pids).toEqual(expect.arrayContaining([1, 2, 3, 100, 101, 102, 103, 105, 106, 231, 301]));
  });

  test.each([
    [107, '/dev/ttyS0', 4, 64],
    [108, '/dev/tty1', 4, 1],
    [109, '/dev/pts/300', 136, 300],
  ])('pid %i has terminal %s (major %i, minor %i)', (pid, name, major, minor) => {
    expect(info(pid).tty).toEqual(expect.objectContaining({ name, major, minor }));
  });

  test('no controlling terminal gives tty undefined and tpgid -1', () => {
    expect(info(1).tty).toBeUndefined();
    expect(info(1).tpgid).toBe(-1);
  });

  test('cmdline, exe and credentials are read when asked for', () => {
    const p = listProcesses({ procfs, procfsFixture: true, cmdline: true, exe: true, credentials: true }).find((e) => e.pid === 106) as ProcessInfo;
    expect(p.cmdline).toEqual(['worker', '--flag', 'with space']);
    expect(p.exe).toBe('/usr/bin/worker');
    expect(p.uids).toEqual({ real: 1000, effective: 1001, saved: 1002, filesystem: 1003 });
    expect(p.gids).toEqual({ real: 100, effective: 101, saved: 102, filesystem: 103 });
  });

  test('extras that are absent stay undefined without dropping the process', () => {
    const p = listProcesses({ procfs, procfsFixture: true, cmdline: true, exe: true }).find((e) => e.pid === 1) as ProcessInfo;
    expect(p.readable).toBe(true);
    expect(p.exe).toBeUndefined();
  });
});

describe('getProcess on a fixture tree', () => {
  test('adds cmdline, exe, cwd, fd count and credentials', () => {
    const p = getProcess(106, { procfs, procfsFixture: true });
    expect(p).toEqual(
      expect.objectContaining({
        pid: 106,
        comm: 'worker',
        cmdline: ['worker', '--flag', 'with space'],
        exe: '/usr/bin/worker',
        cwd: '/srv',
        fdCount: 5,
        uids: { real: 1000, effective: 1001, saved: 1002, filesystem: 1003 },
      }),
    );
  });

  test('returns undefined for a pid that is not there', () => {
    expect(getProcess(4242, { procfs, procfsFixture: true })).toBeUndefined();
    expect(getProcess(104, { procfs, procfsFixture: true })).toBeUndefined();
  });

  test('throws the errno of an unreadable stat', () => {
    expect(() => getProcess(105, { procfs, procfsFixture: true })).toThrow(expect.objectContaining({ code: 'EISDIR', syscall: 'open' }));
  });
});

describe('argument validation', () => {
  test.each([
    ['string', '1', 'ERR_INVALID_ARG_TYPE'],
    ['zero', 0, 'ERR_OUT_OF_RANGE'],
    ['negative', -5, 'ERR_OUT_OF_RANGE'],
    ['fraction', 1.5, 'ERR_OUT_OF_RANGE'],
    ['beyond pid_t', 2 ** 31, 'ERR_OUT_OF_RANGE'],
  ])('getProcess rejects a %s pid with %s', (_what, pid, code) => {
    expect(() => getProcess(pid as number)).toThrow(expect.objectContaining({ code }));
  });

  test('options must be an object', () => {
    expect(() => listProcesses('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('procfs must be a non-empty string without NUL', () => {
    expect(() => listProcesses({ procfs: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => listProcesses({ procfs: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => listProcesses({ procfs: '/pr\0oc' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('boolean options must be booleans', () => {
    expect(() => listProcesses({ cmdline: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => listProcesses({ credentials: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('a procfs root that does not exist throws ENOENT with the path', () => {
    expect(() => listProcesses({ procfs: '/no/such/proc' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: '/no/such/proc' }),
    );
  });
});
