// The issue-13 native functions (native/fd.cc, sched.cc, resource.cc) called directly with
// values TypeScript would have rejected: each returns -EINVAL before its syscall runs, never
// aborts Node, never leaves an exception pending, never acts on a 0 it made up (close(0),
// closerange(0, ...) or login_tty(0) would break this process).
import * as fs from 'node:fs';
import { native } from '../../lib/native';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = (...args: any[]) => unknown;
const addon = native<Record<string, Loose>>();
const EINVAL = -22;

describe('bad values are -EINVAL', () => {
  test.each([
    ['pipe2', ['x']],
    ['dup', [1.5]],
    ['dup2', [0, 'x', true]],
    ['dup2', [0, 1, 'yes']],
    ['close', [undefined]],
    ['closerange', [0, '9']],
    ['readInto', [0, 'not a buffer']],
    ['write', [1, 'a string']],
    ['loginTty', [NaN]],
    ['ttyname', [{}]],
    ['nice', ['1']],
    ['getpriority', [0, null]],
    ['setpriority', [0, 0, 2 ** 31]],
    ['schedGetScheduler', ['0']],
    ['schedSetScheduler', [0, 0, undefined]],
    ['schedGetParam', [0.5]],
    ['schedSetParam', [0, '0']],
    ['schedGetPriorityMin', [null]],
    ['schedGetPriorityMax', [null]],
    ['schedRrGetInterval', ['0']],
    ['schedGetAffinity', [-0.5]],
    ['schedSetAffinity', [0, 'cpus']],
    ['schedSetAffinity', [0, [0, -1]]],
    ['schedSetAffinity', [0, [0, , 1]]],
    ['prlimit', [0, 7, 'no']],
    ['prlimit', [0, 7, true, -2, -1]],
    ['prlimit', [0, 7, true, 1]],
    ['getrusage', ['0']],
  ])('%s(%j)', (name, args) => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    expect(addon[name](...(args as unknown[]))).toBe(EINVAL);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  test('isatty with a bad value is false', () => {
    expect(addon.isatty('1')).toBe(false);
  });

  test('stdio is intact after the calls above', () => {
    expect(fs.fstatSync(0)).toBeDefined();
    expect(addon.getInheritable(1)).toBeGreaterThanOrEqual(0);
  });
});
