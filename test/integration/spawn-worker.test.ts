// spawn() inside Worker threads: a worker torn down with exit watches open; no warnings.
// Each case runs in a separate node process whose main thread never loads the addon (only
// its workers do): then the addon is unloaded when the last worker ends, and anything
// native that outlives a worker's teardown runs in unmapped code.
import { join } from 'node:path';
import { spawn, waitForExit } from '../../lib/spawn';
import { native } from '../../lib/native';
import { readAll } from '../helpers/spawn-helpers';

const LOADER = join(__dirname, '..', 'helpers', 'ts-register.js');
const LIB = join(__dirname, '..', '..', 'lib', 'spawn', 'index.ts');

/** Runs `script` in a new node process; its stdout, and how it ended. */
async function runNode(script: string): Promise<{ out: string; status: unknown }> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
  return { out, status };
}

/** Worker source that loads the library (transpiled by the loader) and runs `body`. */
function workerCode(body: string): string {
  return `require(${JSON.stringify(LOADER)});
    const { spawn } = require(${JSON.stringify(LIB)});
    const { parentPort } = require('node:worker_threads');
    ${body}`;
}

describe.each(['pidfd', 'sigchld'])('in a Worker, with the %s exit watch', (mode) => {
  // The workers' children outlive the node process that ran them: this process adopts
  // them (subreaper) and reaps them by pid.
  const prctl = () => native<{ setChildSubreaper(on: boolean): number }>();
  beforeAll(() => expect(prctl().setChildSubreaper(true)).toBe(0));
  afterAll(() => expect(prctl().setChildSubreaper(false)).toBe(0));

  test('a worker terminated while its child is watched ends cleanly (no crash at teardown)', async () => {
    // cat waits for its stdin, which the worker holds: its exit watch is open when the
    // worker is terminated; the pipe closes with the worker and cat then exits 0.
    const code = workerCode(`
      const c = spawn('/bin/cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
      parentPort.postMessage(c.pid);`);
    const script = `
      const { Worker } = require('node:worker_threads');
      (async () => {
        for (let i = 0; i < 3; i++) {
          const w = new Worker(${JSON.stringify(code)}, { eval: true, env: { ...process.env, UNIXPROC_EXIT_WATCH: ${JSON.stringify(mode)} } });
          // Each pid at once, so that the test can reap it even if this process crashes.
          process.stdout.write(await new Promise((resolve) => w.once('message', resolve)) + '\\n');
          await w.terminate();
        }
      })();`;
    const { out, status } = await runNode(script);
    const pids = out.split('\n').filter((l) => l !== '').map(Number);
    const reaped = await Promise.all(pids.map((pid) => waitForExit(pid, { reap: true })));
    expect(status).toEqual({ kind: 'exited', code: 0 });
    expect(pids).toHaveLength(3);
    expect(reaped).toEqual(pids.map(() => ({ kind: 'exited', code: 0 })));
  });

  test("20 spawns (and waitForExit on child_process children) emit no 'warning' in the worker", async () => {
    // Node warns when fs.closeSync closes an fd that a Worker did not open through fs
    // ("closed but not opened in unmanaged mode"): pidfds must be closed natively.
    const code = workerCode(`
      const { waitForExit } = require(${JSON.stringify(LIB)});
      const cp = require('node:child_process');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.message));
      (async () => {
        for (let i = 0; i < 20; i++) await spawn('/bin/true', [], { stdio: 'ignore' }).wait();
        for (let i = 0; i < 3; i++) {
          const c = cp.spawn('/bin/true', [], { stdio: 'ignore' });
          const exited = new Promise((resolve) => c.on('exit', resolve));
          await waitForExit(c.pid);
          await exited;
        }
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on nextTick
        parentPort.postMessage(warnings);
      })();`);
    const script = `
      const { Worker } = require('node:worker_threads');
      const main = [];
      process.on('warning', (w) => main.push(w.message));
      const w = new Worker(${JSON.stringify(code)}, { eval: true, env: { ...process.env, UNIXPROC_EXIT_WATCH: ${JSON.stringify(mode)} } });
      w.once('message', (worker) => w.once('exit', () => process.stdout.write(JSON.stringify({ worker, main }))));`;
    const { out, status } = await runNode(script);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    expect(JSON.parse(out)).toEqual({ worker: [], main: [] });
  });
});
