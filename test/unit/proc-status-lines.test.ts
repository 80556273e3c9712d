// The scan hands parseStatus only the Uid, Gid and VmLck lines of /proc/<pid>/status when
// that cannot change what it parses (native/procfs.cc KeepCredentialLines), and takes the
// rss from status's VmRSS instead of reading statm on a real procfs. Each fixture status
// below must parse, through listProcesses, exactly as parseStatus parses the whole file:
// the kernel's layout, and the texts where cutting would change the answer (a line at
// offset 0, a VmLck match across lines, \r and U+2028 line starts, \v in a line).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listProcesses } from '../../lib/proc';
import type { ProcessInfo } from '../../lib/proc';
import { procConstants } from '../../lib/proc/binding';
import { parseStatus } from '../../lib/proc/status';

function statLine(pid: number, comm: string): string {
  const tail = [')', 'S', 1, pid, pid, 0, -1, 0x400100, 11, 0, 2, 0, 150, 50, 7, 3, 20, 0, 1, 0, 40,
    4096000, 7, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 4096, 134234626, 0, 0, 0, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].join(' ');
  return `${pid} (${comm}${tail}\n`;
}

const KERNEL = 'Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t70\nPid:\t70\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nFDSize:\t64\nVmPeak:\t    8000 kB\nVmLck:\t      12 kB\nVmRSS:\t    1000 kB\nThreads:\t1\n';

const STATUS: Record<number, Buffer | string> = {
  70: KERNEL,
  71: 'Uid:\t1 1 1 1\nName:\tx\nUid:\t2 2 2 2\nGid:\t3 3 3 3\n', // offset 0, then a later Uid line
  72: 'Name:\tx\nUid:\t4 4 4 4\nUid:\t5 5 5 5\nGid:\t6 6 6 6\nGid:\t7 7 7 7\n', // the first wins
  73: 'Name:\tx\nVmLck:\t\n\n  5 kB\nUid:\t1 2 3 4\n', // VmLck matches across the lines
  74: 'Name:\tx\rVmLck:\t9 kB\nUid:\t1 2 3 4\n', // \r starts a line for the regex
  75: Buffer.concat([Buffer.from('Name:\tx'), Buffer.from([0xe2, 0x80, 0xa8]), Buffer.from('VmLck:\t3 kB\nGid:\t0 0 0 0\n')]),
  76: '',
  77: 'Name:\tx\nVmLck:\t5 kB junk\nVmLck:\t6 kB\nGid:\t1 2 3\nUid:\t0x10 1e1 3 4', // no final newline
  78: 'Name:\tx\nUid:\t1\v2 3 4\nGid:\t1\f2 3 4\n',
  79: 'Uid:\t8 8 8 8\nGid:\t9 9 9 9\nVmLck:\t4 kB',
  80: 'Name:\tx\nVmLck:   \nUid:\t1 1 1 1\n', // blanks only after VmLck
  81: 'Name:\tkthreadd\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n', // no mm: no VmLck
  82: 'Name:\tx\nUid:\t99999999999999999999\t1\t2\t3\nGid:\t0\t0\t0\t0\nVmLck:\t007 kB\n',
  83: 'Name:\tx\nGid:\t0\t0\t0\t0\nUid:\t1\t1\t1\t1\n', // Gid before Uid
};

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-status-'));
  fs.writeFileSync(path.join(root, 'stat'), 'cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n');
  for (const [pid, text] of Object.entries(STATUS)) {
    fs.mkdirSync(path.join(root, pid));
    fs.writeFileSync(path.join(root, pid, 'stat'), statLine(Number(pid), `s${pid}`));
    fs.writeFileSync(path.join(root, pid, 'status'), text);
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test.each(Object.keys(STATUS).map(Number))('status of %i parses as the whole file does', (pid) => {
  const p = listProcesses({ procfs: root, procfsFixture: true, credentials: true }).find((e) => e.pid === pid) as ProcessInfo;
  expect(p.readable).toBe(true);
  const text = STATUS[pid];
  const whole = parseStatus(typeof text === 'string' ? text : text.toString('utf8'));
  expect({ uids: p.uids, gids: p.gids, lockedMemory: p.lockedMemory }).toEqual(whole);
});

test('the kernel layout gives its ids and VmLck', () => {
  const p = listProcesses({ procfs: root, procfsFixture: true, credentials: true }).find((e) => e.pid === 70) as ProcessInfo;
  expect(p.uids).toEqual({ real: 1000, effective: 1001, saved: 1002, filesystem: 1003 });
  expect(p.gids).toEqual({ real: 2000, effective: 2001, saved: 2002, filesystem: 2003 });
  expect(p.lockedMemory).toBe(12 * 1024);
  // a fixture's rss stays statm's or stat's (here stat's 7 pages): VmRSS is used on a procfs only
  expect(p.rss).toBe(7 * procConstants().pageSize);
});

test('on /proc, rss with credentials (from VmRSS) is the rss without (from statm), kernel threads 0', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    // Wait for the exec and for sleep to settle in nanosleep: until then its rss moves (the
    // copy of this process, then the loader faulting pages in). Settled: the same statm
    // resident over five reads 20 ms apart.
    const resident = () => fs.readFileSync(`/proc/${child.pid}/statm`, 'utf8').split(' ')[1];
    let same = 0;
    let last = '';
    for (let i = 0; i < 500 && same < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const comm = fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8');
      const now = resident();
      same = comm === 'sleep\n' && now === last ? same + 1 : 0;
      last = now;
    }
    expect(same).toBe(5);
    const plain = listProcesses().find((e) => e.pid === child.pid) as ProcessInfo;
    const withCreds = listProcesses({ credentials: true }).find((e) => e.pid === child.pid) as ProcessInfo;
    const statm = Number(fs.readFileSync(`/proc/${child.pid}/statm`, 'utf8').split(' ')[1]);
    expect(plain.rss).toBeGreaterThan(0);
    expect(withCreds.rss).toBe(plain.rss);
    expect(withCreds.rss % statm).toBe(0);
    expect(withCreds.uids?.effective).toBe(process.geteuid?.());
    const kthreads = listProcesses({ credentials: true }).filter((e): e is ProcessInfo => e.readable && e.kernelThread);
    for (const k of kthreads) expect(k.rss).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  }
});
