// Real zombies, made here and reaped here, found by findZombies() under the right parent.
import { findZombies, getProcess, isRunning, isSameProcess } from '../../lib/proc';
import { becomeSubreaper, ppidOf, PYTHON, reapPid, spawnReporter, stateLetter, waitFor } from '../helpers/proc-spawn';

// Forks three children that exit at once and are not waited for until stdin says so.
const HOLDER = `
import os, sys
pids = []
for _ in range(3):
    p = os.fork()
    if p == 0:
        os._exit(0)
    pids.append(p)
for p in pids:
    print(p, flush=True)
sys.stdin.readline()
for p in pids:
    os.waitpid(p, 0)
print('reaped', flush=True)
sys.stdin.readline()
`;

describe('findZombies with real zombies', () => {
  test('finds the zombies grouped under the parent that does not wait, then not once reaped', async () => {
    const holder = spawnReporter(PYTHON, ['-c', HOLDER]);
    try {
      const zombies = (await holder.lines(3)).map(Number);
      await waitFor('three zombies', () => zombies.every((z) => stateLetter(z) === 'Z'));

      const group = findZombies().find((g) => g.parentPid === holder.child.pid);
      expect(group).toBeDefined();
      expect(group?.count).toBe(3);
      expect(group?.parentKind).toBe('process');
      expect(group?.zombies.map((z) => z.pid).sort()).toEqual([...zombies].sort());
      expect(group?.zombies.every((z) => z.state.name === 'zombie' && z.ppid === holder.child.pid)).toBe(true);
      expect(group?.parent?.pid).toBe(holder.child.pid);
      expect(group?.parent?.state.name).toMatch(/sleeping|running/);
      expect(group?.parent?.comm).toMatch(/^python/);
      expect(group?.parent?.cmdline?.slice(1)).toEqual(['-c', HOLDER]);

      holder.child.stdin?.write('\n');
      const [, , , done] = await holder.lines(4);
      expect(done).toBe('reaped');
      expect(findZombies().find((g) => g.parentPid === holder.child.pid)).toBeUndefined();
      for (const z of zombies) {
        const p = getProcess(z);
        // Gone, or the pid already names someone else.
        expect(p === undefined || p.ppid !== holder.child.pid).toBe(true);
      }
    } finally {
      holder.child.stdin?.end();
      await holder.exited();
    }
  });

  test('a zombie is the same process but not running, until reaped', async () => {
    const holder = spawnReporter(PYTHON, ['-c', HOLDER]);
    try {
      const [z] = (await holder.lines(3)).map(Number);
      await waitFor('a zombie', () => stateLetter(z) === 'Z');
      const ref = getProcess(z);
      expect(ref?.state.letter).toBe('Z');
      expect(isSameProcess(ref!)).toBe(true);
      expect(isRunning(ref!)).toBe(false);
      holder.child.stdin?.write('\n');
      await holder.lines(4);
      expect(isSameProcess(ref!)).toBe(false);
    } finally {
      holder.child.stdin?.end();
      await holder.exited();
    }
  });
});

describe('a zombie held by a subreaper', () => {
  let restore: () => void;
  beforeAll(() => {
    restore = becomeSubreaper();
  });
  afterAll(() => restore());

  test('is reported with parentKind subreaper and this process as parent', async () => {
    // The child outlives its parent (so it is re-parented here), then exits on EOF.
    const p = spawnReporter(PYTHON, [
      '-c',
      'import os, sys\nc = os.fork()\nif c == 0:\n    sys.stdin.read()\n    os._exit(0)\nprint(c, flush=True)\nos._exit(0)',
    ]);
    const [c] = (await p.lines(1)).map(Number);
    await p.exited();
    try {
      await waitFor('re-parenting', () => ppidOf(c) === process.pid);
      p.child.stdin?.end();
      await waitFor('the orphan to exit', () => stateLetter(c) === 'Z');
      const group = findZombies().find((g) => g.zombies.some((z) => z.pid === c));
      expect(group?.parentPid).toBe(process.pid);
      expect(group?.parentKind).toBe('subreaper');
    } finally {
      p.child.stdin?.destroy();
      await reapPid(c);
    }
  });
});
