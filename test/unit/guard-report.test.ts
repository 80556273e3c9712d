// formatLeakReport is what a CI log shows: a leaked process's name and arguments are chosen
// by whoever started it, so nothing in them may reach the terminal as a control sequence.
import { formatLeakReport, LeakedProcess, LeakReport } from '../../lib/guard/index';
import { stateOf } from '../../lib/proc';

function leaked(over: Partial<LeakedProcess>): LeakedProcess {
  return {
    pid: 4242,
    startTime: 1,
    ppid: 4000,
    state: stateOf('S'),
    comm: 'sleep',
    cmdline: ['sleep', '30'],
    relation: 'descendant',
    parent: { pid: 4000, comm: 'sh', state: stateOf('S'), isGuard: false },
    ...over,
  };
}

function report(leakedList: LeakedProcess[], zombies: LeakedProcess[] = []): LeakReport {
  return { ok: false, guardPid: 1, leaked: leakedList, zombies, reaped: [] };
}

test('escapes C0, C1, DEL, bidi controls and line separators in command lines and names', () => {
  const hostile = leaked({
    cmdline: ['evil\x1b[2J', 'csi\u009b31m', 'rtl\u202eexe.txt', 'del\x7f', 'ls\u2028x', 'back\\slash'],
    parent: { pid: 4000, comm: 'p\x1b]0;t\x07', state: stateOf('S'), isGuard: false },
  });
  const text = formatLeakReport(report([hostile]));
  expect(text).toBe(
    'leak: 1 process still running left behind:\n' +
      '  pid 4242 S evil\\x1b[2J csi\\x9b31m rtl\\u202eexe.txt del\\x7f ls\\u2028x back\\\\slash: ' +
      'still a child of 4000 (p\\x1b]0;t\\x07, sleeping)\n',
  );
  // Nothing but printable ASCII and the newlines between report lines.
  expect(/[^\x20-\x7e\n]/.test(text)).toBe(false);
});

test('cuts a long command line at 160 columns without splitting an escape', () => {
  const long = leaked({ cmdline: ['x'.repeat(156) + '\x1b' + 'y'.repeat(50)] });
  const line = formatLeakReport(report([long])).split('\n')[1];
  const cmd = line.slice('  pid 4242 S '.length, line.indexOf(': still a child'));
  expect(cmd).toBe(`${'x'.repeat(156)}…`);
});

test('a zombie is described by the list it is in', () => {
  const text = formatLeakReport(report([], [leaked({ state: stateOf('Z'), cmdline: [], comm: 'true' })]));
  expect(text).toBe('leak: 1 zombie left behind:\n  pid 4242 Z [true]: zombie held by 4000 (sh, sleeping), which has not waited for it\n');
});

describe('a report that is not one is rejected with a code, naming the field', () => {
  const cases: [string, unknown, string, string][] = [
    ['an empty object in leaked (issue 8)', report([{} as LeakedProcess]), 'ERR_INVALID_ARG_TYPE', 'report.leaked[0].pid'],
    ['a hole in zombies', { ok: false, leaked: [], zombies: [, leaked({})], reaped: [] }, 'ERR_INVALID_ARG_TYPE', 'report.zombies[0]'],
    ['a fractional pid', report([leaked({ pid: 1.5 })]), 'ERR_OUT_OF_RANGE', 'report.leaked[0].pid'],
    ['a cmdline with a number', report([leaked({ cmdline: ['a', 1 as unknown as string] })]), 'ERR_INVALID_ARG_TYPE', 'report.leaked[0].cmdline[1]'],
    ['a state without a letter', report([leaked({ state: {} as never })]), 'ERR_INVALID_ARG_TYPE', 'report.leaked[0].state.letter'],
    ['an unknown relation', report([leaked({ relation: 'cousin' as never })]), 'ERR_INVALID_ARG_VALUE', 'report.leaked[0].relation'],
    ['a parent without isGuard', report([leaked({ parent: { pid: 1, comm: 'x', state: stateOf('S') } as never })]), 'ERR_INVALID_ARG_TYPE', 'report.leaked[0].parent.isGuard'],
    ['a symbol comm', report([leaked({ comm: Symbol('x') as never })]), 'ERR_INVALID_ARG_TYPE', 'report.leaked[0].comm'],
  ];
  test.each(cases)('%s', (_what, value, code, field) => {
    expect(() => formatLeakReport(value as LeakReport)).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(field) }),
    );
  });

  test('a getter is read once: the text shows what was checked', () => {
    let reads = 0;
    const p = leaked({});
    Object.defineProperty(p, 'cmdline', { get: () => (++reads === 1 ? ['sleep', '1'] : 5) });
    expect(formatLeakReport(report([p]))).toBe('leak: 1 process still running left behind:\n  pid 4242 S sleep 1: still a child of 4000 (sh, sleeping)\n');
    expect(reads).toBe(1);
  });
});

describe("unixproc's own helpers are named in the text, not left as a bare sh", () => {
  test('a supervisor\'s group keeper: its service, from argv[0]', () => {
    const keeper = leaked({
      comm: 'unixproc-keeper',
      state: stateOf('T'),
      cmdline: ['unixproc-keeper: web', '-c', 'eval "$UNIXPROC_KEEPER"', 'unixproc-keeper', '4000'],
    });
    expect(formatLeakReport(report([keeper]))).toBe(
      'leak: 1 process still running left behind:\n' +
        '  pid 4242 T unixproc-keeper: web -c eval "$UNIXPROC_KEEPER" unixproc-keeper 4000 ' +
        '[supervisor helper of service "web" (its process-group keeper)]: still a child of 4000 (sh, sleeping)\n',
    );
  });

  test("a service's shepherd, a contained spawn's shepherd and a cgroup keeper", () => {
    const text = formatLeakReport(
      report([
        leaked({ pid: 1, cmdline: ['unixproc-shepherd: worker', 'tree', '4000', '15', '10000', '1', '/bin/sleep', '--', 'sleep', '9'] }),
        leaked({ pid: 2, cmdline: ['unixproc-shepherd', 'tree', '4000', '15', '10000', '1', '/bin/sleep', '--', 'sleep', '9'] }),
        leaked({ pid: 3, cmdline: ['/x/build/Release/unixproc-shepherd', 'keeper', '4000', '/sys/fs/cgroup/a'] }),
      ]),
    );
    expect(text).toContain('[supervisor helper of service "worker" (its containment shepherd)]');
    expect(text).toContain("[unixproc's containment shepherd of the child it runs (owner pid 4000)]");
    expect(text).toContain("[unixproc's cgroup keeper of pid 4000]");
  });

  test('a helper field given with the report is used as it is, and must be a string', () => {
    expect(formatLeakReport(report([leaked({ helper: 'my helper' })]))).toContain('sleep 30 [my helper]: ');
    expect(() => formatLeakReport(report([leaked({ helper: 3 as never })]))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('report.leaked[0].helper') }),
    );
  });

  test('a service name with control characters is escaped like the rest', () => {
    const text = formatLeakReport(report([leaked({ cmdline: ['unixproc-keeper: a\x1bb', '-c', 'x'] })]));
    expect(/[^\x20-\x7e\n]/.test(text)).toBe(false);
    expect(text).toContain('[supervisor helper of service "a\\\\u001bb" (its process-group keeper)]');
  });
});
