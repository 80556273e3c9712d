// posix_spawn with sparse arrays and Symbol.species subclasses (review of issue 2): each is a
// coded argument error thrown before anything is spawned, never an abort, a changed argv or
// a leaked child.
import * as os from '../../lib/os';
import { childrenOf } from '../helpers/os-core-children';

/** Runs `f`, which must throw, and returns the error and the children it left behind. */
function attempt(f: () => unknown): { error: unknown; newChildren: number[] } {
  const before = new Set(childrenOf(process.pid));
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  const newChildren = childrenOf(process.pid).filter((pid) => !before.has(pid));
  // Own whatever a regression spawned, so that the run does not leak it.
  for (const pid of newChildren) {
    try {
      os.kill(pid, 'SIGKILL');
      os.waitpid(pid, 0);
    } catch {
      // already reaped
    }
  }
  return { error, newChildren };
}

/** A subclass whose map() (through Symbol.species) would build a plain object. */
class SpeciesArray<T> extends Array<T> {}
Object.defineProperty(SpeciesArray, Symbol.species, {
  get: () =>
    function () {
      return {};
    },
});

describe('posix_spawn rejects sparse and species arrays before spawning', () => {
  test('a hole in argv is ERR_INVALID_ARG_TYPE naming argv[1], and no child is created', () => {
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/sh', ['sh', , '-c', 'sleep 2'] as string[], null));
    expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"argv[1]"');
    expect(newChildren).toEqual([]);
  });

  test('an argv made by new Array(n) (all holes) is rejected naming argv[0]', () => {
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/true', new Array(2) as string[], null));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"argv[0]"');
    expect(newChildren).toEqual([]);
  });

  test('a file_actions of one hole is ERR_INVALID_ARG_TYPE naming file_actions[0], not an abort', () => {
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/true', ['true'], null, { file_actions: [,] as unknown as os.FileAction[] }));
    expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"options.file_actions[0]"');
    expect(newChildren).toEqual([]);
  });

  test('a hole inside one file action is rejected naming that element', () => {
    const action = [os.POSIX_SPAWN_DUP2, , 9] as unknown as os.FileAction;
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/true', ['true'], null, { file_actions: [action] }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"options.file_actions[0][1]"');
    expect(newChildren).toEqual([]);
  });

  test('a file_actions subclass whose Symbol.species builds objects is read as a plain array', () => {
    const actions = SpeciesArray.from([[os.POSIX_SPAWN_CLOSE, 5]]) as unknown as os.FileAction[];
    expect(actions.map((a) => a)).not.toBeInstanceOf(Array); // the trap the validator avoids
    const pid = os.posix_spawn('/bin/true', ['true'], null, { file_actions: actions });
    expect(os.waitpid(pid, 0)).toEqual([pid, 0]);
  });

  test('an argv subclass whose Symbol.species builds objects reaches the program unchanged', () => {
    const argv = SpeciesArray.from(['sh', '-c', 'exit 7']) as unknown as string[];
    const pid = os.posix_spawn('/bin/sh', argv, null);
    expect(os.waitpid(pid, 0)).toEqual([pid, 7 << 8]);
  });

  test('a hole in setsigmask is rejected naming setsigmask[1], and no child is created', () => {
    const { error, newChildren } = attempt(() =>
      os.posix_spawn('/bin/true', ['true'], null, { setsigmask: ['SIGUSR1', ,] as NodeJS.Signals[] }),
    );
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"options.setsigmask[1]"');
    expect(newChildren).toEqual([]);
  });

  test('a hole in scheduler is rejected naming scheduler[0], and no child is created', () => {
    const scheduler = [, 0] as unknown as [number, number];
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/true', ['true'], null, { scheduler }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"options.scheduler[0]"');
    expect(newChildren).toEqual([]);
  });

  test('an env value that is undefined is left out, as process.env copies do', () => {
    const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'test -z "${GONE+set}" && test "$KEPT" = yes'], { GONE: undefined, KEPT: 'yes' });
    expect(os.waitpid(pid, 0)).toEqual([pid, 0]);
  });

  test('an env value that is not a string is ERR_INVALID_ARG_TYPE naming it, and no child is created', () => {
    const { error, newChildren } = attempt(() => os.posix_spawn('/bin/true', ['true'], new Map([['A', 1 as unknown as string]])));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect((error as Error).message).toContain('"env.A"');
    expect(newChildren).toEqual([]);
  });
});
