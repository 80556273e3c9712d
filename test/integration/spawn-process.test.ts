// What the spawned program gets: a clean start, its session and group, its credentials,
// its cwd and environment with the lineage record; and what a handle may no longer do
// once the pid is someone else's.
import { constants, openSync, closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, waitForExit, type Subprocess } from '../../lib/spawn';
import { setExitWatchMode, type ExitWatchMode } from '../../lib/spawn/exit-watch';
import { parseLineage } from '../../lib/lineage';
import { native } from '../../lib/native';
import { duringReapWindow, processState, readAll, statusField } from '../helpers/spawn-helpers';

const LOADER = join(__dirname, '..', 'helpers', 'ts-register.js');
const LIB = join(__dirname, '..', '..', 'lib', 'spawn', 'index.ts');

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

async function output(file: string, args: string[], options: Parameters<typeof spawn>[2] = {}): Promise<string> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
  expect(status).toEqual({ kind: 'exited', code: 0 });
  return out;
}

describe('the spawned program starts clean', () => {
  test('no signal ignored or blocked (Node ignores SIGPIPE; the child must not)', async () => {
    // The spawned program reads its own status (not a shell's: dash blocks every signal
    // around its own forks).
    const out = await output('/bin/grep', ['-E', '^(SigIgn|SigBlk):', '/proc/self/status']);
    expect(out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  test("spawning leaves the calling thread's signal mask as it was (blocked across the clone, then restored)", async () => {
    const before = statusField('self', 'SigBlk');
    const child = spawn('/bin/true');
    const after = statusField('self', 'SigBlk');
    await child.wait();
    expect(after).toBe(before);
  });

  test('only fds 0, 1 and 2 are open in the new program', async () => {
    const out = await output('/bin/sh', ['-c', 'ls /proc/$$/fd']);
    expect(out.trim().split('\n').sort()).toEqual(['0', '1', '2']);
  });

  test('a non-blocking fd given as stdin arrives blocking', async () => {
    const fd = openSync('/dev/null', constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const before = Number.parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8);
      expect(before & constants.O_NONBLOCK).toBe(constants.O_NONBLOCK);
      const out = await output('/bin/sh', ['-c', 'grep flags /proc/$$/fdinfo/0'], { stdio: [fd, 'pipe', 'inherit'] });
      const flags = Number.parseInt(/flags:\s*(\d+)/.exec(out)![1], 8);
      expect(flags & constants.O_NONBLOCK).toBe(0);
    } finally {
      closeSync(fd);
    }
  });
});

describe('session, group, credentials, cwd, env', () => {
  test('setsid: the child leads a new session and group', async () => {
    const child = spawn('/bin/sleep', ['100'], { setsid: true });
    const f = statFields(child.pid);
    expect([Number(f[2]), Number(f[3])]).toEqual([child.pid, child.pid]);
    child.kill('SIGKILL');
    await child.wait();
  });

  test('processGroup true: a new group led by the child, same session', async () => {
    const child = spawn('/bin/sleep', ['100'], { processGroup: true });
    const f = statFields(child.pid);
    expect(Number(f[2])).toBe(child.pid);
    expect(Number(f[3])).toBe(Number(statFields(process.pid)[3]));
    child.kill('SIGKILL');
    await child.wait();
  });

  test('processGroup <pgid>: the child joins that group', async () => {
    const leader = spawn('/bin/sleep', ['100'], { processGroup: true });
    const member = spawn('/bin/sleep', ['100'], { processGroup: leader.pid });
    expect(Number(statFields(member.pid)[2])).toBe(leader.pid);
    member.kill('SIGKILL');
    leader.kill('SIGKILL');
    await Promise.all([member.wait(), leader.wait()]);
  });

  test('processGroup of a group that does not exist throws EPERM from setpgid', () => {
    expect(() => spawn('/bin/true', [], { processGroup: 2 ** 22 + 5 })).toThrow(
      expect.objectContaining({ code: 'EPERM', syscall: 'setpgid' }),
    );
  });

  const root = process.getuid?.() === 0;
  (root ? test : test.skip)('user and group: the program runs as that user and group (needs root)', async () => {
    const out = await output('/usr/bin/id', [], { user: 65534, group: 65534 });
    expect(out).toMatch(/^uid=65534\b.* gid=65534\b.* groups=65534\b/);
  });

  // Ids above 65535: the 16-bit setuid/setgid syscalls of i386 and 32-bit ARM cannot name
  // them (the child uses the *32 calls there).
  (root ? test : test.skip)('user and group ids above 65535 are set whole (needs root)', async () => {
    const out = await output('/bin/sh', ['-c', 'echo $(id -u) $(id -g) $(id -G)'], { user: 100_000, group: 200_000 });
    expect(out).toBe('100000 200000 200000\n');
  });

  test('cwd: the program starts in that directory', async () => {
    expect(await output('/bin/pwd', [], { cwd: '/usr/lib' })).toBe('/usr/lib\n');
  });

  test('env is the whole environment, plus the lineage record', async () => {
    const out = await output('/usr/bin/env', [], { env: { FOO: 'bar baz' } });
    const lines = out.trim().split('\n').sort();
    expect(lines[0]).toBe('FOO=bar baz');
    expect(lines[1]).toMatch(/^UNIXPROC_LINEAGE=/);
    expect(lines).toHaveLength(2);
    const lineage = parseLineage(lines[1].slice('UNIXPROC_LINEAGE='.length));
    expect(lineage).toEqual({ spawnerPid: process.pid, spawnerStartTime: Number(statFields(process.pid)[19]), intent: 'child' });
  });

  test('lineage intent is daemon with setsid, and absent with lineage: false', async () => {
    const daemon = await output('/bin/sh', ['-c', 'echo "$UNIXPROC_LINEAGE"'], { setsid: true });
    expect(parseLineage(daemon.trim())?.intent).toBe('daemon');
    const none = await output('/usr/bin/env', [], { env: { A: '1' }, lineage: false });
    expect(none).toBe('A=1\n');
  });

  test('an inherited UNIXPROC_LINEAGE is replaced, not duplicated', async () => {
    const out = await output('/usr/bin/env', [], { env: { UNIXPROC_LINEAGE: '1:2:daemon' } });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(parseLineage(lines[0].slice('UNIXPROC_LINEAGE='.length))?.spawnerPid).toBe(process.pid);
  });

  test("without env, the child gets this process's environment, lineage replaced", async () => {
    process.env.UNIXPROC_SPAWN_TEST = 'inherited value';
    process.env.UNIXPROC_LINEAGE = '1:2:daemon';
    try {
      const out = await output('/usr/bin/env', []);
      const lines = out.trim().split('\n');
      expect(lines).toContain('UNIXPROC_SPAWN_TEST=inherited value');
      const lineage = lines.filter((l) => l.startsWith('UNIXPROC_LINEAGE='));
      expect(lineage).toHaveLength(1);
      expect(parseLineage(lineage[0].slice('UNIXPROC_LINEAGE='.length))?.spawnerPid).toBe(process.pid);
    } finally {
      delete process.env.UNIXPROC_SPAWN_TEST;
      delete process.env.UNIXPROC_LINEAGE;
    }
  });

  test('file is searched in the PATH of the given env', async () => {
    expect(await output('echo', ['found'], { env: { PATH: '/nonexistent:/bin' } })).toBe('found\n');
  });

  test('argv0 is what the program sees as argv[0]', async () => {
    expect(await output('/bin/sh', ['-c', 'echo $0'], { argv0: 'custom-name' })).toBe('custom-name\n');
  });
});

describe('non-UTF-8 names as Buffers: the bytes reach the kernel unchanged', () => {
  let dir: string;
  // 0xff never occurs in UTF-8: a lossy conversion would turn it into U+FFFD.
  const bytesIn = (base: string, tail: number[]): Buffer => Buffer.concat([Buffer.from(`${base}/`), Buffer.from(tail)]);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'unixproc-bytes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true }));

  async function outputBytes(file: string | Buffer, options: Parameters<typeof spawn>[2]): Promise<Buffer> {
    const child = spawn(file, [], { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    const chunks: Buffer[] = [];
    for await (const c of child.stdout!) chunks.push(c as Buffer);
    expect(await child.wait()).toEqual({ kind: 'exited', code: 0 });
    return Buffer.concat(chunks);
  }

  test('cwd: a Buffer directory name that is not UTF-8', async () => {
    const sub = bytesIn(dir, [0x63, 0xff, 0x64]);
    mkdirSync(sub);
    expect(await outputBytes('/bin/pwd', { cwd: sub })).toEqual(Buffer.concat([sub, Buffer.from('\n')]));
  });

  test('file: a Buffer program path that is not UTF-8', async () => {
    const prog = bytesIn(dir, [0x70, 0xfe, 0xff]);
    writeFileSync(prog, '#!/bin/sh\necho ran\n', { mode: 0o755 });
    expect((await outputBytes(prog, {})).toString()).toBe('ran\n');
  });

  test('file: a Buffer program name that is not UTF-8, searched in PATH', async () => {
    const name = Buffer.from([0x71, 0xff]);
    writeFileSync(bytesIn(dir, [...name]), '#!/bin/sh\necho found\n', { mode: 0o755 });
    expect((await outputBytes(name, { env: { PATH: `/nonexistent:${dir}` } })).toString()).toBe('found\n');
  });

  test('a missing Buffer cwd throws ENOENT from chdir with path = the Buffer given', () => {
    const missing = bytesIn(dir, [0x6d, 0xff]);
    expect(() => spawn('/bin/true', [], { cwd: missing })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir', path: missing }),
    );
  });

  test('a missing Buffer file throws ENOENT from execve with path = the Buffer given', () => {
    const missing = bytesIn(dir, [0x6e, 0xff]);
    expect(() => spawn(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: missing }));
  });
});

describe('killOnParentDeath', () => {
  const prctl = () => native<{ setChildSubreaper(on: boolean): number }>();
  // The grandchild is orphaned when its parent dies: this worker adopts and reaps it.
  beforeAll(() => expect(prctl().setChildSubreaper(true)).toBe(0));
  afterAll(() => expect(prctl().setChildSubreaper(false)).toBe(0));

  async function grandchildOfDeadParent(options: string): Promise<number> {
    const script = `const { spawn } = require(${JSON.stringify(LIB)});
      const c = spawn('/bin/sleep', ['100'], { stdio: 'ignore', ...${options} });
      c.unref();
      process.stdout.write(String(c.pid));`;
    const parent = spawn(process.execPath, ['-r', LOADER, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out, status] = await Promise.all([readAll(parent.stdout), parent.wait()]);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    return Number(out);
  }

  test('the child gets the signal when its parent dies', async () => {
    const pid = await grandchildOfDeadParent("{ killOnParentDeath: 'SIGKILL' }");
    await expect(waitForExit(pid, { reap: true })).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  test('without it, the child outlives its parent', async () => {
    const pid = await grandchildOfDeadParent('{}');
    const state = processState(pid);
    process.kill(pid, 'SIGTERM');
    expect(state).toMatch(/^[RSD]$/);
    await expect(waitForExit(pid, { reap: true })).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });
});

// Asking the kernel for a given pid next (ns_last_pid) needs CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE in the pid namespace: probed by writing back its current value.
const canForcePid = ((): boolean => {
  try {
    const last = readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8').trim();
    writeFileSync('/proc/sys/kernel/ns_last_pid', last);
    return true;
  } catch {
    return false;
  }
})();

describe.each<ExitWatchMode>(['pidfd', 'sigchld'])('pid reuse, with the %s exit watch', (mode) => {
  beforeAll(() => setExitWatchMode(mode));
  afterAll(() => setExitWatchMode(undefined));

  // Starts sleeps until one gets `pid`, synchronously (the caller is inside a window that
  // must not close). Another process on the machine may take the pid first: the misses
  // are returned, for the caller to reap.
  function spawnWithPid(pid: number): { child: Subprocess | undefined; misses: Subprocess[] } {
    const misses: Subprocess[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
      const child = spawn('/bin/sleep', ['100']);
      if (child.pid === pid) return { child, misses };
      misses.push(child);
    }
    return { child: undefined, misses };
  }

  (canForcePid ? test : test.skip)(
    'kill() after the child was reaped, before wait() settled, does not reach the process that got its pid' +
      (canForcePid ? '' : ' [skipped: /proc/sys/kernel/ns_last_pid is not writable here]'),
    async () => {
      const old = spawn('/bin/true');
      // Reaped by the exit watch, not yet delivered: the pid is free, exited still false.
      const r = await duringReapWindow(old, () => {
        const { child, misses } = spawnWithPid(old.pid);
        return { child, misses, exitedThen: old.exited, killed: old.kill('SIGKILL'), state: processState(old.pid) };
      });
      const others = r.child === undefined ? r.misses : [...r.misses, r.child];
      for (const o of others) expect(o.kill('SIGTERM')).toBe(true);
      const statuses = await Promise.all(others.map((o) => o.wait()));
      expect(r.child?.pid).toBe(old.pid);
      expect(r.exitedThen).toBe(false);
      expect(r.killed).toBe(false);
      expect(r.state).toMatch(/^[RSD]$/); // the new process: alive, not killed
      // The new process died of the SIGTERM sent above, not of the SIGKILL.
      expect(statuses.every((s) => s.kind === 'signaled' && s.signal === 'SIGTERM')).toBe(true);
      await expect(old.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
      expect(old.kill('SIGKILL')).toBe(false);
    },
  );
});
