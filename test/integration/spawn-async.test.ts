// spawnAsync() (issue 15, item 1): spawn()'s work on the library's own thread. The same
// child, options and errors as spawn(), as a promise; in call order; bounded; nothing left
// behind when a Worker that queued spawns ends.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { run, spawn, spawnAsync, type Subprocess } from '../../lib/spawn';
import { SPAWN_QUEUE_CAPACITY } from '../../lib/spawn/queued';
import { readAll } from '../helpers/spawn-helpers';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { reapIfAdopted } from '../helpers/supervise-helpers';

const root = path.resolve(__dirname, '..', '..');
const lib = path.join(root, 'lib', 'spawn', 'index.ts');
const register = path.join(root, 'test', 'helpers', 'ts-register.js');

/** Pids of this process's children now (every thread's), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(' ').map(Number));
  }
  return out.sort((a, b) => a - b);
}

function threadNames(): string[] {
  return fs.readdirSync('/proc/self/task').map((t) => {
    try {
      return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (!fs.existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

describe('spawnAsync: spawn() as a promise, made off the event loop thread', () => {
  test('resolves with a handle of the exec\'d program: pid, pipes, exit status', async () => {
    const sub = await spawnAsync('/bin/sh', ['-c', 'read x; echo "got $x"; exit 3'], { stdio: 'pipe' });
    expect(sub.pid).toBeGreaterThan(0);
    expect(fs.readlinkSync(`/proc/${sub.pid}/exe`)).toMatch(/(dash|bash|sh)$/);
    sub.stdin!.end('it\n');
    const [out, status] = await Promise.all([readAll(sub.stdout), sub.wait()]);
    expect(out).toBe('got it\n');
    expect(status).toEqual({ kind: 'exited', code: 3 });
  });

  test('the children are made by a thread of its own, named unixproc-spawn', async () => {
    await (await spawnAsync('/bin/true', [], { stdio: 'ignore' })).wait();
    expect(threadNames().filter((n) => n === 'unixproc-spawn')).toHaveLength(1);
    await (await spawnAsync('/bin/true', [], { stdio: 'ignore' })).wait();
    expect(threadNames().filter((n) => n === 'unixproc-spawn')).toHaveLength(1);
  });

  test('a step that fails in the child rejects with spawn()\'s error, the same fields', async () => {
    const thrown = (() => {
      try {
        spawn('/no/such/program');
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
      return undefined;
    })();
    const rejected = await spawnAsync('/no/such/program').catch((e: NodeJS.ErrnoException) => e);
    for (const e of [thrown, rejected]) {
      expect(e).toEqual(expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'execve', path: '/no/such/program' }));
    }
    expect((rejected as Error).message).toBe((thrown as Error).message);
    await expect(spawnAsync('/bin/true', [], { cwd: '/no/such/dir' })).rejects.toEqual(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir', path: '/no/such/dir' }),
    );
  });

  test('bad arguments reject (never throw), with Node\'s codes', async () => {
    const calls: (() => Promise<Subprocess>)[] = [
      () => spawnAsync(5 as unknown as string),
      () => spawnAsync('/bin/true', ['a\0b']),
      () => spawnAsync('/bin/true', [], { killSignl: 'SIGTERM' } as never),
      () => spawnAsync('/bin/true', [], { timeout: -1 }),
    ];
    const codes: string[] = [];
    for (const call of calls) {
      let p: Promise<Subprocess> | undefined;
      expect(() => {
        p = call();
      }).not.toThrow();
      codes.push(await p!.then(() => 'resolved', (e: NodeJS.ErrnoException) => e.code!));
    }
    expect(codes).toEqual(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']);
  });

  test('an aborted signal rejects with an AbortError, and starts nothing', async () => {
    const before = childrenOf(process.pid);
    await expect(spawnAsync('/bin/sleep', ['100'], { signal: AbortSignal.abort() })).rejects.toEqual(expect.objectContaining({ name: 'AbortError' }));
    expect(childrenOf(process.pid)).toEqual(before);
  });

  test('children start in call order, and the promises settle in that order', async () => {
    const N = 100;
    const settled: number[] = [];
    const subs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        spawnAsync('/bin/true', [String(i)], { stdio: 'ignore' }).then((s) => {
          settled.push(i);
          return s;
        }),
      ),
    );
    expect(settled).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(subs.map((s) => s.args[1])).toEqual(settled.map(String));
    // Pids are handed out in creation order (at most one wrap at pid_max).
    const pids = subs.map((s) => s.pid);
    const drops = pids.filter((p, i) => i > 0 && p < pids[i - 1]).length;
    expect(drops).toBeLessThanOrEqual(1);
    if (drops === 0) expect([...pids].sort((a, b) => a - b)).toEqual(pids);
    await Promise.all(subs.map((s) => s.wait()));
  });

  test(`at most ${SPAWN_QUEUE_CAPACITY} at once: the rest reject with EAGAIN and start nothing`, async () => {
    // In one synchronous burst nothing is delivered meanwhile (results reach the loop only
    // between turns), so exactly the capacity is accepted.
    const extra = 50;
    const all = Array.from({ length: SPAWN_QUEUE_CAPACITY + extra }, () => spawnAsync('/bin/true', [], { stdio: 'ignore' }));
    const settled = await Promise.allSettled(all);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected).toHaveLength(extra);
    for (const r of rejected) expect(r.reason).toEqual(expect.objectContaining({ code: 'EAGAIN', syscall: 'spawn' }));
    // the refused ones are the last ones
    expect(settled.slice(SPAWN_QUEUE_CAPACITY).every((s) => s.status === 'rejected')).toBe(true);
    const subs = settled.filter((s): s is PromiseFulfilledResult<Subprocess> => s.status === 'fulfilled').map((s) => s.value);
    expect((await Promise.all(subs.map((s) => s.wait()))).every((st) => st.kind === 'exited' && st.code === 0)).toBe(true);
    // and room again afterwards
    await expect((await spawnAsync('/bin/true', [], { stdio: 'ignore' })).wait()).resolves.toEqual({ kind: 'exited', code: 0 });
  }, 60000);

  test('run() takes the same path: its child is made by the spawn thread', async () => {
    const r = await run('/bin/sh', ['-c', 'echo $$'], { capture: true });
    expect(r.status).toEqual({ kind: 'exited', code: 0 });
    expect(Number(r.stdout)).toBeGreaterThan(0);
    await expect(run('/no/such/program')).rejects.toEqual(expect.objectContaining({ code: 'ENOENT', syscall: 'execve' }));
  });
});

describe('spawnAsync: lifetimes', () => {
  let restore: () => void;
  beforeAll(() => {
    restore = becomeSubreaper();
  });
  afterAll(() => restore());

  test('killOnParentDeath follows the process, not the calling thread: a Worker\'s child outlives the Worker, then dies with the process', () => {
    // One node process: a Worker spawns `sleep` with deathSignal SIGKILL through spawnAsync
    // and ends; the child is still alive then (spawn() from the Worker's thread would have
    // been killed with it); the process then exits, and the child goes with it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-spawn-async-'));
    const script = `
      require(${JSON.stringify(register)});
      const fs = require('node:fs');
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        require(${JSON.stringify(register)});
        const { parentPort } = require('node:worker_threads');
        const { spawnAsync, spawn } = require(${JSON.stringify(lib)});
        (async () => {
          const a = await spawnAsync('/bin/sleep', ['100'], { stdio: 'ignore', killOnParentDeath: 'SIGKILL' });
          const s = spawn('/bin/sleep', ['100'], { stdio: 'ignore', killOnParentDeath: 'SIGKILL' });
          a.unref(); s.unref();
          parentPort.postMessage([a.pid, s.pid]);
        })();
      \`, { eval: true });
      w.once('message', async ([viaAsync, viaSync]) => {
        await w.terminate();
        const alive = (p) => { try { return !/^State:\\s+Z/m.test(fs.readFileSync('/proc/' + p + '/status', 'utf8')); } catch { return false; } };
        for (let i = 0; i < 200 && alive(viaSync); i++) await new Promise((r) => setTimeout(r, 10));
        fs.writeFileSync(${JSON.stringify(path.join(dir, 'r.json'))}, JSON.stringify({ viaAsync, viaSync, asyncAlive: alive(viaAsync), syncAlive: alive(viaSync) }));
        process.exit(0);
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect([res.asyncAlive, res.syncAlive]).toEqual([true, false]);
    // The node process is gone: the spawnAsync child got its death signal too. Both were the
    // node process's children; this jest worker is their subreaper (beforeAll): it reaps
    // them, by pid, and tells how they ended.
    return (async () => {
      const statuses = await Promise.all([res.viaAsync, res.viaSync].map((p: number) => reapIfAdopted(p)));
      expect(statuses).toEqual([{ kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false }, { kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false }]);
    })();
  }, 40000);

  test('setuid-family calls still return once the spawn thread exists (it lets glibc\'s SIGSETXID in)', () => {
    // process.seteuid and friends make glibc signal every thread (SIGSETXID) and wait for
    // each: the spawn thread blocked that signal too, and they waited forever (a CI hang).
    const script = `
      require(${JSON.stringify(register)});
      const { spawnAsync } = require(${JSON.stringify(lib)});
      (async () => {
        await (await spawnAsync('/bin/true', [], { stdio: 'ignore' })).wait();
        process.seteuid(process.geteuid());
        process.setegid(process.getegid());
        process.setgid(process.getgid());
        process.setuid(process.getuid());
        const mask = require('node:fs').readdirSync('/proc/self/task').map((t) => require('node:fs').readFileSync('/proc/self/task/' + t + '/status', 'utf8'))
          .filter((s) => /^Name:\\s+unixproc-spawn$/m.test(s)).map((s) => s.match(/^SigBlk:\\s+(\\w+)$/m)[1]);
        console.log(JSON.stringify(mask));
      })();
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15000 });
    expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    // The thread blocks every signal but 32 and 33 (bits 31 and 32), and SIGKILL and SIGSTOP
    // (bits 8 and 18), which nothing can block.
    expect(JSON.parse(r.stdout)).toEqual(['fffffffe7ffbfeff']);
  });

  test('a Worker terminated while the delivery of its spawnAsync is still running JS keeps the child it took, and does not crash', () => {
    // The regression: the delivery's callback failed when terminate() (from another thread)
    // stopped the Worker's JS, and the result was then discarded natively: its child
    // SIGKILLed and its pidfd closed under the Subprocess polling it, so libuv aborted the
    // process on EBADF in the Worker's teardown (SIGABRT, or the child dead). The Worker
    // here is stopped inside that callback for sure: the continuation after the await runs
    // in it, and spins until terminate() ends it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-spawn-async-'));
    const script = `
      require(${JSON.stringify(register)});
      const fs = require('node:fs');
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        require(${JSON.stringify(register)});
        const { parentPort } = require('node:worker_threads');
        const { spawnAsync } = require(${JSON.stringify(lib)});
        (async () => {
          const a = await spawnAsync('/bin/sleep', ['100'], { stdio: 'ignore', killOnParentDeath: 'SIGKILL' });
          a.unref();
          parentPort.postMessage(a.pid);
          for (;;);
        })();
      \`, { eval: true });
      w.once('message', async (pid) => {
        await w.terminate();
        await new Promise((r) => setTimeout(r, 200));
        const alive = (p) => { try { return !/^State:\\s+Z/m.test(fs.readFileSync('/proc/' + p + '/status', 'utf8')); } catch { return false; } };
        fs.writeFileSync(${JSON.stringify(path.join(dir, 'r.json'))}, JSON.stringify({ pid, alive: alive(pid) }));
        process.exit(0);
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    const res = fs.existsSync(path.join(dir, 'r.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')) : undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    return (async () => {
      // Reaped first (this jest worker is the subreaper), whatever the outcome.
      const status = res === undefined ? undefined : await reapIfAdopted(res.pid);
      expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
      expect(res.alive).toBe(true);
      expect(status).toEqual({ kind: 'signaled', signal: 'SIGKILL', signo: 9, coreDumped: false });
    })();
  }, 40000);

  test('a Worker that ends with spawns still queued or undelivered leaves no child behind', async () => {
    const before = childrenOf(process.pid);
    const worker = new Worker(
      `require(${JSON.stringify(register)});
       const { parentPort } = require('node:worker_threads');
       const { spawnAsync } = require(${JSON.stringify(lib)});
       for (let i = 0; i < 200; i++) spawnAsync('/bin/sleep', ['100'], { stdio: 'pipe' }).catch(() => {});
       parentPort.postMessage('queued');
       // The loop never turns again: no result reaches this Worker's JS (a handle it got
       // would be its own to end); terminate() ends it here.
       for (;;);`,
      { eval: true },
    );
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // Every child made for it was killed and reaped: none is left, running or a zombie.
    let now = childrenOf(process.pid);
    for (let i = 0; i < 300 && now.some((p) => !before.includes(p)); i++) {
      await new Promise((r) => setTimeout(r, 10));
      now = childrenOf(process.pid);
    }
    expect(now.filter((p) => !before.includes(p))).toEqual([]);
  }, 30000);

  test('across unixproc/os fork(): the parent\'s queued spawns reject in the child with ECHILD, and the child spawns its own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-spawn-async-fork-'));
    const r = spawnSync(process.execPath, ['--single-threaded', path.join(root, 'test', 'fixtures', 'spawn-async-fork.js'), dir], {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const parent = JSON.parse(r.stdout);
    const child = JSON.parse(fs.readFileSync(path.join(dir, 'child.json'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(parent).toEqual({ exited: 20, childStatus: 0 });
    expect(child).toEqual({ rejected: Array.from({ length: 20 }, () => ['ECHILD', 'spawn']), fulfilled: 0, status: { kind: 'exited', code: 7 } });
  }, 40000);
});
