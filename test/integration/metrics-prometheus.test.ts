// The real Prometheus server (Debian's `prometheus`) scrapes `unixproc metrics --listen` on
// loopback every second; zombies made and reaped here are read back through its HTTP
// query API, and the scrape it made used OpenMetrics (its metadata has the info type).
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labelText } from '../../lib/metrics/labels';
import { Exporter, freePort, get, holdZombies, startExporter, ZombieHolder } from '../helpers/metrics-helpers';

interface Series {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(port: number, promql: string): Promise<Series[]> {
  const r = await get(port, `/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (r.status !== 200) throw new Error(`query ${promql}: HTTP ${r.status} ${r.body}`);
  const j = JSON.parse(r.body) as { status: string; data: { result: Series[] } };
  if (j.status !== 'success') throw new Error(`query ${promql}: ${r.body}`);
  return j.data.result;
}

/** Polls `promql` until `accept` says its result is the one expected; returns it. */
async function queryUntil(port: number, promql: string, accept: (r: Series[]) => boolean, what: string): Promise<Series[]> {
  let last: Series[] = [];
  const deadline = Date.now() + 40_000;
  for (;;) {
    last = await query(port, promql).catch(() => []);
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let dir: string;
let exporter: Exporter | undefined;
let prometheus: ChildProcess | undefined;
let prometheusExit: Promise<number | null> | undefined;
let promPort = 0;
const holders: ZombieHolder[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-prometheus-'));
  exporter = await startExporter(['--group', 'node=^node$']);
  promPort = await freePort();
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: unixproc',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${exporter.port}']`,
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'prometheus.log'), 'w');
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  prometheusExit = new Promise((resolve) => prometheus?.once('exit', (code) => resolve(code)));
  await queryUntil(promPort, 'up{job="unixproc"}', (r) => r.length === 1 && r[0].value[1] === '1', 'Prometheus to scrape the exporter');
}, 90_000);

afterAll(async () => {
  for (const h of holders) await h.end();
  const promCode = prometheus === undefined ? 0 : (prometheus.kill('SIGTERM'), await prometheusExit);
  const exporterCode = exporter === undefined ? 0 : await exporter.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  // Both end cleanly on SIGTERM (and both are reaped: child_process waits for them).
  expect([promCode, exporterCode]).toEqual([0, 0]);
}, 60_000);

describe('Prometheus scraping unixproc metrics', () => {
  test('reads back the number of zombies a parent holds, by its command, then none once they are reaped', async () => {
    const comm = `zh${process.pid % 100000}x${Date.now() % 1000}`;
    const holder = await holdZombies(Buffer.from(comm), 4);
    holders.push(holder);
    const promql = `unixproc_zombies{job="unixproc",parent_comm="${comm}"}`;
    const r = await queryUntil(promPort, promql, (x) => x.length === 1 && x[0].value[1] === '4', '4 zombies in Prometheus');
    expect(r[0].metric).toEqual({ __name__: 'unixproc_zombies', instance: `127.0.0.1:${exporter?.port}`, job: 'unixproc', parent_comm: comm, parent_kind: 'process' });
    const parents = await query(promPort, `unixproc_zombie_parents{parent_comm="${comm}"}`);
    expect(parents.map((s) => s.value[1])).toEqual(['1']);

    await holder.reap();
    // Once the exporter no longer reports the series, Prometheus marks it stale.
    await queryUntil(promPort, promql, (x) => x.length === 0, 'the zombies to be gone from Prometheus');
  }, 90_000);

  test('stores a hostile parent name (backslash, quote, newline, a byte that is not UTF-8) as its escaped text', async () => {
    const comm = Buffer.concat([Buffer.from('q\\"\n'), Buffer.from([0xff]), Buffer.from(`${process.pid % 1000}`)]);
    const holder = await holdZombies(comm, 2);
    holders.push(holder);
    const expected = labelText(`q\\"\n\udcff${process.pid % 1000}`);
    expect(expected).toBe(`q\\\\"\\n\\xff${process.pid % 1000}`);
    const r = await queryUntil(
      promPort,
      'unixproc_zombies{job="unixproc",parent_kind="process"}',
      (x) => x.some((s) => s.metric.parent_comm === expected && s.value[1] === '2'),
      '2 zombies under the hostile name',
    );
    expect(r.filter((s) => s.metric.parent_comm === expected).map((s) => s.value[1])).toEqual(['2']);
    // The scrape stayed healthy: Prometheus took every sample of it.
    const up = await query(promPort, 'up{job="unixproc"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    await holder.end();
  }, 90_000);

  test('scrapes with OpenMetrics: the info family keeps its type, the counter its _total', async () => {
    const meta = await get(promPort, '/api/v1/metadata?metric=unixproc_exporter');
    expect(JSON.parse(meta.body).data).toEqual({ unixproc_exporter: [{ type: 'info', help: 'The unixproc exporter: its version.', unit: '' }] });
    const info = await query(promPort, 'unixproc_exporter_info');
    expect(info.map((s) => [s.metric.version, s.value[1]])).toEqual([[JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version, '1']]);
    const cpuMeta = await get(promPort, '/api/v1/metadata?metric=unixproc_group_cpu_seconds');
    expect(JSON.parse(cpuMeta.body).data.unixproc_group_cpu_seconds[0].type).toBe('counter');
    const cpu = await query(promPort, 'unixproc_group_cpu_seconds_total{group="node"}');
    expect(cpu.map((s) => s.metric.mode).sort()).toEqual(['system', 'user']);
    const states = await query(promPort, 'sum(unixproc_processes{job="unixproc"})');
    expect(Number(states[0].value[1])).toBeGreaterThan(0);
  }, 60_000);
});
