// The jest integration (unixproc/jest/global-setup + global-teardown) on a real jest run:
// a small temporary project whose test leaks a `sleep` must fail with the report and leave
// nothing behind; the same project without the leak must pass. The project uses this
// repo's shims (test/helpers/global-*.js), i.e. exactly what the suite itself runs with.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSameProcess } from '../../lib/proc/identity';
import { BACKGROUND_SLEEP } from '../helpers/guard-fixtures';
import { runNode, type NodeRun } from '../helpers/guard-fixtures';
import { becomeSubreaper, killPid, reapPid } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');
const JEST = require.resolve('jest/bin/jest');

const LEAKING_TEST = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
test('starts a background sleep and forgets it', () => {
  // Prints the pid once sleep sleeps: the report that names it as 'S sleep 300' may come
  // right after this test ends.
  const r = spawnSync(${JSON.stringify(BACKGROUND_SLEEP[0])}, ${JSON.stringify(BACKGROUND_SLEEP.slice(1))}, { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
  const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  fs.writeFileSync(__dirname + '/leaked.json', JSON.stringify({ pid, startTime }));
  expect(pid).toBeGreaterThan(0);
});
`;

const CLEAN_TEST = `
const { spawnSync } = require('node:child_process');
test('runs a command and waits for it', () => {
  expect(spawnSync('sh', ['-c', 'exit 0']).status).toBe(0);
});
`;

type JestRun = NodeRun;

function makeProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-guard-jest-'));
  const config = {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/*.test.js'],
    // No transform: the shims load lib/*.ts through ts-register, not through babel-jest.
    transform: {},
    globalSetup: path.join(ROOT, 'test/helpers/global-setup.js'),
    globalTeardown: path.join(ROOT, 'test/helpers/global-teardown.js'),
    cacheDirectory: path.join(dir, '.cache'),
  };
  fs.writeFileSync(path.join(dir, 'jest.config.js'), `module.exports = ${JSON.stringify(config)};\n`);
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
}

function runJest(dir: string): Promise<JestRun> {
  return runNode(dir, [JEST, '--config', path.join(dir, 'jest.config.js'), '--maxWorkers=2', '--ci'], { UNIXPROC_LEAK_SETTLE_MS: '500' });
}

describe('unixproc/jest global-teardown settings', () => {
  test.each(['abc', '1.5', String(2 ** 31)])(
    'UNIXPROC_LEAK_SETTLE_MS=%s fails the teardown with ERR_OUT_OF_RANGE naming it, and still stops the guard',
    async (value) => {
      const { isChildSubreaper } = require('../../lib/guard/subreaper') as typeof import('../../lib/guard/subreaper');
      const globalSetup = require('../../lib/integrations/jest/global-setup') as () => Promise<void>;
      const globalTeardown = require('../../lib/integrations/jest/global-teardown') as () => Promise<void>;
      const { getGuard } = require('../../lib/integrations/jest/state') as typeof import('../../lib/integrations/jest/state');
      const was = isChildSubreaper();
      const saved = process.env.UNIXPROC_LEAK_SETTLE_MS;
      await globalSetup();
      process.env.UNIXPROC_LEAK_SETTLE_MS = value;
      try {
        await expect(globalTeardown()).rejects.toMatchObject({
          name: 'RangeError',
          code: 'ERR_OUT_OF_RANGE',
          message: expect.stringContaining('"UNIXPROC_LEAK_SETTLE_MS"'),
        });
        expect(getGuard()).toBeUndefined();
        expect(isChildSubreaper()).toBe(was);
      } finally {
        if (saved === undefined) delete process.env.UNIXPROC_LEAK_SETTLE_MS;
        else process.env.UNIXPROC_LEAK_SETTLE_MS = saved;
        getGuard()?.dispose();
      }
    },
  );
});

test('the former UNIXPROC_LEAK_GRACE_MS fails the teardown naming UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS, and still stops the guard', async () => {
  const globalSetup = require('../../lib/integrations/jest/global-setup') as () => Promise<void>;
  const globalTeardown = require('../../lib/integrations/jest/global-teardown') as () => Promise<void>;
  const { getGuard } = require('../../lib/integrations/jest/state') as typeof import('../../lib/integrations/jest/state');
  await globalSetup();
  process.env.UNIXPROC_LEAK_GRACE_MS = '100';
  try {
    await expect(globalTeardown()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining('was renamed UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS'),
    });
    expect(getGuard()).toBeUndefined();
  } finally {
    delete process.env.UNIXPROC_LEAK_GRACE_MS;
    getGuard()?.dispose();
  }
});

describe('unixproc/jest global setup + teardown', () => {
  let restore: () => void;
  const dirs: string[] = [];
  beforeAll(() => {
    // If the inner run failed to clean up, its leftovers come here on its exit, to be reaped.
    restore = becomeSubreaper();
  });
  afterAll(() => {
    restore();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('a run whose test leaks a sleep fails with a report naming it, and leaves nothing behind', async () => {
    const dir = makeProject({ 'leak.test.js': LEAKING_TEST, 'clean.test.js': CLEAN_TEST });
    dirs.push(dir);
    const run = await runJest(dir);
    const leaked = JSON.parse(fs.readFileSync(path.join(dir, 'leaked.json'), 'utf8')) as { pid: number; startTime: number };
    const stillThere = isSameProcess(leaked);
    if (stillThere) {
      killPid(leaked.pid);
      await reapPid(leaked.pid);
    }
    expect(run.code).toBe(1);
    expect(run.output).toContain('the test run left processes behind.');
    expect(run.output).toContain(`pid ${leaked.pid} S sleep 300: orphan adopted by the guard`);
    expect(run.output).toContain('They have been killed and reaped.');
    expect(run.output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(stillThere).toBe(false);
  });

  test('the same project without the leak passes (jest’s own workers are not leaks)', async () => {
    const dir = makeProject({ 'a.test.js': CLEAN_TEST, 'b.test.js': CLEAN_TEST });
    dirs.push(dir);
    const run = await runJest(dir);
    expect(run.output).not.toContain('left processes behind');
    expect(run.code).toBe(0);
  });
});
