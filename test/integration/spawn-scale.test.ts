// Many children: no thread per child, child_process undisturbed, nothing leaked.
import { spawn as cpSpawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../../lib/spawn';
import { setExitWatchMode, type ExitWatchMode } from '../../lib/spawn/exit-watch';
import { openFds, processState, threadCount, readAll } from '../helpers/spawn-helpers';

describe.each<ExitWatchMode>(['pidfd', 'sigchld'])('at scale, with the %s exit watch', (mode) => {
  beforeAll(() => setExitWatchMode(mode));
  afterAll(() => setExitWatchMode(undefined));

  test('500 children awaited at once add no thread', async () => {
    await fsp.readFile(__filename); // the libuv thread pool exists before the baseline
    const before = threadCount();
    const children = Array.from({ length: 500 }, () => spawn('/bin/sleep', ['1000'], { stdio: 'ignore' }));
    const waits = children.map((c) => c.wait());
    // Sampled after a few turns of the event loop (watches armed, sweeps run), while every
    // child still runs: a thread started lazily by a watch would show by then.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const during = threadCount();
    const running = children.filter((c) => /^[RSD]$/.test(processState(c.pid) ?? '')).length;
    for (const c of children) expect(c.kill('SIGTERM')).toBe(true);
    const statuses = await Promise.all(waits);
    expect(running).toBe(500);
    expect(during).toBe(before);
    expect(statuses.every((s) => s.kind === 'signaled' && s.signal === 'SIGTERM')).toBe(true);
  });

  test("child_process children spawned among unixproc children all get their 'exit' with their code", async () => {
    const cpExits: Promise<[number | null, number]>[] = [];
    const ours: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const code = i % 7;
      const cp = cpSpawn('/bin/sh', ['-c', `exit ${code}`], { stdio: 'ignore' });
      cpExits.push(new Promise((resolve) => cp.on('exit', (c) => resolve([c, code]))));
      ours.push(spawn('/bin/sh', ['-c', `exit ${(code + 1) % 7}`]).wait());
    }
    const [cpResults, ourResults] = await Promise.all([Promise.all(cpExits), Promise.all(ours)]);
    for (const [got, want] of cpResults) expect(got).toBe(want);
    expect(ourResults.map((s) => (s as { code: number }).code)).toEqual(
      Array.from({ length: 60 }, (_, i) => ((i % 7) + 1) % 7),
    );
  });

  // Issue 8, defect 4: stdin stayed open after the child exited, one fd and one active
  // handle per child until the process ended.
  test("200 children with stdio 'pipe', read and awaited, leave no pipe fd and no pipe handle behind", async () => {
    const activeHandles = (): unknown[] => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    const fdsBefore = openFds().length;
    const streams: unknown[] = [];
    const outputs: string[] = [];
    for (let i = 0; i < 200; i++) {
      const c = spawn('/bin/sh', ['-c', 'echo out; echo err >&2'], { stdio: 'pipe' });
      streams.push(c.stdin, c.stdout, c.stderr);
      const [out, err, status] = await Promise.all([readAll(c.stdout), readAll(c.stderr), c.wait()]);
      expect(status).toEqual({ kind: 'exited', code: 0 });
      outputs.push(out + err);
    }
    await new Promise((resolve) => setImmediate(resolve)); // the last close callbacks
    const fdsAfter = openFds().length;
    const handles = new Set(activeHandles());
    expect(outputs.every((o) => o === 'out\nerr\n')).toBe(true);
    expect(streams.filter((s) => handles.has(s)).length).toBe(0);
    expect(streams.filter((s) => !(s as { destroyed: boolean }).destroyed).length).toBe(0);
    expect(fdsAfter - fdsBefore).toBeLessThan(5);
  });

  test('stdin is destroyed once the child has exited, even when nothing was written to it', async () => {
    const c = spawn('/bin/true', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    await c.wait();
    expect(c.stdin?.destroyed).toBe(true);
  });
});

describe('leaks', () => {
  // Run in a separate node with --expose-gc, so the heap is measured after real
  // collections and jest's own allocations do not blur it.
  test('fds, exit watches and memory are back at their baseline after 5000 spawns', async () => {
    const loader = join(__dirname, '..', 'helpers', 'ts-register.js');
    const lib = join(__dirname, '..', '..', 'lib', 'spawn', 'index.ts');
    const nativeTs = join(__dirname, '..', '..', 'lib', 'native.ts');
    const script = `
      const fs = require('node:fs');
      const { spawn } = require(${JSON.stringify(lib)});
      const b = require(${JSON.stringify(nativeTs)}).native();
      async function batch(n) {
        let started = 0;
        async function lane() {
          while (started < n) {
            started++;
            const c = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 60000 });
            c.stdout.resume();
            await Promise.all([c.wait(), new Promise((r) => c.stdout.on('close', r))]);
          }
        }
        await Promise.all(Array.from({ length: 32 }, lane));
      }
      // napi finalizers run on a later turn of the loop than the collection.
      async function settle() {
        for (let i = 0; i < 4; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      }
      (async () => {
        await batch(500);
        await settle();
        const fds0 = fs.readdirSync('/proc/self/fd').length;
        const heap0 = process.memoryUsage().heapUsed;
        const rss0 = process.memoryUsage().rss;
        const watches0 = b.liveExitWatches();
        await batch(5000);
        await settle();
        const m = process.memoryUsage();
        process.stdout.write(JSON.stringify({
          fds: [fds0, fs.readdirSync('/proc/self/fd').length],
          watches: [watches0, b.liveExitWatches()],
          heap: [heap0, m.heapUsed],
          rss: [rss0, m.rss],
        }));
      })();`;
    const child = spawn(process.execPath, ['--expose-gc', '-r', loader, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out, status] = await Promise.all([readAll(child.stdout), child.wait()]);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    const r = JSON.parse(out) as Record<string, [number, number]>;
    expect(r.fds[1]).toBe(r.fds[0]);
    expect(r.watches).toEqual([0, 0]);
    // One leaked handle per spawn would be well over 1 KB each: 5 MB over 5000 spawns.
    expect(r.heap[1] - r.heap[0]).toBeLessThan(2 * 1024 * 1024);
    // A leaked child stack (64 KB) per spawn would be 320 MB.
    expect(r.rss[1] - r.rss[0]).toBeLessThan(32 * 1024 * 1024);
  });
});
