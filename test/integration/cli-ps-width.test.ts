// `unixproc ps` on terminals 40 and 80 columns wide: no line longer than the terminal,
// COMMAND cut last with its marker, optional columns dropped before; --wide cuts nothing.
// In-process (a stdout that says it is a terminal that wide) and, once, the real bin in a
// real tmux terminal. Also the usage errors of the new options, --version and `help`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { PS_COLUMN_NAMES } from '../../lib/cli/ps-columns';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

// A process of this test's own with a command line longer than any terminal here: the
// machine's pid 1 may be short (`bash .ci/run` as PID 1 of CI's pid namespace).
let long: ChildProcess;
beforeAll(async () => {
  long = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(300)', `unixproc-ps-width-${'x'.repeat(150)}`], { stdio: 'ignore' });
  await new Promise((resolve) => long.once('spawn', resolve));
});
afterAll(async () => {
  const gone = new Promise((resolve) => long.once('exit', resolve));
  long.kill('SIGKILL');
  await gone;
});
const longPid = (): string => String(long.pid);
const headings = (s: string): string[] => lines(s)[0].trim().split(/\s+/);

describe.each([40, 80])('on a %i-column terminal', (width) => {
  test.each([[['ps']], [['ps', 'aux']], [['ps', '-ef']], [['ps', '--cmdline']], [['ps', '-o', 'pid,user,vsz,rss,lstart,etime,args']]])(
    '%j writes no line longer than the terminal',
    async (argv) => {
      const r = await runCli(argv, width);
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out.length).toBeGreaterThan(3);
      // stdout is escaped already: one character a column
      expect(out.filter((l) => l.length > width)).toEqual([]);
    },
  );

  test('ps keeps PID first and COMMAND last, and shows each process\'s pid', async () => {
    const r = await runCli(['ps', '--pid', String(process.pid)], width);
    const h = headings(r.stdout);
    expect([h[0], h[h.length - 1]]).toEqual(['PID', 'COMMAND']);
    expect(lines(r.stdout)[1].trim().split(/\s+/)[0]).toBe(String(process.pid));
  });

  test('ps aux keeps PID, %CPU and COMMAND whatever the width', async () => {
    const h = headings((await runCli(['ps', 'aux'], width)).stdout);
    expect(h).toEqual(expect.arrayContaining(['PID', '%CPU', 'COMMAND']));
  });

  test('a cut COMMAND ends in the ...[+N] marker, and N is what was left out', async () => {
    const cut = lines((await runCli(['ps', '-f', '-p', longPid()], width)).stdout)[1];
    const whole = lines((await runCli(['ps', '-f', '-p', longPid(), '--wide'], width)).stdout)[1];
    expect(whole.length).toBeGreaterThan(width);
    if (whole.length > width) {
      const m = /\.\.\.\[\+(\d+)\]$/.exec(cut);
      expect(m).not.toBeNull();
      expect(cut.length).toBe(width);
    } else {
      expect(cut).toBe(whole);
    }
  });
});

test('on a 40-column terminal optional columns go, in order: ps keeps PID, PPID, STAT and COMMAND', async () => {
  // Which of the optional ones still fit depends on the widest pid here (a pid namespace has
  // short ones); the default set cannot fit 40 columns with its headings alone.
  const all = ['PID', 'PPID', 'PGID', 'SID', 'TTY', 'STAT', 'TIME', 'COMMAND'];
  const kept = headings((await runCli(['ps'], 40)).stdout);
  expect(kept).toEqual(expect.arrayContaining(['PID', 'PPID', 'STAT', 'COMMAND']));
  expect(all.filter((h) => kept.includes(h))).toEqual(kept);
  expect(kept.length).toBeLessThan(all.length);
});

test('on an 80-column terminal ps keeps every default column', async () => {
  expect(headings((await runCli(['ps'], 80)).stdout)).toEqual(['PID', 'PPID', 'PGID', 'SID', 'TTY', 'STAT', 'TIME', 'COMMAND']);
});

test('columns named with -o that do not fit are left out from the right, and a note says which', async () => {
  const r = await runCli(['ps', '-o', 'pid,user,vsz,rss,lstart,etime,args'], 40);
  expect(r.stderr).toMatch(/^unixproc ps: note: left out [a-z,]*lstart[a-z,]* to fit 40 columns \(--wide shows every column\)\n$/);
  expect(headings(r.stdout)[0]).toBe('PID');
});

test('-e and BSD ax select every process: a -p beside them adds nothing, as procps', async () => {
  const me = String(process.pid);
  // Every process: at least this one, its parent and the long one, whatever -p says.
  for (const argv of [['-ef', '-p', me], ['aux', '-p', me]]) {
    const rows = lines((await runCli(['ps', ...argv])).stdout).slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.some((l) => l.split(/\s+/)[1] === longPid())).toBe(true);
  }
  expect(lines((await runCli(['ps', 'u', '-p', me])).stdout)).toHaveLength(2);
  expect(lines((await runCli(['ps', '-f', '-p', me])).stdout)).toHaveLength(2);
});

test('--wide cuts nothing and drops nothing', async () => {
  const r = await runCli(['ps', 'aux', '--wide'], 40);
  expect(headings(r.stdout)).toEqual(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
  expect(r.stdout).not.toMatch(/\.\.\.\[\+\d+\]$/m);
  expect(lines(r.stdout).some((l) => l.length > 40)).toBe(true);
});

const haveTmux = spawnSync('tmux', ['-V']).status === 0;
(haveTmux ? test.each([40, 80]) : test.skip.each([40, 80]))('the real bin in a real %i-column tmux terminal writes no line that wraps', (cols) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-ps-tmux-'));
  const socket = path.join(dir, 'sock');
  const done = path.join(dir, 'done');
  const root = path.join(__dirname, '..', '..');
  const bin = `${process.execPath} -r ${root}/test/helpers/ts-register.js ${root}/lib/cli/main.ts`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-S', socket, ...a], { encoding: 'utf8' });
  try {
    const start = tmux('new-session', '-d', '-x', String(cols), '-y', '200', `${bin} ps u -p ${longPid()},${process.pid} --ppid ${process.pid}; touch ${done}; sleep 60`);
    expect(start.status).toBe(0);
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(done) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    expect(fs.existsSync(done)).toBe(true);
    // -J joins wrapped lines: a line longer than the pane would come back longer than the pane
    const pane = tmux('capture-pane', '-p', '-J').stdout.split('\n').filter((l) => l.trim() !== '');
    expect(pane[0].trim().split(/\s+/)).toEqual(expect.arrayContaining(['PID', '%CPU', 'COMMAND']));
    expect(pane.length).toBeGreaterThanOrEqual(3);
    expect(pane.some((l) => new RegExp(`^\\S+ +${longPid()} .*\\.\\.\\.\\[\\+\\d+\\]$`).test(l))).toBe(true);
    expect(pane.filter((l) => l.length > cols)).toEqual([]);
  } finally {
    tmux('kill-server');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('usage errors exit 2 naming the valid choices', () => {
  const known = PS_COLUMN_NAMES.join(' ');
  test.each([
    [['-o', 'pid,bogus'], `unixproc ps: -o: unknown column 'bogus' (known: ${known})`],
    [['--sort', '-bogus'], `unixproc ps: --sort: unknown sort key 'bogus' (known: ${known})`],
    [['--interval', 'soon'], "unixproc ps: --interval: 'soon' is not a number of milliseconds from 0 to 60000"],
    [['--interval', '60001'], "unixproc ps: --interval: '60001' is not a number of milliseconds from 0 to 60000"],
    [['-u', 'no-such-user-here'], "unixproc ps: -u: no user 'no-such-user-here' (a user name from the user database, or a numeric uid)"],
    [['--ppid', 'x'], "unixproc ps: --ppid: 'x' is not a process id (a positive integer)"],
    [['-C', ''], 'unixproc ps: -C needs command names, e.g. -C sshd,bash'],
    [['-aux'], "unixproc ps: '-aux' is not an option: for BSD ps's every-process view, type 'aux' without the dash"],
    [['axf'], "unixproc ps: BSD-style option 'f' (in 'axf') is not supported; the BSD letters known here are a, u, x and w (ps aux, ps ax, ps ux, ps auxww)"],
    [['-f', '-o', 'pid'], 'unixproc ps: -o chooses the columns; it does not combine with -f (ask for args, or cmd, in -o)'],
    [['aux', '-f'], 'unixproc ps: BSD u and -f are two formats: choose one'],
    [['--summary', '-o', 'pid'], 'unixproc ps: --summary counts every process; it does not combine with --format'],
    [['-e', 'extra'], "unixproc ps: unexpected argument 'extra'"],
  ])('ps %j', async (argv, message) => {
    const r = await runCli(['ps', ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(message);
  });
});

describe('--version and help', () => {
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

  test('--version prints package.json\'s version, alone or after a command', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `unixproc ${version}\n`, stderr: '' });
    expect(await runCli(['ps', '--version'])).toEqual({ code: 0, stdout: `unixproc ${version}\n`, stderr: '' });
  });

  test.each(['ps', 'tree', 'zombies', 'orphans', 'daemons', 'guard', 'supervise'])('help %s prints what %s --help prints', async (name) => {
    const viaHelp = await runCli(['help', name]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(new RegExp(`^usage: unixproc ${name}`));
    expect(viaHelp.stdout).toBe((await runCli([name, '--help'])).stdout);
  });

  test('help of an unknown command is a usage error listing the commands', async () => {
    const r = await runCli(['help', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^unixproc help: unknown command 'nope'\n\nusage: unixproc <command>/);
    expect(r.stderr).toContain('\n  ps ');
  });
});
