// native/daemon.cc called directly: daemonize and flock return -EINVAL for values
// TypeScript would have rejected, before any fork; flock's documented errnos.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../lib/native';
import { childrenOf } from '../helpers/os-core-children';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = (...args: any[]) => unknown;
const addon = native<Record<string, Loose>>();
const EINVAL = -22;
const EBADF = -9;
const EWOULDBLOCK = -11;
const LOCK_EX = 2;
const LOCK_NB = 4;

describe('daemonize returns -EINVAL and starts nothing for', () => {
  const config = (): Int32Array => new Int32Array([0, 1, 2, 0o22, -1]);
  test.each<[string, unknown[]]>([
    ['candidates that are not an array', ['/bin/true', ['true'], [], '/', config(), []]],
    ['an argv element that is not a string', [['/bin/true'], [1], [], '/', config(), []]],
    ['a cwd that is not a string', [['/bin/true'], ['true'], [], 5, config(), []]],
    ['a config that is not an Int32Array', [['/bin/true'], ['true'], [], '/', [0, 1, 2, 0, -1], []]],
    ['a config that is too short', [['/bin/true'], ['true'], [], '/', new Int32Array(4), []]],
    ['a negative stdio fd', [['/bin/true'], ['true'], [], '/', new Int32Array([-1, 1, 2, 0, -1]), []]],
    ['an extraEnv element that is not a string', [['/bin/true'], ['true'], [], '/', config(), [7]]],
  ])('%s', (_what, args) => {
    const before = childrenOf(process.pid).length;
    expect(addon.daemonize(...args)).toBe(EINVAL);
    expect(childrenOf(process.pid).length).toBe(before);
  });
});

describe('flock', () => {
  test('-EINVAL for a non-number fd or operation', () => {
    expect(addon.flock('3', LOCK_EX)).toBe(EINVAL);
    expect(addon.flock(0, undefined)).toBe(EINVAL);
  });

  test('-EBADF for a closed fd', () => {
    expect(addon.flock(2147483000, LOCK_EX | LOCK_NB)).toBe(EBADF);
  });

  test('-EWOULDBLOCK with LOCK_NB when another open file description holds the lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unixproc-flock-'));
    const a = openSync(join(dir, 'f'), 'w');
    const b = openSync(join(dir, 'f'), 'r');
    try {
      expect(addon.flock(a, LOCK_EX | LOCK_NB)).toBe(0);
      expect(addon.flock(b, LOCK_EX | LOCK_NB)).toBe(EWOULDBLOCK);
    } finally {
      closeSync(a);
      closeSync(b);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
