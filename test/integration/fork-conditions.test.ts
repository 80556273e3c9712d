// fork() refuses when a child could not be trusted, and says how to run the program.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeWaitStatus } from '../../lib/exit-status';
import { fork, isSingleThreaded, register_at_fork } from '../../lib/os/fork';
import { runFixture } from '../helpers/fork-run';

const ROOT = path.resolve(__dirname, '..', '..');
// Forks; prints `forked args=<json>` after reaping the child, or the refusal's message.
const FORKING = `
require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
const { fork } = require(${JSON.stringify(path.join(ROOT, 'lib/os/fork.ts'))});
const { reap } = require(${JSON.stringify(path.join(ROOT, 'test/fixtures/fork/reap.js'))});
let pid;
try { pid = fork(); } catch (e) { console.log(e.message); return; }
if (pid === 0) process.exit(0);
const r = reap(pid);
console.log('forked args=' + JSON.stringify(process.argv.slice(process.argv[1] && process.argv[1].endsWith('.js') ? 2 : 1)) + ' status=' + r.status);
`;

function envWithoutOptIn(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.UNIXPROC_FORK_UNSAFE_ALLOW_THREADS;
  return env;
}

// The command the refusal names, run by a shell: it must fork, with the same arguments.
function runSuggested(message: string): string {
  // between "...off:\n  " and "\n(or pass": the command may span lines (an -e script)
  const start = message.indexOf(':\n  ') + 4;
  const command = message.slice(start, message.lastIndexOf('\n(or pass'));
  expect(command).toMatch(/--single-threaded/);
  const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', timeout: 30000, env: envWithoutOptIn() });
  return r.stdout.trim();
}

describe('the refusal names a command that runs', () => {
  test('a script whose path has a space, with arguments that need quoting', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-refusal-'));
    try {
      const script = path.join(dir, 'my app.js');
      fs.writeFileSync(script, `(function () {${FORKING}})();`);
      const r = spawnSync(process.execPath, [script, 'a b', "it's", '$HOME'], { encoding: 'utf8', env: envWithoutOptIn() });
      expect(r.stdout).toContain('fork() refused');
      expect(runSuggested(r.stdout)).toBe('forked args=["a b","it\'s","$HOME"] status=0');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('node -e with arguments: --single-threaded is added to the same command line', () => {
    const r = spawnSync(process.execPath, ['-e', `(function () {${FORKING}})();`, 'x y'], {
      encoding: 'utf8',
      env: envWithoutOptIn(),
    });
    expect(r.stdout).toContain('fork() refused');
    expect(r.stdout).toContain('Add --single-threaded to the node command line');
    expect(runSuggested(r.stdout)).toBe('forked args=["x y"] status=0');
  });
});

describe('loading fork()', () => {
  test("does not change child_process: a spawn error without an 'error' listener still ends the process", () => {
    const code = `
      require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
      require(${JSON.stringify(path.join(ROOT, 'lib/os/fork.ts'))});
      require('node:child_process').spawn('/no/such/program');
      setTimeout(() => console.log('still running'), 500);
    `;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ENOENT');
    expect(r.stdout).not.toContain('still running');
  });
});

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
    const run = runFixture('scenario.js', ['optIn'], [], envWithoutOptIn());
    expect(run.result.hung).toBe(false);
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    expect(run.result.warnings).toEqual([
      expect.objectContaining({ name: 'UnixprocWarning', code: 'UNIXPROC_FORK_UNSAFE' }),
    ]);
  });
  test('the unsafeAllowThreads warning is emitted in the parent only, as CPython does (issue 13)', () => {
    const run = runFixture('scenario.js', ['optIn'], [], envWithoutOptIn());
    expect(decodeWaitStatus(run.result.status as number)).toEqual({ kind: 'exited', code: 0 });
    expect(run.stdout).toContain('CHILD-WARNINGS []\n');
    // Node's default handler prints it on stderr: once, by the parent.
    expect(run.stderr.split('fork() with V8 background threads on').length - 1).toBe(1);
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
    // The opt-in variable in the environment would make fork() fork the jest worker itself.
    const saved = process.env.UNIXPROC_FORK_UNSAFE_ALLOW_THREADS;
    delete process.env.UNIXPROC_FORK_UNSAFE_ALLOW_THREADS;
    try {
      expect(() => fork()).toThrow(expect.objectContaining({ code: 'ERR_UNIXPROC_FORK_UNSAFE' }));
    } finally {
      if (saved !== undefined) process.env.UNIXPROC_FORK_UNSAFE_ALLOW_THREADS = saved;
    }
  });
  test('isSingleThreaded reads V8 flags from execArgv, last mention wins', () => {
    expect(isSingleThreaded(['--single-threaded'])).toBe(true);
    expect(isSingleThreaded(['--single_threaded'])).toBe(true);
    expect(isSingleThreaded(['--single-threaded', '--no-single-threaded'])).toBe(false);
    expect(isSingleThreaded(['--single-threaded-gc'])).toBe(false);
    expect(isSingleThreaded([])).toBe(false);
  });
  test.each<[string, unknown, string]>([
    ['NaN (issue 8: was "execArgv is not iterable")', NaN, 'ERR_INVALID_ARG_TYPE'],
    ['a string', '--single-threaded', 'ERR_INVALID_ARG_TYPE'],
    ['a Set', new Set(['--single-threaded']), 'ERR_INVALID_ARG_TYPE'],
    ['an array with a number', ['--single-threaded', 1], 'ERR_INVALID_ARG_TYPE'],
    ['an array with a hole', [, '--single-threaded'], 'ERR_INVALID_ARG_TYPE'],
  ])('isSingleThreaded rejects %s with %s', (_what, execArgv, code) => {
    expect(() => isSingleThreaded(execArgv as string[])).toThrow(expect.objectContaining({ code }));
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
