// The table scan reads its pid list in slices on several threads (native/procfs.cc
// ScanParallel) once there are enough entries. Whatever the slicing, the table must be
// what a one-pid-at-a-time read gives, in pid order, hostile entries included, and a scan
// racing processes that exit must list each pid once, complete or not at all.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listProcesses } from '../../lib/proc';
import type { ProcessEntry } from '../../lib/proc';
import { readEntry } from '../../lib/proc/table';
import { resolveProcfs } from '../../lib/proc/options';

function statLine(pid: number, comm: string): string {
  const tail = [')', 'S', pid - 1, pid, pid, 0, -1, 0x400100, 11, 0, 2, 0, pid % 97, 50, 7, 3, 20, 0, 1, 0, 40,
    4096000, pid % 13, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 4096, 134234626, 0, 0, 0, 17, pid % 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].join(' ');
  return `${pid} (${comm}${tail}\n`;
}

const COUNT = 1500;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-slices-'));
  fs.writeFileSync(path.join(root, 'stat'), 'cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n');
  for (let pid = 2; pid < 2 + COUNT; pid++) {
    const dir = path.join(root, String(pid));
    fs.mkdirSync(dir);
    if (pid % 101 === 0) fs.writeFileSync(path.join(dir, 'stat'), `${pid} (broken) S x\n`); // EPROTO
    else if (pid % 103 === 0) fs.mkdirSync(path.join(dir, 'stat')); // EISDIR
    else fs.writeFileSync(path.join(dir, 'stat'), statLine(pid, `p${pid}) Z 1 (`));
    fs.writeFileSync(path.join(dir, 'status'), `Name:\tx\nUid:\t${pid} ${pid} ${pid} ${pid}\nGid:\t1 2 3 4\nVmLck:\t${pid % 3} kB\n`);
  }
  fs.mkdirSync(path.join(root, '0017')); // not a pid as procfs writes one: not listed
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('a sliced scan equals reading each pid alone, in pid order', () => {
  const opts = { procfs: root, procfsFixture: true };
  const table = listProcesses(opts);
  expect(table.map((p) => p.pid)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 2));
  const resolved = resolveProcfs(opts, 'options');
  const strip = (p: ProcessEntry | undefined) => JSON.parse(JSON.stringify(p)) as unknown;
  for (const p of table) expect(strip(p)).toEqual(strip(readEntry(resolved, p.pid)));
  const broken = table.filter((p) => !p.readable);
  expect(broken.map((p) => [p.pid, (p as { error: string }).error])).toEqual(
    Array.from({ length: COUNT }, (_, i) => i + 2)
      .filter((pid) => pid % 101 === 0 || pid % 103 === 0)
      .map((pid) => [pid, pid % 101 === 0 ? 'EPROTO' : 'EISDIR']),
  );
  const creds = listProcesses({ ...opts, credentials: true });
  for (const p of creds) {
    if (!p.readable) continue;
    expect(p.comm).toBe(`p${p.pid}) Z 1 (`);
    expect(p.uids?.real).toBe(p.pid);
    expect(p.lockedMemory).toBe((p.pid % 3) * 1024);
  }
});

test('scans racing exiting processes list each pid once, complete', async () => {
  const kids: ReturnType<typeof spawn>[] = [];
  const exits: Promise<unknown>[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      const k = spawn('sleep', [`0.0${(i % 9) + 1}`], { stdio: 'ignore' });
      kids.push(k);
      exits.push(new Promise((r) => k.once('close', r)));
    }
    for (let round = 0; round < 10; round++) {
      const t = listProcesses({ credentials: true, cmdline: true });
      const pids = t.map((p) => p.pid);
      expect(new Set(pids).size).toBe(pids.length);
      for (let i = 1; i < pids.length; i++) expect(pids[i]).toBeGreaterThan(pids[i - 1]);
      for (const p of t) if (p.readable) expect(typeof p.comm).toBe('string');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
    await Promise.all(exits);
  }
});
