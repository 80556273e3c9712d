// `unixproc metrics` as a user runs it: the exposition promtool accepts (live, with a hostile
// process name, and while processes churn), OpenMetrics when asked, the HTTP endpoint's
// paths and errors, --procfs checked at start, and the atomic --textfile.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { escapeLabelValue } from '../../lib/metrics/exposition';
import { labelText } from '../../lib/metrics/labels';
import { runBin, runCli } from '../helpers/cli-run';
import { binArgv, get, holdZombies, promtoolCheck, startExporter } from '../helpers/metrics-helpers';
import { PYTHON, spawnReporter, waitFor } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Checks an OpenMetrics exposition's structure: every sample follows its family's TYPE and
 * is named as the type requires (gauge: the family name; counter: `_total`; info: `_info`
 * with value 1), and `# EOF` is the last line. Returns the families' types by name.
 */
function parseOpenMetrics(text: string): Map<string, string> {
  expect(text.endsWith('# EOF\n')).toBe(true);
  const lines = text.slice(0, -'# EOF\n'.length).split('\n').slice(0, -1);
  const types = new Map<string, string>();
  let family: string | undefined;
  let type: string | undefined;
  const bad: string[] = [];
  for (const line of lines) {
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|info)$/.exec(line);
    if (t !== null) {
      family = t[1];
      type = t[2];
      if (types.has(family)) bad.push(`family twice: ${line}`);
      types.set(family, type);
      continue;
    }
    const h = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (?:[^\\\n"]|\\[\\n"])*$/.exec(line);
    if (h !== null) {
      if (h[1] !== family) bad.push(`HELP of another family: ${line}`);
      continue;
    }
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^\\"\n]|\\[\\n"])*",?)*\})? (\S+)$/.exec(line);
    if (s === null || family === undefined) {
      bad.push(`not a sample: ${line}`);
      continue;
    }
    const want = type === 'counter' ? `${family}_total` : type === 'info' ? `${family}_info` : family;
    if (s[1] !== want) bad.push(`sample ${s[1]} in family ${family} (${type})`);
    if (type === 'info' && s[3] !== '1') bad.push(`info value ${s[3]}`);
    if (Number.isNaN(Number(s[3])) && s[3] !== 'NaN') bad.push(`value ${s[3]}`);
  }
  expect(bad).toEqual([]);
  return types;
}

describe('unixproc metrics --once', () => {
  test('writes an exposition of the live system that promtool check metrics accepts with no warning', async () => {
    const r = await runBin(['metrics', '--once', '--group', 'node=^node$', '--group-cmdline', 'jest=jest']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^unixproc_processes\{state="sleeping"\} [1-9]\d*$/m);
    expect(r.stdout).toMatch(/^unixproc_group_processes\{group="node"\} [1-9]\d*$/m);
    expect(r.stdout).toMatch(/^unixproc_group_cpu_seconds_total\{group="node",mode="user"\} \S+$/m);
    expect(promtoolCheck(r.stdout)).toEqual({ status: 0, output: '' });
  });

  test('writes a hostile parent name escaped, and promtool still accepts it with no warning', async () => {
    const raw = Buffer.concat([Buffer.from('h\\"\n\x1b'), Buffer.from([0xfe, 0xff]), Buffer.from(`${process.pid % 1000}`)]);
    const holder = await holdZombies(raw, 3);
    try {
      const r = await runBin(['metrics', '--once']);
      expect(r.code).toBe(0);
      const label = escapeLabelValue(labelText(`h\\"\n\x1b\udcfe\udcff${process.pid % 1000}`));
      expect(label).toBe(`h\\\\\\\\\\"\\\\n\\\\x1b\\\\xfe\\\\xff${process.pid % 1000}`);
      expect(r.stdout.split('\n')).toContain(`unixproc_zombies{parent_comm="${label}",parent_kind="process"} 3`);
      expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/); // no raw control character, no raw newline in a value
      expect(promtoolCheck(r.stdout)).toEqual({ status: 0, output: '' });
    } finally {
      await holder.end();
    }
  });

  test('--format openmetrics writes OpenMetrics 1.0.0: typed families, _total, _info, # EOF', async () => {
    const r = await runCli(['metrics', '--once', '--format', 'openmetrics', '--group', 'node=^node$']);
    expect(r.code).toBe(0);
    const types = parseOpenMetrics(r.stdout);
    expect(types.get('unixproc_group_cpu_seconds')).toBe('counter');
    expect(types.get('unixproc_exporter')).toBe('info');
    expect(types.get('unixproc_zombies')).toBe('gauge');
  });

  test('reads a fixture tree with --procfs ROOT --procfs-fixture', async () => {
    const r = await runCli(['metrics', '--once', '--procfs', path.join(ROOT, 'test/fixtures/proc/tree'), '--procfs-fixture']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain('unixproc_zombies{parent_comm="x) Z 1 (y",parent_kind="process"} 1');
  });
});

describe('unixproc metrics errors', () => {
  test.each([
    [[], /say where the metrics go/],
    [['--once', '--textfile', '/tmp/x.prom'], /--textfile and --once cannot be combined/],
    [['--listen', 'nohost'], /'nohost' is not ADDR:PORT/],
    [['--listen', '127.0.0.1:70000'], /port 70000 is out of range/],
    [['--once', '--group', 'a=('], /is not a regular expression/],
    [['--once', '--group', 'a b=x'], /group name 'a b' must be/],
    [['--once', '--group', 'nameonly'], /is not NAME=REGEX/],
    [['--once', '--group', 'a=x', '--group-cmdline', 'a=y'], /'a' is given twice/],
    [['--listen', ':0', '--format', 'openmetrics'], /--format goes with --once/],
    [['--once', '--format', 'json'], /'json' is not a format \(text, openmetrics\)/],
    [['--textfile', '/tmp/x.txt'], /must name a \*\.prom file/],
    [['--once', '--interval', '5'], /--interval goes with --textfile/],
    [['--textfile', '/tmp/x.prom', '--interval', '0'], /from 1 to 86400/],
    [['--once', '--bogus'], /unknown option --bogus/],
    [['--once', '--procfs-fixture'], /--procfs-fixture needs --procfs/],
  ])('unixproc metrics %j is a usage error (exit 2)', async (args, message) => {
    const r = await runCli(['metrics', ...(args as string[])]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(message as RegExp)]);
  });

  test('--procfs on a directory that is not a procfs fails at start: one line, exit 1', async () => {
    const r = await runCli(['metrics', '--listen', '127.0.0.1:0', '--procfs', os.tmpdir()]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `unixproc metrics: --procfs: '${os.tmpdir()}' is not a procfs (fstatfs(2) does not say PROC_SUPER_MAGIC)\n` });
  });

  test('--procfs on a directory that is not there fails at start: one line, exit 1', async () => {
    const r = await runCli(['metrics', '--once', '--procfs', '/nonexistent-procfs']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: "unixproc metrics: open ENOENT '/nonexistent-procfs'\n" });
  });

  test('--listen on a busy port is one line and exit 1', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runBin(['metrics', '--listen', `127.0.0.1:${port}`]);
      expect(r).toEqual({ code: 1, stdout: '', stderr: `unixproc metrics: --listen 127.0.0.1:${port}: address already in use (EADDRINUSE)\n` });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

describe('unixproc metrics --listen', () => {
  test('serves /metrics (text 0.0.4 by default, OpenMetrics when asked), 404 elsewhere, 405 for other methods, and exits 0 on SIGTERM', async () => {
    const exporter = await startExporter();
    try {
      const text = await get(exporter.port, '/metrics');
      expect([text.status, text.headers['content-type']]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
      expect(promtoolCheck(text.body)).toEqual({ status: 0, output: '' });

      const om = await get(exporter.port, '/metrics', { Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' });
      expect([om.status, om.headers['content-type']]).toEqual([200, 'application/openmetrics-text; version=1.0.0; charset=utf-8']);
      expect(parseOpenMetrics(om.body).get('unixproc_exporter')).toBe('info');

      const withQuery = await get(exporter.port, '/metrics?x=1');
      expect(withQuery.status).toBe(200);
      const head = await get(exporter.port, '/metrics', {}, 'HEAD');
      expect([head.status, head.body]).toEqual([200, '']);
      for (const p of ['/', '/metrics/', '/metricsx', '/favicon.ico']) {
        expect([p, (await get(exporter.port, p)).status]).toEqual([p, 404]);
      }
      const post = await get(exporter.port, '/metrics', {}, 'POST');
      expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    } finally {
      expect(await exporter.stop()).toBe(0);
    }
  });

  test('a root that vanishes fails that scrape (500, one line on stderr) and the exporter keeps serving', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-root-'));
    const root = path.join(tmp, 'proc');
    const copy = (): void => {
      expect(spawnSync('cp', ['-a', path.join(ROOT, 'test/fixtures/proc/tree'), root]).status).toBe(0);
    };
    copy();
    const exporter = await startExporter(['--procfs', root, '--procfs-fixture']);
    try {
      expect((await get(exporter.port, '/metrics')).status).toBe(200);
      fs.rmSync(root, { recursive: true });
      const failed = await get(exporter.port, '/metrics');
      expect([failed.status, failed.body]).toEqual([500, `scrape failed: open ENOENT '${root}'\n`]);
      // The exporter logs before it answers, but its stderr and the HTTP socket are two fds:
      // the response can reach this process first, so wait for the line rather than race it.
      const line = `unixproc metrics: scrape failed: open ENOENT '${root}'\n`;
      await waitFor('the scrape failure on stderr', () => exporter.stderr().includes(line)).catch(() => undefined);
      expect(exporter.stderr()).toContain(line);
      copy();
      const again = await get(exporter.port, '/metrics');
      expect(again.status).toBe(200);
      expect(again.body.split('\n')).toContain('unixproc_zombies{parent_comm="x) Z 1 (y",parent_kind="process"} 1');
    } finally {
      expect(await exporter.stop()).toBe(0);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  // Forks and reaps children as fast as it can, some living long enough to be scanned,
  // some becoming zombies for an instant, until stdin closes.
  const CHURN = `
import os, sys, threading
stop = False
def watch():
    global stop
    sys.stdin.read()
    stop = True
threading.Thread(target=watch, daemon=True).start()
print('ready', flush=True)
n = 0
while not stop:
    pids = []
    for _ in range(20):
        p = os.fork()
        if p == 0:
            os._exit(0)
        pids.append(p)
    for p in pids:
        os.waitpid(p, 0)
    n += 1
print(n, flush=True)
`;

  test('a scrape while processes churn never fails and never writes a torn entry', async () => {
    const exporter = await startExporter(['--group', 'churn=^python']);
    const churn = spawnReporter(PYTHON, ['-c', CHURN]);
    try {
      await churn.lines(1);
      const bodies: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await get(exporter.port, '/metrics');
        expect(r.status).toBe(200);
        bodies.push(r.body);
      }
      churn.child.stdin?.end();
      const [, rounds] = await churn.lines(2);
      expect(Number(rounds)).toBeGreaterThan(0);
      for (const body of bodies) {
        expect(promtoolCheck(body)).toEqual({ status: 0, output: '' });
        // every family, every time: the scrape is never cut short
        expect(body.match(/^# TYPE /gm)?.length).toBe(bodies[0].match(/^# TYPE /gm)?.length);
        expect(body.endsWith('unixproc_exporter_info{version="0.1.0"} 1\n')).toBe(true);
      }
      expect(exporter.stderr()).not.toMatch(/scrape failed/);
    } finally {
      churn.child.stdin?.end();
      await churn.exited();
      expect(await exporter.stop()).toBe(0);
    }
  }, 60_000);
});

describe('unixproc metrics --textfile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-textfile-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the exposition once, leaving no temporary file', async () => {
    const file = path.join(dir, 'unixproc.prom');
    const r = await runCli(['metrics', '--textfile', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fs.readdirSync(dir)).toEqual(['unixproc.prom']);
    expect(promtoolCheck(fs.readFileSync(file, 'utf8'))).toEqual({ status: 0, output: '' });
  });

  test('replaces the file by rename: a reader never sees a partial file, each write is a new inode', async () => {
    const file = path.join(dir, 'unixproc.prom');
    const child = spawn(process.execPath, binArgv(['metrics', '--textfile', file, '--interval', '1']), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the first write', () => fs.existsSync(file), 20_000);
      const inodes = new Set<number>();
      let reads = 0;
      const partial: string[] = [];
      const deadline = Date.now() + 3500;
      while (Date.now() < deadline) {
        const fd = fs.openSync(file, 'r');
        try {
          inodes.add(fs.fstatSync(fd).ino);
          const text = fs.readFileSync(fd, 'utf8');
          reads++;
          if (!text.startsWith('# HELP unixproc_processes ') || !text.endsWith('unixproc_exporter_info{version="0.1.0"} 1\n')) partial.push(text.slice(-80));
        } finally {
          fs.closeSync(fd);
        }
        await new Promise((r) => setImmediate(r));
      }
      expect(partial).toEqual([]);
      expect(reads).toBeGreaterThan(100);
      expect(inodes.size).toBeGreaterThanOrEqual(3);
    } finally {
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
    expect(fs.readdirSync(dir)).toEqual(['unixproc.prom']);
  }, 60_000);

  test('a directory that cannot be written is one line and exit 1, leaving nothing behind', async () => {
    const file = path.join(dir, 'missing', 'unixproc.prom');
    const r = await runCli(['metrics', '--textfile', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^unixproc metrics: --textfile ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ENOENT: no such file or directory, open '[^\\n]+'\\n$`));
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
