// `unixproc ps` against procps `ps` as the oracle, on real processes made here: a niced
// sleeper under a name of its own, one on a terminal (a pty), one run as a system user
// that no other process runs as (other test files run processes as nobody in parallel), a parent
// with two children, and three holding different amounts of memory. Where the values are
// comparable (user, rss, vsz, ni, tty, start, comm, stat, ids, the rows of `ps aux` and
// `ps -ef`), they must be equal. Every process is a child_process child, reaped by it; the
// Python parents reap their own children before they exit.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { PYTHON, spawnReporter, stateLetter, waitFor } from '../helpers/proc-spawn';

function commOf(pid: number): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
  } catch {
    return undefined;
  }
}

/** procps's output of `ps ARGS`, lines without the trailing newline. */
function procps(args: string[]): string[] {
  const r = spawnSync('ps', args, { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`ps ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

async function ours(args: string[]): Promise<string[]> {
  const r = await runCli(['ps', ...args]);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
}

const fields = (line: string): string[] => line.trim().split(/\s+/);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-ps-'));
const NAME = `upsq${process.pid % 1_000_000}`;
const SLEEP = path.join(dir, NAME);
fs.copyFileSync('/bin/sleep', SLEEP);
fs.chmodSync(SLEEP, 0o755);

// A child on a pty of its own: its controlling terminal is the pty's slave (pts/N).
const ON_PTY = `
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv('/bin/sleep', ['sleep', '1000'])
print(pid, flush=True)
sys.stdin.readline()
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
`;

const PARENT = `
import subprocess, sys
kids = [subprocess.Popen(['/bin/sleep', '1000']) for _ in range(2)]
print(*[k.pid for k in kids], flush=True)
sys.stdin.readline()
for k in kids:
    k.kill()
    k.wait()
`;

const HOLD = (mib: number): string => `
import sys
block = b'x' * (${mib} << 20)
print('ready', flush=True)
sys.stdin.readline()
`;

const children: ReturnType<typeof spawn>[] = [];
let niced: number;
let ptyHolder: ReturnType<typeof spawnReporter>;
let onPty: number;
let parent: ReturnType<typeof spawnReporter>;
let kids: number[];
let holders: ReturnType<typeof spawnReporter>[];
let quiet: number | undefined;
const asRoot = process.getuid?.() === 0;

/** The uids that own a process now (real uid, as `ps -u` selects by effective uid: both read). */
function busyUids(): Set<number> {
  const uids = new Set<number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(fs.readFileSync(`/proc/${e}/status`, 'latin1'));
      if (m) uids.add(Number(m[1])).add(Number(m[2]));
    } catch {
      // exited meanwhile
    }
  }
  return uids;
}

/**
 * A user of /etc/passwd with a system uid (1-999, not nobody, whom other test files run
 * processes as while this one runs) that owns no process now: `-u` of it must list exactly
 * the one sleeper started here.
 */
function quietUser(): { name: string; uid: number; gid: number } {
  const busy = busyUids();
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (!/^[a-z][a-z0-9_-]*$/.test(name ?? '') || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) continue;
    if (Number(uid) >= 1 && Number(uid) < 1000 && !busy.has(Number(uid))) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('no system user in /etc/passwd without processes');
}
const QUIET = asRoot ? quietUser() : undefined;

beforeAll(async () => {
  const n = spawn('nice', ['-n', '7', SLEEP, '1000'], { stdio: 'ignore' });
  children.push(n);
  niced = n.pid!;
  ptyHolder = spawnReporter(PYTHON, ['-c', ON_PTY]);
  onPty = Number((await ptyHolder.lines(1))[0]);
  parent = spawnReporter(PYTHON, ['-c', PARENT]);
  kids = (await parent.lines(1))[0].split(' ').map(Number);
  holders = [20, 60, 40].map((mib) => spawnReporter(PYTHON, ['-c', HOLD(mib)]));
  for (const h of holders) await h.lines(1);
  if (asRoot) {
    const u = spawn('/bin/sleep', ['1000'], { stdio: 'ignore', uid: QUIET!.uid, gid: QUIET!.gid });
    children.push(u);
    quiet = u.pid!;
  }
  await waitFor('the sleepers asleep after their exec', () =>
    [niced, onPty, ...kids, ...(quiet === undefined ? [] : [quiet])].every((p) => stateLetter(p) === 'S' && /sleep|upsq/.test(commOf(p) ?? '')),
  );
  await waitFor('the niced sleeper under its own name', () => commOf(niced) === NAME);
});

afterAll(async () => {
  for (const r of [ptyHolder, parent, ...holders]) {
    r.child.stdin?.end('\n');
    await r.exited();
  }
  for (const c of children) {
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await gone;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const KEYS = ['pid', 'ppid', 'pgid', 'sid', 'user', 'uid', 'rss', 'vsz', 'ni', 'tname', 'tty', 'stat', 'start_time', 'time', 'comm', 'nlwp', 'pgrp', 'sess', 'tpgid', 's', 'pmem', 'start', 'stime', 'bsdtime', 'args', 'cmd', 'lstart', 'pri'];

describe('the same values as procps ps, column by column', () => {
  test.each(KEYS)('-o %s of a niced sleeper under its own name', async (key) => {
    const args = ['-o', `${key}=`, '-p', String(niced)];
    const expected = procps(args);
    expect(expected).toHaveLength(1);
    expect((await ours(args)).map((l) => l.trim())).toEqual(expected.map((l) => l.trim()));
  });

  test('all of them at once, for the sleeper, the one on a pty, the children and the memory holders', async () => {
    const pids = [niced, onPty, ...kids, ...holders.map((h) => h.child.pid!)].join(',');
    // one word each (procps cuts a command line that is not the last column to 27 characters)
    const oneWord = KEYS.filter((k) => !['args', 'cmd', 'lstart'].includes(k));
    const args = ['-o', oneWord.map((k) => `${k}=`).join(','), '-p', pids];
    const expected = procps(args).map(fields);
    expect(expected).toHaveLength(7);
    expect((await ours(args)).map(fields)).toEqual(expected);
  });

  test('the values are what was set up: NI 7, the pty as TTY, the name as COMMAND, 60 MiB resident', async () => {
    const [pid, ni, tty, comm] = fields((await ours(['-o', 'pid=,ni=,tname=,comm=', '-p', String(niced)]))[0]);
    expect([Number(pid), ni, tty, comm]).toEqual([niced, '7', '?', NAME]);
    expect(fields((await ours(['-o', 'tname=', '-p', String(onPty)]))[0])[0]).toMatch(/^pts\/\d+$/);
    const rss = Number((await ours(['-o', 'rss=', '-p', String(holders[1].child.pid)]))[0]);
    expect(rss).toBeGreaterThan(60 * 1024);
  });

  test('elapsed time (etimes) agrees with procps to the second', async () => {
    const theirs = Number(procps(['-o', 'etimes=', '-p', String(niced)])[0]);
    const mine = Number((await ours(['-o', 'etimes=', '-p', String(niced)]))[0]);
    expect(Math.abs(mine - theirs)).toBeLessThanOrEqual(1);
  });

  test('%CPU with --interval 0 is procps\'s lifetime average: 0.0 for a sleeper, and C is 0', async () => {
    const args = ['-o', 'pcpu=,c=', '-p', String(niced)];
    expect(fields((await ours(['--interval', '0', ...args]))[0])).toEqual(fields(procps(args)[0]));
    expect(fields(procps(args)[0])).toEqual(['0.0', '0']);
  });
});

describe('the habits', () => {
  const rowOf = (lines: string[], pid: number, pidField: number): string[] | undefined =>
    lines.map(fields).find((f) => Number(f[pidField]) === pid);

  // %CPU (aux) is sampled here and a lifetime average in procps, and C (-ef) is a lifetime
  // average that moves between the two runs for a process that used CPU: compared apart.
  const masked = (row: string[] | undefined, at: number): string[] | undefined => row?.map((f, i) => (i === at ? '*' : f));

  test('ps aux has procps\'s heading, and the same row for a process as procps', async () => {
    const mine = await ours(['aux']);
    const theirs = procps(['aux']);
    expect(fields(mine[0])).toEqual(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
    expect(fields(mine[0])).toEqual(fields(theirs[0]));
    for (const pid of [niced, onPty, kids[0], holders[2].child.pid!]) {
      expect(masked(rowOf(mine, pid, 1), 2)).toEqual(masked(rowOf(theirs, pid, 1), 2));
      expect(rowOf(mine, pid, 1)).toBeDefined();
    }
    expect(rowOf(mine, niced, 1)).toEqual(rowOf(theirs, niced, 1));
  });

  test('ps aux lists every process procps lists, kernel threads included', async () => {
    // procps first: a process it lists that is still there after our run was there during it
    const theirs = procps(['aux']).slice(1).map((l) => Number(fields(l)[1]));
    const mine = new Set((await ours(['aux'])).slice(1).map((l) => Number(fields(l)[1])));
    // those that exited meanwhile aside (procps's own ps is one), every pid of procps's
    const missing = theirs.filter((pid) => !mine.has(pid) && fs.existsSync(`/proc/${pid}`));
    expect(missing).toEqual([]);
    expect(mine.has(2)).toBe(commOf(2) === 'kthreadd');
  });

  test('ps -ef has procps\'s heading, and the same row for a process as procps', async () => {
    const mine = await ours(['-ef']);
    const theirs = procps(['-ef']);
    expect(fields(mine[0])).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(fields(mine[0])).toEqual(fields(theirs[0]));
    for (const pid of [niced, onPty, kids[1], holders[0].child.pid!]) {
      expect(masked(rowOf(mine, pid, 1), 3)).toEqual(masked(rowOf(theirs, pid, 1), 3));
      expect(rowOf(mine, pid, 1)).toBeDefined();
    }
    expect(rowOf(mine, niced, 1)).toEqual(rowOf(theirs, niced, 1));
  });
});

describe('selections, as procps selects', () => {
  const pidsOf = (lines: string[]): number[] => lines.map((l) => Number(l.trim())).sort((a, b) => a - b);

  test('--ppid lists exactly the children of a process', async () => {
    const args = ['--ppid', String(parent.child.pid), '-o', 'pid='];
    expect(pidsOf(await ours(args))).toEqual([...kids].sort((a, b) => a - b));
    expect(pidsOf(await ours(args))).toEqual(pidsOf(procps(args)));
  });

  test('-C lists exactly the processes with that command name', async () => {
    const args = ['-C', NAME, '-o', 'pid='];
    expect(pidsOf(await ours(args))).toEqual([niced]);
    expect(pidsOf(procps(args))).toEqual([niced]);
  });

  (asRoot ? test : test.skip)('-u by name and by uid lists exactly the processes of that user', async () => {
    const { name, uid } = QUIET!;
    expect(pidsOf(await ours(['-u', name, '-o', 'pid=']))).toEqual([quiet]);
    expect(pidsOf(await ours(['-u', String(uid), '-o', 'pid=']))).toEqual([quiet]);
    expect(pidsOf(procps(['-u', String(uid), '-o', 'pid=']))).toEqual([quiet]);
    expect(pidsOf(procps(['-u', name, '-o', 'pid=']))).toEqual([quiet]);
    expect(fields((await ours(['-u', name, '-o', 'user=,uid=']))[0])).toEqual([name, String(uid)]);
  });

  test('-p, -C and --ppid add up, as procps: any match is shown', async () => {
    const args = ['-p', String(onPty), '-C', NAME, '--ppid', String(parent.child.pid), '-o', 'pid='];
    expect(pidsOf(await ours(args))).toEqual([niced, onPty, ...kids].sort((a, b) => a - b));
    expect(pidsOf(await ours(args))).toEqual(pidsOf(procps(args)));
  });

  test('--sort -rss orders as procps does', async () => {
    const args = ['--sort', '-rss', '-o', 'pid=', '-p', holders.map((h) => h.child.pid).join(',')];
    const mine = (await ours(args)).map(Number);
    expect(mine).toEqual(procps(args).map(Number));
    expect(mine).toEqual([holders[1], holders[2], holders[0]].map((h) => h.child.pid));
  });

  test('--sort with two keys, the second descending, orders as procps does', async () => {
    const args = ['--sort', 'ppid,-pid', '-o', 'pid=', '-p', [...kids, niced, onPty].join(',')];
    expect((await ours(args)).map(Number)).toEqual(procps(args).map(Number));
  });
});

describe('%CPU sampled over --interval', () => {
  let busy: ReturnType<typeof spawnReporter>;
  beforeAll(async () => {
    busy = spawnReporter(PYTHON, ['-c', "print('go', flush=True)\nwhile True: pass"]);
    await busy.lines(1);
  });
  afterAll(async () => {
    busy.child.kill('SIGKILL');
    await busy.exited();
  });

  test('a busy loop shows CPU use over the interval, a sleeper exactly 0.0', async () => {
    const lines = await ours(['-o', 'pid=,pcpu=', '--interval', '300', '-p', `${busy.child.pid},${niced}`]);
    const byPid = new Map(lines.map(fields).map(([pid, pcpu]) => [Number(pid), pcpu]));
    expect(byPid.get(niced)).toBe('0.0');
    expect(Number(byPid.get(busy.child.pid!))).toBeGreaterThan(0);
  });

  test('--sort -pcpu puts the busy loop before the sleeper', async () => {
    const lines = await ours(['-o', 'pid=', '--sort', '-pcpu', '--interval', '500', '-p', `${niced},${busy.child.pid}`]);
    expect(lines.map(Number)).toEqual([busy.child.pid, niced]);
  });

  test('--json with -o gives each row its typed values beside the library\'s objects', async () => {
    const r = await runCli(['ps', '-o', 'pid,rss,pcpu,comm', '--interval', '0', '--json', '-p', String(niced)]);
    const doc = JSON.parse(r.stdout);
    expect(doc.columns).toEqual(['pid', 'rss', 'pcpu', 'comm']);
    expect(doc.rows).toEqual([{ pid: niced, rss: Number(procps(['-o', 'rss=', '-p', String(niced)])[0]), pcpu: 0, comm: NAME }]);
    expect(doc.processes[0].pid).toBe(niced);
  });
});
