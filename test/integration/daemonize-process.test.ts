// daemonize(): what the daemon is (re-parented, not a session leader, no terminal, cwd,
// umask, stdio, fds, signals, lineage) and how an exec failure is reported. This process
// is a subreaper: each daemon is re-parented here and reaped here, by pid.
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWaitStatus } from '../../lib/exit-status';
import { isSameProcess } from '../../lib/proc';
import { daemonize } from '../../lib/supervise';
import { parseLineage } from '../../lib/lineage';
import { becomeSubreaper, reapPid, waitFor } from '../helpers/proc-spawn';
import { childrenOf, untilState } from '../helpers/os-core-children';
import { statFields } from '../helpers/supervise-helpers';

let restore: () => void;
let dir: string;
beforeAll(() => {
  restore = becomeSubreaper();
  dir = mkdtempSync(join(tmpdir(), 'unixproc-daemonize-'));
});
afterAll(() => {
  restore();
  rmSync(dir, { recursive: true, force: true });
});

/** Ends a daemon started by a test (checked by identity first) and reaps it by pid. */
async function end(d: { pid: number; startTime: number }): Promise<void> {
  if (isSameProcess(d)) process.kill(d.pid, 'SIGKILL');
  await reapPid(d.pid);
}

describe('a daemon started with the defaults', () => {
  let d: { pid: number; startTime: number };
  beforeAll(async () => {
    d = daemonize('/bin/sleep', ['300']);
    // The intermediate process has exited (reaped by daemonize): the daemon is ours now.
    await waitFor('re-parenting', () => Number(statFields(d.pid)?.[1]) === process.pid);
    // daemonize returns when the exec closed its CLOEXEC pipe, before the kernel has set up
    // the new program's arguments and environment: read it once it sleeps in sleep.
    await waitFor('its sleep', () => statFields(d.pid)?.[0] === 'S');
  });
  afterAll(() => end(d));

  test('its identity is returned: pid and start time match /proc', () => {
    expect(Number(statFields(d.pid)?.[19])).toBe(d.startTime);
  });

  test('its parent is the nearest subreaper (this process): the intermediate is gone', () => {
    expect(Number(statFields(d.pid)?.[1])).toBe(process.pid);
  });

  test('it is in a new session but is not its leader (double fork): sid != pid, sid != ours', () => {
    const [, , pgrp, sid] = (statFields(d.pid) as string[]).map(Number);
    expect(sid).not.toBe(d.pid);
    expect(pgrp).toBe(sid); // the intermediate led both and is gone
    expect(sid).not.toBe(Number((statFields(process.pid) as string[])[3]));
  });

  test('it has no controlling terminal', () => {
    const f = statFields(d.pid) as string[];
    expect(Number(f[4])).toBe(0); // tty_nr
    expect(Number(f[5])).toBe(-1); // tpgid
  });

  test("its working directory is '/' and its umask 022", () => {
    expect(readlinkSync(`/proc/${d.pid}/cwd`)).toBe('/');
    expect(readFileSync(`/proc/${d.pid}/status`, 'utf8')).toMatch(/^Umask:\s+0022$/m);
  });

  test('stdin, stdout and stderr are /dev/null and no other fd is open', async () => {
    // Once the program runs (sleeping): right after execve the dynamic loader still has a
    // library open (a transient fd 3).
    await untilState(d.pid, 'S');
    const fds = readdirSync(`/proc/${d.pid}/fd`).map(Number).sort();
    expect(fds).toEqual([0, 1, 2]);
    expect(fds.map((fd) => readlinkSync(`/proc/${d.pid}/fd/${fd}`))).toEqual(['/dev/null', '/dev/null', '/dev/null']);
  });

  test('no signal is ignored or blocked (Node ignores SIGPIPE; the daemon must not)', () => {
    const status = readFileSync(`/proc/${d.pid}/status`, 'utf8');
    expect(status).toMatch(/^SigIgn:\s+0000000000000000$/m);
    expect(status).toMatch(/^SigBlk:\s+0000000000000000$/m);
  });

  test("its lineage record says 'daemon', spawned by this process", () => {
    const env = readFileSync(`/proc/${d.pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith('UNIXPROC_LINEAGE='));
    expect(parseLineage((entry ?? '').slice('UNIXPROC_LINEAGE='.length))).toMatchObject({
      spawnerPid: process.pid,
      intent: 'daemon',
    });
  });
});

describe('options', () => {
  test('stdio: one log file for stdout and stderr, appended to', async () => {
    const log = join(dir, 'out.log');
    writeFileSync(log, 'before\n');
    const d = daemonize('/bin/sh', ['-c', 'echo out; echo err >&2; ls -l /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2 | sed "s/.*-> //"'], { stdio: log });
    expect(decodeWaitStatus(await reapPid(d.pid))).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(log, 'utf8')).toBe(`before\nout\nerr\n/dev/null\n${log}\n${log}\n`);
  });

  test('stdio as [stdin, stdout, stderr]: stdout to a log file, stderr ignored', async () => {
    const log = join(dir, 'split.log');
    const d = daemonize('/bin/sh', ['-c', 'echo out; echo err >&2'], { stdio: ['ignore', log, 'ignore'] });
    expect(decodeWaitStatus(await reapPid(d.pid))).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(log, 'utf8')).toBe('out\n');
  });

  test('cwd and umask', async () => {
    const d = daemonize('/bin/sleep', ['300'], { cwd: dir, umask: 0o027 });
    await waitFor('exec', () => readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').startsWith('/bin/sleep'));
    const cwd = readlinkSync(`/proc/${d.pid}/cwd`);
    const status = readFileSync(`/proc/${d.pid}/status`, 'utf8');
    await end(d);
    expect(cwd).toBe(dir);
    expect(status).toMatch(/^Umask:\s+0027$/m);
  });
});

describe('failures', () => {
  test('a missing program throws ENOENT from execve with the path, and leaves no process', () => {
    const before = childrenOf(process.pid).sort();
    expect(() => daemonize('/nonexistent/daemon')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/daemon' }),
    );
    expect(childrenOf(process.pid).sort()).toEqual(before);
  });

  test('a program that is not executable throws EACCES from execve', () => {
    const file = join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    expect(() => daemonize(file)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'execve', path: file }));
  });

  test('a missing cwd throws ENOENT from chdir with the path', () => {
    expect(() => daemonize('/bin/true', [], { cwd: '/nonexistent/dir' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir', path: '/nonexistent/dir' }),
    );
  });
});
