// The node:test integration on real `node --test` runs (Node 20's runner starts one process
// per test file): a file that leaks a sleep fails with the report, the leftover is killed
// and reaped, and a clean file passes. The register module is loaded with --require through
// ts-register (the suite runs from lib/*.ts); users load the built one with --import.
import { spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSameProcess } from '../../lib/proc/identity';
import { BACKGROUND_SLEEP } from '../helpers/guard-fixtures';
import { Leftovers, runNode, type Leftover, type NodeRun } from '../helpers/guard-fixtures';
import { becomeSubreaper } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');
const TS_REGISTER = path.join(ROOT, 'test/helpers/ts-register.js');
const REGISTER = path.join(ROOT, 'lib/integrations/node-test/register.ts');
const INDEX = path.join(ROOT, 'lib/integrations/node-test/index.ts');

const LEAK_BODY = `
const test = require('node:test');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
test('starts a background sleep and forgets it', () => {
  // Prints the pid once sleep sleeps: the report that names it as 'S sleep 300' may come
  // right after this test ends.
  const r = spawnSync(${JSON.stringify(BACKGROUND_SLEEP[0])}, ${JSON.stringify(BACKGROUND_SLEEP.slice(1))}, { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
  const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  fs.writeFileSync(__filename + '.leaked.json', JSON.stringify({ pid, startTime }));
});
`;

const CLEAN_BODY = `
const test = require('node:test');
const { spawnSync } = require('node:child_process');
test('runs a command and waits for it', () => {
  if (spawnSync('sh', ['-c', 'exit 0']).status !== 0) throw new Error('sh failed');
});
`;

// A Worker thread starts (and ends) while the main thread has child_process children: one
// still running, one exited (so a zombie until libuv reaps it). --require preloads run in
// every worker thread too.
const WORKER_BODY = `
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
test('a worker thread that ends leaves the main thread\\'s children alone', async () => {
  const w = new Worker('require("node:worker_threads").parentPort.once("message", () => process.exit(0)); require("node:worker_threads").parentPort.postMessage("up")', { eval: true });
  await new Promise((r) => w.once('message', r));
  const running = spawn('sleep', ['300'], { stdio: 'ignore' });
  const done = spawn('true', { stdio: 'ignore' });
  const doneExit = new Promise((r) => done.once('exit', (code) => r(code)));
  w.postMessage('stop');
  assert.strictEqual(await new Promise((r) => w.once('exit', r)), 0);
  assert.strictEqual(running.exitCode, null);
  assert.strictEqual(running.signalCode, null);
  assert.strictEqual(await doneExit, 0);
  running.kill('SIGKILL');
  assert.strictEqual(await new Promise((r) => running.once('exit', (code, signal) => r(signal))), 'SIGKILL');
});
`;

// A "daemonizing CLI" run with child_process.fork(), which passes the file's execArgv (so
// the --require'd register module too) on to it: it starts a detached sleep and exits 0.
// The test file then stops that sleep itself and waits until it has ended.
const DAEMON_CLI_BODY = `
const { spawn } = require('node:child_process');
const c = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
c.unref();
process.stdout.write(String(c.pid));
`;
const FORKS_CLI_BODY = `
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { fork } = require('node:child_process');
test('a forked CLI that starts a daemon exits 0 and its daemon keeps running', async () => {
  const cli = fork(require.resolve('./daemon-cli.js'), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  let err = '';
  cli.stdout.on('data', (d) => (out += d));
  cli.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => cli.once('close', r));
  const pid = Number(out);
  const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
  fs.writeFileSync(__filename + '.leaked.json', JSON.stringify({ pid, startTime: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) }));
  assert.strictEqual(err, '');
  assert.strictEqual(code, 0);
  const state = () => { try { return fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0]; } catch { return 'gone'; } };
  // The CLI printed the pid once sleep was exec'd, maybe before it got to its sleep (R):
  // wait for it to leave R, then it must be sleeping, not dead.
  let s;
  while ((s = state()) === 'R' || s === 'D') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  assert.strictEqual(s, 'S');
  process.kill(pid, 'SIGKILL');
  // Until the kernel has finished it; this process (the guard, a subreaper) reaps it at exit.
  const ended = () => { const s = state(); return s === 'Z' || s === 'gone'; };
  while (!ended()) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
});
`;

function nodeTest(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  return runNode(dir, ['--test', ...args], env);
}

describe('unixproc/node-test', () => {
  let dir: string;
  let restore: () => void;
  const leftovers = new Leftovers();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-guard-node-test-'));
    fs.writeFileSync(path.join(dir, 'leak.test.js'), LEAK_BODY);
    fs.writeFileSync(path.join(dir, 'clean.test.js'), CLEAN_BODY);
    fs.writeFileSync(path.join(dir, 'worker.test.js'), WORKER_BODY);
    fs.writeFileSync(path.join(dir, 'daemon-cli.js'), DAEMON_CLI_BODY);
    fs.writeFileSync(path.join(dir, 'forks-cli.test.js'), FORKS_CLI_BODY);
    fs.writeFileSync(path.join(dir, 'explicit.test.js'), `require(${JSON.stringify(INDEX)}).leakGuard();\n${LEAK_BODY}`);
    // Whatever a run fails to clean up comes here when its file's process exits.
    restore = becomeSubreaper();
  });

  afterAll(async () => {
    await leftovers.endAll();
    restore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function leakedBy(file: string): Leftover {
    return leftovers.add(JSON.parse(fs.readFileSync(path.join(dir, `${file}.leaked.json`), 'utf8')) as Leftover);
  }

  test('--require register: the leaking file fails with the report, the clean one passes, nothing is left', async () => {
    const run = await nodeTest(dir, ['--require', TS_REGISTER, '--require', REGISTER, 'leak.test.js', 'clean.test.js']);
    const leaked = leakedBy('leak.test.js');
    expect(run.code).toBe(1);
    expect(run.output).toContain(`unixproc/node-test: ${path.join(dir, 'leak.test.js')} left processes behind.`);
    expect(run.output).toContain(`pid ${leaked.pid} S sleep 300: orphan adopted by the guard`);
    expect(run.output).toContain('They have been killed and reaped.');
    expect(run.output).toMatch(/not ok \d+ - .*leak\.test\.js/);
    expect(run.output).not.toMatch(/not ok \d+ - .*clean\.test\.js/);
    expect(isSameProcess(leaked)).toBe(false);
  });

  test('--require register: a run of clean files exits 0', async () => {
    const run = await nodeTest(dir, ['--require', TS_REGISTER, '--require', REGISTER, 'clean.test.js']);
    expect(run.output).not.toContain('left processes behind');
    expect(run.code).toBe(0);
  });

  test('--require register: a worker thread that ends does not check, kill or reap the main thread\'s children', async () => {
    const run = await nodeTest(dir, ['--require', TS_REGISTER, '--require', REGISTER, 'worker.test.js']);
    expect(run.output).not.toContain('left processes behind');
    expect(run.code).toBe(0);
  });

  test('--require register: a node process the test file forks (inheriting execArgv) is not guarded itself', async () => {
    const run = await nodeTest(dir, ['--require', TS_REGISTER, '--require', REGISTER, 'forks-cli.test.js']);
    const leaked = leakedBy('forks-cli.test.js');
    expect(run.output).not.toContain('left processes behind');
    expect(run.code).toBe(0);
    expect(isSameProcess(leaked)).toBe(false);
  });

  test('--require register: a guard mark inherited from a process that is not an ancestor is ignored', async () => {
    // A live process that is not an ancestor of the run: this jest worker's own child.
    const stranger = cpSpawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const env = { UNIXPROC_NODE_TEST_GUARD_PID: String(stranger.pid) };
      const run = await nodeTest(dir, ['--require', TS_REGISTER, '--require', REGISTER, 'leak.test.js'], env);
      const leaked = leakedBy('leak.test.js');
      expect(run.output).toContain(`pid ${leaked.pid} S sleep 300: orphan adopted by the guard`);
      expect(run.code).toBe(1);
    } finally {
      stranger.kill('SIGKILL');
      await new Promise((resolve) => stranger.once('exit', resolve));
    }
  });

  test('leakGuard() at the top of a file fails that file when it leaks', async () => {
    const run = await nodeTest(dir, ['--require', TS_REGISTER, 'explicit.test.js']);
    const leaked = leakedBy('explicit.test.js');
    expect(run.code).toBe(1);
    expect(run.output).toContain(`pid ${leaked.pid} S sleep 300: orphan adopted by the guard`);
    expect(isSameProcess(leaked)).toBe(false);
  });

  test('without the guard the same leaking file passes (the check is what fails it)', async () => {
    const run = await nodeTest(dir, ['leak.test.js']);
    const leaked = leakedBy('leak.test.js');
    expect(run.code).toBe(0);
    expect(run.output).not.toContain('left processes behind');
    // It escaped: re-parented to this subreaper worker when the file's process exited.
    expect(isSameProcess(leaked)).toBe(true);
  });

  test('leakGuard rejects bad options with ERR_INVALID_ARG_TYPE', () => {
    const { leakGuard } = require('../../lib/integrations/node-test/index') as typeof import('../../lib/integrations/node-test/index');
    expect(() => leakGuard(1 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => leakGuard({ kill: 'no' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.kill"') }));
    expect(() => leakGuard({ ignore: 3 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.ignore"') }));
  });
});
