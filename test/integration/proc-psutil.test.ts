// getProcess and listProcesses against psutil (issue 13), on a varied live workload that
// test/fixtures/psutil/workload.py builds under itself as a subreaper: sleeping, running,
// stopped, zombie, orphan, threads, nice, a deleted executable, odd names (spaces and
// parentheses, a newline, bytes that are not UTF-8) and a pty. psutil is Debian's
// python3-psutil (.ci/run installs it); dump.py prints its view as JSON. Every field must
// agree on every process. Nothing is mocked: both read the same live /proc.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { getProcess, listProcesses, ProcessDetails, ProcessEntry } from '../../lib/proc';

const PYTHON = '/usr/bin/python3';
const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'psutil');

interface PsutilRow {
  pid: number;
  ppid: number;
  name: string;
  exe: string | null;
  cmdline: string[] | null;
  status: string;
  uids: number[];
  gids: number[];
  nice: number;
  num_threads: number;
  rss: number;
  vms: number;
  create_time: number;
  terminal: string | null;
  cwd: string | null;
}

let workload: ChildProcess;
let kinds: Record<string, number>;
let psutil: { version: string; processes: Record<string, PsutilRow> };

beforeAll(async () => {
  workload = spawn(PYTHON, [path.join(FIXTURES, 'workload.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  kinds = await new Promise((resolve, reject) => {
    let text = '';
    workload.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.split('\n').find((l) => l.startsWith('READY '));
      if (line !== undefined) resolve(JSON.parse(line.slice(6)));
    });
    workload.on('exit', (code) => reject(new Error(`workload.py exited with ${code} before it was ready`)));
  });
  const pids = Object.values(kinds).map(String);
  psutil = JSON.parse(execFileSync(PYTHON, [path.join(FIXTURES, 'dump.py'), ...pids], { encoding: 'utf8' }));
});

afterAll(async () => {
  if (workload === undefined || workload.exitCode !== null) return;
  const exited = new Promise((resolve) => workload.on('exit', resolve));
  workload.stdin!.end(); // it kills and reaps everything it started, then exits
  await exited;
});

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const emptyAsNull = (v: string | null): string | null => (v === '' ? null : v);

// Our view of one process in psutil's field names and units.
function ours(p: ProcessDetails | ProcessEntry, details: boolean): Record<string, unknown> {
  if (!p.readable) throw new Error(`pid ${p.pid} unreadable: ${p.error}`);
  const row: Record<string, unknown> = {
    pid: p.pid,
    ppid: p.ppid,
    name: p.comm,
    exe: orNull(p.exe),
    cmdline: orNull(p.cmdline),
    status: p.state.name,
    uids: p.uids === undefined ? null : [p.uids.real, p.uids.effective, p.uids.saved],
    gids: p.gids === undefined ? null : [p.gids.real, p.gids.effective, p.gids.saved],
    nice: p.nice,
    num_threads: p.numThreads,
    rss: p.rss,
    vms: p.vms,
    // psutil: boot_time() + starttime / CLK_TCK, a float of seconds
    create_time: Math.round(p.startDate.getTime()),
    terminal: orNull(p.tty?.name),
  };
  if (details) row.cwd = orNull((p as ProcessDetails).cwd);
  return row;
}

function theirs(r: PsutilRow, details: boolean): Record<string, unknown> {
  const row: Record<string, unknown> = {
    ...r,
    exe: emptyAsNull(r.exe),
    uids: r.uids.slice(0, 3),
    gids: r.gids.slice(0, 3),
    create_time: Math.round(r.create_time * 1000),
  };
  if (!details) delete row.cwd;
  return row;
}

const FIELDS = ['pid', 'ppid', 'name', 'exe', 'cmdline', 'status', 'uids', 'gids', 'nice', 'num_threads', 'rss', 'vms', 'create_time', 'terminal', 'cwd'];

function compare(view: (pid: number) => Record<string, unknown>, details: boolean): { agreed: number; mismatches: string[] } {
  let agreed = 0;
  const mismatches: string[] = [];
  for (const [kind, pid] of Object.entries(kinds)) {
    const a = view(pid);
    const b = theirs(psutil.processes[String(pid)], details);
    for (const f of FIELDS) {
      if (!(f in b)) continue;
      if (JSON.stringify(a[f]) === JSON.stringify(b[f])) agreed++;
      else mismatches.push(`${kind} (${pid}) ${f}: ours ${JSON.stringify(a[f])}, psutil ${JSON.stringify(b[f])}`);
    }
  }
  return { agreed, mismatches };
}

test('the workload has every kind of process it promises, as psutil sees them', () => {
  const status = (k: string) => psutil.processes[String(kinds[k])].status;
  expect([status('sleeping'), status('running'), status('stopped'), status('zombie')]).toEqual(['sleeping', 'running', 'stopped', 'zombie']);
  expect(psutil.processes[String(kinds.orphan)].ppid).toBe(kinds.workload);
  expect(psutil.processes[String(kinds.threads)].num_threads).toBe(4);
  expect(psutil.processes[String(kinds.nice)].nice).toBe(7);
  expect(psutil.processes[String(kinds['non-utf8'])].name).toBe('\udcffodd\udcfe');
  expect(psutil.processes[String(kinds.pty)].terminal).toMatch(/^\/dev\/pts\/\d+$/);
});

test('getProcess agrees with psutil on every field of every process', () => {
  const { agreed, mismatches } = compare((pid) => ours(getProcess(pid)!, true), true);
  expect(mismatches).toEqual([]);
  expect(agreed).toBe(Object.keys(kinds).length * FIELDS.length);
});

test('listProcesses (cmdline, exe, credentials) agrees with psutil on every field it carries', () => {
  const table = new Map(listProcesses({ cmdline: true, exe: true, credentials: true }).map((p) => [p.pid, p]));
  const { agreed, mismatches } = compare((pid) => ours(table.get(pid)!, false), false);
  expect(mismatches).toEqual([]);
  expect(agreed).toBe(Object.keys(kinds).length * (FIELDS.length - 1));
});

test('the deleted executable: exe without " (deleted)", exeDeleted true; the others false', () => {
  expect(getProcess(kinds['deleted-exe'])).toEqual(expect.objectContaining({ exeDeleted: true, exe: expect.stringMatching(/\/del-sleep$/) }));
  expect(getProcess(kinds.sleeping)?.exeDeleted).toBe(false);
});
