// exec from a running Node process leaves none of Node's state to the new program, and a
// failed exec leaves the Node process as it was.
import { resultOf, runExecFixture } from '../helpers/fork-exec-run';

const O_NONBLOCK = 0o4000;

describe('exec: the new program starts clean', () => {
  const run = runExecFixture('clean');
  const [, kept, leaky] = /kept=(\d+) leaky=(\d+)/.exec(run.stdout) ?? [];

  test('the exec succeeded: the shell ran and exited 0', () => {
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^SigBlk:/m);
  });
  test('SigIgn is all zero (SIGPIPE, SIGXFSZ back to default)', () => {
    expect(run.stdout).toMatch(/^SigIgn:\s+0{16}$/m);
  });
  test('SigBlk is all zero', () => {
    expect(run.stdout).toMatch(/^SigBlk:\s+0{16}$/m);
  });
  test('it has exactly fds 0, 1, 2 and the one made inheritable with set_inheritable', () => {
    const listing = /^fds-begin\n([\s\S]*?)fds-end$/m.exec(run.stdout)?.[1] ?? '';
    const fds = listing.trim().split('\n').map(Number).sort((a, b) => a - b);
    expect(fds).toEqual([0, 1, 2, Number(kept)]);
    expect(fds).not.toContain(Number(leaky));
  });
  test('fds 0..2 are blocking (O_NONBLOCK cleared though Node had set it on stdout)', () => {
    for (const fd of [0, 1, 2]) {
      const flags = parseInt(new RegExp(`^flags${fd}: (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? 'x', 8);
      expect(Number.isNaN(flags)).toBe(false);
      expect(flags & O_NONBLOCK).toBe(0);
    }
  });
  test('`yes | head -n 1` ends at once: yes dies of SIGPIPE (exit 141)', () => {
    expect(run.stdout).toMatch(/^y$/m);
    expect(run.stderr).toContain('yes-exit=141');
  });
});

describe('exec variants', () => {
  test('execve on an open fd (fexecve) runs the program with the given env', () => {
    const run = runExecFixture('fexecve');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('via-fd sh bar\n');
  });
  test('execvp finds the program on PATH', () => {
    const run = runExecFixture('execvp');
    expect(run.stdout).toBe('found-on-path\n');
  });
  test('execlpe spreads its arguments and takes PATH from the env it passes', () => {
    const run = runExecFixture('execlpe');
    expect(run.stdout).toBe('hi-from-env\n');
  });
});

describe('exec with bytes', () => {
  for (const [scenario, how] of [
    ['bytesPath', 'execv'],
    ['bytesPathSearch', 'execvpe (PATH search)'],
  ] as const) {
    test(`${how}: a Buffer program name that is not UTF-8 and a Buffer argument reach the program as their bytes`, () => {
      const run = runExecFixture(scenario);
      expect(run.exitCode).toBe(0);
      const expected = /^expect=([0-9a-f]+)$/m.exec(run.stdout)?.[1];
      expect(expected).toMatch(/ff7c61fe$/); // ...\xff|a\xfe
      expect(run.stdout.split('\n')[1]).toBe(expected);
    });
  }
});

describe('exec failure', () => {
  const missing = resultOf(runExecFixture('missing'));

  test('exec of a missing path throws ENOENT with path, shaped like Node errors', () => {
    expect(missing.error).toEqual({
      code: 'ENOENT',
      errno: -2,
      syscall: 'execve',
      path: '/no/such/program',
      message: "execve ENOENT '/no/such/program'",
    });
  });
  test('afterwards SIGPIPE is still ignored: writing to a pipe without reader gives EPIPE', () => {
    expect(missing.pipeError).toBe('EPIPE');
    expect(BigInt(`0x${missing.after.SigIgn}`) & (1n << 12n)).toBe(1n << 12n); // bit of SIGPIPE (13)
  });
  test('afterwards signal dispositions, the mask and fd flags are what they were', () => {
    expect(missing.after).toEqual(missing.before);
    expect(missing.before.flags['0'].blocking).toBe(false); // set non-blocking before, kept
  });
  test('afterwards an fd that was not close-on-exec (and that exec had marked so) is inheritable again', () => {
    expect(missing.before.flags[String(missing.leaky)].inheritable).toBe(true);
    expect(missing.after.flags[String(missing.leaky)].inheritable).toBe(true);
  });

  const errors = resultOf(runExecFixture('errors'));
  test('a file without execute permission: EACCES with its path', () => {
    expect(errors.eacces).toEqual({ code: 'EACCES', path: expect.stringMatching(/\/plain$/), syscall: 'execve' });
  });
  test('an executable of unknown format: ENOEXEC', () => {
    expect(errors.enoexec.code).toBe('ENOEXEC');
  });
  test('an argument longer than MAX_ARG_STRLEN: E2BIG', () => {
    expect(errors.e2big).toEqual({ code: 'E2BIG', path: '/bin/true', syscall: 'execve' });
  });
  test('PATH search reports the first error other than ENOENT (EACCES), with its path', () => {
    expect(errors.pathEacces).toEqual({ code: 'EACCES', path: expect.stringMatching(/\/plain$/), syscall: 'execve' });
  });
  test('PATH search with the program nowhere: ENOENT for the last candidate', () => {
    expect(errors.pathEnoent).toEqual({
      code: 'ENOENT',
      path: expect.stringMatching(/\/no-such-prog-xyz$/),
      syscall: 'execve',
    });
  });
});
