// superviseTree()'s specs are validated whole, before anything starts (issue 11, item 4):
// every error names the property by its place in the tree, as the rest of the library does
// (docs/conventions.md). Nothing here starts a process: validateTree() is what
// superviseTree() runs first, and each case below is also run through superviseTree() itself.
import { superviseTree } from '../../lib/supervise';
import { validateTree } from '../../lib/supervise/tree-options';

const svc = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, file: 'sleep', args: ['1'], ...extra });

function thrown(children: unknown, options?: unknown): Error & { code?: string } {
  let fromTree: unknown;
  try {
    superviseTree(children as never, options as never);
  } catch (e) {
    fromTree = e;
  }
  try {
    validateTree(children, options);
  } catch (e) {
    expect(fromTree).toBeInstanceOf(Error);
    expect((fromTree as Error).message).toBe((e as Error).message);
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('superviseTree() validation', () => {
  test.each<[string, unknown, unknown, string, RegExp]>([
    ['children not an array', 'web', undefined, 'ERR_INVALID_ARG_TYPE', /"children" argument must be an instance of Array/],
    ['no children', [], undefined, 'ERR_INVALID_ARG_VALUE', /'children' must not be empty/],
    ['a child that is not an object', [svc('a'), 7], undefined, 'ERR_INVALID_ARG_TYPE', /"children\[1\]" argument must be of type object/],
    ['a missing name', [{ file: 'sleep' }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.name' is required/],
    ['a name with a control character', [svc('a\nb')], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.name' must be 1 to 128 characters/],
    ['a repeated name', [svc('web'), svc('db'), svc('web')], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[2\]\.name' must be unique among its siblings \(children\[0\] is named so too\)/],
    ['both file and children', [{ name: 'x', file: 'sleep', children: [svc('a')] }], undefined, 'ERR_INVALID_ARG_VALUE', /either a 'file' \(a service\) or 'children' \(a subtree\), not both/],
    ['neither file nor children', [{ name: 'x', args: [] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]' must have a 'file' \(a service\) or 'children' \(a subtree\)/],
    ['a misspelt file', [{ name: 'x', fiel: 'sleep' }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.fiel' is not a known option \(did you mean 'file'\?\)/],
    ['an unknown spec key', [svc('a', { optoins: {} })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.optoins' is not a known option \(did you mean 'options'\?\)/],
    ['an empty file', [svc('a', { file: '' })], undefined, 'ERR_INVALID_ARG_VALUE', /children\[0\]\.file/],
    ['args not an array', [svc('a', { args: 'x' })], undefined, 'ERR_INVALID_ARG_TYPE', /"children\[0\]\.args" property must be an instance of Array/],
    ['an unknown service option', [svc('a'), svc('b', { options: { readyTimout: 5 } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[1\]\.options\.readyTimout' is not a known option \(did you mean 'readyTimeout'\?\)/],
    ['backoff in a service', [svc('a', { options: { backoff: { initial: 1 } } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.options\.backoff' is the tree's \(the tree restarts its children/],
    ['startLimit in a service', [svc('a', { options: { startLimit: {} } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.options\.startLimit' is the tree's/],
    ['name in a service', [svc('a', { options: { name: 'b' } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.options\.name' is the spec's own/],
    ['a renamed service option', [svc('a', { options: { stopSignal: 'SIGINT' } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.options\.stopSignal' was renamed 'killSignal'/],
    ['a bad service option value', [svc('a'), svc('b', { options: { readyTimeout: -1 } })], undefined, 'ERR_OUT_OF_RANGE', /"children\[1\]\.options\.readyTimeout"/],
    ['a bad restart policy', [svc('a', { options: { restart: 'sometimes' } })], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.options\.restart' must be 'always', 'on-failure' or 'never'/],
    ['a notification fd below 3', [svc('a', { options: { ready: { fd: 2 } } })], undefined, 'ERR_OUT_OF_RANGE', /"children\[0\]\.options\.ready\.fd"/],
    ['an unknown strategy', [svc('a')], { strategy: 'one_for_one' }, 'ERR_INVALID_ARG_VALUE', /'options\.strategy' must be 'one-for-one', 'one-for-all' or 'rest-for-one'/],
    ['an unknown root option', [svc('a')], { stratgy: 'one-for-all' }, 'ERR_INVALID_ARG_VALUE', /'options\.stratgy' is not a known option \(did you mean 'strategy'\?\)/],
    ['a misspelt startLimit key', [svc('a')], { startLimit: { maxRestart: 1 } }, 'ERR_INVALID_ARG_VALUE', /'options\.startLimit\.maxRestart' is not a known option \(did you mean 'maxRestarts'\?\)/],
    ['a zero window', [svc('a')], { startLimit: { window: 0 } }, 'ERR_OUT_OF_RANGE', /"options\.startLimit\.window"/],
    ['a backoff factor below 1', [svc('a')], { backoff: { factor: 0.5 } }, 'ERR_OUT_OF_RANGE', /"options\.backoff\.factor"/],
    ['a nested bad name', [svc('a'), { name: 'sub', children: [svc('x'), { file: 'sleep' }] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[1\]\.children\[1\]\.name' is required/],
    ['a nested bad strategy', [{ name: 'sub', strategy: 'all', children: [svc('x')] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.strategy' must be/],
    ['a nested misspelt startLimit key', [{ name: 'sub', startLimit: { windw: 1 }, children: [svc('x')] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.startLimit\.windw' is not a known option \(did you mean 'window'\?\)/],
    ['a nested restart policy', [{ name: 'sub', restart: 'no', children: [svc('x')] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.restart' must be 'always', 'on-failure' or 'never'/],
    ['a nested unknown key', [{ name: 'sub', children: [svc('x')], stratgy: 'one-for-all' }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.stratgy' is not a known option \(did you mean 'strategy'\?\)/],
    ['nested empty children', [{ name: 'sub', children: [] }], undefined, 'ERR_INVALID_ARG_VALUE', /'children\[0\]\.children' must not be empty/],
    ['a nested service option', [{ name: 'sub', children: [svc('x', { options: { killSignal: 0 } })] }], undefined, 'ERR_OUT_OF_RANGE', /children\[0\]\.children\[0\]\.options\.killSignal/],
  ])('%s', (_what, children, options, code, message) => {
    const e = thrown(children, options);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  test('the same name in different subtrees is allowed; a valid tree keeps each restart policy', () => {
    const spec = validateTree(
      [svc('web', { options: { restart: 'always' } }), { name: 'jobs', strategy: 'one-for-all', children: [svc('web'), svc('db', { options: { restart: 'never' } })] }],
      { name: 'app', strategy: 'rest-for-one', startLimit: { maxRestarts: 3, window: 1000 }, backoff: { initial: 0 } },
    );
    expect(spec).toMatchObject({ name: 'app', strategy: 'rest-for-one', maxRestarts: 3, window: 1000, backoffInitial: 0 });
    expect(spec.children.map((c) => [c.kind, c.name, c.restart])).toEqual([['service', 'web', 'always'], ['tree', 'jobs', 'on-failure']]);
    const jobs = spec.children[1];
    expect(jobs.kind === 'tree' && jobs.tree.children.map((c) => [c.name, c.restart])).toEqual([['web', 'on-failure'], ['db', 'never']]);
    // each service's Supervisor never restarts by itself: the tree does
    expect(spec.children[0].kind === 'service' && spec.children[0].options).toMatchObject({ name: 'web', restart: 'never' });
  });

  test('terminate() validates its options (thrown, not rejected); a tree terminated at once starts nothing', async () => {
    const tree = superviseTree([svc('a', { args: ['300'] })] as never);
    try {
      expect(() => tree.terminate({ killSignl: 'SIGINT' } as never)).toThrow(/'options\.killSignl' is not a known option \(did you mean 'killSignal'\?\)/);
    } finally {
      await tree.terminate();
    }
    expect(tree.state).toBe('stopped');
    expect(tree.children).toEqual([{ name: 'a', kind: 'service', state: 'stopped', supervisor: undefined, tree: undefined, restarts: 0 }]);
  });
});
