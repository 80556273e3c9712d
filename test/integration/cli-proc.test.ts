// The /proc subcommands on real processes: a real zombie, a spawned chain, a process with a
// hostile name, a long command line, a leaked orphan and a daemon. Commands run in-process
// through main() and, where the exit code and the real stdout matter, as the real bin.
// This process becomes a child subreaper, so the orphans made here are re-parented here
// and reaped here by pid; every other child is reaped by child_process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin, runBinIntoClosedPipe, runCli } from '../helpers/cli-run';
import { becomeSubreaper, killPid, ppidOf, PYTHON, reapPid, spawnReporter, stateLetter, waitFor } from '../helpers/proc-spawn';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

function commOf(pid: number): string {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
}

interface ProcJson {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[] | null;
  state: { letter: string };
}

// Forks two children that exit at once and are not waited for until stdin says so.
const HOLDER = `
import os, sys
pids = []
for _ in range(2):
    p = os.fork()
    if p == 0:
        os._exit(0)
    pids.append(p)
print(*pids, flush=True)
sys.stdin.readline()
for p in pids:
    os.waitpid(p, 0)
print('reaped', flush=True)
sys.stdin.readline()
`;

describe('a real zombie', () => {
  let holder: ReturnType<typeof spawnReporter>;
  let zombies: number[];
  let parent: number;

  beforeAll(async () => {
    holder = spawnReporter(PYTHON, ['-c', HOLDER]);
    zombies = (await holder.lines(1))[0].split(' ').map(Number);
    parent = holder.child.pid!;
    await waitFor('two zombies', () => zombies.every((z) => stateLetter(z) === 'Z'));
    await waitFor('the parent asleep in readline', () => stateLetter(parent) === 'S');
  });

  afterAll(async () => {
    holder.child.stdin?.end();
    await holder.exited();
  });

  test('zombies --json lists it under the parent that does not wait, and exits 1', async () => {
    const r = await runCli(['zombies', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const group = doc.groups.find((g: { parentPid: number }) => g.parentPid === parent);
    expect(group).toEqual(expect.objectContaining({ parentPid: parent, parentKind: 'process', count: 2 }));
    expect(group.zombies.map((z: ProcJson) => z.pid).sort()).toEqual([...zombies].sort());
    expect(group.zombies.every((z: ProcJson) => z.ppid === parent && z.state.letter === 'Z')).toBe(true);
    expect(group.parent.pid).toBe(parent);
    expect(group.parent.cmdline.slice(1)).toEqual(['-c', HOLDER]);
    expect(doc.zombieCount).toBeGreaterThanOrEqual(2);
  });

  test('zombies (human) names the parent, its command line escaped, and each zombie', async () => {
    const r = await runCli(['zombies', '--wide']);
    expect(r.code).toBe(1);
    const comm = commOf(parent);
    const row = r.stdout.split('\n').find((l) => l.trim().split(/\s+/)[0] === String(parent));
    expect(row).toMatch(new RegExp(`^ *${parent}  S\\S* +process +2  \\S*python\\S* -c \\\\nimport os, sys\\\\npids = \\[\\]`));
    expect(r.stdout).toContain(`zombies of ${parent} (${comm}): ${zombies.map((z) => `${z} ${comm}`).join(', ')}\n`);
  });

  test('the real bin exits 1 and prints the same group', async () => {
    const r = await runBin(['zombies', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const group = JSON.parse(r.stdout).groups.find((g: { parentPid: number }) => g.parentPid === parent);
    expect(group.zombies.map((z: ProcJson) => z.pid).sort()).toEqual([...zombies].sort());
  });

  test('ps --state Z lists the zombies and only processes in state Z', async () => {
    const r = await runCli(['ps', '--state', 'Z', '--json']);
    const procs: ProcJson[] = JSON.parse(r.stdout).processes;
    expect(procs.map((p) => p.pid)).toEqual(expect.arrayContaining(zombies));
    expect(procs.every((p) => p.state.letter === 'Z')).toBe(true);
    expect(procs.map((p) => p.pid)).not.toContain(parent);
  });

  test('ps --state S lists the sleeping parent but not its zombies', async () => {
    const procs: ProcJson[] = JSON.parse((await runCli(['ps', '--state', 'S', '--json'])).stdout).processes;
    expect(procs.map((p) => p.pid)).toContain(parent);
    for (const z of zombies) expect(procs.map((p) => p.pid)).not.toContain(z);
    expect(procs.every((p) => p.state.letter === 'S')).toBe(true);
  });

  test('ps shows a zombie as Z and <defunct>', async () => {
    const r = await runCli(['ps', '--pid', String(zombies[0])]);
    expect(r.stdout.split('\n')[1]).toMatch(new RegExp(`^ *${zombies[0]} +${parent} .* Z +\\d\\d:\\d\\d:\\d\\d  .+ <defunct>$`));
  });

  test('once the parent reaps them, zombies no longer lists that parent', async () => {
    holder.child.stdin?.write('\n');
    expect((await holder.lines(2))[1]).toBe('reaped');
    const doc = JSON.parse((await runCli(['zombies', '--json'])).stdout);
    expect(doc.groups.find((g: { parentPid: number }) => g.parentPid === parent)).toBeUndefined();
  });
});

// A chain of three: each level prints its pid, forks the next, and waits for it; the last
// waits for EOF on stdin (shared by all three).
const CHAIN = `
import os, sys
def level(n):
    print(os.getpid(), flush=True)
    if n == 0:
        sys.stdin.read()
        os._exit(0)
    pid = os.fork()
    if pid == 0:
        level(n - 1)
    os.waitpid(pid, 0)
    os._exit(0)
level(2)
`;

describe('tree of a spawned chain', () => {
  test('draws the three processes as one pstree line, name(pid) with -p', async () => {
    const chain = spawnReporter(PYTHON, ['-c', CHAIN]);
    try {
      const [a, b, c] = (await chain.lines(3)).map(Number);
      await waitFor('the chain asleep', () => [a, b, c].every((p) => stateLetter(p) === 'S'));
      const comm = commOf(a);
      const r = await runCli(['tree', '-p', String(a)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${comm}(${a})---${comm}(${b})---${comm}(${c})\n`);

      const doc = JSON.parse((await runCli(['tree', String(a), '--json', '--cmdline'])).stdout);
      expect(doc.roots[0].process.pid).toBe(a);
      expect(doc.roots[0].children[0].process.pid).toBe(b);
      expect(doc.roots[0].children[0].children[0].process.pid).toBe(c);
      expect(doc.roots[0].children[0].children[0].process.cmdline.slice(1)).toEqual(['-c', CHAIN]);
    } finally {
      chain.child.stdin?.end();
      await chain.exited();
    }
  });
});

// Renames itself to a comm holding ESC [2J (clear screen) and a newline, and carries an
// OSC 0 (set window title) and a tab in its arguments.
const EVIL_COMM = 'ev\x1b[2J\nil';
const EVIL_ARG = '\x1b]0;pwned\x07';
const RENAME = `
import sys
open('/proc/self/comm', 'w').write(sys.argv[1])
print('ready', flush=True)
sys.stdin.read()
`;

describe('a process with a hostile name', () => {
  let proc: ReturnType<typeof spawnReporter>;
  let pid: number;

  beforeAll(async () => {
    proc = spawnReporter(PYTHON, ['-c', RENAME, EVIL_COMM, EVIL_ARG, 'tab\there']);
    await proc.lines(1);
    pid = proc.child.pid!;
    await waitFor('it asleep in read', () => stateLetter(pid) === 'S');
  });

  afterAll(async () => {
    proc.child.stdin?.end();
    await proc.exited();
  });

  // procps prints each control character of a name or command line as '?' (issue 13).
  test('ps shows control characters of its comm and command line as ?, as procps: none reaches the output', async () => {
    const r = await runCli(['ps', '--pid', String(pid)]);
    expect(r.stdout.split('\n')).toHaveLength(3);
    expect(r.stdout).toMatch(/ ev\?\[2J\?il\n$/);
    const full = await runCli(['ps', '--pid', String(pid), '--cmdline', '--wide']);
    expect(full.stdout.split('\n')[1].endsWith(' tab?here')).toBe(true);
    // in a command line, procps 4 writes a newline as a space (the comm above keeps its ?)
    expect(full.stdout).toContain(' ev?[2J il ?]0;pwned? tab?here');
    // eslint-disable-next-line no-control-regex
    for (const out of [r.stdout, full.stdout]) expect(out.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  test('--json keeps the exact comm and arguments', async () => {
    const p: ProcJson = JSON.parse((await runCli(['ps', '--pid', String(pid), '--json', '--cmdline'])).stdout).processes[0];
    expect(p.comm).toBe(EVIL_COMM);
    expect(p.cmdline?.slice(-3)).toEqual([EVIL_COMM, EVIL_ARG, 'tab\there']);
  });

  test('the real bin writes the escaped text to its stdout', async () => {
    const r = await runBin(['tree', String(pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ev\\x1b[2J\\nil\n');
  });
});

describe('a long command line', () => {
  test('is cut to the terminal width with an explicit marker, and shown whole with --wide', async () => {
    const long = 'x'.repeat(300);
    const proc = spawnReporter(PYTHON, ['-c', "print('ready', flush=True); import sys; sys.stdin.read()", long]);
    try {
      await proc.lines(1);
      const pid = proc.child.pid!;
      const cut = (await runCli(['ps', '--pid', String(pid), '--cmdline'], 80)).stdout.split('\n')[1];
      expect(cut.length).toBeLessThanOrEqual(80);
      const m = /\.\.\.\[\+(\d+)\]$/.exec(cut);
      expect(m).not.toBeNull();
      const whole = (await runCli(['ps', '--pid', String(pid), '--cmdline', '--wide'], 80)).stdout.split('\n')[1];
      expect(whole.endsWith(` ${long}`)).toBe(true);
      // What was kept plus what the marker counts is the whole line.
      expect(cut.length - m![0].length + Number(m![1])).toBe(whole.length);
      // Not a terminal (no width): nothing is cut.
      expect((await runCli(['ps', '--pid', String(pid), '--cmdline'])).stdout.split('\n')[1]).toBe(whole);
    } finally {
      proc.child.stdin?.end();
      await proc.exited();
    }
  });
});

// Forks a child that execs `sleep 300` and exits: the child becomes an orphan, re-parented
// to this subreaper. With setsid and a stray fd, the child is a daemon holding an fd that
// is not close-on-exec. Stdio of the orphan is /dev/null; every other fd is closed first.
const ORPHAN = (daemon: boolean) => `
import os
pid = os.fork()
if pid == 0:
    null = os.open('/dev/null', os.O_RDWR)
    for i in (0, 1, 2):
        os.dup2(null, i)
    os.closerange(3, 65536)  # whatever this test run itself inherited
    ${daemon ? "os.setsid()\n    keep = os.open('/dev/null', os.O_RDONLY)\n    os.dup2(keep, 9)" : 'pass'}
    os.execvp('sleep', ['sleep', '300'])
print(pid, flush=True)
`;

async function startOrphan(daemon: boolean): Promise<number> {
  const starter = spawnReporter(PYTHON, ['-c', ORPHAN(daemon)]);
  const [pid] = (await starter.lines(1)).map(Number);
  await starter.exited();
  await waitFor('re-parenting to this subreaper', () => ppidOf(pid) === process.pid);
  await waitFor('exec of sleep', () => commOf(pid) === 'sleep');
  // Just after the exec it is still starting up (its environment and arguments being set
  // up, then running to its sleep): read it once it sleeps.
  await waitFor('its sleep', () => stateLetter(pid) === 'S');
  return pid;
}

describe('a leaked orphan', () => {
  let pid: number;
  beforeAll(async () => {
    pid = await startOrphan(false);
  });
  afterAll(async () => {
    killPid(pid);
    await reapPid(pid);
  });

  test('orphans --json classifies it as a leaked orphan adopted by this subreaper, and exits 1', async () => {
    const r = await runCli(['orphans', '--json']);
    expect(r.code).toBe(1);
    const o = JSON.parse(r.stdout).orphans.find((x: { process: ProcJson }) => x.process.pid === pid);
    expect(o).toEqual(expect.objectContaining({ reparentedTo: 'subreaper', classification: 'leaked-orphan', basis: 'heuristic' }));
    expect(o.evidence).toEqual(expect.objectContaining({ sessionLeader: false, detached: false, stdioOnTerminal: false, lineage: null }));
  });

  test('the real bin finds it through --subreaper (a subreaper other than itself) and exits 1', async () => {
    const r = await runBin(['orphans', '--json', '--subreaper', String(process.pid)]);
    expect(r.code).toBe(1);
    const o = JSON.parse(r.stdout).orphans.find((x: { process: ProcJson }) => x.process.pid === pid);
    expect(o).toEqual(expect.objectContaining({ reparentedTo: 'subreaper', classification: 'leaked-orphan' }));
  });

  test('orphans (human) lists it with its class, basis and evidence', async () => {
    const r = await runCli(['orphans']);
    const row = r.stdout.split('\n').find((l) => l.trim().split(/\s+/)[0] === String(pid));
    expect(row?.trim().split(/\s+/)[1]).toBe(String(process.pid));
    expect(row).toMatch(/ subreaper +leaked-orphan +heuristic +sleep$/);
    expect(r.stdout).toMatch(new RegExp(`\\n${pid} sleep: leaked-orphan \\(heuristic\\): .+\\n  evidence: session leader no, `));
  });
});

describe('a daemon', () => {
  test('daemons --json lists it with its checks, the stray fd failing inherited-fds; exit 0', async () => {
    const pid = await startOrphan(true);
    try {
      const r = await runCli(['daemons', '--json']);
      expect(r.code).toBe(0);
      const d = JSON.parse(r.stdout).daemons.find((x: { process: ProcJson }) => x.process.pid === pid);
      expect(d).toEqual(expect.objectContaining({ classification: 'daemon', reparentedTo: 'subreaper' }));
      expect(d.checks.map((c: { id: string; passed: boolean }) => [c.id, c.passed])).toEqual([
        ['runs-as-root', process.getuid!() !== 0],
        ['controlling-terminal', true],
        ['inherited-fds', false],
      ]);
      expect(d.inheritableFds).toEqual([{ fd: 9, target: '/dev/null', flags: expect.any(Number), cloexec: false }]);
      const human = await runCli(['daemons']);
      expect(human.stdout).toContain('  FAIL  inherited-fds         fds without close-on-exec beyond 0..2: 9 -> /dev/null\n');
    } finally {
      killPid(pid);
      await reapPid(pid);
    }
  });
});

describe('the real bin', () => {
  test('exits 2 on a usage error, with the message on stderr', async () => {
    const r = await runBin(['ps', '--pid', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("unixproc ps: --pid: 'abc' is not a process id (a positive integer)");
  });

  test('exits 1 with the system error when the procfs root is not there', async () => {
    const r = await runBin(['zombies', '--procfs', '/nonexistent/unixproc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("unixproc zombies: open ENOENT '/nonexistent/unixproc'\n");
  });

  test('a reader that has gone away (ps | head) ends the output quietly: no stack trace, status kept', async () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');
    expect(await runBinIntoClosedPipe(PYTHON, ['ps', '--json', '--procfs', fixture, '--procfs-fixture'])).toEqual({ code: 0, stdout: '', stderr: '' });
    // zombies still exits 1 for the zombie it found, though nobody read the report.
    expect(await runBinIntoClosedPipe(PYTHON, ['zombies', '--procfs', fixture, '--procfs-fixture'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'unixproc zombies: note: 2 processes could not be read (hidepid or permissions) and were not examined\n',
    });
  });

  test('a stdout that cannot be written (/dev/full) is a failure: one line naming the error, exit 1', async () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const r = await runBin(['ps', '--procfs', path.join(__dirname, '..', 'fixtures', 'proc', 'tree'), '--procfs-fixture'], full);
      expect(r).toEqual({ code: 1, stdout: '', stderr: 'unixproc: stdout: ENOSPC: no space left on device, write\n' });
    } finally {
      fs.closeSync(full);
    }
  });

  test('ps lists this process with its parent', async () => {
    const r = await runBin(['ps', '--pid', String(process.pid)]);
    expect(r.code).toBe(0);
    const row = r.stdout.split('\n')[1].trim().split(/\s+/);
    expect(row.slice(0, 2)).toEqual([String(process.pid), String(process.ppid)]);
  });

  test('orphans does not list itself when it is an orphan (re-parented here while it waits)', async () => {
    // The bin waits on fd 3 (this test's pipe) until told to go, so that it is an orphan
    // of this subreaper when it scans; its output goes to a file.
    const out = path.join(os.tmpdir(), `unixproc-cli-self-${process.pid}.json`);
    const root = path.join(__dirname, '..', '..');
    const starter = spawnReporter(
      'sh',
      ['-c', 'exec 3<&0; { read go <&3; exec 3<&-; exec "$NODE" -r "$REG" "$MAIN" orphans --json --subreaper "$SUB"; } >"$OUT" 2>&1 </dev/null & echo $!'],
      {
        env: {
          ...process.env,
          NODE: process.execPath,
          REG: path.join(root, 'test', 'helpers', 'ts-register.js'),
          MAIN: path.join(root, 'lib', 'cli', 'main.ts'),
          SUB: String(process.pid),
          OUT: out,
        },
      },
    );
    const [pid] = (await starter.lines(1)).map(Number);
    await starter.exited();
    try {
      await waitFor('re-parenting to this subreaper', () => ppidOf(pid) === process.pid);
      starter.child.stdin?.end('go\n');
      const status = await reapPid(pid, 30000);
      const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(doc.orphans.map((o: { process: ProcJson }) => o.process.pid)).not.toContain(pid);
      // Its exit status still reflects the others (the machine's own orphans of init).
      const leaked = doc.orphans.some((o: { classification: string }) => o.classification === 'leaked-orphan');
      expect((status >> 8) & 0xff).toBe(leaked ? 1 : 0);
    } finally {
      killPid(pid);
      fs.rmSync(out, { force: true });
    }
  });

  test('orphans does not list the processes that run it (an ancestor adopted here, as a CI shell under a PID 1 is)', async () => {
    // The background subshell is adopted by this subreaper, then runs the bin as its child
    // (not exec: the subshell stays its parent and waits for it), so the orphan found is
    // the bin's own ancestor.
    const out = path.join(os.tmpdir(), `unixproc-cli-ancestor-${process.pid}.json`);
    const root = path.join(__dirname, '..', '..');
    const starter = spawnReporter(
      'sh',
      ['-c', 'exec 3<&0; { read go <&3; exec 3<&-; "$NODE" -r "$REG" "$MAIN" orphans --json --subreaper "$SUB"; exit $?; } >"$OUT" 2>&1 </dev/null & echo $!'],
      {
        env: {
          ...process.env,
          NODE: process.execPath,
          REG: path.join(root, 'test', 'helpers', 'ts-register.js'),
          MAIN: path.join(root, 'lib', 'cli', 'main.ts'),
          SUB: String(process.pid),
          OUT: out,
        },
      },
    );
    const [shell] = (await starter.lines(1)).map(Number);
    await starter.exited();
    try {
      await waitFor('re-parenting to this subreaper', () => ppidOf(shell) === process.pid);
      starter.child.stdin?.end('go\n');
      await reapPid(shell, 30000);
      const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(doc.orphans.map((o: { process: ProcJson }) => o.process.pid)).not.toContain(shell);
    } finally {
      killPid(shell);
      fs.rmSync(out, { force: true });
    }
  });
});
