// run(): capture, check, timeout, input, abort; and large output through stdio pipes.
import { createHash, randomBytes } from 'node:crypto';
import { run, spawn, CalledProcessError, TimeoutExpiredError } from '../../lib/spawn';

describe('run', () => {
  test('capture text resolves args, status, stdout and stderr', async () => {
    const r = await run('/bin/sh', ['-c', 'echo out; echo err >&2; exit 0'], { capture: true });
    expect(r).toEqual({
      args: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 0'],
      status: { kind: 'exited', code: 0 },
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  test("capture 'buffer' gives Buffers", async () => {
    const r = await run('/usr/bin/printf', ['\\x00\\xff'], { capture: 'buffer' });
    expect(Buffer.isBuffer(r.stdout)).toBe(true);
    expect([...(r.stdout as Buffer)]).toEqual([0, 255]);
  });

  test('without capture, stdout and stderr are null', async () => {
    const r = await run('/bin/true', []);
    expect(r.stdout).toBeNull();
    expect(r.stderr).toBeNull();
  });

  test('a non-zero exit resolves without check', async () => {
    const r = await run('/bin/sh', ['-c', 'exit 4']);
    expect(r.status).toEqual({ kind: 'exited', code: 4 });
  });

  test('check: a non-zero exit rejects with CalledProcessError carrying status and output', async () => {
    const p = run('/bin/sh', ['-c', 'echo partial; echo why >&2; exit 3'], { capture: true, check: true });
    await expect(p).rejects.toBeInstanceOf(CalledProcessError);
    await expect(p).rejects.toMatchObject({
      name: 'CalledProcessError',
      code: 'ERR_UNIXPROC_CHILD_FAILED',
      status: { kind: 'exited', code: 3 },
      stdout: 'partial\n',
      stderr: 'why\n',
      args: ['/bin/sh', '-c', 'echo partial; echo why >&2; exit 3'],
    });
  });

  test('check: death by a signal rejects too', async () => {
    await expect(run('/bin/sh', ['-c', 'kill -KILL $$'], { check: true })).rejects.toMatchObject({
      status: { kind: 'signaled', signal: 'SIGKILL' },
    });
  });

  test('timeout rejects with TimeoutExpiredError after killing and reaping the child', async () => {
    const p = run('/bin/sh', ['-c', 'echo started; exec sleep 100'], { capture: true, timeout: 300 });
    const err = (await p.catch((e) => e)) as TimeoutExpiredError;
    expect(err).toBeInstanceOf(TimeoutExpiredError);
    expect(err).toMatchObject({
      code: 'ERR_UNIXPROC_TIMEOUT',
      timeout: 300,
      status: { kind: 'signaled', signal: 'SIGTERM' },
      stdout: 'started\n',
    });
  });

  test('abort rejects with AbortError after killing and reaping the child', async () => {
    const ac = new AbortController();
    const p = run('/bin/sleep', ['100'], { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('stop') });
  });

  test('input is written to stdin and stdin is closed', async () => {
    const r = await run('/usr/bin/tr', ['a-z', 'A-Z'], { input: 'hello\n', capture: true });
    expect(r.stdout).toBe('HELLO\n');
  });

  test('input the child does not read does not fail run (EPIPE is ignored)', async () => {
    const r = await run('/bin/true', [], { input: Buffer.alloc(1 << 20) });
    expect(r.status).toEqual({ kind: 'exited', code: 0 });
  });

  test('exec failure rejects ENOENT with path', async () => {
    await expect(run('/no/such/program', [])).rejects.toMatchObject({ code: 'ENOENT', path: '/no/such/program' });
  });

  test.each<[string, unknown[], string]>([
    ['args not an array', ['ls', 'ls'], 'ERR_INVALID_ARG_TYPE'],
    ['an empty file', [''], 'ERR_INVALID_ARG_VALUE'],
    ['a Buffer file (the command is reported as strings)', [Buffer.from('/bin/true')], 'ERR_INVALID_ARG_TYPE'],
    ['NUL in args', ['/bin/echo', ['a\0b']], 'ERR_INVALID_ARG_VALUE'],
  ])('rejects %s (%#)', async (_what, args, code) => {
    await expect((run as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toMatchObject({ code });
  });

  test('the former run([file, ...args]) is ERR_INVALID_ARG_VALUE naming run(file, args, options)', async () => {
    await expect(run(['/bin/true'] as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining('run(file, args, options) replaced run([file, ...args])'),
    });
  });

  test.each([
    ['input', { input: 5 }, 'ERR_INVALID_ARG_TYPE'],
    ['capture', { capture: 'lines' }, 'ERR_INVALID_ARG_VALUE'],
    ['encoding', { encoding: 'klingon' }, 'ERR_INVALID_ARG_VALUE'],
    ['check', { check: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    ['timeout', { timeout: -1 }, 'ERR_OUT_OF_RANGE'],
  ])('rejects a bad %s option', async (_what, options, code) => {
    await expect(run('/bin/true', [], options as never)).rejects.toMatchObject({ code });
  });

  // A pipe run() does not consume would leave the child blocked on it (and run pending).
  test.each([
    ["stdio 'pipe' without input or capture", { stdio: 'pipe' }, /'options\.stdio' must not be 'pipe'.*options\.input/],
    ["stdio 'pipe' with capture but no input (stdin)", { stdio: 'pipe', capture: true }, /options\.input/],
    ["stdio 'pipe' with input but no capture (stdout)", { stdio: 'pipe', input: 'x' }, /options\.capture/],
    ["stdio[1] 'pipe' without capture", { stdio: ['ignore', 'pipe'] }, /'options\.stdio\[1\]' must not be 'pipe'.*options\.capture/],
    ["stdio[2] 'pipe' without capture", { stdio: [undefined, undefined, 'pipe'] }, /'options\.stdio\[2\]'.*options\.capture/],
    ["stdio[0] 'pipe' without input", { stdio: ['pipe', 'inherit', 'inherit'] }, /'options\.stdio\[0\]'.*options\.input/],
    ['input with an explicit stdio[0]', { input: 'x', stdio: ['ignore'] }, /'options\.stdio\[0\]' cannot be given together with options\.input/],
    ['capture with an explicit stdio[1]', { capture: true, stdio: [undefined, 'ignore'] }, /'options\.stdio\[1\]' cannot be given together with options\.capture/],
    ['more than 3 stdio entries', { stdio: ['ignore', 'ignore', 'ignore', 'ignore'] }, /at most 3 entries/],
  ])('rejects %s with ERR_INVALID_ARG_VALUE, before starting anything', async (_what, options, message) => {
    const p = run('/bin/sh', ['-c', 'head -c 1000000 /dev/zero'], options as never);
    await expect(p).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(message) });
  });

  test("a single stdio value applies to the streams input and capture do not take", async () => {
    const r = await run('/bin/sh', ['-c', 'cat; echo err >&2'], { stdio: 'pipe', input: 'in', capture: true });
    expect([r.stdout, r.stderr]).toEqual(['in', 'err\n']);
    const q = await run('/bin/sh', ['-c', 'cat; echo out'], { stdio: 'ignore', capture: true });
    expect([q.stdout, q.stderr]).toEqual(['out\n', '']); // stdin was /dev/null: cat ends at once
  });
});

describe('stdio pipes with large data', () => {
  const SIZE = 10 * 1024 * 1024;

  test('10 MB through cat, in and out, arrives whole and in order', async () => {
    const data = randomBytes(SIZE);
    const r = await run('/bin/cat', [], { input: data, capture: 'buffer' });
    const out = r.stdout as Buffer;
    expect(out.length).toBe(SIZE);
    expect(createHash('sha256').update(out).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  test('10 MB on stdout and 10 MB on stderr at once, without loss', async () => {
    const child = spawn('/bin/sh', ['-c', `head -c ${SIZE} /dev/zero & head -c ${SIZE} /dev/zero >&2; wait`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = 0;
    let err = 0;
    child.stdout!.on('data', (c: Buffer) => (out += c.length));
    child.stderr!.on('data', (c: Buffer) => (err += c.length));
    const closed = (s: NodeJS.ReadableStream) => new Promise((r) => s.on('close', r));
    const [status] = await Promise.all([child.wait(), closed(child.stdout!), closed(child.stderr!)]);
    expect(status).toEqual({ kind: 'exited', code: 0 });
    expect([out, err]).toEqual([SIZE, SIZE]);
  });

  test('backpressure: a paused reader does not lose data', async () => {
    const child = spawn('/usr/bin/head', ['-c', String(SIZE), '/dev/zero'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.pause();
    // The child blocks on a full pipe while we do not read: it cannot have exited yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(child.exited).toBe(false);
    let total = 0;
    child.stdout!.on('data', (c: Buffer) => (total += c.length));
    child.stdout!.resume();
    await Promise.all([child.wait(), new Promise((r) => child.stdout!.on('close', r))]);
    expect(total).toBe(SIZE);
  });

  test('stdin EOF: closing the writable ends the child reading it', async () => {
    const child = spawn('/usr/bin/wc', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin!.write('12345');
    child.stdin!.end();
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    await Promise.all([child.wait(), new Promise((r) => child.stdout!.on('close', r))]);
    expect(Buffer.concat(chunks).toString().trim()).toBe('5');
  });
});
