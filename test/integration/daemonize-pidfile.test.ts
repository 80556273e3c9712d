// Pidfiles: written atomically by daemonize(), locked by the daemon (fd 3), refused when
// locked; readPidfile() does not trust a stale pid. This process is a subreaper: each
// daemon is re-parented here and reaped here, by pid.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess } from '../../lib/proc';
import { run, spawn } from '../../lib/spawn';
import { daemonize, readPidfile } from '../../lib/supervise';
import { becomeSubreaper, reapPid } from '../helpers/proc-spawn';
import { childrenOf, untilState } from '../helpers/os-core-children';
import { LOADER, ROOT } from '../helpers/supervise-helpers';

let restore: () => void;
let dir: string;
beforeAll(() => {
  restore = becomeSubreaper();
  dir = mkdtempSync(join(tmpdir(), 'unixproc-pidfile-'));
});
afterAll(() => {
  restore();
  rmSync(dir, { recursive: true, force: true });
});

async function end(d: { pid: number; startTime: number }): Promise<void> {
  if (isSameProcess(d)) process.kill(d.pid, 'SIGKILL');
  await reapPid(d.pid);
}

describe('a daemon started with a pidfile', () => {
  let pidfile: string;
  let d: { pid: number; startTime: number };
  beforeAll(() => {
    pidfile = join(dir, 'd.pid');
    d = daemonize('/bin/sleep', ['300'], { pidfile });
  });
  afterAll(() => end(d));

  test('the pidfile holds its pid and a newline, and no temporary file is left', () => {
    expect(readFileSync(pidfile, 'utf8')).toBe(`${d.pid}\n`);
    expect(readdirSync(dir)).toEqual(['d.pid']);
  });

  test('the daemon holds the pidfile open as fd 3, and nothing else beyond stdio', async () => {
    // daemonize() returns once execve succeeded; the dynamic loader then still opens the
    // program's libraries (a transient fd 4, seen 21 times in 200 under load): read the fds
    // once the program runs, sleeping in its nanosleep (state S).
    await untilState(d.pid, 'S');
    const fds = readdirSync(`/proc/${d.pid}/fd`).map(Number).sort();
    expect(fds).toEqual([0, 1, 2, 3]);
    expect(readlinkSync(`/proc/${d.pid}/fd/3`)).toBe(pidfile);
  });

  test('readPidfile: running and locked', () => {
    expect(readPidfile(pidfile)).toEqual({ pid: d.pid, running: true, locked: true });
  });

  test('a second start with the same pidfile throws EAGAIN (flock) and starts nothing', () => {
    const before = childrenOf(process.pid).sort();
    expect(() => daemonize('/bin/sleep', ['300'], { pidfile })).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'flock', path: pidfile }),
    );
    expect(childrenOf(process.pid).sort()).toEqual(before);
    expect(readFileSync(pidfile, 'utf8')).toBe(`${d.pid}\n`);
  });
});

/** readPidfile(path) in a new node process (undefined printed as null). */
async function readPidfileInChild(path: string): Promise<unknown> {
  const script = `
    const { readPidfile } = require(${JSON.stringify(join(ROOT, 'lib', 'supervise', 'index.ts'))});
    const r = readPidfile(${JSON.stringify(path)});
    console.log(JSON.stringify({ pid: r.pid ?? null, running: r.running, locked: r.locked }));`;
  const r = await run(process.execPath, ['-r', LOADER, '-e', script], { capture: 'text', timeout: 30000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: { kind: 'exited', code: 0 }, stderr: '' });
  return JSON.parse(r.stdout as string);
}

describe('readPidfile', () => {
  test('once the daemon is gone: neither running nor locked', async () => {
    const pidfile = join(dir, 'gone.pid');
    const d = daemonize('/bin/sleep', ['300'], { pidfile });
    await end(d);
    expect(readPidfile(pidfile)).toEqual({ pid: d.pid, running: false, locked: false });
  });

  test('a live process that started after the pidfile was written is a recycled pid: not running', async () => {
    const pidfile = join(dir, 'stale.pid');
    const other = spawn('/bin/sleep', ['300']);
    writeFileSync(pidfile, `${other.pid}\n`);
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(pidfile, hourAgo, hourAgo);
    const result = readPidfile(pidfile);
    other.kill('SIGKILL');
    await other.wait();
    expect(result).toEqual({ pid: other.pid, running: false, locked: false });
  });

  test('an unlocked pidfile naming a live process that started before it was written: running', async () => {
    const pidfile = join(dir, 'plain.pid');
    const other = spawn('/bin/sleep', ['300']);
    writeFileSync(pidfile, `${other.pid}\n`);
    const result = readPidfile(pidfile);
    other.kill('SIGKILL');
    await other.wait();
    expect(result).toEqual({ pid: other.pid, running: true, locked: false });
  });

  test('a pidfile without a pid: pid undefined, not running', () => {
    const pidfile = join(dir, 'junk.pid');
    writeFileSync(pidfile, 'not a pid\n');
    expect(readPidfile(pidfile)).toEqual({ pid: undefined, running: false, locked: false });
  });

  test('a FIFO as the pidfile holds no pid: it is neither waited on for a writer nor read', async () => {
    const fifo = join(dir, 'fifo.pid');
    expect((await run('mkfifo', [fifo])).status).toEqual({ kind: 'exited', code: 0 });
    // In a child process, so that a regression (a blocking open or read) fails the test by
    // its timeout instead of freezing this one.
    expect(await readPidfileInChild(fifo)).toEqual({ pid: null, running: false, locked: false });
  });

  test('a character device as the pidfile (/dev/zero) holds no pid: it is not read to the end', async () => {
    expect(await readPidfileInChild('/dev/zero')).toEqual({ pid: null, running: false, locked: false });
  });

  test('a missing pidfile throws ENOENT with the path', () => {
    const missing = join(dir, 'missing.pid');
    expect(() => readPidfile(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing }));
  });
});

describe('a failed start', () => {
  test('leaves the previous pidfile as it was and no temporary file', () => {
    const sub = join(dir, 'failed');
    require('node:fs').mkdirSync(sub);
    const pidfile = join(sub, 'x.pid');
    writeFileSync(pidfile, '12345\n');
    expect(() => daemonize('/nonexistent/daemon', [], { pidfile })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(readFileSync(pidfile, 'utf8')).toBe('12345\n');
    expect(readdirSync(sub)).toEqual(['x.pid']);
  });
});

describe('a failed first start', () => {
  test('leaves no pidfile (the one it created is removed) and no temporary file', () => {
    const sub = join(dir, 'failed-first');
    require('node:fs').mkdirSync(sub);
    const pidfile = join(sub, 'x.pid');
    expect(() => daemonize('/nonexistent/daemon', [], { pidfile })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe('a pidfile that cannot be written', () => {
  test('the waiting daemon is reaped before daemonize() throws: the caller (a subreaper) adopts no process', async () => {
    // RLIMIT_FSIZE 0 makes the pidfile write fail with EFBIG (Node ignores SIGXFSZ) after
    // the daemon was forked; the caller is a subreaper, so a daemon left unreaped by the
    // intermediate process would be re-parented to it.
    const pidfile = join(dir, 'efbig.pid');
    const script = `
      const { native } = require(${JSON.stringify(join(ROOT, 'lib', 'native.ts'))});
      const { daemonize } = require(${JSON.stringify(join(ROOT, 'lib', 'supervise', 'index.ts'))});
      const { childrenOf } = require(${JSON.stringify(join(ROOT, 'test', 'helpers', 'os-core-children.ts'))});
      if (native().setChildSubreaper(true) !== 0) throw new Error('prctl');
      let error;
      try { daemonize('/bin/sleep', ['300'], { pidfile: ${JSON.stringify(pidfile)} }); } catch (e) { error = { code: e.code, syscall: e.syscall }; }
      console.log(JSON.stringify({ error, children: childrenOf(process.pid) }));`;
    const r = await run('prlimit', ['--fsize=0', process.execPath, '-r', LOADER, '-e', script], { capture: 'text' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: { kind: 'exited', code: 0 }, stderr: '' });
    expect(JSON.parse(r.stdout as string)).toEqual({ error: { code: 'EFBIG', syscall: 'pwrite' }, children: [] });
  });
});

// A node -e script that starts a daemon on `pidfile` and prints { pid, startTime }, or the
// error's { code, syscall }.
function starterScript(pidfile: string): string {
  return `
    const { daemonize } = require(${JSON.stringify(join(ROOT, 'lib', 'supervise', 'index.ts'))});
    try {
      const d = daemonize('/bin/sleep', ['300'], { pidfile: ${JSON.stringify(pidfile)} });
      process.stdout.write(JSON.stringify({ pid: d.pid, startTime: d.startTime }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ code: e.code, syscall: e.syscall }));
    }`;
}

describe('concurrent starts with one pidfile', () => {
  // Several processes race to start a daemon on the same pidfile, in rounds: exactly one
  // start per round may go ahead (the others fail with flock EAGAIN). A start that locks
  // the pidfile it opened after another start renamed its new one over it would be a second
  // daemon: the lock-file loop re-checks that the locked file is the one at the path.
  test('exactly one of 4 concurrent starters succeeds, in each of 2 rounds', async () => {
    const pidfile = join(dir, 'race.pid');
    const script = starterScript(pidfile);
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => run(process.execPath, ['-r', LOADER, '-e', script], { capture: 'text', timeout: 30000 })),
      );
      const outcomes = results.map((r) => JSON.parse(r.stdout as string) as { pid?: number; startTime?: number; code?: string; syscall?: string });
      const started = outcomes.filter((o) => o.pid !== undefined) as { pid: number; startTime: number }[];
      try {
        expect(started.length).toBe(1);
        expect(outcomes.filter((o) => o.pid === undefined)).toEqual(Array(3).fill({ code: 'EAGAIN', syscall: 'flock' }));
        expect(readFileSync(pidfile, 'utf8')).toBe(`${started[0].pid}\n`);
      } finally {
        for (const d of started) await end(d);
      }
    }
  });
});

describe('a start that created the pidfile but lost the lock on it', () => {
  // Found by the 4-starter race under load (2 daemons in one round): a start created the
  // pidfile (O_EXCL), another locked it first, and the first, failing with EAGAIN, unlinked
  // the path it had created: under the other start's lock. A third start then created a new
  // pidfile there and locked it: two daemons. strace delays the first start's flock so that
  // a holder takes the lock in between, deterministically.
  test('fails with EAGAIN and leaves the pidfile, which another holds locked, where it is', async () => {
    const pidfile = join(dir, 'lost-lock.pid');
    const script = starterScript(pidfile);
    // Every flock(2) of the starter's main thread is delayed (not only the first: the
    // loader may take a lock of its own first); strace injects only into calls it traces
    // (-e trace=flock, to /dev/null); no -f, so that a daemon it started by mistake would not
    // be traced (and waited for) by strace.
    const starter = run('strace', ['-qq', '-o', '/dev/null', '-e', 'trace=flock', '-e', 'inject=flock:delay_enter=1500000', process.execPath, '-r', LOADER, '-e', script], {
      capture: 'text',
      timeout: 30000,
    });
    // Once the starter has created the file (and is held before its flock), another
    // process locks it, as a concurrent start would.
    const HOLD = `
import fcntl, os, sys, time
path = sys.argv[1]
while not os.path.exists(path):
    time.sleep(0.005)
fd = os.open(path, os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print(os.fstat(fd).st_ino, flush=True)
sys.stdin.readline()`;
    const holder = spawn('/usr/bin/python3', ['-c', HOLD, pidfile], { stdio: ['pipe', 'pipe', 'inherit'] });
    const inode = new Promise<number>((resolve, reject) => {
      let got = '';
      holder.stdout!.on('data', (c: Buffer) => {
        got += c.toString('latin1');
        if (got.includes('\n')) resolve(Number(got.trim()));
      });
      holder.wait().then(() => reject(new Error('the holder exited without taking the lock')), reject);
    });
    try {
      const r = await starter;
      const outcome = JSON.parse(r.stdout as string) as { pid?: number; startTime?: number };
      if (outcome.pid !== undefined) await end(outcome as { pid: number; startTime: number });
      expect(outcome).toEqual({ code: 'EAGAIN', syscall: 'flock' });
      // Still there, the same file the holder locked.
      expect(statSync(pidfile).ino).toBe(await inode);
    } finally {
      holder.stdin!.end();
      await holder.wait();
    }
  });
});
