// `unixproc top` when stdout is not a terminal: plain snapshots (no escape sequence at all),
// on real processes (a named sleeper and a zombie held by its parent), and its usage errors.
// The full-screen side is tested under tmux (cli-top-tmux.test.ts).
import { runBin, runCli } from '../helpers/cli-run';
import { PYTHON, spawnReporter, stateLetter, waitFor } from '../helpers/proc-spawn';
import type { Reporter } from '../helpers/proc-spawn';

const ZOMBIE_PARENT = `
import os, sys
open('/proc/self/comm', 'w').write('usnap_par')
pid = os.fork()
if pid == 0:
    open('/proc/self/comm', 'w').write('usnap_zomb')
    os._exit(0)
print(pid, flush=True)
sys.stdin.readline()
os.waitpid(pid, 0)
`;

let parent: Reporter;
let zombie: number;
beforeAll(async () => {
  parent = spawnReporter(PYTHON, ['-c', ZOMBIE_PARENT]);
  zombie = Number((await parent.lines(1))[0]);
  await waitFor('the zombie', () => stateLetter(zombie) === 'Z');
});
afterAll(async () => {
  parent.child.stdin!.end(); // it reaps its zombie, then exits
  await parent.exited();
});

/** The rows of one snapshot: the lines after its heading. */
function rowsOf(snapshot: string): string[] {
  const lines = snapshot.split('\n');
  const h = lines.findIndex((l) => /\bPID\b.*%CPU.*COMMAND/.test(l));
  return lines.slice(h + 1).filter((l) => l !== '');
}

describe('unixproc top on a pipe', () => {
  test('-n 2 prints two snapshots separated by an empty line, with no escape sequence, each row whole', async () => {
    const r = await runBin(['top', '-n', '2', '-d', '0.1', '--name', 'usnap_']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\x1b/);
    const snapshots = r.stdout.split(/\n\n(?=unixproc top )/);
    expect(snapshots).toHaveLength(2);
    for (const s of snapshots) {
      expect(s).toMatch(/^unixproc top \d\d:\d\d:\d\d/);
      expect(s).toMatch(/\bTasks: \d+ total, .*\d+ zombie/);
      const rows = rowsOf(s);
      expect(rows).toHaveLength(2);
      const z = rows.find((l) => l.includes('usnap_zomb'))!;
      expect(z.startsWith('Z')).toBe(true);
      expect(z).toContain('[usnap_zomb] <defunct>');
      expect(Number(/^Z\s+(\d+)/.exec(z)![1])).toBe(zombie);
      expect(rows.find((l) => l.includes('usnap_par'))!.startsWith(' ')).toBe(true);
    }
  });

  test('without -n one snapshot, with every column (no width limit on a pipe)', async () => {
    const r = await runCli(['top', '--name', 'usnap_']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^unixproc top /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/ +PID USER +PR +NI +VIRT +RES S +%CPU +%MEM +TIME\+ COMMAND\n/);
    expect(r.stdout).toMatch(/%CPU over 0\.\ds/);
  });

  test('-p shows only that process; -o sorts by another field; --tree draws the zombie under its parent', async () => {
    const p = await runCli(['top', '-p', String(zombie)]);
    expect(rowsOf(p.stdout)).toHaveLength(1);
    expect(rowsOf(p.stdout)[0]).toContain('usnap_zomb');
    const byPid = await runCli(['top', '--name', 'usnap_', '-o', '+pid']);
    expect(rowsOf(byPid.stdout).map((l) => (l.includes('usnap_par') ? 'par' : 'zomb'))).toEqual(['par', 'zomb']);
    expect(byPid.stdout).toContain('sort PID lowest first');
    const tree = await runCli(['top', '--name', 'usnap_', '--tree']);
    const rows = rowsOf(tree.stdout);
    expect(rows[0]).toMatch(/ usnap_par$/);
    expect(rows[1]).toMatch(/ `- \[usnap_zomb\] <defunct>$/);
  });

  test('-u keeps only the processes of that user (a name or a uid)', async () => {
    const me = process.getuid!();
    const mine = await runCli(['top', '--name', 'usnap_', '-u', String(me)]);
    expect(rowsOf(mine.stdout)).toHaveLength(2);
    const other = await runCli(['top', '--name', 'usnap_', '-u', String(me === 65534 ? 65533 : 65534)]);
    expect(other.code).toBe(0);
    expect(rowsOf(other.stdout)).toEqual([]);
  });

  test('a pid given to -p that does not exist: exit 1 and a one-line message', async () => {
    const r = await runCli(['top', '-p', '2147483647']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('unixproc top: no process 2147483647\n');
  });

  test.each([
    [['-d', '0'], "--delay: '0' is not a number of seconds from 0.1 to 3600"],
    [['-d', 'soon'], "--delay: 'soon' is not a number of seconds from 0.1 to 3600"],
    [['-n', '0'], "--iterations: '0' is not a positive integer"],
    [['-o', 'nope'], "unknown sort field 'nope' (fields: pid, user, pr, ni, virt, res, s, cpu, mem, time, command)"],
    [['-u', 'no_such_user_here'], "--user: no user 'no_such_user_here' (a user name or a uid)"],
    [['-p', 'abc'], "--pid: 'abc' is not a process id (a positive integer)"],
    [['--bogus'], 'unknown option --bogus'],
    [['extra'], "unexpected argument 'extra'"],
  ])('usage error %j: exit 2 naming the valid choices', async (argv, message) => {
    const r = await runCli(['top', ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`unixproc top: ${message}`);
  });

  test('--help lists every flag and key; unixproc --help lists top', async () => {
    const r = await runCli(['top', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--delay', '--iterations', '--pid', '--user', '--sort', '--threads', '--cmdline', '--tree', '--name', '--kernel', '--subreaper', '--batch']) {
      expect(r.stdout).toContain(flag);
    }
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}top {8}/m);
  });
});
