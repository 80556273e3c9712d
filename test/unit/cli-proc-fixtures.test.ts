// The /proc subcommands on fixture trees (--procfs): exact human output, the JSON shape,
// exit codes, and usage errors. The tree is test/fixtures/proc/tree (make-fixtures.py
// describes every process); a second, tiny tree is written here for the "nothing found"
// exit codes. TIME assumes CLK_TCK 100, as on every Linux.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';

const procfs = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');
const at = ['--procfs', procfs, '--procfs-fixture'];

describe('unixproc ps --procfs (fixture tree)', () => {
  test('prints the table in pid order, kernel threads hidden, unreadable entries with ? fields', async () => {
    const r = await runCli(['ps', ...at]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'PID  PPID  PGID  SID  TTY      STAT       TIME  COMMAND',
        '  1     0     1    1  ?        Ss     00:00:02  init',
        '100     1   100  100  ?        Ss     00:00:02  x) Z 1 (y',
        '101   100   100  100  ?        R      00:00:02  a?b c',
        '102   100   100  100  ?        Z      00:00:02  [defunct] <defunct>',
        '103     1   103  103  ?        Qs     00:00:02  odd',
        '105     ?     ?    ?  ?        ?             ?  ? (unreadable: EISDIR)',
        '106     1   106  106  pts/3    SNsl+  00:00:03  worker',
        '107     1   107  107  ttyS0    Ss+    00:00:02  getty',
        '108     1   108  108  tty1     Ss+    00:00:02  login',
        '109     1   109  109  pts/300  Ss+    00:00:02  bash',
        '110     1   110  110  ?        Ss     00:00:02  old',
        '111     ?     ?    ?  ?        ?             ?  ? (unreadable: EPROTO)',
        '112     0   112    0  ?        S      00:00:02  nsenter',
        '200     1   200  200  ?        Ss     00:00:02  sessleader',
        '201   200   200  200  ?        S      00:00:02  member',
        '210   200   210  200  ?        S      00:00:02  job',
        '220     1   220  220  ?        Ts     00:00:02  stopped',
        '231     1   230  230  ?        S      00:00:02  daemond',
        '300     1   300  300  ?        Ss     00:00:02  spawner',
        '301     1   300  300  ?        S      00:00:02  leaked',
        '',
      ].join('\n'),
    );
  });

  test('--kernel adds the kernel threads (kthreadd and its kworker)', async () => {
    const r = await runCli(['ps', '--kernel', ...at]);
    const pids = r.stdout.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(pids.slice(0, 4)).toEqual([1, 2, 3, 100]);
    expect(r.stdout).toContain('  2     0     0    0  ?        S      00:00:02  kthreadd\n');
  });

  test('--cmdline shows the command line, and [comm] where there is none', async () => {
    const r = await runCli(['ps', '--cmdline', '--pid', '106,102', ...at]);
    expect(r.stdout.split('\n')).toEqual([
      'PID  PPID  PGID  SID  TTY    STAT       TIME  COMMAND',
      '102   100   100  100  ?      Z      00:00:02  [defunct] <defunct>',
      '106     1   106  106  pts/3  SNsl+  00:00:03  worker --flag with space',
      '',
    ]);
  });

  test('--state keeps only the processes in those states', async () => {
    const r = await runCli(['ps', '--state', 'ZT', ...at]);
    expect(r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(['102', '220']);
  });

  test('--pid names a kernel thread and shows it; a pid that is not there is reported and exits 1', async () => {
    const r = await runCli(['ps', '--pid', '2', '--pid', '4242', ...at]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(['2']);
    expect(r.stderr).toBe('unixproc ps: no process 4242\n');
  });

  test('--summary counts each state letter, with totals', async () => {
    const r = await runCli(['ps', '--summary', ...at]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'STATE  NAME      COUNT  MEANING',
        'R      running       1  running or runnable (on a run queue)',
        'S      sleeping     15  interruptible sleep (waiting for an event)',
        'T      stopped       1  stopped by a job-control signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)',
        'Z      zombie        1  zombie: exited, waiting for its parent to wait() for it',
        'I      idle          1  idle kernel thread (Linux 4.14 and later)',
        'Q      unknown       1  unknown state letter "Q"',
        '',
        'total 22: 2 kernel threads, 2 unreadable',
        '',
      ].join('\n'),
    );
  });

  test('--summary --json is the library\'s StateSummary under "summary"', async () => {
    const r = await runCli(['ps', '--summary', '--json', ...at]);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toEqual(
      expect.objectContaining({ total: 22, unreadable: 2, kernelThreads: 2, byLetter: { R: 1, S: 15, T: 1, Z: 1, I: 1, Q: 1 } }),
    );
    expect(doc.summary.byState.zombie).toBe(1);
  });

  test('--json prints the entries with every key present (null for absent) and Dates as ISO strings', async () => {
    const r = await runCli(['ps', '--json', '--pid', '106,105', ...at]);
    const doc = JSON.parse(r.stdout);
    expect(doc.processes).toHaveLength(2);
    expect(doc.processes[0]).toEqual({ readable: false, pid: 105, error: 'EISDIR' });
    const w = doc.processes[1];
    expect(w).toEqual(
      expect.objectContaining({
        pid: 106,
        ppid: 1,
        comm: 'worker',
        startTime: 3000,
        startDate: new Date((1700000000 + 30) * 1000).toISOString(),
        tty: { nr: (136 << 8) | 3, major: 136, minor: 3, name: '/dev/pts/3' },
        state: { letter: 'S', name: 'sleeping', meaning: 'interruptible sleep (waiting for an event)' },
        cmdline: null,
        exe: null,
      }),
    );
  });

  test('the hostile comms of the fixture stay on one line each in human output', async () => {
    const r = await runCli(['ps', '--pid', '100,101', ...at]);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(4); // heading, two rows, final newline
    // procps prints a control character in a name as '?' (issue 13).
    expect(lines[2]).toMatch(/ a\?b c$/);
  });
});

describe('unixproc tree --procfs (fixture tree)', () => {
  test('draws every tree whose root has no parent in the table as pstree does: name order, threads, marks', async () => {
    const r = await runCli(['tree', ...at]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'init-+-bash <orphan>',
        '     |-daemond',
        '     |-getty <orphan>',
        '     |-leaked <orphan>',
        '     |-login <orphan>',
        '     |-odd',
        '     |-old',
        '     |-sessleader-+-job',
        '     |            `-member',
        '     |-spawner',
        '     |-stopped',
        '     |-worker---{worker-io}',
        '     `-x) Z 1 (y-+-a\\nb c',
        '                 `-defunct <defunct>',
        'nsenter',
        '',
      ].join('\n'),
    );
  });

  test('-p writes name(pid), a thread as {name}(tid)', async () => {
    const r = await runCli(['tree', '-p', '200', ...at]);
    expect(r.stdout).toBe('sessleader(200)-+-job(210)\n                `-member(201)\n');
    expect((await runCli(['tree', '--show-pids', '106', ...at])).stdout).toBe('worker(106)---{worker-io}(107)\n');
  });

  test('-n orders children by pid, -T hides threads, -U draws boxes', async () => {
    expect((await runCli(['tree', '-n', '200', ...at])).stdout).toBe('sessleader-+-member\n           `-job\n');
    expect((await runCli(['tree', '-T', '106', ...at])).stdout).toBe('worker\n');
    expect((await runCli(['tree', '-U', '200', ...at])).stdout).toBe('sessleader─┬─job\n           └─member\n');
  });

  test('from one pid, with command lines (-a), one process per line as pstree -a', async () => {
    const r = await runCli(['tree', '100', '--cmdline', ...at]);
    expect(r.stdout).toBe(['[x) Z 1 (y]', '  |-[a\\nb c]', '  `-[defunct] <defunct>', ''].join('\n'));
    expect((await runCli(['tree', '100', '-ap', ...at])).stdout).toBe(['[x) Z 1 (y],100', '  |-[a\\nb c],101', '  `-[defunct],102 <defunct>', ''].join('\n'));
  });

  test('a kernel thread named as the root is shown with its kernel children', async () => {
    const r = await runCli(['tree', '2', ...at]);
    expect(r.stdout).toBe('kthreadd---kworker/0:0-events\n');
  });

  test('--json gives the ProcessTreeNode objects under "roots"', async () => {
    const r = await runCli(['tree', '200', '--json', ...at]);
    const doc = JSON.parse(r.stdout);
    expect(doc.roots).toHaveLength(1);
    expect(doc.roots[0].process.pid).toBe(200);
    expect(doc.roots[0].children.map((c: { process: { pid: number } }) => c.process.pid)).toEqual([201, 210]);
    expect(doc.roots[0].children[0].children).toEqual([]);
  });

  test('--dot draws each process with its kind: zombie, leaked orphan, daemon', async () => {
    const r = await runCli(['tree', '--dot', ...at]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('digraph "unixproc tree" {\n')).toBe(true);
    const node = (pid: number): string | undefined => r.stdout.split('\n').find((l) => l.startsWith(`  p${pid} [`));
    expect(node(102)).toMatch(/^ {2}p102 \[label="defunct\\npid 102, Z, zombie", shape=octagon/);
    expect(node(301)).toMatch(/^ {2}p301 \[label="leaked\\npid 301, S, leaked orphan", /);
    expect(node(200)).toMatch(/^ {2}p200 \[label="sessleader\\npid 200, S, daemon", /);
    expect(node(106)).toMatch(/^ {2}p106 \[label="worker\\npid 106, S, 2 threads, daemon", /);
    // the comm holding a newline is written as the two characters \n, escaped again for DOT
    expect(node(101)).toMatch(/^ {2}p101 \[label="a\\\\nb c\\npid 101, R", /);
    expect(r.stdout).toContain('  p100 -> p101;\n');
    expect(node(3)).toBeUndefined(); // kernel threads hidden
  });

  test('a pid that is not there prints nothing on stdout, says so on stderr, and exits 1', async () => {
    const r = await runCli(['tree', '4242', ...at]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'unixproc tree: no process 4242\n' });
  });

  test('a pid that is there but unreadable (hidepid) is reported as unreadable, not as missing; exit 1', async () => {
    const r = await runCli(['tree', '105', ...at]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'unixproc tree: cannot read process 105 (EISDIR)\n' });
  });
});

describe('finders say what they could not read', () => {
  // The fixture has two processes whose stat cannot be read (105: a directory; and one more):
  // a finder cannot judge them, so its "none found" must not read as "none at all".
  test.each(['zombies', 'orphans', 'daemons'])('unixproc %s notes the unreadable processes on stderr', async (cmd) => {
    const r = await runCli([cmd, ...at]);
    expect(r.stderr).toBe(`unixproc ${cmd}: note: 2 processes could not be read (hidepid or permissions) and were not examined\n`);
  });
  // Silent when everything was readable: see 'zombies says so and exits 0' below (stderr '').
});

describe('unixproc zombies --procfs (fixture tree)', () => {
  test('reports the zombie under its parent and exits 1', async () => {
    const r = await runCli(['zombies', ...at]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'PARENT  STAT  HELD BY  ZOMBIES  COMMAND',
        '   100  Ss    process        1  [x) Z 1 (y]',
        '',
        'zombies of 100 (x) Z 1 (y): 102 defunct',
        '  their parent has not called wait() for them',
        '',
        '1 zombie held by 1 parent',
        '',
      ].join('\n'),
    );
  });

  test('--subreaper names the parent a subreaper; --json has zombieCount and the ZombieGroups', async () => {
    const r = await runCli(['zombies', '--subreaper', '100', '--json', ...at]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.zombieCount).toBe(1);
    expect(doc.groups).toHaveLength(1);
    expect(doc.groups[0]).toEqual(expect.objectContaining({ parentPid: 100, parentKind: 'subreaper', count: 1 }));
    expect(doc.groups[0].zombies.map((z: { pid: number }) => z.pid)).toEqual([102]);
    expect(doc.groups[0].parent.comm).toBe('x) Z 1 (y');
  });
});

describe('unixproc orphans --procfs (fixture tree)', () => {
  test('lists each orphan with class and basis, explains each, and exits 1 for the leaked ones', async () => {
    const r = await runCli(['orphans', ...at]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 13)).toEqual([
      'PID  PPID  PGID  SID  TTY      STAT   ADOPTED BY  CLASS          BASIS      COMMAND',
      '100     1   100  100  ?        Ss     init        daemon         heuristic  x) Z 1 (y',
      '103     1   103  103  ?        Qs     init        daemon         heuristic  odd',
      '106     1   106  106  pts/3    SNsl+  init        daemon         lineage    worker',
      '107     1   107  107  ttyS0    Ss+    init        leaked-orphan  heuristic  getty',
      '108     1   108  108  tty1     Ss+    init        leaked-orphan  heuristic  login',
      '109     1   109  109  pts/300  Ss+    init        leaked-orphan  heuristic  bash',
      '110     1   110  110  ?        Ss     init        daemon         heuristic  old',
      '200     1   200  200  ?        Ss     init        daemon         heuristic  sessleader',
      '220     1   220  220  ?        Ts     init        daemon         heuristic  stopped',
      '231     1   230  230  ?        S      init        daemon         heuristic  daemond',
      '300     1   300  300  ?        Ss     init        daemon         heuristic  spawner',
      '301     1   300  300  ?        S      init        leaked-orphan  lineage    leaked',
    ]);
    expect(r.stdout).toContain(
      [
        '301 leaked: leaked-orphan (lineage): spawned by pid 300 as a child; outlived its parent without detaching',
        '  evidence: session leader no, session leader alive yes, detached no, controlling terminal no, stdio on a terminal no',
        '  lineage: spawned by pid 300 (start time 4020 ticks) with intent child; spawner still running: yes',
      ].join('\n'),
    );
    expect(r.stdout).toContain(
      '231 daemond: daemon (heuristic): session leader gone (double fork), no controlling terminal, stdio away from a terminal\n',
    );
    expect(r.stdout.endsWith('\n12 orphans: 8 likely daemons, 4 likely leaked orphans\n')).toBe(true);
  });

  test('--groups adds the orphaned process groups, naming stopped members', async () => {
    const r = await runCli(['orphans', '--groups', ...at]);
    const tail = r.stdout.slice(r.stdout.indexOf('orphaned process groups:'));
    expect(tail).toBe(
      [
        'orphaned process groups:',
        'PGID  SID  MEMBERS      STOPPED  LEADER',
        '   1    1  1            -        init',
        ' 100  100  100,101,102  -        x) Z 1 (y',
        ' 103  103  103          -        odd',
        ' 106  106  106          -        worker',
        ' 107  107  107          -        getty',
        ' 108  108  108          -        login',
        ' 109  109  109          -        bash',
        ' 110  110  110          -        old',
        ' 112    0  112          -        nsenter',
        ' 200  200  200,201      -        sessleader',
        ' 220  220  220          220      stopped',
        ' 230  230  231          -        (gone)',
        ' 300  300  300,301      -        spawner',
        'group 220 has stopped members (220): no process of its session can resume them by job control; only a SIGCONT from outside will',
        '',
      ].join('\n'),
    );
  });

  test('--json has the Orphan objects, and orphanedProcessGroups only with --groups', async () => {
    const plain = JSON.parse((await runCli(['orphans', '--json', ...at])).stdout);
    expect(Object.keys(plain)).toEqual(['orphans']);
    const both = JSON.parse((await runCli(['orphans', '--json', '--groups', ...at])).stdout);
    expect(Object.keys(both)).toEqual(['orphans', 'orphanedProcessGroups']);
    const leaked = both.orphans.find((o: { process: { pid: number } }) => o.process.pid === 301);
    expect(leaked).toEqual(
      expect.objectContaining({ reparentedTo: 'init', classification: 'leaked-orphan', basis: 'lineage' }),
    );
    expect(leaked.evidence.lineage).toEqual({ spawnerPid: 300, spawnerStartTime: 4020, intent: 'child' });
    expect(both.orphanedProcessGroups.find((g: { pgid: number }) => g.pgid === 220).stoppedMembers[0].pid).toBe(220);
  });
});

describe('unixproc daemons --procfs (fixture tree)', () => {
  test('shows each daemon with its checks: ok, FAIL, or ? when they cannot be made', async () => {
    const r = await runCli(['daemons', ...at]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 9)).toEqual([
      'PID  PPID  SID   UID  TTY    STAT   BASIS      COMMAND',
      '100     1  100     ?  ?      Ss     heuristic  x) Z 1 (y',
      '103     1  103     ?  ?      Qs     heuristic  odd',
      '106     1  106  1001  pts/3  SNsl+  lineage    worker',
      '110     1  110     ?  ?      Ss     heuristic  old',
      '200     1  200     ?  ?      Ss     heuristic  sessleader',
      '220     1  220     ?  ?      Ts     heuristic  stopped',
      '231     1  230     0  ?      S      heuristic  daemond',
      '300     1  300     ?  ?      Ss     heuristic  spawner',
    ]);
    expect(r.stdout).toContain(
      [
        '231 daemond: session leader gone (double fork), no controlling terminal, stdio away from a terminal',
        '  FAIL  runs-as-root          runs as root (uid real 0, effective 0, saved 0)',
        '  ok    controlling-terminal  no controlling terminal',
        '  FAIL  inherited-fds         fds without close-on-exec beyond 0..2: 3 -> /var/log/daemond.log',
      ].join('\n'),
    );
    expect(r.stdout).toContain('  ?     runs-as-root          credentials unreadable\n');
    expect(r.stdout.endsWith('\n8 daemons, 2 failing at least one check\n')).toBe(true);
  });

  test('--json has the Daemon objects with checks and inheritable fds', async () => {
    const doc = JSON.parse((await runCli(['daemons', '--json', ...at])).stdout);
    const d = doc.daemons.find((x: { process: { pid: number } }) => x.process.pid === 231);
    expect(d.checks.map((c: { id: string; passed: boolean | null }) => [c.id, c.passed])).toEqual([
      ['runs-as-root', false],
      ['controlling-terminal', true],
      ['inherited-fds', false],
    ]);
    expect(d.inheritableFds).toEqual([{ fd: 3, target: '/var/log/daemond.log', flags: 0o102001, cloexec: false }]);
    expect(d.uids).toEqual({ real: 0, effective: 0, saved: 0, filesystem: 0 });
  });
});

describe('nothing found (a tree of init, one daemon and its child)', () => {
  let root: string;
  const stat = (pid: number, comm: string, ppid: number, pgid: number, sid: number): string =>
    `${pid} (${comm}) S ${ppid} ${pgid} ${sid} 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 ${pid * 10} 4096000 100 ` +
    '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-cli-'));
    fs.writeFileSync(path.join(root, 'stat'), 'cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n');
    for (const [pid, comm, ppid, pgid, sid] of [
      [1, 'init', 0, 1, 1],
      [50, 'served', 1, 50, 50],
      [51, 'worker', 50, 50, 50],
    ] as const) {
      fs.mkdirSync(path.join(root, String(pid)));
      fs.writeFileSync(path.join(root, String(pid), 'stat'), stat(pid, comm, ppid, pgid, sid));
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('zombies says so and exits 0', async () => {
    expect(await runCli(['zombies', '--procfs', root, '--procfs-fixture'])).toEqual({ code: 0, stdout: 'no zombies\n', stderr: '' });
    expect(JSON.parse((await runCli(['zombies', '--json', '--procfs', root, '--procfs-fixture'])).stdout)).toEqual({ zombieCount: 0, groups: [] });
  });

  test('orphans exits 0 when the only orphan is a daemon', async () => {
    const r = await runCli(['orphans', '--json', '--procfs', root, '--procfs-fixture']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).orphans.map((o: { process: { pid: number }; classification: string }) => [o.process.pid, o.classification])).toEqual([
      [50, 'daemon'],
    ]);
  });

  test('tree draws the chain', async () => {
    expect((await runCli(['tree', '--procfs', root, '--procfs-fixture'])).stdout).toBe('init---served---worker\n');
  });
});

describe('usage errors exit 2 with a message and the usage on stderr', () => {
  test.each([
    [['ps', '--pid', 'abc'], "unixproc ps: --pid: 'abc' is not a process id (a positive integer)"],
    [['ps', '--pid', '-3'], 'unixproc ps: --pid: -3 is negative; a process id is a positive integer'],
    [['ps', '--pid=0'], 'unixproc ps: --pid: 0 is out of range (1 to 2147483647)'],
    [['ps', '--state', 'Q'], "unixproc ps: --state: unknown state letter 'Q' (known: R S D T t Z X x K W P I)"],
    [['ps', '--summary', '--state', 'Z'], 'unixproc ps: --summary counts every process; it does not combine with --state'],
    [['ps', '--bogus'], 'unixproc ps: unknown option --bogus'],
    [['ps', 'extra'], "unixproc ps: unexpected argument 'extra'"],
    [['ps', '--procfs'], 'unixproc ps: --procfs needs a value'],
    [['ps', '--procfs='], 'unixproc ps: --procfs needs a directory'],
    [['tree', '-5'], 'unixproc tree: PID: -5 is negative; a process id is a positive integer'],
    [['tree', '1', '2'], "unixproc tree: unexpected argument '2'"],
    [['tree', '-pZ'], 'unixproc tree: unknown option -Z (short options: -p -A -U -c -n -T -a -l -h)'],
    [['tree', '-A', '-U'], 'unixproc tree: -A (--ascii) and -U (--unicode) exclude each other'],
    [['tree', '--dot', '--svg'], 'unixproc tree: --dot and --svg exclude each other: one output at a time'],
    [['tree', '--json', '-p'], 'unixproc tree: --show-pids shapes the text drawing; it does not combine with --json'],
    [['tree', '--dot', '-A'], 'unixproc tree: --ascii shapes the text drawing; it does not combine with --dot'],
    [['tree', '--json', '-T'], 'unixproc tree: --json gives processTree() as it is (children in pid order, no threads): -n and -T do not apply'],
    [['tree', '--subreaper', '0'], 'unixproc tree: --subreaper: 0 is out of range (1 to 2147483647)'],
    [['zombies', '--subreaper', 'x'], "unixproc zombies: --subreaper: 'x' is not a process id (a positive integer)"],
    [['orphans', '--', 'ls'], "unixproc orphans: unexpected '--': this command runs no other command"],
    [['daemons', '--wide=1'], 'unixproc daemons: --wide takes no value'],
  ])('%j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(message);
    expect(r.stderr).toContain(`usage: unixproc ${argv[0]}`);
  });

  test.each([
    [['ps', '--\x1b[2J'], 'unixproc ps: unknown option --\\x1b[2J'],
    [['ps', '-\x9b'], 'unixproc ps: unknown option -\\x9b'],
    [['tree', '1', '\x1b]0;t\x07'], "unixproc tree: unexpected argument '\\x1b]0;t\\x07'"],
    [['ps', '--pid', '\x1b[2J'], "unixproc ps: --pid: '\\x1b[2J' is not a process id (a positive integer)"],
    [['ps', '--state', '\x1b'], "unixproc ps: --state: unknown state letter '\\x1b' (known: R S D T t Z X x K W P I)"],
  ])('a hostile argument is escaped exactly once in the message: %j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  test('an unknown command is named escaped, with exit 2', async () => {
    const r = await runCli(['p\x1b[2Js']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("unixproc: unknown command 'p\\x1b[2Js'");
  });

  test('--help (anywhere among the options) prints the usage on stdout and exits 0', async () => {
    for (const name of ['ps', 'tree', 'zombies', 'orphans', 'daemons']) {
      const r = await runCli([name, '--json', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`usage: unixproc ${name}`)).toBe(true);
      expect(r.stdout).toContain('Exit status:');
    }
  });

  test('--help after an unknown option or in place of a value still prints the usage and exits 0', async () => {
    for (const argv of [['ps', '--bogus', '--help'], ['tree', '--pid', '-h'], ['zombies', '--subreaper', '--help']]) {
      const r = await runCli(argv);
      expect({ code: r.code, stderr: r.stderr, head: r.stdout.split('\n')[0].split(' [')[0] }).toEqual({
        code: 0,
        stderr: '',
        head: `usage: unixproc ${argv[0]}`,
      });
    }
  });

  test('a procfs root that is not there is a failure (the library\'s ENOENT, exit 1), not a usage error', async () => {
    expect(await runCli(['ps', '--procfs', '/nonexistent/unixproc'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "unixproc ps: open ENOENT '/nonexistent/unixproc'\n",
    });
  });

  test('a procfs root that is a file is reported with the command name: ENOTDIR, exit 1', async () => {
    const file = path.join(__dirname, '..', 'fixtures', 'proc', 'tree', 'stat');
    expect(await runCli(['tree', '--procfs', file])).toEqual({ code: 1, stdout: '', stderr: `unixproc tree: open ENOTDIR '${file}'\n` });
  });

  test('a system error naming a hostile path is escaped: no terminal escape reaches stderr', async () => {
    const r = await runCli(['zombies', '--procfs', '/nonexistent/\x1b[2J\n']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: "unixproc zombies: open ENOENT '/nonexistent/\\x1b[2J\\n'\n" });
  });
});
