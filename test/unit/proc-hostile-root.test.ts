// A procfs root is an input (issue 8, defects 1 and 2): a tree whose files are FIFOs,
// symlinks to /dev/zero, huge files or numbers out of range must not hang any reader, grow
// its memory, or yield a wrong number. Each hostile tree is written by the test (mkfifo,
// ln -s /dev/zero, a sparse 1 GiB file), and every reader runs on it in a child process
// with a timeout and a 1.5 GB address-space limit, so that a hang or a runaway read fails
// the test instead of hanging the suite or the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listProcesses } from '../../lib/proc';
import { CMDLINE_CAP } from '../../lib/proc/process-info';
import { runCli } from '../helpers/cli-run';

const REPO = path.join(__dirname, '..', '..');
const REGISTER = path.join(REPO, 'test', 'helpers', 'ts-register.js');

/** A stat line as proc(5) lays it out (52 fields). */
function statLine(pid: number, comm: string, ppid: number | string, sid: number, start: number, threads = 1): string {
  const f = [pid, `(${comm})`, 'S', ppid, pid, sid, 0, -1, 0x400100, 11, 0, 2, 0, 150, 50, 7, 3, 20, 0, threads, 0, start,
    4096000, 100, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 4096, 134234626, 0, 0, 0, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  return `${f.join(' ')}\n`;
}

/**
 * A small tree: init (1), a shell (2, child of 1 in init's session: a leaked orphan) and
 * the target (50, ppid 1, its own session leader without a terminal: a daemon, so that the
 * finders read its environ, status and fds too). `spoil` then makes one of its files hostile.
 */
function writeTree(spoil: (root: string) => void): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-hostile-'));
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  put('stat', 'cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n');
  put('1/stat', statLine(1, 'init', 0, 1, 5));
  put('2/stat', statLine(2, 'sh', 1, 1, 10));
  put('50/stat', statLine(50, 'target', 1, 50, 20));
  put('50/cmdline', 'target\0--flag\0');
  put('50/environ', 'HOME=/\0');
  put('50/status', 'Name:\ttarget\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n');
  put('50/task/50/stat', statLine(50, 'target', 1, 50, 20));
  put('50/fdinfo/3', 'pos:\t0\nflags:\t02\n');
  fs.mkdirSync(path.join(root, '50', 'fd'));
  fs.symlinkSync('/dev/null', path.join(root, '50', 'fd', '3'));
  spoil(root);
  return root;
}

const fifo = (p: string) => execFileSync('mkfifo', [p]);
const replace = (root: string, rel: string, make: (p: string) => void) => {
  fs.rmSync(path.join(root, rel), { recursive: true, force: true });
  make(path.join(root, rel));
};
const toDevZero = (p: string) => fs.symlinkSync('/dev/zero', p);
const sparse = (p: string) => {
  fs.writeFileSync(p, '');
  fs.truncateSync(p, 1 << 30); // 1 GiB of zeros, no disk used
};

// Every reader, each printing one JSON line when it returns (so a hang names its call).
const CHILD = `
const p = require(${JSON.stringify(path.join(REPO, 'lib', 'proc'))});
const { main } = require(${JSON.stringify(path.join(REPO, 'lib', 'cli'))});
const root = process.env.ROOT;
const o = { procfs: root, procfsFixture: true };
const pids = (xs) => xs.map((x) => x.pid);
const entry = (e) => (e.readable ? e.pid : e.pid + ':' + e.error);
const calls = {
  listProcesses: () => p.listProcesses(o).map(entry),
  listProcessesExtras: () => p.listProcesses({ ...o, cmdline: true, exe: true, credentials: true })
    .map((e) => (e.readable ? [e.pid, e.cmdline ?? null, e.uids?.real ?? null] : entry(e))),
  getProcess: () => { const d = p.getProcess(50, o); return d && [d.pid, d.cmdline ?? null, d.uids?.real ?? null, d.fdCount ?? null]; },
  children: () => pids(p.children(1, o)),
  descendants: () => pids(p.descendants(1, o)),
  ancestors: () => pids(p.ancestors(2, o)),
  processTree: () => p.processTree(undefined, o).map((n) => n.process.pid),
  findZombies: () => p.findZombies(o).map((g) => g.parentPid),
  findOrphans: () => p.findOrphans(o).map((x) => [x.process.pid, x.classification]),
  findDaemons: () => p.findDaemons(o).map((d) => [d.process.pid, d.uids?.real ?? null, d.inheritableFds?.length ?? null]),
  orphanedProcessGroups: () => p.orphanedProcessGroups(o).map((g) => g.pgid),
  stateSummary: () => { const s = p.stateSummary(o); return [s.total, s.unreadable]; },
  isRunning: () => p.isRunning({ pid: 2, startTime: 10 }, o),
  threads: () => p.threads(50, o)?.map((t) => t.tid),
  openFds: () => (p.openFds(50, o) ?? []).map((f) => [f.fd, f.target ?? null, f.flags ?? null]),
};
(async () => {
  for (const [name, call] of Object.entries(calls)) {
    let line;
    try { line = { name, value: call() ?? null }; } catch (e) { line = { name, error: e.code ?? String(e) }; }
    process.stdout.write(JSON.stringify(line) + '\\n');
  }
  let out = '';
  const io = { stdout: { write: (s) => { out += s; return true; } }, stderr: { write: () => true } };
  const code = await main(['ps', '--json', '--procfs', root, '--procfs-fixture'], io);
  let value = code;
  if (code === 0) value = JSON.parse(out).processes.map(entry);
  process.stdout.write(JSON.stringify({ name: 'unixproc ps', value }) + '\\n');
})();
`;

interface Outcome {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly results: Record<string, unknown>;
}

function runReaders(root: string): Outcome {
  // ulimit -v: a read that grows without bound fails inside the child (std::bad_alloc)
  // long before it could take the machine's memory.
  const r = spawnSync('sh', ['-c', 'ulimit -v 1500000; exec "$0" "$@"', process.execPath, '-r', REGISTER, '-e', CHILD], {
    env: { ...process.env, ROOT: root },
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  const results: Record<string, unknown> = {};
  for (const line of r.stdout.split('\n').filter((l) => l !== '')) {
    const x = JSON.parse(line) as { name: string; value?: unknown; error?: string };
    results[x.name] = 'error' in x ? { error: x.error } : x.value;
  }
  return { status: r.status, signal: r.signal, stderr: r.stderr, results };
}

// What the readers answer when the target's stat cannot be used: it is listed as
// unreadable with `error`, and every relation is computed from the other two.
const withoutTarget = (error: string): Record<string, unknown> => ({
  listProcesses: [1, 2, `50:${error}`],
  listProcessesExtras: [[1, null, null], [2, null, null], `50:${error}`],
  getProcess: { error },
  children: [2],
  descendants: [2],
  ancestors: [1],
  processTree: [1],
  findZombies: [],
  findOrphans: [[2, 'leaked-orphan']],
  findDaemons: [],
  orphanedProcessGroups: [1],
  stateSummary: [3, 1],
  isRunning: true,
  threads: { error },
  openFds: { error },
  'unixproc ps': [1, 2, `50:${error}`],
});

// What they answer when only one of the target's other files is hostile: everything but
// what that file tells.
const healthy: Record<string, unknown> = {
  listProcesses: [1, 2, 50],
  listProcessesExtras: [[1, null, null], [2, null, null], [50, ['target', '--flag'], 1000]],
  getProcess: [50, ['target', '--flag'], 1000, 1],
  children: [2, 50],
  descendants: [2, 50],
  ancestors: [1],
  processTree: [1],
  findZombies: [],
  findOrphans: [[2, 'leaked-orphan'], [50, 'daemon']],
  findDaemons: [[50, 1000, 1]],
  orphanedProcessGroups: [1, 50],
  stateSummary: [3, 0],
  isRunning: true,
  threads: [50],
  openFds: [[3, '/dev/null', 2]],
  'unixproc ps': [1, 2, 50],
};

// When the root's own stat (btime) is unusable, every reader throws that system error.
const rootErrors = (error: string) => Object.fromEntries(Object.keys(healthy).map((k) => [k, { error }]));

const CASES: ReadonlyArray<readonly [string, (root: string) => void, Record<string, unknown>]> = [
  ['<pid>/stat is a FIFO', (r) => replace(r, '50/stat', fifo), withoutTarget('EINVAL')],
  ['<pid>/stat is a symlink to /dev/zero', (r) => replace(r, '50/stat', toDevZero), withoutTarget('ELOOP')],
  ['<pid>/stat is a sparse 1 GiB file', (r) => replace(r, '50/stat', sparse), withoutTarget('EFBIG')],
  ['<pid>/stat has a ppid of 99999999999999999999999', (r) => fs.writeFileSync(path.join(r, '50/stat'), statLine(50, 'target', '99999999999999999999999', 50, 20)), withoutTarget('EPROTO')],
  ['<pid>/stat has a ppid beyond INT_MAX (4294967297)', (r) => fs.writeFileSync(path.join(r, '50/stat'), statLine(50, 'target', '4294967297', 50, 20)), withoutTarget('EPROTO')],
  ['<pid>/cmdline is a FIFO', (r) => replace(r, '50/cmdline', fifo), {
    ...healthy,
    listProcessesExtras: [[1, null, null], [2, null, null], [50, null, 1000]],
    getProcess: [50, null, 1000, 1],
  }],
  ['<pid>/cmdline is a symlink to /dev/zero', (r) => replace(r, '50/cmdline', toDevZero), {
    ...healthy,
    listProcessesExtras: [[1, null, null], [2, null, null], [50, null, 1000]],
    getProcess: [50, null, 1000, 1],
  }],
  ['<pid>/status is a FIFO', (r) => replace(r, '50/status', fifo), {
    ...healthy,
    listProcessesExtras: [[1, null, null], [2, null, null], [50, ['target', '--flag'], null]],
    getProcess: [50, ['target', '--flag'], null, 1],
    findDaemons: [[50, null, 1]],
  }],
  ['<pid>/environ is a FIFO', (r) => replace(r, '50/environ', fifo), healthy],
  ['<pid>/environ is a symlink to /dev/zero', (r) => replace(r, '50/environ', toDevZero), healthy],
  ['<pid>/fdinfo/3 is a FIFO', (r) => replace(r, '50/fdinfo/3', fifo), {
    ...healthy,
    openFds: [[3, '/dev/null', null]],
    findDaemons: [[50, 1000, 0]],
  }],
  // The leader's task entry unreadable: threads() cannot confirm the pid names the process.
  ['<pid>/task/<tid>/stat is a FIFO', (r) => replace(r, '50/task/50/stat', fifo), { ...healthy, threads: null }],
  ['<pid> itself is a FIFO', (r) => replace(r, '50', fifo), withoutTarget('ENOTDIR')],
  ['<pid>/fd is a FIFO', (r) => replace(r, '50/fd', fifo), {
    ...healthy,
    getProcess: [50, ['target', '--flag'], 1000, null],
    openFds: { error: 'ENOTDIR' },
    findDaemons: [[50, 1000, null]],
  }],
  ['<root>/stat (btime) is a FIFO', (r) => replace(r, 'stat', fifo), rootErrors('EINVAL')],
  ['<root>/stat (btime) is a symlink to /dev/zero', (r) => replace(r, 'stat', toDevZero), rootErrors('ELOOP')],
];

describe('every reader on a hostile procfs fixture tree finishes, with bounded memory', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  test.each(CASES)('%s', (_name, spoil, expected) => {
    const root = writeTree(spoil);
    roots.push(root);
    const r = runReaders(root);
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    // `unixproc ps` exits 1 with the system error when the root's stat is unusable.
    const want = { ...expected };
    if ((expected['unixproc ps'] as { error?: string }).error !== undefined) want['unixproc ps'] = 1;
    expect(r.results).toEqual(want);
  }, 60_000);
});

describe('a procfs root that is not a procfs', () => {
  let root: string;
  beforeAll(() => {
    root = writeTree(() => undefined);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('is refused with ERR_INVALID_ARG_VALUE naming the path and procfsFixture', () => {
    expect(() => listProcesses({ procfs: root })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/^The property 'options\.procfs' is not a procfs .*pass procfsFixture: true.*Received '.*unixproc-hostile-/),
      }),
    );
  });

  test('is read with procfsFixture: true', () => {
    expect(listProcesses({ procfs: root, procfsFixture: true }).map((p) => p.pid)).toEqual([1, 2, 50]);
  });

  test('a procfs named by another path than /proc is read without procfsFixture', () => {
    const viaOther = listProcesses({ procfs: '/proc/self/..' });
    expect(viaOther.some((p) => p.pid === process.pid)).toBe(true);
  });

  test('procfsFixture without procfs is ERR_INVALID_ARG_VALUE; a non-boolean is ERR_INVALID_ARG_TYPE', () => {
    expect(() => listProcesses({ procfsFixture: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('options.procfsFixture') }));
    expect(() => listProcesses({ procfs: root, procfsFixture: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('unixproc ps --procfs on it is a usage error (exit 2) unless --procfs-fixture is given', async () => {
    const r = await runCli(['ps', '--procfs', root]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^unixproc ps: --procfs: '.*' is not a procfs; add --procfs-fixture to read a fixture tree laid out like \/proc\n/);
    expect((await runCli(['ps', '--json', '--procfs', root, '--procfs-fixture'])).code).toBe(0);
  });

  test('unixproc ps --procfs-fixture without --procfs is a usage error', async () => {
    const r = await runCli(['ps', '--procfs-fixture']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^unixproc ps: --procfs-fixture needs --procfs ROOT/);
  });
});

describe('a command line longer than the cap', () => {
  let root: string;
  const arg = 'a'.repeat(100_000);
  const count = 30; // 30 * 100,001 bytes: 3 MiB, past the 2 MiB cap
  beforeAll(() => {
    root = writeTree((r) => fs.writeFileSync(path.join(r, '50/cmdline'), `${arg}\0`.repeat(count)));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('is cut at 2 MiB and reported as truncated, never silently', () => {
    const p = listProcesses({ procfs: root, procfsFixture: true, cmdline: true }).find((e) => e.pid === 50);
    expect(p?.readable).toBe(true);
    if (p === undefined || !p.readable) return;
    expect(p.cmdlineTruncated).toBe(true);
    expect(p.cmdline!.join('\0').length).toBe(CMDLINE_CAP);
    expect(p.cmdline!.slice(0, -1).every((a) => a === arg)).toBe(true);
    const short = listProcesses({ procfs: root, procfsFixture: true, cmdline: true }).find((e) => e.pid === 2);
    expect(short?.readable && short.cmdlineTruncated).toBe(false);
  });
});

test('unixproc ps --cmdline marks a command line cut at the cap', async () => {
  const root = writeTree((r) => fs.writeFileSync(path.join(r, '50/cmdline'), `${'b'.repeat(100_000)}\0`.repeat(30)));
  try {
    const r = await runCli(['ps', '--cmdline', '--wide', '--pid', '50', '--procfs', root, '--procfs-fixture']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().endsWith(' ...[cut at 2 MiB]')).toBe(true);
    const json = JSON.parse((await runCli(['ps', '--json', '--cmdline', '--pid', '50', '--procfs', root, '--procfs-fixture'])).stdout);
    expect(json.processes[0].cmdlineTruncated).toBe(true);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
