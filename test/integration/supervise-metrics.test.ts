// `unixproc supervise --metrics-listen` run as a real child process: its service's metrics
// scraped over HTTP, checked by promtool; a busy port and bad flags.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import { spawn, type Subprocess } from '../../lib/spawn';
import { LOADER, ROOT, readAll, waitFor } from '../helpers/supervise-helpers';

const MAIN = join(ROOT, 'lib', 'cli', 'main.ts');

function cli(args: string[]): Subprocess {
  return spawn(process.execPath, ['-r', LOADER, MAIN, 'supervise', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function run(args: string[]): Promise<{ code: number | undefined; stderr: string }> {
  const p = cli(args);
  const [, stderr, status] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
  return { code: status.kind === 'exited' ? status.code : undefined, stderr };
}

function valueOf(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

test('serves up, restarts and the tree of its service; promtool accepts it; OpenMetrics on request; SIGTERM ends both', async () => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'unixproc-supervise-metrics-'));
  try {
    const flag = join(dir, 'ran-once');
    const p = cli(['--name', 'web', '--metrics-listen', '127.0.0.1:0', '--backoff', '1', '--', '/bin/sh', '-c', `if [ -e '${flag}' ]; then exec sleep 60; else : > '${flag}'; exit 1; fi`]);
    let stderr = '';
    p.stderr!.setEncoding('utf8');
    p.stderr!.on('data', (d: string) => (stderr += d));
    const status = p.wait();
    // A node start that transpiles the CLI's sources: seconds on a loaded machine.
    await waitFor('the restart', () => /restarted \/bin\/sh/.test(stderr), 30000);
    const url = /serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1];
    expect(url).toBeDefined();

    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(valueOf(text, 'unixproc_service_up{service="web"}')).toBe(1);
    expect(valueOf(text, 'unixproc_service_ready{service="web"}')).toBe(1);
    expect(valueOf(text, 'unixproc_service_restarts_total{service="web"}')).toBe(1);
    expect(valueOf(text, 'unixproc_service_start_limit_hits_total{service="web"}')).toBe(0);
    expect(valueOf(text, 'unixproc_service_state{service="web",state="running"}')).toBe(1);
    expect(valueOf(text, 'unixproc_service_processes{service="web"}')).toBeGreaterThanOrEqual(1);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });

    const om = await fetch(url!, { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const omText = await om.text();
    expect(omText).toContain('# TYPE unixproc_service_restarts counter\n');
    expect(omText.endsWith('# EOF\n')).toBe(true);
    expect((await fetch(url!.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(url!, { method: 'POST' })).status).toBe(405);

    expect(p.kill('SIGTERM')).toBe(true);
    // sleep died of the SIGTERM: 128 + 15.
    expect(await status).toEqual({ kind: 'exited', code: 143 });
    await expect(fetch(url!)).rejects.toThrow();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a busy --metrics-listen port is one line, exit 1, and the command is never started', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    const r = await run(['--metrics-listen', `127.0.0.1:${port}`, '--', '/bin/sh', '-c', 'exit 0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`unixproc supervise: --metrics-listen 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`);
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
});

test.each([
  [['--metrics-listen', 'localhost'], /--metrics-listen: 'localhost' is not ADDR:PORT/],
  [['--metrics-listen', '127.0.0.1:70000'], /port 70000 is out of range/],
  [['--name', ''], /options\.name/],
  [['--name', 'a\tb'], /options\.name/],
])('usage error %j: exit 2 before anything listens or starts', async (flags, message) => {
  const r = await run([...flags, '--', '/bin/sh', '-c', 'exit 0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/serving metrics at|started \/bin/);
});
