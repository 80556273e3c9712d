// supervise() with stdio 'pipe' (issue 11, item 1): sup.stdout / sup.stderr outlive the runs
// and carry each run's output in order, nothing lost at a restart; line mode with a prefix;
// backpressure; and the names of the group keeper and the shepherd (item 7).
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { supervise, type Supervisor, type SupervisorOptions } from '../../lib/supervise';

const contained: SupervisorOptions[] = [{ contain: false }, { contain: true }];
const label = (o: SupervisorOptions): string => `contain: ${String(o.contain)}`;

/** Everything a stream delivers until its end, as chunks. */
function collect(stream: Readable): { chunks: Buffer[]; text: () => string; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  return { chunks, text: () => Buffer.concat(chunks).toString(), ended };
}

/** A script that prints `n` numbered lines of its own pid, then exits with `code`. */
function printer(n: number, code: number): [string, string[]] {
  return ['/bin/sh', ['-c', `i=1; while [ $i -le ${n} ]; do echo "$$ line $i"; i=$((i+1)); done; exit ${code}`]];
}

function expectedLines(pid: number, n: number): string {
  return Array.from({ length: n }, (_, i) => `${pid} line ${i + 1}\n`).join('');
}

describe.each(contained)('the output of several runs (%s)', (extra) => {
  test(`runs' output comes through one stream, in order, each run whole (${label(extra)})`, async () => {
    const [file, args] = printer(200, 1);
    const sup = supervise(file, args, {
      ...extra,
      stdio: 'pipe',
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 2, window: 60000 },
    });
    const pids = [sup.pid as number];
    sup.on('spawn', (pid) => pids.push(pid));
    const out = collect(sup.stdout as Readable);
    await out.ended;
    expect(await sup.done()).toBe('failed');
    expect(pids).toHaveLength(3);
    expect(out.text()).toBe(pids.map((pid) => expectedLines(pid, 200)).join(''));
  });

  test(`a crashing run's last lines arrive before its 'exit' (${label(extra)})`, async () => {
    const sup = supervise('/bin/sh', ['-c', 'i=1; while [ $i -le 500 ]; do echo "$$ $i"; i=$((i+1)); done; echo "$$ last words" >&2; kill -SEGV $$'], {
      ...extra,
      stdio: 'pipe',
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 1, window: 60000 },
    });
    const events: string[] = [];
    let stdout = '';
    let stderr = '';
    sup.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    sup.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    sup.on('exit', ({ pid, status }) => {
      // What each stream had delivered when the exit was told.
      events.push(`${pid} ${status.kind === 'signaled' ? status.signal : '?'} ${stdout.endsWith(`${pid} 500\n`)} ${stderr.endsWith(`${pid} last words\n`)}`);
    });
    const ends = Promise.all([collect(sup.stdout!).ended, collect(sup.stderr!).ended]);
    await sup.done();
    await ends;
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).toMatch(/^\d+ SIGSEGV true true$/);
  });
});

describe("the 'exit' waits for the run's output", () => {
  test('megabytes written just before a crash all come before the exit', async () => {
    // 2.4 MB, then SIGSEGV: at the exit the pipe is still full.
    const sup = supervise('/bin/sh', ['-c', 'seq 1 350000; kill -SEGV $$'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      restart: 'never',
    });
    let stdout = '';
    sup.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const atExit = new Promise<string>((resolve) => sup.once('exit', () => resolve(stdout.slice(-14))));
    expect(await atExit).toBe('349999\n350000\n');
    await sup.done();
  });

  test("a grandchild's lines after the child's exit come first; one that keeps the pipe delays the exit only so long (contain: false)", async () => {
    // The subshell outlives the child, writes, and keeps stdout open (exec sleep).
    const sup = supervise('/bin/sh', ['-c', 'echo first; (sleep 0.1; echo late; exec sleep 60) & exit 1'], {
      contain: false,
      stdio: ['ignore', 'pipe', 'ignore'],
      restart: 'never',
      killGracePeriod: 1000,
    });
    const order: string[] = [];
    sup.stdout!.on('data', (c: Buffer) => order.push(...c.toString().trim().split('\n')));
    sup.on('exit', ({ status }) => order.push(`exit ${status.kind === 'exited' ? status.code : status.kind}`));
    const ended = new Promise((r) => sup.stdout!.once('end', r));
    expect(await sup.done()).toBe('stopped');
    await ended; // the sleep was ended with the group: its pipe is closed, the stream ends
    expect(order).toEqual(['first', 'late', 'exit 1']);
  });
});

describe('line mode with a prefix', () => {
  test('whole lines, each prefixed; a partial last line is ended with a newline at its run\'s end', async () => {
    const sup = supervise('/bin/sh', ['-c', "printf 'a\\nb'; sleep 0.05; printf 'c\\nd'; sleep 0.05; printf 'e\\nf'; exit 0"], {
      stdio: 'pipe',
      restart: 'never',
      output: { prefix: '\x1b[36mweb.1 |\x1b[0m ' },
    });
    const out = collect(sup.stdout!);
    await out.ended;
    const p = '\x1b[36mweb.1 |\x1b[0m ';
    expect(out.text()).toBe(`${p}a\n${p}bc\n${p}de\n${p}f\n`);
    // Every chunk is whole lines: a reader that writes chunks never splits a line.
    for (const c of out.chunks) expect(c.toString().endsWith('\n')).toBe(true);
  });

  test("each run's partial last line is its own: it does not run on into the next run's first line", async () => {
    const sup = supervise('/bin/sh', ['-c', 'printf "$$ half"; exit 1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 1, window: 60000 },
      output: { lines: true },
    });
    const pids = [sup.pid as number];
    sup.on('spawn', (pid) => pids.push(pid));
    const out = collect(sup.stdout!);
    await out.ended;
    expect(out.text()).toBe(pids.map((pid) => `${pid} half\n`).join(''));
  });

  test('a line longer than 65536 bytes is cut into lines of 65536 bytes', async () => {
    const sup = supervise('/bin/sh', ['-c', 'head -c 150000 /dev/zero | tr "\\0" x; echo'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      restart: 'never',
      output: { prefix: '> ' },
    });
    const out = collect(sup.stdout!);
    await out.ended;
    expect(out.text().split('\n').map((l) => l.length)).toEqual([65538, 65538, 18930, 0]);
  });

  test('a long line whose newline comes in the same read as its end is cut too', async () => {
    // 40000 bytes, a pause (read on their own), then 60000 bytes and the newline in one write:
    // the second read completes a 100000-byte line.
    const script = "process.stdout.write('x'.repeat(40000)); setTimeout(() => process.stdout.write('y'.repeat(60000) + '\\n'), 300);";
    const sup = supervise(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], restart: 'never', output: { prefix: '> ' } });
    const out = collect(sup.stdout!);
    await out.ended;
    const lines = out.text().split('\n');
    expect(lines.map((l) => l.length)).toEqual([65538, 34466, 0]);
    expect(lines[0]).toBe(`> ${'x'.repeat(40000)}${'y'.repeat(25536)}`);
    expect(lines[1]).toBe(`> ${'y'.repeat(34464)}`);
  });

  test('stdout and stderr are each split in lines, with the same prefix', async () => {
    const sup = supervise('/bin/sh', ['-c', 'echo out; echo err >&2; printf tail >&2'], {
      stdio: 'pipe',
      restart: 'never',
      output: { prefix: 'svc | ' },
    });
    const [out, err] = [collect(sup.stdout!), collect(sup.stderr!)];
    await Promise.all([out.ended, err.ended]);
    expect([out.text(), err.text()]).toEqual(['svc | out\n', 'svc | err\nsvc | tail\n']);
  });
});

describe('big output and backpressure', () => {
  test('several MB of output arrive intact, across a restart', async () => {
    // seq 1 600000: 4.4 MB per run.
    const sup = supervise('/bin/sh', ['-c', 'seq 1 600000; exit 1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      backoff: { initial: 10 },
      startLimit: { maxRestarts: 1, window: 60000 },
    });
    const out = collect(sup.stdout!);
    await out.ended;
    const one = `${Array.from({ length: 600000 }, (_, i) => i + 1).join('\n')}\n`;
    const text = out.text();
    expect(text.length).toBe(2 * one.length);
    expect(text === one + one).toBe(true); // not toBe(one + one): a diff of 9 MB helps nobody
  });

  test('a consumer that pauses holds the child back (no unbounded buffer) and loses nothing', async () => {
    const sup = supervise('seq', ['1', '800000'], { stdio: ['ignore', 'pipe', 'inherit'], restart: 'never' });
    const stream = sup.stdout!;
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.pause();
    await new Promise((r) => setTimeout(r, 300));
    // 5.9 MB cannot fit in a pipe and a stream buffer: seq is blocked in write(2).
    expect(sup.state).toBe('running');
    expect(sup.pid).toBeDefined();
    expect(stream.readableLength).toBeLessThan(1 << 20);
    const ended = new Promise((r) => stream.once('end', r));
    stream.resume();
    await ended;
    expect(await sup.done()).toBe('stopped');
    const text = Buffer.concat(chunks).toString();
    expect(text === `${Array.from({ length: 800000 }, (_, i) => i + 1).join('\n')}\n`).toBe(true);
  });

  test('a consumer that destroys the stream does not block the service: its output is dropped', async () => {
    const sup = supervise('seq', ['1', '800000'], { stdio: ['ignore', 'pipe', 'inherit'], restart: 'never' });
    sup.stdout!.destroy();
    expect(await sup.done()).toBe('stopped');
    expect(sup.lastStatus).toEqual({ kind: 'exited', code: 0 });
  });
});

describe('the streams and the supervisor\'s life', () => {
  test('the streams end when the supervisor is terminated; restart() after that makes new ones', async () => {
    const sup = supervise('/bin/sh', ['-c', 'echo up; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const first = sup.stdout!;
    const out = collect(first);
    await new Promise<void>((resolve) => first.once('data', () => resolve()));
    await sup.terminate();
    await out.ended;
    expect(out.text()).toBe('up\n');
    await sup.restart();
    const second = sup.stdout!;
    expect(second).not.toBe(first);
    const again = collect(second);
    await new Promise<void>((resolve) => second.once('data', () => resolve()));
    await sup.terminate();
    await again.ended;
    expect(again.text()).toBe('up\n');
  });

  test('streams that are not piped are null, as child_process has them', async () => {
    const sup = supervise('/bin/true', [], { stdio: ['ignore', 'pipe', 'ignore'], restart: 'never' });
    expect(sup.stdout).not.toBeNull();
    expect(sup.stderr).toBeNull();
    const other = supervise('/bin/true', [], { stdio: 'ignore', restart: 'never' });
    expect([other.stdout, other.stderr]).toEqual([null, null]);
    await collect(sup.stdout!).ended;
    await Promise.all([sup.done(), other.done()]);
  });

  test("stdio: 'pipe' for all pipes stdout and stderr, and gives stdin /dev/null", async () => {
    const sup = supervise('/bin/sh', ['-c', 'readlink /proc/$$/fd/0; cat; echo done'], { stdio: 'pipe', restart: 'never' });
    const out = collect(sup.stdout!);
    await out.ended;
    expect(out.text()).toBe('/dev/null\ndone\n');
    await sup.done();
  });
});

describe('validation', () => {
  test.each([
    ["stdio[0] 'pipe'", { stdio: ['pipe', 'pipe', 'pipe'] }, 'ERR_INVALID_ARG_VALUE', "options.stdio[0]"],
    ['output without a piped stream', { output: { lines: true } }, 'ERR_INVALID_ARG_VALUE', 'needs stdio'],
    ['output with no stream piped (an array)', { stdio: ['ignore', 'inherit', 'ignore'], output: {} }, 'ERR_INVALID_ARG_VALUE', 'needs stdio'],
    ['a prefix with a newline', { stdio: 'pipe', output: { prefix: 'a\nb' } }, 'ERR_INVALID_ARG_VALUE', 'newline'],
    ['a prefix with a carriage return', { stdio: 'pipe', output: { prefix: 'a\r' } }, 'ERR_INVALID_ARG_VALUE', 'newline'],
    ['a prefix longer than 1024 bytes', { stdio: 'pipe', output: { prefix: 'é'.repeat(513) } }, 'ERR_INVALID_ARG_VALUE', '1024 bytes'],
    ['a prefix that is not a string', { stdio: 'pipe', output: { prefix: 1 } }, 'ERR_INVALID_ARG_TYPE', 'options.output.prefix'],
    ['lines that is not a boolean', { stdio: 'pipe', output: { lines: 'yes' } }, 'ERR_INVALID_ARG_TYPE', 'options.output.lines'],
    ['lines: false with a prefix', { stdio: 'pipe', output: { lines: false, prefix: '> ' } }, 'ERR_INVALID_ARG_VALUE', 'options.output.lines'],
    ['an unknown output key', { stdio: 'pipe', output: { prefx: '> ' } }, 'ERR_INVALID_ARG_VALUE', "did you mean 'prefix'"],
    ['output that is not an object', { stdio: 'pipe', output: 'lines' }, 'ERR_INVALID_ARG_TYPE', 'options.output'],
  ])('%s', (_what, options, code, text) => {
    expect(() => supervise('/bin/true', [], options as SupervisorOptions)).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(text) }),
    );
  });
});

describe('names: every event says its service, the helpers say theirs (item 7)', () => {
  test("'spawn', 'ready', 'exit', 'restart', 'failed' and 'stopped' carry the service's name", async () => {
    const seen: string[] = [];
    const sup = supervise('/bin/sh', ['-c', 'exit 2'], { name: 'worker', backoff: { initial: 10 }, startLimit: { maxRestarts: 1, window: 60000 } });
    sup.on('spawn', (_pid, e) => seen.push(`spawn ${e.name}`));
    sup.on('ready', (_pid, e) => seen.push(`ready ${e.name}`));
    sup.on('exit', (e) => seen.push(`exit ${e.name}`));
    sup.on('restart', (e) => seen.push(`restart ${e.name}`));
    sup.on('failed', (e) => seen.push(`failed ${e.name}`));
    await sup.done();
    expect(seen).toEqual(['exit worker', 'restart worker', 'spawn worker', 'ready worker', 'exit worker', 'failed worker']);
    expect(sup.failure?.name).toBe('worker');
    const stopped = supervise('/bin/true', [], { name: 'once', restart: 'never' });
    const [, e] = await new Promise<[unknown, { name: string }]>((resolve) => stopped.once('stopped', (s, ev) => resolve([s, ev])));
    expect(e).toEqual({ name: 'once' });
  });

  test("the group keeper is named after its service in ps (argv[0] and comm)", async () => {
    const sup = supervise('sleep', ['60'], { contain: false, name: 'web api' });
    const keeper = keeperOf(sup);
    try {
      const cmdline = await eventually(() => readFileSync(`/proc/${keeper}/cmdline`, 'utf8').split('\0'));
      expect(cmdline?.[0]).toBe('unixproc-keeper: web api');
      // The comm is written by the keeper itself, right after it starts.
      expect(await eventually(() => {
        const comm = readFileSync(`/proc/${keeper}/comm`, 'utf8').trim();
        return comm === 'unixproc-keeper' ? comm : undefined;
      })).toBe('unixproc-keeper');
    } finally {
      await sup.terminate();
    }
  });

  test("the subreaper shepherd of a service is named after it", async () => {
    const sup = supervise('sleep', ['60'], { contain: 'subreaper', name: 'worker' });
    try {
      const cmdline = readFileSync(`/proc/${sup.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.slice(0, 2)).toEqual(['unixproc-shepherd: worker', 'tree']);
    } finally {
      await sup.terminate();
    }
  });
});

/** The pid of the group keeper of a `contain: false` supervisor: the stopped member of its child's group. */
function keeperOf(sup: Supervisor): number {
  const pgid = sup.pid as number;
  for (const name of require('node:fs').readdirSync('/proc') as string[]) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && Number(name) !== pgid) return Number(name);
    } catch {
      // gone
    }
  }
  throw new Error(`no keeper in group ${pgid}`);
}

async function eventually<T>(read: () => T | undefined, tries = 100): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = read();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  return read();
}
