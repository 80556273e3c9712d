import * as os from '../../lib/os';

describe('identity', () => {
  test('getpid and getppid are the live values', () => {
    expect(os.getpid()).toBe(process.pid);
    expect(os.getppid()).toBe(process.ppid);
  });

  test('getpgid(0), getpgrp() and getpgid(getpid()) agree', () => {
    expect(os.getpgid(0)).toBe(os.getpgrp());
    expect(os.getpgid(os.getpid())).toBe(os.getpgrp());
  });

  test('getsid(0) is the session of getsid(getpid()) and of /proc/self/stat', () => {
    // The kernel reports 0 when the session leader lives outside this pid namespace
    // (as in some CI containers), so the oracle is /proc, not "greater than 0".
    const stat = require('node:fs').readFileSync('/proc/self/stat', 'utf8') as string;
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    expect(os.getsid(0)).toBe(os.getsid(os.getpid()));
    expect(os.getsid(0)).toBe(session);
    expect(os.getpgrp()).toBe(pgrp);
  });

  test('getsid and getpgid of a pid that does not exist throw ESRCH', () => {
    // pid_max is at most 2^22 on Linux, so this pid cannot exist.
    expect(() => os.getsid(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ESRCH', errno: -3, syscall: 'getsid' }));
    expect(() => os.getpgid(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'getpgid' }));
  });

  test('a negative pid goes to the kernel, as in Python (issue 13): getsid/getpgid ESRCH, setpgid EINVAL', () => {
    expect(() => os.getsid(-1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'getsid' }));
    expect(() => os.getpgid(-1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'getpgid' }));
    expect(() => os.setpgid(-1, 0)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setpgid' }));
    expect(() => os.setpgid(0, -1)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setpgid' }));
  });

  test.each([
    ['string', '1', 'ERR_INVALID_ARG_TYPE'],
    ['NaN', NaN, 'ERR_OUT_OF_RANGE'],
    ['fraction', 1.5, 'ERR_OUT_OF_RANGE'],
    ['beyond pid_t', 2 ** 31, 'ERR_OUT_OF_RANGE'],
    ['bigint', 1n, 'ERR_INVALID_ARG_TYPE'],
  ])('getsid rejects a %s pid with %s', (_what, value, code) => {
    expect(() => os.getsid(value as number)).toThrow(expect.objectContaining({ code }));
    expect(() => os.getpgid(value as number)).toThrow(expect.objectContaining({ code }));
    expect(() => os.setpgid(value as number, 0)).toThrow(expect.objectContaining({ code }));
    expect(() => os.setpgid(0, value as number)).toThrow(expect.objectContaining({ code }));
  });

  test('tcgetpgrp on a descriptor that is not a terminal throws ENOTTY', () => {
    const fs = require('node:fs');
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => os.tcgetpgrp(fd)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'tcgetpgrp' }));
      expect(() => os.tcsetpgrp(fd, os.getpid())).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'tcsetpgrp' }));
    } finally {
      fs.closeSync(fd);
    }
    expect(() => os.tcgetpgrp(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'tcgetpgrp' }));
  });
});
