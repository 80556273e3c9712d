// Importing unixproc or unixproc/os does nothing (DESIGN.md): ChildProcess.prototype.spawn is
// not wrapped and no process listener ('worker', 'exit', signals...) is added. The
// child_process hand-back machinery is installed on first use, and then still works: a
// child_process child spawned before that first use gets its 'exit' from an "any child" wait.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test/helpers/ts-register.js');

/** Runs `script` in a fresh node (with the TypeScript loader) and parses its last stdout line. */
function fresh(script: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['-r', REGISTER, '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`fresh node exited ${r.status} ${r.signal}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

// What a process can be patched or listened on with: every process event with a listener
// (plus the ones a library would use), the listener counts, ChildProcess.prototype.spawn's
// identity and the prototype's own keys (the registries hang on Symbol.for keys).
const SNAPSHOT = `
  const { ChildProcess } = require('node:child_process');
  const EVENTS = ['worker', 'exit', 'beforeExit', 'warning', 'uncaughtException', 'unhandledRejection',
    'SIGCHLD', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE'];
  function snapshot() {
    const names = new Set([...EVENTS, ...process.eventNames().map(String)]);
    return {
      spawn: ChildProcess.prototype.spawn,
      keys: Reflect.ownKeys(ChildProcess.prototype).map(String).sort().join(','),
      listeners: Object.fromEntries([...names].sort().map((n) => [n, process.listenerCount(n)])),
    };
  }
  function compare(before, after) {
    return {
      spawnUnchanged: before.spawn === after.spawn,
      keysBefore: before.keys, keysAfter: after.keys,
      listenersBefore: before.listeners, listenersAfter: after.listeners,
    };
  }
`;

test.each([
  ['unixproc', './lib/index.ts'],
  ['unixproc/os', './lib/os/index.ts'],
  ['both, and the integrations', "./lib/index.ts'); require('./lib/os/index.ts'); require('./lib/integrations/node-test/index.ts"],
])('importing %s wraps nothing and adds no process listener', (_what, entry) => {
  const r = fresh(`${SNAPSHOT}
    const before = snapshot();
    require('${entry}');
    console.log(JSON.stringify(compare(before, snapshot())));
  `);
  expect(r.spawnUnchanged).toBe(true);
  expect(r.keysAfter).toBe(r.keysBefore);
  expect(r.listenersAfter).toEqual(r.listenersBefore);
});

test('after the first use, the machinery is installed and hands a child_process exit back', () => {
  const r = fresh(`${SNAPSHOT}
    const cp = require('node:child_process');
    const os = require('./lib/os/index.ts');
    const before = snapshot();
    // Spawned before any unixproc call: found among the active handles on first use.
    const child = cp.spawn('/bin/sh', ['-c', 'exit 7'], { stdio: 'ignore' });
    const cell = new Int32Array(new SharedArrayBuffer(4));
    while (os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) === null) Atomics.wait(cell, 0, 0, 1);
    let waited;
    try { os.wait(); waited = 'returned'; } catch (e) { waited = e.code; }
    const after = snapshot();
    child.on('exit', (code, signal) => {
      console.log(JSON.stringify({ ...compare(before, after), waited, code, signal }));
    });
  `);
  // wait() handed the child back to child_process and, with no other child, said ECHILD.
  expect({ waited: r.waited, code: r.code, signal: r.signal }).toEqual({ waited: 'ECHILD', code: 7, signal: null });
  expect(r.spawnUnchanged).toBe(false); // the wrapper that records child_process pids
});

// unixproc/init is the one entry point that starts at import (docs/init.md). In an ordinary
// process (not PID 1, not a subreaper) that is: the child_process registry (the wrapper that
// records child_process pids) and an unref'd native SIGCHLD watch; no process listener, and
// nothing that keeps the process alive.
test('importing unixproc/init in an ordinary process wraps ChildProcess.prototype.spawn, adds no process listener and keeps nothing alive', () => {
  const r = fresh(`${SNAPSHOT}
    const before = snapshot();
    require('./lib/init/index.ts');
    const status = require('./lib/init/index.ts').initStatus();
    console.log(JSON.stringify({ ...compare(before, snapshot()), status }));
  `);
  expect(r.spawnUnchanged).toBe(false);
  expect(r.listenersAfter).toEqual(r.listenersBefore);
  // fresh() returning at all means the loop ended: the SIGCHLD watch is unref'd.
  expect(r.status).toEqual({ active: true, pid1: false, reaping: false, reaped: 0, signals: [] });
});
