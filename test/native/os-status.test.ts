// W* macros, waitstatus_to_exitcode and the constants, against CPython's os as the oracle.
import { spawnSync } from 'node:child_process';
import * as os from '../../lib/os';

const python = spawnSync('python3', ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' });
const havePython = python.status === 0;
const withPython = havePython ? test : test.skip;
if (!havePython) console.warn('python3 not found: the CPython oracle tests are skipped');

function runPython(script: string, input: unknown): unknown {
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Every kind of status word, plus edge values and junk.
function statusTable(): number[] {
  const t = new Set<number>();
  for (let c = 0; c < 256; c++) t.add(c << 8); // exited with c
  for (let s = 1; s < 128; s++) {
    t.add(s); // killed
    t.add(s | 0x80); // killed, core dumped
  }
  for (let s = 0; s < 256; s++) t.add((s << 8) | 0x7f); // stopped
  t.add(0xffff); // continued
  for (const v of [0x7f, 0xff, 0x80, 0x17f, 0x10000, 0x12345, -1, -2, -256, -65536, 0x7fffffff, -0x80000000, 0x7fff0000, 0xff7f, 0xfeff]) t.add(v);
  let x = 12345;
  for (let i = 0; i < 200; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0; // deterministic pseudo-random int32
    t.add(x);
  }
  return [...t];
}

const ORACLE = `
import json, os, sys
out = []
for s in json.load(sys.stdin):
    row = [os.WIFEXITED(s), os.WEXITSTATUS(s), os.WIFSIGNALED(s), os.WTERMSIG(s), os.WCOREDUMP(s),
           os.WIFSTOPPED(s), os.WSTOPSIG(s), os.WIFCONTINUED(s)]
    try:
        row.append(os.waitstatus_to_exitcode(s))
    except ValueError as e:
        row.append('ValueError: ' + str(e))
    out.append(row)
print(json.dumps(out))
`;

describe('W* macros and waitstatus_to_exitcode', () => {
  withPython('agree with CPython on every status of a generated table', () => {
    const table = statusTable();
    const expected = runPython(ORACLE, table) as unknown[][];
    const actual = table.map((s) => {
      const row: unknown[] = [
        os.WIFEXITED(s), os.WEXITSTATUS(s), os.WIFSIGNALED(s), os.WTERMSIG(s), os.WCOREDUMP(s),
        os.WIFSTOPPED(s), os.WSTOPSIG(s), os.WIFCONTINUED(s),
      ];
      try {
        row.push(os.waitstatus_to_exitcode(s));
      } catch (e) {
        const err = e as RangeError & { code: string };
        expect(err).toBeInstanceOf(RangeError);
        expect(err.code).toBe('ERR_OUT_OF_RANGE');
        // CPython's message is kept inside ours.
        row.push(`ValueError: ${/\((.*)\)\. Received/.exec(err.message)?.[1]}`);
      }
      return [s, ...row];
    });
    expect(actual).toEqual(table.map((s, i) => [s, ...expected[i]]));
  });

  test('waitstatus_to_exitcode: exit code, minus the signal, RangeError when stopped', () => {
    expect(os.waitstatus_to_exitcode(3 << 8)).toBe(3);
    expect(os.waitstatus_to_exitcode(9)).toBe(-9);
    expect(os.waitstatus_to_exitcode(11 | 0x80)).toBe(-11);
    expect(() => os.waitstatus_to_exitcode((19 << 8) | 0x7f)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('process stopped by delivery of signal 19') }),
    );
    expect(() => os.waitstatus_to_exitcode(0xffff)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  const macros = [
    os.WIFEXITED, os.WEXITSTATUS, os.WIFSIGNALED, os.WTERMSIG, os.WCOREDUMP,
    os.WIFSTOPPED, os.WSTOPSIG, os.WIFCONTINUED, os.waitstatus_to_exitcode,
  ];
  test.each([
    ['a string', 'ERR_INVALID_ARG_TYPE', '0'],
    ['undefined', 'ERR_INVALID_ARG_TYPE', undefined],
    ['a bigint', 'ERR_INVALID_ARG_TYPE', 0n],
    ['NaN', 'ERR_OUT_OF_RANGE', NaN],
    ['a fraction', 'ERR_OUT_OF_RANGE', 0.5],
    ['2^31 (Python: OverflowError)', 'ERR_OUT_OF_RANGE', 2 ** 31],
    ['-2^31-1', 'ERR_OUT_OF_RANGE', -(2 ** 31) - 1],
  ])('every macro rejects %s with %s', (_what, code, value) => {
    for (const m of macros) {
      expect(() => m(value as number)).toThrow(expect.objectContaining({ code, message: expect.stringContaining('"status"') }));
    }
  });
});

describe('constants', () => {
  const ours: Record<string, number> = {
    WNOHANG: os.WNOHANG, WUNTRACED: os.WUNTRACED, WCONTINUED: os.WCONTINUED, WEXITED: os.WEXITED,
    WSTOPPED: os.WSTOPPED, WNOWAIT: os.WNOWAIT, P_PID: os.P_PID, P_PGID: os.P_PGID, P_ALL: os.P_ALL,
    P_PIDFD: os.P_PIDFD, CLD_EXITED: os.CLD_EXITED, CLD_KILLED: os.CLD_KILLED, CLD_DUMPED: os.CLD_DUMPED,
    CLD_TRAPPED: os.CLD_TRAPPED, CLD_STOPPED: os.CLD_STOPPED, CLD_CONTINUED: os.CLD_CONTINUED,
    EX_OK: os.EX_OK, EX_USAGE: os.EX_USAGE, EX_DATAERR: os.EX_DATAERR, EX_NOINPUT: os.EX_NOINPUT,
    EX_NOUSER: os.EX_NOUSER, EX_NOHOST: os.EX_NOHOST, EX_UNAVAILABLE: os.EX_UNAVAILABLE,
    EX_SOFTWARE: os.EX_SOFTWARE, EX_OSERR: os.EX_OSERR, EX_OSFILE: os.EX_OSFILE,
    EX_CANTCREAT: os.EX_CANTCREAT, EX_IOERR: os.EX_IOERR, EX_TEMPFAIL: os.EX_TEMPFAIL,
    EX_PROTOCOL: os.EX_PROTOCOL, EX_NOPERM: os.EX_NOPERM, EX_CONFIG: os.EX_CONFIG,
    POSIX_SPAWN_OPEN: os.POSIX_SPAWN_OPEN, POSIX_SPAWN_CLOSE: os.POSIX_SPAWN_CLOSE,
    POSIX_SPAWN_DUP2: os.POSIX_SPAWN_DUP2, POSIX_SPAWN_CLOSEFROM: os.POSIX_SPAWN_CLOSEFROM,
    SCHED_OTHER: os.SCHED_OTHER, SCHED_FIFO: os.SCHED_FIFO, SCHED_RR: os.SCHED_RR,
    SCHED_BATCH: os.SCHED_BATCH, SCHED_IDLE: os.SCHED_IDLE, SCHED_RESET_ON_FORK: os.SCHED_RESET_ON_FORK,
    PIDFD_NONBLOCK: os.PIDFD_NONBLOCK,
  };

  withPython("equal CPython's os values (those this CPython has)", () => {
    const theirs = runPython(
      'import json, os, sys\nprint(json.dumps({n: getattr(os, n, None) for n in json.load(sys.stdin)}))',
      Object.keys(ours),
    ) as Record<string, number | null>;
    const known = Object.fromEntries(Object.entries(theirs).filter(([, v]) => v !== null));
    // CPython 3.11 lacks POSIX_SPAWN_CLOSEFROM (3.13) and PIDFD_NONBLOCK (3.12).
    expect(Object.keys(known).length).toBeGreaterThanOrEqual(Object.keys(ours).length - 2);
    expect(Object.fromEntries(Object.keys(known).map((k) => [k, ours[k]]))).toEqual(known);
  });

  test("POSIX_SPAWN_CLOSEFROM is CPython 3.13's 3 and PIDFD_NONBLOCK is the addon's", () => {
    expect(os.POSIX_SPAWN_CLOSEFROM).toBe(3);
    const binding = require('node-gyp-build')(require('node:path').resolve(__dirname, '..', '..'));
    expect(os.PIDFD_NONBLOCK).toBe(binding.PIDFD_NONBLOCK);
  });
});
