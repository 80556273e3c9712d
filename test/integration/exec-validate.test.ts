// exec arguments are validated before anything changes in the process (no native call).
import { execv, execve, execvp, execvpe, execle } from '../../lib/os/exec';
import { get_blocking, get_inheritable, set_blocking, set_inheritable } from '../../lib/os/fds';
import * as fs from 'node:fs';

const code = (c: string) => expect.objectContaining({ code: c });

describe('exec argument validation', () => {
  test('an empty argv is rejected (Python: arg 2 must not be empty)', () => {
    expect(() => execv('/bin/true', [])).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });
  test('an empty argv[0] is rejected', () => {
    expect(() => execv('/bin/true', [''])).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });
  test('a NUL byte in the path or an argument is rejected, not truncated', () => {
    expect(() => execv('/bin/true\0x', ['true'])).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => execvp('true', ['true', 'a\0b'])).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });
  test("an env key with '=' or a non-string value is rejected", () => {
    expect(() => execve('/bin/true', ['true'], { 'A=B': 'x' })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => execve('/bin/true', ['true'], { A: 1 as unknown as string })).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
  // Issue 8: a Set's or a Date's own entries are empty, so either ran the program with an
  // empty environment. (A path that does not exist: had the check been missed, exec fails
  // with ENOENT and leaves this process as it was, instead of replacing the test worker.)
  test.each([
    ['a Set', new Set(['A=1'])],
    ['a Date', new Date(0)],
  ])('an env that is %s is rejected by execve, execvpe and execle', (_what, env) => {
    const asEnv = env as unknown as Record<string, string>;
    const typeError = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^The "env" argument must be a plain object or an instance of Map/) });
    expect(() => execve('/nonexistent/unixproc', ['x'], asEnv)).toThrow(typeError);
    expect(() => execvpe('/nonexistent/unixproc', ['x'], asEnv)).toThrow(typeError);
    expect(() => execle('/nonexistent/unixproc', 'x', asEnv)).toThrow(typeError);
  });
  test('argv that is not an array, and a negative fd, are rejected', () => {
    expect(() => execv('/bin/true', 'true' as unknown as string[])).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => execve(-1, ['true'], {})).toThrow(code('ERR_OUT_OF_RANGE'));
  });
  test('execle takes its last argument as the env: a string there is rejected as env, not run as an argument', () => {
    const call = () => execle('/bin/true', 'true', 'not-an-env' as unknown as Record<string, string>);
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^The "env" argument/) }));
  });
  test('execle with only an env has an empty argv, which is rejected', () => {
    expect(() => execle('/bin/true', {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/'argv' must not be empty/) }));
  });
});

describe('fd flags', () => {
  test('set_inheritable / get_inheritable round-trip FD_CLOEXEC', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(get_inheritable(fd)).toBe(false); // Node opens with O_CLOEXEC
      set_inheritable(fd, true);
      expect(get_inheritable(fd)).toBe(true);
      set_inheritable(fd, false);
      expect(get_inheritable(fd)).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
  });
  test('set_blocking / get_blocking round-trip O_NONBLOCK', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(get_blocking(fd)).toBe(true);
      set_blocking(fd, false);
      expect(get_blocking(fd)).toBe(false);
      set_blocking(fd, true);
      expect(get_blocking(fd)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });
  test('a closed fd: EBADF from fcntl', () => {
    const fd = fs.openSync('/dev/null', 'r');
    fs.closeSync(fd);
    expect(() => get_inheritable(fd)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
    expect(() => set_blocking(fd, true)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
  });
  test('a negative fd goes to the kernel: EBADF, as in Python (issue 13)', () => {
    expect(() => get_inheritable(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
    expect(() => set_inheritable(-1, true)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
    expect(() => set_blocking(-1, true)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
  });
  test('bad arguments are rejected before any syscall', () => {
    expect(() => set_inheritable(1.5, true)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => set_inheritable(2 ** 31, true)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => set_blocking(0, 'yes' as unknown as boolean)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});

// Python's os.execvpe(file, args, None) runs with os.environ (Lib/os.py _execvpe); null and
// undefined do the same here (issue 13).
describe('execvpe and execlpe with a null environment', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { runNodeScript } = require('../helpers/os-core-children') as typeof import('../helpers/os-core-children');
  test.each([
    ['execvpe(file, args, null)', "os.execvpe('sh', ['sh', '-c', 'echo \"$MARK13\"'], null)"],
    ['execvpe(file, args, undefined)', "os.execvpe('sh', ['sh', '-c', 'echo \"$MARK13\"'], undefined)"],
    ['execlpe(file, ..., null)', "os.execlpe('sh', 'sh', '-c', 'echo \"$MARK13\"', null)"],
  ])('%s execs with the current environment and PATH', (_what, call) => {
    const r = runNodeScript(`process.env.MARK13 = 'set-at-run-time'; ${call};`);
    expect(r).toEqual({ status: 0, stdout: 'set-at-run-time\n' });
  });
  test('execve with a null environment is still a TypeError, as in Python', () => {
    expect(() => execve('/bin/true', ['true'], null as unknown as Record<string, string>)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});
