// `unixproc top` on a real terminal: tmux (a server of our own per test, on its own
// socket) at 80x24 and 40x20, keys sent with send-keys, the screen read with capture-pane
// and polled until it shows what is expected. Processes with known names: a CPU burner, a
// memory holder with two named threads, a zombie held by its parent, and (this worker is
// a child subreaper) a leaked orphan re-parented here. Everything is reaped: the named
// processes by child_process or by pid, the shell by the tmux server (`exit`), the server
// by child_process after `kill-server`.
import * as path from 'node:path';
import { native } from '../../lib/native';
import { descendants } from '../../lib/proc';
import { becomeSubreaper, killPid, ppidOf, PYTHON, reapPid, spawnReporter, stateLetter, waitFor } from '../helpers/proc-spawn';
import type { Reporter } from '../helpers/proc-spawn';
import { haveTmux, Tmux, topScript } from '../helpers/tmux';
import { cellWidth } from '../../lib/cli/top-render';

const ROOT = path.join(__dirname, '..', '..');
const tmuxTest = haveTmux ? test : test.skip;
if (!haveTmux) console.warn('tmux not found: the top terminal tests are skipped');

const BURNER = `
open('/proc/self/comm', 'w').write('utop_cpu')
print('ready', flush=True)
while True:
    pass
`;

// 64 MiB written (so resident), and two threads that name themselves utop_thr.
const HOLDER = `
import sys, threading
open('/proc/self/comm', 'w').write('utop_mem')
data = b'x' * (64 << 20)
started = threading.Barrier(3)
def named():
    open('/proc/self/task/%d/comm' % threading.get_native_id(), 'w').write('utop_thr')
    started.wait()
    sys.stdin.readline()
for _ in range(2):
    threading.Thread(target=named, daemon=True).start()
started.wait()
print('ready', flush=True)
sys.stdin.readline()
`;

// Forks a child that names itself and exits at once; reaps it only when stdin closes.
const ZOMBIE_PARENT = `
import os, sys
open('/proc/self/comm', 'w').write('utop_zpar')
pid = os.fork()
if pid == 0:
    open('/proc/self/comm', 'w').write('utop_zomb')
    os._exit(0)
print(pid, flush=True)
sys.stdin.readline()
os.waitpid(pid, 0)
`;

// Forks a child that names itself and sleeps, then exits: the child is a leaked orphan,
// re-parented to this worker (a child subreaper).
const ORPHAN_MAKER = `
import os, sys, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    open('/proc/self/comm', 'w').write('utop_orph')
    os.write(w, b'x')
    time.sleep(600)
    os._exit(0)
os.close(w)
os.read(r, 1)
print(pid, flush=True)
`;

interface Workload {
  burner: Reporter;
  holder: Reporter;
  zparent: Reporter;
  zombie: number;
  pids: number[];
}

async function startWorkload(): Promise<Workload> {
  const burner = spawnReporter(PYTHON, ['-c', BURNER]);
  const holder = spawnReporter(PYTHON, ['-c', HOLDER]);
  const zparent = spawnReporter(PYTHON, ['-c', ZOMBIE_PARENT]);
  await burner.lines(1);
  await holder.lines(1);
  const zombie = Number((await zparent.lines(1))[0]);
  await waitFor('the zombie', () => stateLetter(zombie) === 'Z');
  return { burner, holder, zparent, zombie, pids: [burner.child.pid!, holder.child.pid!, zparent.child.pid!, zombie] };
}

async function stopWorkload(w: Workload): Promise<void> {
  w.burner.child.kill('SIGKILL');
  w.holder.child.stdin!.end();
  w.zparent.child.stdin!.end(); // it reaps its zombie, then exits
  await Promise.all([w.burner.exited(), w.holder.exited(), w.zparent.exited()]);
}

const SHELL_ENV = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', PS1: 'utop$ ', TERM: 'xterm-256color', LANG: 'C.UTF-8' };
  return env;
};

/** The table's rows on a screen: the lines after the heading (PID ... %CPU ... COMMAND). */
function tableRows(screen: readonly string[]): string[] {
  const h = screen.findIndex((l) => /\bPID\b.*%CPU.*COMMAND/.test(l));
  if (h === -1) return [];
  return screen.slice(h + 1).filter((l) => l.trim() !== '');
}

/** The pid of a row (the first number after the marker). */
function rowPid(row: string): number {
  return Number(/^.\s*(\d+)/.exec(row)![1]);
}

/** The names of the rows, in order, among `names`. */
function order(screen: readonly string[], names: readonly string[]): string[] {
  return tableRows(screen).map((r) => names.find((n) => r.includes(n)) ?? '?');
}

const NAMES = ['utop_cpu', 'utop_mem', 'utop_zpar', 'utop_zomb', 'utop_thr', 'utop_orph'];

let restore: () => void;
let script: ReturnType<typeof topScript>;
beforeAll(() => {
  restore = becomeSubreaper();
  script = topScript(ROOT);
});
afterAll(() => {
  restore();
  script.remove();
});

// Each test's terminal: started, and in the end ended cleanly (sh exits, the server is
// killed by its socket) with anything left under the server (a hung top) reaped by pid.
let term: Tmux | undefined;
async function openTerminal(columns: number, rows: number): Promise<Tmux> {
  term = new Tmux(columns, rows);
  await term.start(SHELL_ENV());
  return term;
}
afterEach(async () => {
  if (term === undefined) return;
  const t = term;
  term = undefined;
  let left: number[] = [];
  try {
    left = descendants(Number(t.display('#{pid}'))).map((p) => p.pid);
  } catch {
    // the server is gone already
  }
  await t.kill();
  for (const pid of left) {
    killPid(pid);
    // re-parented here (a subreaper) once the server has gone; gone already otherwise
    try {
      await reapPid(pid, 2000);
    } catch {
      expect(stateLetter(pid)).toBeUndefined();
    }
  }
});

/** Starts top in the pane (through the `t` script) and waits for its first frame (with `text`). */
async function startTop(t: Tmux, args: string, text = 'unixproc top'): Promise<string[]> {
  t.type(`PATH=${script.dir}:$PATH; t ${args}; echo top-exit=$?`);
  return t.waitFor('the first frame', (s) => s.includes('unixproc top') && /\bPID\b.*%CPU.*COMMAND/.test(s) && s.includes(text));
}

/** `line` without its SGR sequences (capture-pane -e). */
function plain(line: string): string {
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Asserts that no line of the pane, wrapped lines joined, is wider than the pane. */
function assertFits(t: Tmux, screen: readonly string[]): void {
  expect(screen.length).toBeLessThanOrEqual(t.rows);
  for (const line of screen) expect(cellWidth(line)).toBeLessThanOrEqual(t.columns);
}

/** `q` (or another key), then the shell again: top's exit status and the terminal restored. */
async function quitAndCheckRestored(t: Tmux, key: string | (() => void), status = 0): Promise<void> {
  if (typeof key === 'string') t.send(key);
  else key();
  const screen = await t.waitFor('top to exit', (s) => /top-exit=\d+/.test(s));
  expect(screen.join('\n')).toMatch(new RegExp(`top-exit=${status}\\b`));
  expect(screen.join('\n')).not.toContain('unixproc top');
  expect(t.display('#{alternate_on}')).toBe('0');
  expect(t.display('#{cursor_flag}')).toBe('1');
  // raw mode off: the terminal is canonical and echoes again
  t.type('stty -a | tr " " "\\n" | grep -x -e icanon -e -icanon -e echo -e -echo | tr "\\n" " "; echo');
  const stty = await t.waitFor('stty', (s) => /(^|\n)-?icanon -?echo/.test(s));
  expect(stty.join('\n')).toMatch(/(^|\n)icanon echo/);
  t.type('exit');
}

describe.each([
  [80, 24],
  [40, 20],
])('unixproc top at %ix%i', (columns, rows) => {
  let w: Workload;
  beforeEach(async () => {
    w = await startWorkload();
  });
  afterEach(async () => {
    await stopWorkload(w);
  });

  tmuxTest('shows the named processes, marks and colours the zombie, narrows to a name, sorts by the keys, fits, and q restores the terminal', async () => {
    const t = await openTerminal(columns, rows);
    let screen = await startTop(t, '-d 0.3');
    assertFits(t, screen);
    expect(tableRows(screen).length).toBeGreaterThan(0);

    // the name filter: / then the text and Enter
    t.send('/');
    t.send('-l', 'utop_');
    t.send('Enter');
    screen = await t.waitFor('only our rows', (s) => {
      const r = tableRows(s.split('\n'));
      return r.length === 4 && r.every((l) => l.includes('utop_'));
    });
    assertFits(t, screen);
    expect(new Set(order(screen, NAMES))).toEqual(new Set(['utop_cpu', 'utop_mem', 'utop_zpar', 'utop_zomb']));
    // sorted by %CPU by default: the burner first
    expect(order(screen, NAMES)[0]).toBe('utop_cpu');

    // the zombie: marked Z in the first column, [name] <defunct>, and in red
    const zrow = tableRows(screen).find((l) => l.includes('utop_zomb'))!;
    expect(zrow.startsWith('Z')).toBe(true);
    expect(rowPid(zrow)).toBe(w.zombie);
    expect(zrow).toMatch(/\[utop_zomb\]/);
    const coloured = await t.waitFor('the coloured zombie', (s) => s.includes('utop_zomb'), 5000, true);
    const zline = coloured.find((l) => l.includes('utop_zomb'))!;
    expect(zline).toContain('\x1b[31m');
    expect(coloured.find((l) => l.includes('utop_cpu'))).not.toContain('\x1b[31m');

    // M: by memory, the 64 MiB holder first and the zombie (no memory) last
    t.send('M');
    screen = await t.waitFor('sorted by memory', (s) => order(s.split('\n'), NAMES)[0] === 'utop_mem');
    expect(order(screen, NAMES)[3]).toBe('utop_zomb');
    // N: by pid, highest first
    t.send('N');
    const byPid = [...w.pids].sort((a, b) => b - a);
    screen = await t.waitFor('sorted by pid', (s) => tableRows(s.split('\n')).map(rowPid).join() === byPid.join());
    // R: reversed, lowest pid first
    t.send('R');
    screen = await t.waitFor('reversed', (s) => tableRows(s.split('\n')).map(rowPid).join() === [...byPid].reverse().join());
    // T: by CPU time, the burner first
    t.send('T');
    screen = await t.waitFor('sorted by time', (s) => order(s.split('\n'), NAMES)[0] === 'utop_cpu' && s.includes('TIME+ highest'));
    // P: back to %CPU
    t.send('P');
    screen = await t.waitFor('sorted by cpu', (s) => order(s.split('\n'), NAMES)[0] === 'utop_cpu' && s.includes('%CPU highest'));
    assertFits(t, screen);

    await quitAndCheckRestored(t, 'q');
  });

  tmuxTest('H shows the named threads, u filters by user, V draws the zombie under its parent, Ctrl-C quits and restores', async () => {
    const t = await openTerminal(columns, rows);
    await startTop(t, '-d 0.3 --name utop_', 'utop_cpu');
    t.send('H');
    let screen = await t.waitFor('two thread rows', (s) => tableRows(s.split('\n')).filter((l) => l.includes('utop_thr')).length === 2);
    assertFits(t, screen);
    t.send('H');
    screen = await t.waitFor('no thread rows', (s) => s.includes('utop_cpu') && !s.includes('utop_thr'));
    // u: an unknown user is said and changes nothing; another uid empties the table; = clears
    t.send('u');
    t.type('no_such_user_here');
    await t.waitFor('the unknown user message', (s) => s.includes("unknown user 'no_such_user_here'") && s.includes('utop_cpu'));
    t.send('u');
    t.type(String(process.getuid!() === 65534 ? 65533 : 65534));
    await t.waitFor('an empty table', (s) => /user 6553\d/.test(s) && tableRows(s.split('\n')).length === 0);
    t.send('u');
    t.send('Enter');
    await t.waitFor('the rows back', (s) => s.includes('utop_cpu') && !/user 6553\d/.test(s));
    t.send('V');
    screen = await t.waitFor('the tree', (s) => /`- \[utop_zomb/.test(s));
    const rowsNow = tableRows(screen);
    const z = rowsNow.findIndex((l) => l.includes('utop_zomb'));
    expect(rowsNow[z - 1]).toContain('utop_zpar');
    assertFits(t, screen);
    // = clears the name filter given by --name
    t.send('=');
    await t.waitFor('no name filter', (s) => s.includes('sort %CPU') && !s.includes('name ~'));
    await quitAndCheckRestored(t, 'C-c');
  });
});

describe('unixproc top on a terminal', () => {
  let w: Workload;
  beforeEach(async () => {
    w = await startWorkload();
  });
  afterEach(async () => {
    await stopWorkload(w);
  });

  tmuxTest('follows a resize from 80x24 to 40x20: no line is wider than the new size', async () => {
    const t = await openTerminal(80, 24);
    let screen = await startTop(t, '-d 0.3 --name utop_', 'utop_cpu');
    expect(screen.some((l) => l.includes('VIRT'))).toBe(true);
    t.resize(40, 20);
    // at 40 columns VIRT is dropped
    screen = await t.waitFor('the narrow frame', (s) => s.includes('utop_cpu') && !s.includes('VIRT'));
    const narrow = new Tmux(40, 20);
    assertFits(narrow, screen);
    await quitAndCheckRestored(t, 'q');
  });

  tmuxTest('SIGTERM from outside ends top with the terminal restored, exit status 143', async () => {
    const t = await openTerminal(80, 24);
    await startTop(t, '-d 0.3 --name utop_', 'utop_cpu');
    const shell = Number(t.display('#{pane_pid}'));
    const [top] = descendants(shell).filter((p) => p.comm === 'node');
    await quitAndCheckRestored(t, () => process.kill(top.pid, 'SIGTERM'), 143);
  });

  tmuxTest('Ctrl-Z gives the terminal back and stops top as a job; fg draws it again; q then quits', async () => {
    const t = await openTerminal(80, 24);
    t.type(`PATH=${script.dir}:$PATH; t -d 0.3 --name utop_`);
    await t.waitFor('the first frame', (s) => s.includes('utop_cpu'));
    t.send('C-z');
    await t.waitFor('the stopped job', (s) => /Stopped/.test(s) && !s.includes('unixproc top'));
    expect(t.display('#{alternate_on}')).toBe('0');
    expect(t.display('#{cursor_flag}')).toBe('1');
    t.type('fg');
    await t.waitFor('top again', (s) => s.includes('unixproc top') && s.includes('utop_cpu'));
    expect(t.display('#{alternate_on}')).toBe('1');
    t.send('q');
    await t.waitFor('the shell', (s) => !s.includes('unixproc top') && /^utop\$\s*$/m.test(s));
    expect(t.display('#{alternate_on}')).toBe('0');
    t.type('exit');
  });

  tmuxTest('-n 2 on a terminal exits by itself, status 0, with the terminal restored', async () => {
    const t = await openTerminal(40, 20);
    await quitAndCheckRestored(t, () => t.type(`PATH=${script.dir}:$PATH; t -n 2 -d 0.3 --name utop_; echo top-exit=$?`));
  });

  tmuxTest('-b on a 40-column terminal prints one plain snapshot cut to the width, no colour, and exits 0', async () => {
    const t = await openTerminal(40, 20);
    t.type(`PATH=${script.dir}:$PATH; t -b -n 1 --name utop_; echo top-exit=$?`);
    const screen = await t.waitFor('the snapshot', (s) => /top-exit=\d+/.test(s), 20000, true);
    expect(screen.join('\n')).toMatch(/top-exit=0\b/);
    expect(t.display('#{alternate_on}')).toBe('0');
    const zline = screen.find((l) => l.includes('utop_zomb'))!;
    expect(zline.startsWith('Z')).toBe(true);
    expect(screen.join('\n')).not.toMatch(/\x1b\[(3\d|7)m/);
    const plainScreen = t.capture();
    const from = plainScreen.findIndex((l) => l.startsWith('unixproc top'));
    const to = plainScreen.findIndex((l) => l.startsWith('top-exit='));
    expect(to - from).toBeGreaterThan(5);
    for (const line of plainScreen.slice(from, to)) expect(cellWidth(line)).toBeLessThanOrEqual(40);
    t.type('exit');
  });

  tmuxTest('with NO_COLOR the zombie is marked but not coloured', async () => {
    const t = await openTerminal(80, 24);
    t.type(`PATH=${script.dir}:$PATH; NO_COLOR=1 t -d 0.3 --name utop_; echo top-exit=$?`);
    const screen = await t.waitFor('the frame', (s) => s.includes('utop_zomb') && s.includes('utop_cpu'), 20000, true);
    const zline = screen.find((l) => l.includes('utop_zomb'))!;
    expect(plain(zline).startsWith('Z')).toBe(true);
    expect(screen.join('\n')).not.toMatch(/\x1b\[(3\d|7)m/);
    await quitAndCheckRestored(t, 'q');
  });

  tmuxTest('a leaked orphan is marked O and coloured, and counted in the header', async () => {
    const maker = spawnReporter(PYTHON, ['-c', ORPHAN_MAKER]);
    const orphan = Number((await maker.lines(1))[0]);
    await maker.exited();
    try {
      const self = native<{ getpid(): number }>().getpid();
      await waitFor('the orphan re-parented here', () => ppidOf(orphan) === self);
      const t = await openTerminal(80, 24);
      await startTop(t, `-d 0.3 --name utop_ --subreaper ${self}`, 'utop_cpu');
      const screen = await t.waitFor('the orphan row', (s) => s.includes('utop_orph'), 20000, true);
      const oline = screen.find((l) => l.includes('utop_orph'))!;
      expect(plain(oline).startsWith('O')).toBe(true);
      expect(oline).toContain('\x1b[33m');
      expect(screen.join('\n')).toMatch(/[1-9]\d* orphan/);
      await quitAndCheckRestored(t, 'q');
    } finally {
      killPid(orphan);
      await reapPid(orphan);
    }
  });
});
