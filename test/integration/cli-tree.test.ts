// `unixproc tree` on real process trees built here, against the real `pstree` (Debian's
// psmisc) for the same root: the same structure, order and compaction, in each of pstree's
// layouts; the zombie, leaked-orphan and daemon marks; and the Graphviz pictures, rendered
// by the real `dot`. This process becomes a child subreaper, so whatever the trees leave
// when they are killed (their children, the zombies) is re-parented here and reaped here by pid.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBin, runCli } from '../helpers/cli-run';
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

/** Polls `check` (async) every 20 ms until it is true; throws after `ms`, with the last value seen. */
async function until(what: string, check: () => Promise<boolean>, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every pid of the tree under `root` (itself included), from `unixproc tree --json`. */
async function pidsUnder(root: number): Promise<number[]> {
  interface Node {
    process: { pid: number };
    children: Node[];
  }
  const doc = JSON.parse((await runCli(['tree', '--json', String(root)])).stdout) as { roots: Node[] };
  const out: number[] = [];
  for (const stack = [...doc.roots]; stack.length > 0; ) {
    const n = stack.pop()!;
    out.push(n.process.pid);
    stack.push(...n.children);
  }
  return out;
}

/**
 * Kills the tree's process group and reaps it: the shell by child_process, the rest here.
 * Everything is stopped first, then killed: a shell still running while its children die
 * would reap them itself (its `wait`), and they would never reach this subreaper.
 */
async function endTree(shell: ChildProcess, pids: readonly number[]): Promise<void> {
  const exited = new Promise((r) => (shell.exitCode !== null ? r(undefined) : shell.once('exit', r)));
  process.kill(-shell.pid!, 'SIGSTOP');
  await waitFor('the whole tree stopped', () => pids.every((p) => ['T', 'Z'].includes(stateLetter(p) ?? 'gone')), 30000);
  process.kill(-shell.pid!, 'SIGKILL');
  for (const p of pids) killPid(p);
  await exited;
  // A generous deadline: on a loaded machine the re-parenting of a killed tree can take seconds.
  for (const p of pids) if (p !== shell.pid) await reapPid(p, 30000);
}

function pstree(args: readonly string[]): string {
  const r = spawnSync('pstree', ['-l', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pstree ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return r.stdout;
}

// A shell with three identical sleeps, two identical subshells of two sleeps each, and a
// python3 holding two zombies (`true`, never waited for) and three extra threads. One line,
// no backslash and no control character, so that pstree -a and unixproc tree -a print the
// same arguments.
const CODE =
  'import subprocess,threading,time; ps=[subprocess.Popen(["true"]) for _ in range(2)]; ' +
  '[threading.Thread(target=time.sleep,args=(1000,),daemon=True).start() for _ in range(3)]; time.sleep(1000)';
const SHELL =
  'sleep 1000 & sleep 1000 & sleep 1000 & ( sleep 1000 & sleep 1000 & wait ) & ( sleep 1000 & sleep 1000 & wait ) & ' +
  '( exec -a python3 "$PY" -c "$CODE" ) & wait';
const PY_COMM = path.basename(PYTHON).slice(0, 15);

const EXPECTED = [
  'bash-+-2*[bash---2*[sleep]]',
  `     |-${PY_COMM}-+-2*[true <defunct>]`,
  `     |${' '.repeat(PY_COMM.length + 2)}\`-3*[{${PY_COMM}}]`,
  '     `-3*[sleep]',
  '',
].join('\n');

describe('a shell with identical sleeps, subshells, threads and zombies', () => {
  let shell: ChildProcess;
  let root: number;
  let pids: number[] = [];

  beforeAll(async () => {
    shell = spawn('bash', ['-c', SHELL], { stdio: 'ignore', detached: true, env: { ...process.env, PY: PYTHON, CODE } });
    root = shell.pid!;
    // Settled once every fork has exec'd and the zombies are there: the drawing is then stable.
    await until('the tree to settle', async () => (await runCli(['tree', '-A', String(root)])).stdout === EXPECTED);
    pids = await pidsUnder(root);
  });

  afterAll(async () => {
    await endTree(shell, pids);
  });

  test('is drawn as pstree draws it: N*[name] for identical subtrees, {threads}, zombies marked', async () => {
    const r = await runCli(['tree', '-A', String(root)]);
    expect(r).toEqual({ code: 0, stdout: EXPECTED, stderr: '' });
    expect(pids).toHaveLength(1 + 3 + 2 * 3 + 1 + 2);
  });

  // pstree has no zombie mark: drop ours, and the rest must be pstree's output to the byte.
  const plain = (s: string): string => s.replace(/ <defunct>/g, '');
  test.each([[['-A']], [['-A', '-p']], [['-A', '-c']], [['-A', '-n']], [['-A', '-T']], [['-U']], [['-U', '-p', '-n']], [['-A', '-p', '-T']]])(
    'unixproc tree %j is the real pstree with the same options, for the same root',
    async (flags) => {
      const ours = await runCli(['tree', ...flags, String(root)]);
      expect(ours.code).toBe(0);
      expect(plain(ours.stdout)).toBe(pstree([...flags, String(root)]));
    },
  );

  test('-a lays processes out one per line as pstree -a does (a zombie: [name] <defunct> here, (name) there)', async () => {
    const ours = await runCli(['tree', '-A', '-a', String(root)]);
    expect(ours.stdout.replace(/\[(\w+)\] <defunct>/g, '($1)')).toBe(pstree(['-A', '-a', String(root)]));
    const withPids = await runCli(['tree', '-A', '-a', '-p', String(root)]);
    expect(withPids.stdout.replace(/\[(\w+)\],(\d+) <defunct>/g, '($1,$2)')).toBe(pstree(['-A', '-a', '-p', String(root)]));
    expect(ours.stdout.split('\n')[0]).toBe(`bash -c ${SHELL}`);
  });

  test('box drawing is the default on a terminal with a UTF-8 locale, ASCII with another locale', async () => {
    const saved = process.env.LC_ALL;
    try {
      process.env.LC_ALL = 'C.UTF-8';
      expect((await runCli(['tree', String(root)], 200)).stdout).toBe(pstree(['-U', String(root)]).replace(/(true)\]/g, '$1 <defunct>]'));
      process.env.LC_ALL = 'C';
      expect((await runCli(['tree', String(root)], 200)).stdout).toBe(EXPECTED);
      process.env.LC_ALL = 'C.UTF-8';
      // not a terminal: ASCII, as pstree
      expect((await runCli(['tree', String(root)])).stdout).toBe(EXPECTED);
    } finally {
      if (saved === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved;
    }
  });

  test('--dot draws every process once, the zombies as zombies, and renders to PNG with the real dot', async () => {
    const r = await runCli(['tree', '--dot', String(root)]);
    expect(r.code).toBe(0);
    const nodes = r.stdout.split('\n').filter((l) => /^ {2}p\d+ \[/.test(l));
    expect(nodes.map((l) => Number(/^ {2}p(\d+)/.exec(l)![1])).sort((a, b) => a - b)).toEqual([...pids].sort((a, b) => a - b));
    expect(nodes.filter((l) => l.includes(', Z, zombie", shape=octagon'))).toHaveLength(2);
    expect(r.stdout).toMatch(new RegExp(`label="${PY_COMM}\\\\npid \\d+, S, 4 threads"`));
    const png = path.join(os.tmpdir(), `unixproc-tree-${process.pid}.png`);
    try {
      const d = spawnSync('dot', ['-Tpng', '-o', png], { input: r.stdout, encoding: 'utf8' });
      expect([d.status, d.stderr]).toEqual([0, '']);
      const bytes = fs.readFileSync(png);
      expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(bytes.length).toBeGreaterThan(1000);
    } finally {
      fs.rmSync(png, { force: true });
    }
  });

  test('--svg is the picture drawn by dot -Tsvg', async () => {
    const r = await runBin(['tree', '--svg', String(root)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?>\n/);
    expect(r.stdout).toContain('<title>unixproc tree</title>');
    expect(r.stdout.match(/<text [^>]*>pid \d+, Z, zombie<\/text>/g)).toHaveLength(2);
    expect(r.stdout).toContain('>zombie (Z): exited, its parent has not waited for it</text>');
  });

  test('--svg without Graphviz is a one-line error naming the package, exit 1', async () => {
    const saved = process.env.PATH;
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-nodot-'));
    try {
      process.env.PATH = empty;
      const r = await runCli(['tree', '--svg', String(root)]);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: "unixproc tree: --svg needs Graphviz's dot, which is not installed (Debian/Ubuntu: apt-get install graphviz); --dot prints the DOT text without it\n",
      });
    } finally {
      process.env.PATH = saved;
      fs.rmdirSync(empty);
    }
  });
});

// Forks a child that execs `sleep 300` and exits, so the child is re-parented to this
// subreaper: left in its session it is a leaked orphan; with setsid() first, a daemon.
const ORPHAN = (daemon: boolean) => `
import os
pid = os.fork()
if pid == 0:
    null = os.open('/dev/null', os.O_RDWR)
    for i in (0, 1, 2):
        os.dup2(null, i)
    os.closerange(3, 65536)
    ${daemon ? 'os.setsid()' : 'pass'}
    os.execvp('sleep', ['sleep', '300'])
print(pid, flush=True)
`;

async function startOrphan(daemon: boolean): Promise<number> {
  const starter = spawnReporter(PYTHON, ['-c', ORPHAN(daemon)]);
  const [pid] = (await starter.lines(1)).map(Number);
  await starter.exited();
  await waitFor('re-parenting to this subreaper', () => ppidOf(pid) === process.pid);
  await waitFor('exec of sleep', () => commOf(pid) === 'sleep');
  await waitFor('its sleep', () => stateLetter(pid) === 'S');
  return pid;
}

describe('an orphan and a daemon re-parented to this subreaper', () => {
  let leaked: number;
  let daemon: number;
  beforeAll(async () => {
    leaked = await startOrphan(false);
    daemon = await startOrphan(true);
  });
  afterAll(async () => {
    for (const p of [leaked, daemon]) killPid(p);
    for (const p of [leaked, daemon]) await reapPid(p);
  });

  test('the text tree marks the leaked orphan <orphan> and leaves the daemon unmarked', async () => {
    const r = await runCli(['tree', '-A', '-p', String(process.pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`[-\`]sleep\\(${leaked}\\) <orphan>\\n`));
    expect(r.stdout).toMatch(new RegExp(`[-\`]sleep\\(${daemon}\\)\\n`));
  });

  test('the real bin finds them through --subreaper, and --dot draws them as leaked orphan and daemon', async () => {
    const text = await runBin(['tree', '-A', '-p', '--subreaper', String(process.pid), String(process.pid)]);
    expect(text.stdout).toMatch(new RegExp(`[-\`]sleep\\(${leaked}\\) <orphan>\\n`));
    const r = await runBin(['tree', '--dot', '--subreaper', String(process.pid), String(process.pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  p${leaked} [label="sleep\\npid ${leaked}, S, leaked orphan", shape=box, style="rounded,filled,dashed"`);
    expect(r.stdout).toContain(`  p${daemon} [label="sleep\\npid ${daemon}, S, daemon", shape=box, style="rounded,filled,bold"`);
    expect(r.stdout).toContain(`  p${process.pid} -> p${leaked};\n`);
    expect(r.stdout).toMatch(/legend_leaked_orphan \[label="leaked orphan: .*legend_daemon \[label="daemon: /s);
  });
});

// A comm with a double quote, a backslash, a newline and a right-to-left override: each
// would break a DOT label or reorder the picture's text if written raw.
const HOSTILE = 'a"b\\c\nd\u202e';
const RENAME = `
import sys
open('/proc/self/comm', 'w').write(sys.argv[1])
print('ready', flush=True)
sys.stdin.read()
`;

describe('a process with a hostile name in the picture', () => {
  let proc: ReturnType<typeof spawnReporter>;
  let pid: number;
  beforeAll(async () => {
    proc = spawnReporter(PYTHON, ['-c', RENAME, HOSTILE]);
    await proc.lines(1);
    pid = proc.child.pid!;
    await waitFor('it asleep in read', () => stateLetter(pid) === 'S' && commOf(pid) !== path.basename(PYTHON));
  });
  afterAll(async () => {
    proc.child.stdin?.end();
    await proc.exited();
  });

  test('--dot writes it as escaped text, --svg shows that text, and the DOT renders to PNG', async () => {
    const r = await runCli(['tree', '--dot', String(pid)]);
    expect(r.stdout).toContain(String.raw`  p${pid} [label="a\"b\\\\c\\nd\\u202e\npid ${pid}, S", `);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const png = spawnSync('dot', ['-Tpng'], { input: r.stdout });
    expect(png.status).toBe(0);
    expect(png.stdout.subarray(0, 8)).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'));
    expect(png.stdout.length).toBeGreaterThan(0);
    const svg = await runCli(['tree', '--svg', String(pid)]);
    expect(svg.stdout).toContain(String.raw`>a&quot;b\\c\nd\u202e</text>`);
    expect(svg.stdout).not.toContain('\u202e');
  });

  test('the text tree writes it escaped, as every human line', async () => {
    expect((await runCli(['tree', String(pid)])).stdout).toBe('a"b\\\\c\\nd\\u202e\n');
  });
});
