// Supervision trees (issue 11, item 4), with real processes: children started in order, each
// once the previous one is ready (s6 notification fd); one-for-one, one-for-all and
// rest-for-one restarts; restart policies per child; the start limit (the tree gives up and
// stops everything in reverse order); reverse-order termination; subtrees. Order is asserted
// on the sequence of events, never on timings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  superviseTree,
  type ChildSpec,
  type ServiceOptions,
  type SuperviseTreeOptions,
  type SupervisionTree,
  type SupervisionTreeEvents,
  type TreeEventSource,
  type TreeFailure,
  type Supervisor,
} from '../../lib/supervise';
import { statFields, waitFor } from '../helpers/supervise-helpers';

let dir: string;
const live: SupervisionTree[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'unixproc-tree-'));
});
afterEach(async () => {
  for (const t of live.splice(0)) await t.terminate({ killGracePeriod: 2000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ready once it wrote a newline to fd 3; ends on SIGTERM. */
const READY = `echo >&3; exec 3>&-; exec sleep 300`;
/** Ready once the file `gate` exists. */
const gated = (gate: string): string => `while [ ! -e ${gate} ]; do sleep 0.02; done; echo >&3; exec 3>&-; exec sleep 300`;
/** Ready at once; exits 0 on SIGUSR1. */
const CLEAN_ON_USR1 = `trap 'exit 0' USR1; echo >&3; exec 3>&-; sleep 300 & wait`;

const FD3: ServiceOptions = { ready: { fd: 3 }, killGracePeriod: 2000 };

function service(name: string, script = READY, options: ServiceOptions = {}): ChildSpec {
  return { name, file: '/bin/sh', args: ['-c', script], options: { ...FD3, ...options } };
}

function tree(children: readonly ChildSpec[], options?: SuperviseTreeOptions): SupervisionTree {
  const t = superviseTree(children, { backoff: { initial: 0 }, ...options });
  live.push(t);
  return t;
}

type Sourced = 'spawn' | 'childReady' | 'exit' | 'spawnError' | 'restart' | 'childFailed';

/** Every event of the tree, as `'<event> <path>'` (the tree's own: `'<event>'`), in order. */
function record(t: SupervisionTree): string[] {
  const log: string[] = [];
  for (const ev of ['spawn', 'childReady', 'exit', 'spawnError', 'restart', 'childFailed'] as const) {
    t.on(ev, (e: TreeEventSource) => log.push(`${ev} ${e.path.join('/')}`));
  }
  for (const ev of ['ready', 'failed', 'stopped'] as const) t.on(ev, () => log.push(ev));
  return log;
}

/** The next `ev` about `path` (a/b for a subtree's child). */
function next<E extends Sourced>(t: SupervisionTree, ev: E, path: string): Promise<SupervisionTreeEvents[E][0]> {
  return new Promise((resolve) => {
    const listener = (e: SupervisionTreeEvents[E][0]): void => {
      if (e.path.join('/') !== path) return;
      t.off(ev, listener as never);
      resolve(e);
    };
    t.on(ev, listener as never);
  });
}

function sup(t: SupervisionTree, name: string): Supervisor {
  const s = t.children.find((c) => c.name === name)?.supervisor;
  if (s === undefined) throw new Error(`no supervisor for ${name}`);
  return s;
}

function pids(t: SupervisionTree): (number | undefined)[] {
  return t.children.map((c) => c.supervisor?.pid);
}

/** The log from `mark` on. */
const since = (log: string[], mark: number): string[] => log.slice(mark);

describe('start and stop order', () => {
  test('each child starts once the previous one is ready; the tree is ready once all are', async () => {
    const gate = join(dir, 'gate-order');
    const t = tree([service('a', gated(gate)), service('b'), service('c')]);
    const log = record(t);
    await next(t, 'spawn', 'a');
    await waitFor('a to run its gate loop', () => sup(t, 'a').state === 'starting');
    // a is not ready: b and c are not started
    expect(t.state).toBe('starting');
    expect(t.children.map((c) => c.state)).toEqual(['starting', 'idle', 'idle']);
    expect(t.children[1].supervisor).toBeUndefined();
    writeFileSync(gate, '');
    await t.ready();
    expect(log).toEqual(['spawn a', 'childReady a', 'spawn b', 'childReady b', 'spawn c', 'childReady c', 'ready']);
    expect(t.state).toBe('running');
    expect(t.children.map((c) => c.state)).toEqual(['running', 'running', 'running']);
    expect(t.children.map((c) => c.supervisor?.name)).toEqual(['a', 'b', 'c']); // the Supervisor is named as its spec
  });

  test('terminate() stops the children in reverse order, one after the other, and resolves once all are gone', async () => {
    const t = tree([service('a'), service('b'), service('c')]);
    await t.ready();
    const before = pids(t) as number[];
    const log = record(t);
    await t.terminate();
    expect(log).toEqual(['exit c', 'exit b', 'exit a', 'stopped']);
    expect(t.state).toBe('stopped');
    expect(t.children.map((c) => [c.state, c.supervisor?.state, c.supervisor?.pid])).toEqual([
      ['stopped', 'stopped', undefined],
      ['stopped', 'stopped', undefined],
      ['stopped', 'stopped', undefined],
    ]);
    for (const pid of before) expect(statFields(pid)).toBeUndefined(); // reaped
    await expect(t.done()).resolves.toBe('stopped');
  });

  test('terminate() while a child is starting stops it; the later ones are never started; ready() rejects', async () => {
    const t = tree([service('a'), service('b', gated(join(dir, 'never'))), service('c')]);
    const ready = t.ready();
    await next(t, 'spawn', 'b');
    await t.terminate();
    await expect(ready).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY', state: 'stopped' });
    expect(t.children.map((c) => [c.state, c.supervisor === undefined])).toEqual([
      ['stopped', false],
      ['stopped', false],
      ['stopped', true],
    ]);
  });
});

describe('strategies', () => {
  test("'one-for-one': only the failed child is restarted", async () => {
    const t = tree([service('a'), service('b'), service('c')], { strategy: 'one-for-one' });
    await t.ready();
    const [a, b, c] = pids(t);
    const log = record(t);
    const restart = next(t, 'restart', 'b');
    const back = next(t, 'childReady', 'b');
    sup(t, 'b').kill('SIGKILL');
    expect(await restart).toMatchObject({ name: 'b', children: ['b'], count: 1, delay: 0 });
    await back;
    expect(log).toEqual(['exit b', 'restart b', 'spawn b', 'childReady b']);
    const now = pids(t);
    expect([now[0], now[2]]).toEqual([a, c]);
    expect(now[1]).not.toBe(b);
    expect(t.children.map((x) => x.restarts)).toEqual([0, 1, 0]);
    expect(t.restarts).toBe(1);
    expect(t.state).toBe('running');
  });

  test("'one-for-all': the others are stopped in reverse order, then all start again in order", async () => {
    const t = tree([service('a'), service('b'), service('c')], { strategy: 'one-for-all' });
    await t.ready();
    const before = pids(t);
    const log = record(t);
    const exits: string[] = [];
    t.on('exit', (e) => exits.push(`${e.name}:${e.reason}`));
    const restart = next(t, 'restart', 'b');
    const back = next(t, 'childReady', 'c');
    sup(t, 'b').kill('SIGKILL');
    expect(await restart).toMatchObject({ name: 'b', children: ['a', 'b', 'c'] });
    await back;
    expect(log).toEqual([
      'exit b', 'restart b', 'exit c', 'exit a',
      'spawn a', 'childReady a', 'spawn b', 'childReady b', 'spawn c', 'childReady c',
    ]);
    expect(exits).toEqual(['b:exited', 'c:terminated', 'a:terminated']);
    const after = pids(t);
    for (let i = 0; i < 3; i++) expect(after[i]).not.toBe(before[i]);
    expect(t.restarts).toBe(1); // one decision, three children
  });

  test("'rest-for-one': the failed child and those started after it", async () => {
    const t = tree([service('a'), service('b'), service('c')], { strategy: 'rest-for-one' });
    await t.ready();
    const before = pids(t);
    const log = record(t);
    const restart = next(t, 'restart', 'b');
    const back = next(t, 'childReady', 'c');
    sup(t, 'b').kill('SIGKILL');
    expect(await restart).toMatchObject({ children: ['b', 'c'] });
    await back;
    expect(log).toEqual(['exit b', 'restart b', 'exit c', 'spawn b', 'childReady b', 'spawn c', 'childReady c']);
    const after = pids(t);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[2]).not.toBe(before[2]);
  });

  test("'rest-for-one': a failure of the first child restarts everything, in order", async () => {
    const t = tree([service('a'), service('b'), service('c')], { strategy: 'rest-for-one' });
    await t.ready();
    const log = record(t);
    const back = next(t, 'childReady', 'c');
    sup(t, 'a').kill('SIGKILL');
    await back;
    expect(log).toEqual(['exit a', 'restart a', 'exit c', 'exit b', 'spawn a', 'childReady a', 'spawn b', 'childReady b', 'spawn c', 'childReady c']);
  });
});

describe('restart policies decide, per child', () => {
  test("'on-failure': a clean exit is not restarted and touches nobody; 'always': it is restarted", async () => {
    const t = tree([service('once', CLEAN_ON_USR1), service('keep', CLEAN_ON_USR1, { restart: 'always' }), service('other')]);
    await t.ready();
    const other = sup(t, 'other').pid;
    const log = record(t);
    const exited = next(t, 'exit', 'once');
    sup(t, 'once').kill('SIGUSR1');
    expect((await exited).status).toEqual({ kind: 'exited', code: 0 });
    await waitFor('once to be stopped', () => t.children[0].state === 'stopped');
    const back = next(t, 'childReady', 'keep');
    sup(t, 'keep').kill('SIGUSR1');
    await back;
    expect(log).toEqual(['exit once', 'exit keep', 'restart keep', 'spawn keep', 'childReady keep']);
    expect(t.children.map((c) => c.state)).toEqual(['stopped', 'running', 'running']);
    expect(sup(t, 'other').pid).toBe(other);
    expect(t.state).toBe('running');
  });

  test("'never' (temporary): a sibling's failure stops it under one-for-all, and it is not restarted", async () => {
    const t = tree([service('temp', READY, { restart: 'never' }), service('b')], { strategy: 'one-for-all' });
    await t.ready();
    const restart = next(t, 'restart', 'b');
    const back = next(t, 'childReady', 'b');
    sup(t, 'b').kill('SIGKILL');
    expect(await restart).toMatchObject({ children: ['b'] });
    await back;
    expect(t.children.map((c) => c.state)).toEqual(['stopped', 'running']);
    expect(sup(t, 'temp').state).toBe('stopped');
  });

  test('a tree whose children all ended by their policy stops', async () => {
    const t = tree([service('a', CLEAN_ON_USR1), service('b', CLEAN_ON_USR1)]);
    await t.ready();
    sup(t, 'a').kill('SIGUSR1');
    await waitFor('a to be stopped', () => t.children[0].state === 'stopped');
    expect(t.state).toBe('running');
    sup(t, 'b').kill('SIGUSR1');
    await expect(t.done()).resolves.toBe('stopped');
  });
});

describe('the start limit (restart intensity)', () => {
  test('more restarts than maxRestarts within the window: the tree gives up and stops every child in reverse order', async () => {
    const t = tree(
      [service('a'), service('crash', 'echo >&3; exit 1'), service('c')],
      { strategy: 'one-for-one', startLimit: { maxRestarts: 2, window: 60_000 } },
    );
    const log = record(t);
    const exits: string[] = [];
    t.on('exit', (e) => exits.push(`${e.name}:${e.reason}`));
    const failed = new Promise<TreeFailure>((resolve) => t.once('failed', resolve));
    await expect(t.done()).resolves.toBe('failed');
    expect(await failed).toEqual({ reason: 'start-limit', name: 'crash', path: ['crash'], error: undefined });
    expect(t.failure).toEqual(await failed);
    expect(log.filter((l) => l.startsWith('restart'))).toEqual(['restart crash', 'restart crash']);
    expect(log.filter((l) => l.startsWith('spawn crash'))).toHaveLength(3); // the start and two restarts
    // the others went in reverse order, after the third crash
    expect(exits.filter((e) => e.endsWith(':terminated'))).toEqual(['c:terminated', 'a:terminated']);
    expect(log[log.length - 1]).toBe('failed');
    expect(t.children.map((c) => [c.state, c.supervisor?.state])).toEqual([
      ['stopped', 'stopped'],
      ['stopped', 'stopped'],
      ['stopped', 'stopped'],
    ]);
    await expect(t.ready()).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY', state: 'failed', failure: { reason: 'start-limit' } });
  });

  test('a child not ready within its readyTimeout is a failed start; with maxRestarts 0 the later ones never start', async () => {
    const t = tree([service('slow', gated(join(dir, 'never')), { readyTimeout: 200 }), service('b')], { startLimit: { maxRestarts: 0 } });
    const exit = next(t, 'exit', 'slow');
    await expect(t.done()).resolves.toBe('failed');
    expect((await exit).reason).toBe('ready-timeout');
    expect(t.failure).toMatchObject({ reason: 'start-limit', name: 'slow' });
    expect(t.children.map((c) => [c.state, c.supervisor === undefined])).toEqual([
      ['stopped', false],
      ['stopped', true],
    ]);
  });

  test('a program that cannot be started the first time: the tree gives up (spawn), the earlier children are stopped', async () => {
    const t = tree([service('a'), { name: 'missing', file: join(dir, 'no-such-program') }, service('c')]);
    const log = record(t);
    const spawnError = next(t, 'spawnError', 'missing');
    await expect(t.done()).resolves.toBe('failed');
    expect((await spawnError).error).toMatchObject({ code: 'ENOENT', syscall: 'execve' });
    expect(t.failure).toMatchObject({ reason: 'spawn', name: 'missing', error: { code: 'ENOENT' } });
    expect(log).toEqual(['spawn a', 'childReady a', 'spawnError missing', 'exit a', 'failed']);
    expect(t.children[2].supervisor).toBeUndefined();
  });
});

describe('subtrees', () => {
  const nested = (sub: Partial<Extract<ChildSpec, { children: unknown }>> = {}): ChildSpec[] => [
    service('a'),
    { name: 'sub', strategy: 'one-for-all', children: [service('x'), service('y')], ...sub },
    service('c'),
  ];

  test('a subtree is started in its place: the next sibling waits until all its children are ready', async () => {
    const t = tree(nested());
    const log = record(t);
    await t.ready();
    expect(log).toEqual([
      'spawn a', 'childReady a',
      'spawn sub/x', 'childReady sub/x', 'spawn sub/y', 'childReady sub/y', 'childReady sub',
      'spawn c', 'childReady c', 'ready',
    ]);
    const sub = t.children[1];
    expect([sub.kind, sub.state, sub.supervisor, sub.tree?.name, sub.tree?.strategy]).toEqual(['tree', 'running', undefined, 'sub', 'one-for-all']);
  });

  test("a subtree restarts its own children by its strategy; the parent's other children are untouched", async () => {
    const t = tree(nested());
    await t.ready();
    const [a, , c] = pids(t);
    const log = record(t);
    const restart = next(t, 'restart', 'sub/y');
    const back = next(t, 'childReady', 'sub/y');
    sup(t.children[1].tree as SupervisionTree, 'y').kill('SIGKILL');
    expect(await restart).toMatchObject({ name: 'y', path: ['sub', 'y'], children: ['x', 'y'] });
    await back;
    expect(log).toEqual(['exit sub/y', 'restart sub/y', 'exit sub/x', 'spawn sub/x', 'childReady sub/x', 'spawn sub/y', 'childReady sub/y']);
    expect([pids(t)[0], pids(t)[2]]).toEqual([a, c]);
    expect(t.restarts).toBe(0);
  });

  test('a subtree that gives up is a failure of that child in its parent, which restarts it', async () => {
    const t = tree(nested({ startLimit: { maxRestarts: 0 } }));
    await t.ready();
    const subtree = t.children[1].tree as SupervisionTree;
    const log = record(t);
    const failed = next(t, 'childFailed', 'sub');
    const back = next(t, 'childReady', 'sub');
    sup(subtree, 'y').kill('SIGKILL');
    expect((await failed).failure).toEqual({ reason: 'start-limit', name: 'y', path: ['y'], error: undefined });
    await back;
    expect(log).toEqual([
      'exit sub/y', 'exit sub/x', 'childFailed sub', 'restart sub',
      'spawn sub/x', 'childReady sub/x', 'spawn sub/y', 'childReady sub/y', 'childReady sub',
    ]);
    expect(t.children[1]).toMatchObject({ state: 'running', restarts: 1, tree: subtree }); // the same object, started again
    expect(subtree.state).toBe('running');
    expect(t.restarts).toBe(1);
  });

  test("terminate() stops a subtree's children in reverse order in its place", async () => {
    const t = tree(nested());
    await t.ready();
    const log = record(t);
    await t.terminate();
    expect(log).toEqual(['exit c', 'exit sub/y', 'exit sub/x', 'exit a', 'stopped']);
    expect(t.children[1].tree?.state).toBe('stopped');
  });
});
