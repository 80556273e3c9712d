import { isErrnoException, systemError, check, invalidArgType, outOfRange } from '../../lib/errors';
import * as vm from 'node:vm';

describe('systemError', () => {
  test('is shaped like a Node system error, with a negative errno', () => {
    const err = systemError(10, 'waitpid');
    expect(err.code).toBe('ECHILD');
    expect(err.errno).toBe(-10);
    expect(err.syscall).toBe('waitpid');
    expect(err.message).toBe('waitpid ECHILD');
    expect(err.path).toBeUndefined();
  });

  test('carries the path and names it in the message', () => {
    const err = systemError(-2, 'posix_spawn', '/no/such');
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.path).toBe('/no/such');
    expect(err.message).toBe("posix_spawn ENOENT '/no/such'");
  });

  test('check passes non-negative results through and throws on a negative errno', () => {
    expect(check(5, 'getsid')).toBe(5);
    expect(check([1, 2], 'waitpid')).toEqual([1, 2]);
    expect(() => check(-3, 'kill')).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'kill' }));
  });
});

describe('isErrnoException', () => {
  test('recognises our errors and Node fs errors', () => {
    expect(isErrnoException(systemError(-1, 'setsid'))).toBe(true);
    let fsErr: unknown;
    try {
      require('node:fs').readFileSync('/no/such/file');
    } catch (e) {
      fsErr = e;
    }
    expect(isErrnoException(fsErr)).toBe(true);
  });

  test('works across realms', () => {
    const foreign = vm.runInNewContext(
      'const e = new Error("x"); e.code = "EPERM"; e.errno = -1; e.syscall = "setsid"; e',
    );
    expect(foreign instanceof Error).toBe(false);
    expect(isErrnoException(foreign)).toBe(true);
  });

  test('rejects look-alikes that are not errors or lack fields', () => {
    expect(isErrnoException({ code: 'EPERM', errno: -1, syscall: 'x' })).toBe(false);
    expect(isErrnoException(new Error('plain'))).toBe(false);
    expect(isErrnoException(null)).toBe(false);
    expect(isErrnoException(invalidArgType('pid', 'of type number', 'x'))).toBe(false);
  });
});

describe('argument errors', () => {
  test('carry Node codes and name the argument', () => {
    const t = invalidArgType('pid', 'of type number', 'x');
    expect(t).toBeInstanceOf(TypeError);
    expect(t.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(t.message).toBe('The "pid" argument must be of type number. Received type string (\'x\')');
    const r = outOfRange('pid', 'an integer', 1.5);
    expect(r).toBeInstanceOf(RangeError);
    expect(r.code).toBe('ERR_OUT_OF_RANGE');
    expect(r.message).toContain('"pid"');
  });
});
