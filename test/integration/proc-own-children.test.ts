// A subreaper's own children are not orphans: this process becomes a child subreaper,
// starts children itself (posix_spawn, child_process) and makes a real orphan (a
// grandchild whose parent exits), then asks findOrphans which is which. Everything is
// reaped here, by pid.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { posix_spawn, waitpid } from '../../lib/os';
import { isOwnChild } from '../../lib/own-children';
import { findOrphans } from '../../lib/proc';
import { becomeSubreaper, killPid, ppidOf, reapPid, waitFor } from '../helpers/proc-spawn';

let restore: () => void;
let dir: string;
beforeAll(() => {
  restore = becomeSubreaper();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-own-'));
});
afterAll(() => {
  restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const orphanPids = () => findOrphans().map((o) => o.process.pid);

describe('findOrphans when the caller is a subreaper', () => {
  test('a sleep this process posix_spawned is its child, not an orphan', async () => {
    const pid = posix_spawn('/bin/sleep', ['sleep', '300']);
    try {
      expect(ppidOf(pid)).toBe(process.pid);
      expect(isOwnChild(pid)).toBe(true);
      expect(orphanPids()).not.toContain(pid);
    } finally {
      killPid(pid);
      expect(waitpid(pid, 0)[0]).toBe(pid);
    }
  });

  test('a child_process child of this process is its child, not an orphan', async () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      expect(ppidOf(child.pid!)).toBe(process.pid);
      expect(orphanPids()).not.toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  test('a grandchild re-parented here when its posix_spawned parent exits is an orphan, by heuristic', async () => {
    const file = path.join(dir, 'grandchild');
    const sh = posix_spawn('/bin/sh', ['sh', '-c', 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$1"', 'sh', file]);
    expect(waitpid(sh, 0)[0]).toBe(sh);
    const grandchild = Number(fs.readFileSync(file, 'utf8'));
    try {
      await waitFor('re-parenting', () => ppidOf(grandchild) === process.pid);
      expect(isOwnChild(grandchild)).toBe(false);
      const o = findOrphans().find((x) => x.process.pid === grandchild);
      expect(o).toEqual(expect.objectContaining({ reparentedTo: 'subreaper', basis: 'heuristic' }));
      expect(o?.reason).toContain(`parent ${process.pid} is a subreaper`);
    } finally {
      killPid(grandchild);
      await reapPid(grandchild);
    }
  });

  test('a posix_spawned child is forgotten once waitpid reaps it', () => {
    const pid = posix_spawn('/bin/true', ['true']);
    expect(isOwnChild(pid)).toBe(true);
    expect(waitpid(pid, 0)).toEqual([pid, 0]);
    expect(isOwnChild(pid)).toBe(false);
  });
});
