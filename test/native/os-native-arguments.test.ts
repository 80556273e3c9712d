// The addon called directly with values TypeScript would have rejected: every function of
// the os layer returns -EINVAL before its syscall runs. Never an abort of Node, a pending
// exception, or a syscall made with 0 in place of a bad value (kill(0) would signal the
// whole process group, _exit(0) would end this process).
import { native } from '../../lib/native';
import { childrenOf } from '../helpers/os-core-children';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = (...args: any[]) => unknown;
const addon = native<Record<string, Loose>>();
const EINVAL = -22;

const attrs = (over: Record<string, unknown>): Record<string, unknown> => ({
  actions: [],
  pgroup: null,
  resetids: false,
  setsid: false,
  sigmask: null,
  scheduler: null,
  ...over,
});

/** Calls posixSpawn and returns its result and the children it left behind. */
function spawnAttempt(...args: unknown[]): { result: unknown; newChildren: number[] } {
  const before = new Set(childrenOf(process.pid));
  const result = addon.posixSpawn(...args);
  const newChildren = childrenOf(process.pid).filter((pid) => !before.has(pid));
  for (const pid of newChildren) {
    addon.kill(pid, 9);
    addon.waitpid(pid, 0);
  }
  return { result, newChildren };
}

class SpeciesArray<T> extends Array<T> {}
Object.defineProperty(SpeciesArray, Symbol.species, { get: () => () => ({}) });

describe('posixSpawn reads every value before spawning, -EINVAL on a bad one', () => {
  test.each([
    ['a hole in argv', ['/bin/sh', ['sh', , '-c', 'sleep 2'], null, false, null]],
    ['a number in argv', ['/bin/true', ['true', 1], null, false, null]],
    ['a NUL byte in argv', ['/bin/true', ['true', 'a\u0000b'], null, false, null]],
    ['an empty argv', ['/bin/true', [], null, false, null]],
    ['argv not an array', ['/bin/true', 'true', null, false, null]],
    ['a hole in envp', ['/bin/true', ['true'], [, 'A=1'], false, null]],
    ['a path that is a number', [42, ['true'], null, false, null]],
    ['a path with a NUL byte', ['/bin/true\u0000x', ['true'], null, false, null]],
    ['search not a boolean', ['/bin/true', ['true'], null, 'no', null]],
    ['attrs not an object', ['/bin/true', ['true'], null, false, 5]],
    ['a file_actions hole', ['/bin/true', ['true'], null, false, attrs({ actions: [,] })]],
    ['a hole inside a file action', ['/bin/true', ['true'], null, false, attrs({ actions: [[2, , 9]] })]],
    ['a file action that is an object', ['/bin/true', ['true'], null, false, attrs({ actions: [{}] })]],
    ['an unknown file action tag', ['/bin/true', ['true'], null, false, attrs({ actions: [[7, 1]] })]],
    ['an OPEN with a numeric path', ['/bin/true', ['true'], null, false, attrs({ actions: [[0, 3, 5, 0, 0]] })]],
    ['a missing attribute', ['/bin/true', ['true'], null, false, { actions: [] }]],
    ['a pgroup that is a string', ['/bin/true', ['true'], null, false, attrs({ pgroup: '0' })]],
    ['a fractional fd', ['/bin/true', ['true'], null, false, attrs({ actions: [[1, 5.5]] })]],
    ['a hole in sigmask', ['/bin/true', ['true'], null, false, attrs({ sigmask: [10, ,] })]],
    ['a scheduler of one element', ['/bin/true', ['true'], null, false, attrs({ scheduler: [0] })]],
  ])('%s', (_what, args) => {
    expect(spawnAttempt(...(args as unknown[]))).toEqual({ result: EINVAL, newChildren: [] });
  });

  test('a species-subclassed file_actions is read element by element', () => {
    const actions = SpeciesArray.from([[1, 5]]);
    const pid = addon.posixSpawn('/bin/true', ['true'], null, false, attrs({ actions }));
    expect(pid).toBeGreaterThan(0);
    expect(addon.waitpid(pid, 0)).toEqual([pid, 0]);
  });

  test('a getter that throws is -EINVAL, with no exception left pending', () => {
    const argv = ['true'];
    Object.defineProperty(argv, 1, { get: () => { throw new Error('boom'); }, enumerable: true });
    expect(spawnAttempt('/bin/true', argv, null, false, null)).toEqual({ result: EINVAL, newChildren: [] });
  });

  test('a Buffer path and Buffer argv entries are passed as bytes', () => {
    const pid = addon.posixSpawn(Buffer.from('/bin/sh'), ['sh', Buffer.from('-c'), Buffer.from('exit 3')], null, false, null);
    expect(addon.waitpid(pid, 0)).toEqual([pid, 3 << 8]);
  });

  test('system with a command that is not a string is -EINVAL', () => {
    expect(addon.system(42)).toBe(EINVAL);
  });
});

describe('the integer and boolean arguments of the other functions', () => {
  test.each([
    ['kill', [undefined, 0]],
    ['kill', [process.pid, '0']],
    ['killpg', ['0', 0]],
    ['killpg', [0, NaN]],
    ['waitpid', [undefined, 0]],
    ['waitpid', [-1, 1.5]],
    ['wait4', [{}, 0]],
    ['waitid', [0, -1, 4]],
    ['waitid', [0, 0, 'x']],
    ['getpgid', ['0']],
    ['setpgid', [0, undefined]],
    ['getsid', [null]],
    ['tcgetpgrp', [2 ** 40]],
    ['tcsetpgrp', [0, undefined]],
    ['pidfdOpen', [undefined, 0]],
    ['pidfdSendSignal', [0, '9']],
    ['pidfdExited', ['3']],
    ['_exit', ['0']],
  ])('%s with %p is -EINVAL', (fn, args) => {
    expect(addon[fn](...(args as unknown[]))).toBe(EINVAL);
  });

  test('setChildSubreaper with a non-boolean is -EINVAL and leaves the attribute as it was', () => {
    const before = addon.getChildSubreaper();
    expect(addon.setChildSubreaper('no')).toBe(EINVAL);
    expect(addon.getChildSubreaper()).toBe(before);
  });
});
