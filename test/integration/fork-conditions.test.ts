// fork() refuses when a child could not be trusted, and says how to run the program.
import { decodeWaitStatus } from '../../lib/exit-status';
import { fork, isSingleThreaded, register_at_fork } from '../../lib/os/fork';
import { runFixture } from '../helpers/fork-run';

describe('fork() conditions', () => {
  test('without --single-threaded fork() throws ERR_UNIXPROC_FORK_UNSAFE naming the command to run', () => {
    const env = { ...process.env };
    delete env.UNIXPROC_FORK_UNSAFE_ALLOW_THREADS;
    const run = runFixture('scenario.js', ['refuse'], [], env);
    const error = run.result.error as { code: string; message: string };
    expect(error.code).toBe('ERR_UNIXPROC_FORK_UNSAFE');
    expect(error.message).toMatch(/node --single-threaded \S*test\/fixtures\/fork\/scenario\.js/);
  });
  test('unsafeAllowThreads forks anyway and emits one UnixprocWarning', () => {
    const run = runFixture('scenario.js', ['optIn'], []);
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    expect(run.result.warnings).toEqual([
      expect.objectContaining({ name: 'UnixprocWarning', code: 'UNIXPROC_FORK_UNSAFE' }),
    ]);
  });
  test('fork() is refused from a worker thread and while one is alive, allowed once it ended', () => {
    const run = runFixture('scenario.js', ['worker']);
    expect(run.result.fromWorker).toBe('ERR_UNIXPROC_FORK_UNSAFE');
    expect(run.result.whileAlive).toEqual({
      code: 'ERR_UNIXPROC_FORK_UNSAFE',
      message: expect.stringContaining('1 worker thread(s) alive'),
    });
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 4 });
  });
  test('the jest worker (not single-threaded) is refused before anything forks', () => {
    expect(() => fork()).toThrow(expect.objectContaining({ code: 'ERR_UNIXPROC_FORK_UNSAFE' }));
  });
  test('isSingleThreaded reads V8 flags from execArgv, last mention wins', () => {
    expect(isSingleThreaded(['--single-threaded'])).toBe(true);
    expect(isSingleThreaded(['--single_threaded'])).toBe(true);
    expect(isSingleThreaded(['--single-threaded', '--no-single-threaded'])).toBe(false);
    expect(isSingleThreaded(['--single-threaded-gc'])).toBe(false);
    expect(isSingleThreaded([])).toBe(false);
  });
  test('fork options are validated', () => {
    expect(() => fork({ unsafeAllowThreads: 1 as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
  test('register_at_fork rejects a non-function hook and an empty registration', () => {
    expect(() => register_at_fork({ before: 3 as unknown as () => void })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => register_at_fork({})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
