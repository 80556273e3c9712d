// unixproc/init (issue 10, "Node as PID 1"): a Node process that imports it is a correct
// PID 1. Each scenario runs a fixture (test/fixtures/init/) as pid 1 of a new pid namespace
// (`unshare -fp --mount-proc`), started with child_process and awaited: when pid 1 exits the
// kernel kills whatever is left in the namespace, so nothing outlives a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUnshare } from '../helpers/pid-namespace';

const ROOT = join(__dirname, '..', '..');
const LOADER = join(ROOT, 'test', 'helpers', 'ts-register.js');
const ORPHANS = join(ROOT, 'test', 'fixtures', 'init', 'orphans.ts');
const SIGNALS = join(ROOT, 'test', 'fixtures', 'init', 'signals.ts');
const FORK = join(ROOT, 'test', 'fixtures', 'init', 'fork.ts');

const maybe = canUnshare ? test : test.skip;
if (!canUnshare) console.warn('init.test.ts: unshare -fp --mount-proc does not work here (needs root): the pid-namespace tests are skipped');

interface Running {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix` (from now on or already seen). */
  line(prefix: string): Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Every child a test started and has not seen exit: a failed test must not leave one behind. */
const running = new Set<Running>();

afterEach(async () => {
  for (const run of running) {
    // unshare's child (pid 1 of the namespace) first: its end kills the whole namespace.
    try {
      process.kill(namespaceInit(run.child), 'SIGKILL');
    } catch {
      // not in a namespace, or already gone
    }
    run.child.kill('SIGKILL');
    await run.exit;
  }
});

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const seen: string[] = [];
  const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) {
      seen.push(l);
      for (const w of waiting.filter((x) => l.startsWith(x.prefix))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(run);
      resolve({ code, signal, stderr });
    }),
  );
  const run: Running = {
    child,
    exit,
    line(prefix: string): Promise<string> {
      const found = seen.find((l) => l.startsWith(prefix));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiting.push({ prefix, resolve });
        void exit.then((e) => reject(new Error(`exited ${e.code} ${e.signal} before printing ${prefix}: ${e.stderr}`)));
      });
    },
  };
  running.add(run);
  return run;
}

/** `node -r ts-register <script> ...args` as pid 1 of a new pid namespace. */
function inPidNamespace(script: string, args: readonly string[], mountProc = true, env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = []): Running {
  return start('unshare', ['-fp', ...(mountProc ? ['--mount-proc'] : []), process.execPath, ...nodeFlags, '-r', LOADER, script, ...args], env);
}

/** The pid, in this namespace, of the pid namespace's init: unshare's only child. */
function namespaceInit(unshare: ChildProcess): number {
  const pid = unshare.pid as number;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ');
  if (children.length !== 1 || !/^\d+$/.test(children[0])) throw new Error(`unshare ${pid} has children [${children.join(' ')}], not one`);
  return Number(children[0]);
}

interface OrphansReport {
  shellExits: [number | null, string | null][];
  orphansAlive: number;
  zombiesLeft: number | boolean;
  cpResults: [number | null, string | null][];
  workerResults: [number | null, string | null][];
  subStatus: unknown;
  ownStatus: [number, number] | null;
  status: { active: boolean; pid1: boolean; reaping: boolean; reaped: number; method: string; signals: string[] } | null;
}

async function orphans(
  args: readonly string[],
  how: 'namespace' | 'namespace, host /proc' | 'plain',
  env: NodeJS.ProcessEnv = {},
): Promise<OrphansReport> {
  const run =
    how === 'plain' ? start(process.execPath, ['-r', LOADER, ORPHANS, ...args], env) : inPidNamespace(ORPHANS, args, how === 'namespace', env);
  const line = await run.line('{');
  const e = await run.exit;
  expect([e.code, e.signal, e.stderr]).toEqual([0, null, '']);
  return JSON.parse(line) as OrphansReport;
}

const TWENTY_CODES = Array.from({ length: 20 }, (_, i) => [i + 1, null]);
const WORKER_CODES = Array.from({ length: 20 }, (_, i) => [i + 101, null]);
const TEN_SHELLS = Array.from({ length: 10 }, () => [0, null]);

describe('orphans', () => {
  // spawn() watches its children's exits through pidfds, or (kernels without pidfd) with a
  // SIGCHLD sweep of its own: both must keep their exits.
  maybe.each(['pidfd', 'sigchld'])('as PID 1, 1000 orphans leave no zombie, and child_process (main thread and Worker), spawn() (%s) and posix_spawn children keep their exits', async (mode) => {
    const r = await orphans(['init', 'proc', '10'], 'namespace', { UNIXPROC_EXIT_WATCH: mode });
    expect(r.shellExits).toEqual(TEN_SHELLS);
    expect(r.orphansAlive).toBe(1000);
    expect(r.zombiesLeft).toBe(0);
    expect(r.cpResults).toEqual(TWENTY_CODES);
    expect(r.workerResults).toEqual(WORKER_CODES);
    expect(r.subStatus).toEqual({ kind: 'exited', code: 5 });
    expect(r.ownStatus).toEqual([1, 9]);
    expect(r.status).toEqual({
      active: true, pid1: true, reaping: true, reaped: 1000, method: 'children', signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    });
  });

  maybe('without unixproc/init the same 1000 orphans stay zombies (the control)', async () => {
    const r = await orphans(['none', 'proc', '10'], 'namespace');
    expect(r.orphansAlive).toBe(1000);
    expect(r.zombiesLeft).toBe(1000);
    expect(r.cpResults).toEqual(TWENTY_CODES);
    expect(r.workerResults).toEqual(WORKER_CODES);
    expect(r.subStatus).toEqual({ kind: 'exited', code: 5 });
    expect(r.ownStatus).toEqual([1, 9]);
  });

  maybe('where /proc is not the namespace\'s, the waitid fallback reaps the 1000 orphans and hands child_process and spawn() exits back, and leaves a Worker\'s children alone', async () => {
    const r = await orphans(['init', 'noproc', '10'], 'namespace, host /proc');
    expect(r.shellExits).toEqual(TEN_SHELLS);
    expect(r.zombiesLeft).toBe(false);
    expect(r.cpResults).toEqual(TWENTY_CODES);
    expect(r.workerResults).toEqual(WORKER_CODES);
    expect(r.subStatus).toEqual({ kind: 'exited', code: 5 });
    expect(r.status?.method).toBe('waitid');
    expect(r.status?.reaped).toBe(1000);
  });

  test('as a child subreaper (not PID 1) it reaps the orphans it adopts, and adds no signal listener', async () => {
    const r = await orphans(['init', 'subreaper', '2'], 'plain');
    expect(r.orphansAlive).toBe(200);
    expect(r.zombiesLeft).toBe(0);
    expect(r.cpResults).toEqual(TWENTY_CODES);
    expect(r.workerResults).toEqual(WORKER_CODES);
    expect(r.subStatus).toEqual({ kind: 'exited', code: 5 });
    expect(r.ownStatus).toEqual([1, 9]);
    expect(r.status).toEqual({ active: true, pid1: false, reaping: true, reaped: 200, method: 'children', signals: [] });
  });
});

describe('signals', () => {
  const cases: [NodeJS.Signals, number][] = [
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ];

  maybe.each(cases)('as PID 1 with no handler of the application\'s, %s ends it with status %i', async (signal, status) => {
    const run = inPidNamespace(SIGNALS, ['init', 'none']);
    const ready = JSON.parse((await run.line('ready ')).slice(6)) as { pid: number; listeners: Record<string, number> };
    expect(ready.pid).toBe(1);
    expect(ready.listeners).toEqual({ SIGTERM: 1, SIGINT: 1, SIGHUP: 1 });
    process.kill(namespaceInit(run.child), signal);
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([status, null]);
  });

  maybe('without unixproc/init, PID 1 with no handler ignores SIGTERM (the control)', async () => {
    const run = inPidNamespace(SIGNALS, ['none', 'none']);
    await run.line('ready ');
    process.kill(namespaceInit(run.child), 'SIGTERM'); // dropped by the kernel at once
    run.child.stdin?.write('ping\n');
    expect(await run.line('pong')).toBe('pong');
    run.child.stdin?.end(); // its event loop empties: it exits 0
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([0, null]);
  });

  maybe.each(cases)('as PID 1, a %s listener the application adds later stands unixproc/init aside', async (signal) => {
    const run = inPidNamespace(SIGNALS, ['init', 'later']);
    const ready = JSON.parse((await run.line('ready ')).slice(6)) as { listeners: Record<string, number> };
    expect(ready.listeners).toEqual({ SIGTERM: 2, SIGINT: 2, SIGHUP: 2 });
    process.kill(namespaceInit(run.child), signal);
    expect(await run.line('handled')).toBe(`handled ${signal}`);
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([0, null]);
  });

  maybe('as PID 1, a process.once() SIGTERM listener added before the import still stands unixproc/init aside', async () => {
    const run = inPidNamespace(SIGNALS, ['init', 'once-before']);
    const ready = JSON.parse((await run.line('ready ')).slice(6)) as { listeners: Record<string, number> };
    expect(ready.listeners).toEqual({ SIGTERM: 2, SIGINT: 2, SIGHUP: 2 });
    process.kill(namespaceInit(run.child), 'SIGTERM');
    expect(await run.line('handled')).toBe('handled SIGTERM');
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([0, null]);
  });

  maybe('as PID 1, once the application removes its SIGTERM listener, SIGTERM ends it with 143 again', async () => {
    const run = inPidNamespace(SIGNALS, ['init', 'removed']);
    const ready = JSON.parse((await run.line('ready ')).slice(6)) as { listeners: Record<string, number> };
    expect(ready.listeners).toEqual({ SIGTERM: 1, SIGINT: 1, SIGHUP: 1 });
    process.kill(namespaceInit(run.child), 'SIGTERM');
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([143, null]);
  });

  maybe('a fork() child of PID 1 inherits the stand-in but, not being PID 1, is killed by SIGTERM as any process', async () => {
    const run = inPidNamespace(FORK, [], true, {}, ['--single-threaded']);
    const line = await run.line('{');
    const e = await run.exit;
    expect([e.code, e.signal, e.stderr]).toEqual([0, null, '']);
    expect(JSON.parse(line)).toEqual({ reaped: true, signal: 15, code: null });
  });

  test('in an ordinary process it adds no signal listener and reaps nothing: SIGTERM kills it as before', async () => {
    const run = start(process.execPath, ['-r', LOADER, SIGNALS, 'init', 'none']);
    const ready = JSON.parse((await run.line('ready ')).slice(6)) as { pid: number; listeners: Record<string, number>; status: unknown };
    expect(ready.pid).toBe(run.child.pid);
    expect(ready.listeners).toEqual({ SIGTERM: 0, SIGINT: 0, SIGHUP: 0 });
    expect(ready.status).toEqual({ active: true, pid1: false, reaping: false, reaped: 0, method: undefined, signals: [] });
    run.child.kill('SIGTERM');
    const e = await run.exit;
    expect([e.code, e.signal]).toEqual([null, 'SIGTERM']);
  });
});
