/**
 * unixproc/prometheus (issue 14): unixproc's collectors in a real prom-client registry. A
 * real supervised child that exits non-zero is restarted and then given up on; a real
 * zombie held by a test process is counted under that process's command; promtool accepts
 * what the registry writes.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as client from 'prom-client';
import * as fs from 'node:fs';
import { collectServiceMetrics, register, type MetricFamily } from '../../lib/prometheus';
import { formatExposition } from '../../lib/metrics/exposition';
import { supervise, type Supervisor } from '../../lib/supervise';
import { ROOT, runNodeScript, tempDir } from '../helpers/os-core-children';

const started: Supervisor[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.terminate();
});

function track(s: Supervisor): Supervisor {
  started.push(s);
  return s;
}

/** The value of the one sample `name{labels}` in a text exposition, or undefined. */
function valueOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = (m[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return undefined;
}

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a child that exits non-zero: restarts_total counts its restarts, up is 0 once the start limit is hit', async () => {
  const registry = new client.Registry();
  const sup = track(
    supervise('/bin/sh', ['-c', 'exit 3'], { name: 'failing', backoff: { initial: 1 }, startLimit: { maxRestarts: 2, window: 60000 } }),
  );
  register(registry, { system: false, services: [sup] });
  expect(await sup.done()).toBe('failed');
  const text = await registry.metrics();
  expect(valueOf(text, 'unixproc_service_restarts_total', { service: 'failing' })).toBe(2);
  expect(valueOf(text, 'unixproc_service_start_limit_hits_total', { service: 'failing' })).toBe(1);
  expect(valueOf(text, 'unixproc_service_up', { service: 'failing' })).toBe(0);
  expect(valueOf(text, 'unixproc_service_ready', { service: 'failing' })).toBe(0);
  expect(valueOf(text, 'unixproc_service_state', { service: 'failing', state: 'failed' })).toBe(1);
  expect(valueOf(text, 'unixproc_service_state', { service: 'failing', state: 'running' })).toBe(0);
  // No child runs: no tree figures.
  expect(valueOf(text, 'unixproc_service_processes', { service: 'failing' })).toBeUndefined();
  expect(promtool(text)).toEqual({ status: 0, out: '' });
});

test('a child that fails once and then runs: restarts_total 1, up 1, its tree counted, in the live supervisors by default', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const flag = path.join(dir, 'ran-once');
    // First run: leaves a mark and exits 1. Second run: a shell that spends CPU time in a
    // loop, then waits for a sleeping child.
    const script = `if [ -e '${flag}' ]; then i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 60 & wait; else : > '${flag}'; exit 1; fi`;
    const sup = track(supervise('/bin/sh', ['-c', script], { name: 'flaky', backoff: { initial: 1 } }));
    const respawned = new Promise<void>((resolve) => sup.once('spawn', () => resolve()));
    const registry = new client.Registry();
    const reg = register(registry, { system: false });
    await respawned;
    // Until the shell has started its sleep: two processes in the tree.
    let text = '';
    for (let i = 0; i < 3000; i++) {
      text = await registry.metrics();
      if ((valueOf(text, 'unixproc_service_processes', { service: 'flaky' }) ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(valueOf(text, 'unixproc_service_restarts_total', { service: 'flaky' })).toBe(1);
    expect(valueOf(text, 'unixproc_service_up', { service: 'flaky' })).toBe(1);
    expect(valueOf(text, 'unixproc_service_ready', { service: 'flaky' })).toBe(1);
    expect(valueOf(text, 'unixproc_service_state', { service: 'flaky', state: 'running' })).toBe(1);
    expect(valueOf(text, 'unixproc_service_start_limit_hits_total', { service: 'flaky' })).toBe(0);
    // sh and sleep, plus the subreaper's shepherd when that is the containment.
    expect(valueOf(text, 'unixproc_service_processes', { service: 'flaky' })).toBe(sup.containment === 'subreaper' ? 3 : 2);
    expect(valueOf(text, 'unixproc_service_memory_bytes', { service: 'flaky', memtype: 'resident' })).toBeGreaterThan(0);
    // The loop's CPU time, in the shell that is still alive: at least a few clock ticks.
    const user = valueOf(text, 'unixproc_service_cpu_seconds_total', { service: 'flaky', mode: 'user' });
    const system = valueOf(text, 'unixproc_service_cpu_seconds_total', { service: 'flaky', mode: 'system' });
    expect((user ?? 0) + (system ?? 0)).toBeGreaterThan(0.02);
    expect(system).toBeGreaterThanOrEqual(0);
    expect(promtool(text)).toEqual({ status: 0, out: '' });

    // Stopped: no longer a live supervisor, so no longer reported.
    await sup.terminate();
    text = await registry.metrics();
    expect(valueOf(text, 'unixproc_service_up', { service: 'flaky' })).toBeUndefined();
    expect(text).toContain('# TYPE unixproc_service_up gauge');
    reg.unregister();
    expect(await registry.metrics()).toBe('\n');
  } finally {
    cleanup();
  }
});

test('two services of one name get distinct service labels', async () => {
  const a = track(supervise('/bin/sleep', ['60'], { name: 'same' }));
  const b = track(supervise('/bin/sleep', ['60'], { name: 'same' }));
  const registry = new client.Registry();
  register(registry, { system: false, services: [a, b] });
  const text = await registry.metrics();
  expect(valueOf(text, 'unixproc_service_up', { service: 'same' })).toBe(1);
  expect(valueOf(text, 'unixproc_service_up', { service: 'same (2)' })).toBe(1);
  expect(promtool(text)).toEqual({ status: 0, out: '' });
});

test('a hostile program name is one escaped label value, in prom-client and in the exposition of unixproc supervise', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const hostile = 'we"ird\\na\nme} 1';
    fs.symlinkSync('/bin/sleep', path.join(dir, hostile));
    const sup = track(supervise(path.join(dir, hostile), ['60']));
    expect(sup.name).toBe(hostile);
    const registry = new client.Registry();
    register(registry, { system: false, services: [sup] });
    const text = await registry.metrics();
    expect(text).toContain('unixproc_service_up{service="we\\"ird\\\\na\\nme} 1"} 1\n');
    expect(promtool(text)).toEqual({ status: 0, out: '' });
    const exposition = formatExposition(collectServiceMetrics([sup]), 'text');
    expect(exposition).toContain('unixproc_service_up{service="we\\"ird\\\\na\\nme} 1"} 1\n');
    expect(promtool(exposition)).toEqual({ status: 0, out: '' });
  } finally {
    cleanup();
  }
});

test('zombies held by a service process are counted under its command, beside its own prom-client metrics; promtool accepts it all', () => {
  // A separate node process with a command of its own, so no other process's zombies mix in.
  const { status, stdout } = runNodeScript(`
    process.title = 'upx-promzombie';
    const client = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'prom-client'))});
    const { register } = require(${JSON.stringify(path.join(ROOT, 'lib/prometheus'))});
    const { supervise } = require(${JSON.stringify(path.join(ROOT, 'lib/supervise'))});
    const fs = require('node:fs');
    const registry = new client.Registry();
    // (Not collectDefaultMetrics: promtool's lint warns about prom-client's own
    // nodejs_active_handles_total, a gauge named like a counter.)
    new client.Gauge({ name: 'app_queue_depth', help: 'Queue depth.', registers: [registry] }).set(2);
    new client.Counter({ name: 'app_requests_total', help: 'Requests.', registers: [registry] }).inc(5);
    const sup = supervise('/bin/sleep', ['60'], { name: 'worker' });
    register(registry);
    const zombies = [1, 2, 3].map(() => os.posix_spawn('/bin/true', ['true'], null));
    const isZombie = (pid) => fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0] === 'Z';
    const until = Date.now() + 10000;
    while (!zombies.every(isZombie) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    registry.metrics().then(async (text) => {
      for (const pid of zombies) os.waitpid(pid, 0);
      await sup.terminate();
      process.stdout.write(text);
    });
  `);
  expect(status).toBe(0);
  expect(valueOf(stdout, 'unixproc_zombies', { parent_comm: 'upx-promzombie', parent_kind: 'process' })).toBe(3);
  expect(valueOf(stdout, 'unixproc_zombie_parents', { parent_comm: 'upx-promzombie', parent_kind: 'process' })).toBe(1);
  expect(valueOf(stdout, 'unixproc_service_up', { service: 'worker' })).toBe(1);
  expect(valueOf(stdout, 'app_requests_total', {})).toBe(5);
  expect(valueOf(stdout, 'app_queue_depth', {})).toBe(2);
  expect(promtool(stdout)).toEqual({ status: 0, out: '' });
});

test('an OpenMetrics registry: counter families without _total, samples with it, # EOF', async () => {
  const sup = track(supervise('/bin/sleep', ['60'], { name: 'om' }));
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const reg = register(registry, { system: false, services: [sup] });
  const text = await registry.metrics();
  expect(text).toContain('# TYPE unixproc_service_restarts counter\n');
  expect(valueOf(text, 'unixproc_service_restarts_total', { service: 'om' })).toBe(0);
  expect(text.endsWith('# EOF\n')).toBe(true);
  reg.unregister();
  expect(registry.getMetricsAsArray()).toEqual([]);
});

test('a custom collector: its families, counters as _total and infos as _info gauges; one collection per scrape', async () => {
  let calls = 0;
  const families = (): MetricFamily[] => {
    calls++;
    return [
      { name: 'app_jobs', help: 'Jobs done.', type: 'counter', samples: [{ labels: { queue: 'a"b\\c\nd' }, value: calls }] },
      { name: 'app_build', help: 'Build.', type: 'info', samples: [{ labels: { version: '1.2.3' }, value: 1 }] },
      { name: 'app_depth', help: 'Depth.', type: 'gauge', samples: [] },
    ];
  };
  const registry = new client.Registry();
  const reg = register(registry, { system: false, services: false, collectors: [families] });
  expect(reg.names).toEqual(['app_jobs_total', 'app_build_info', 'app_depth']);
  expect(calls).toBe(1);
  const text = await registry.metrics();
  expect(calls).toBe(2);
  expect(text).toContain('app_jobs_total{queue="a\\"b\\\\c\\nd"} 2\n');
  expect(text).toContain('# TYPE app_build_info gauge\napp_build_info{version="1.2.3"} 1');
  expect(text).toContain('# TYPE app_depth gauge\n');
  expect(promtool(text)).toEqual({ status: 0, out: '' });
  reg.unregister();

  // Families that appear after register(): from the next scrape on; one whose name the
  // registry already has is left out, and the other metrics are still scraped.
  let scrapes = 0;
  new client.Gauge({ name: 'app_taken', help: 'The application\'s own.', registers: [registry] }).set(7);
  const late = register(registry, { system: false, services: false, collectors: [() => {
    scrapes++;
    const base: MetricFamily[] = [{ name: 'app_early', help: 'E.', type: 'gauge', samples: [{ labels: {}, value: 1 }] }];
    if (scrapes < 2) return base;
    return [...base, { name: 'app_late', help: 'L.', type: 'gauge', samples: [{ labels: {}, value: 2 }] }, { name: 'app_taken', help: 'T.', type: 'gauge', samples: [{ labels: {}, value: 3 }] }];
  }] });
  const first = await registry.metrics();
  expect([valueOf(first, 'app_early', {}), valueOf(first, 'app_late', {}), valueOf(first, 'app_taken', {})]).toEqual([1, undefined, 7]);
  const second = await registry.metrics();
  expect([valueOf(second, 'app_early', {}), valueOf(second, 'app_late', {}), valueOf(second, 'app_taken', {})]).toEqual([1, 2, 7]);
  expect(late.names).toEqual(['app_early', 'app_late']);
  late.unregister();
  registry.removeSingleMetric('app_taken');

  // A collector that fails at a scrape fails that scrape only.
  let fail = false;
  register(registry, { system: false, services: false, collectors: [() => {
    if (fail) throw new Error('no /proc today');
    return [{ name: 'app_ok', help: 'OK.', type: 'gauge', samples: [{ labels: {}, value: 1 }] }];
  }] });
  fail = true;
  await expect(registry.metrics()).rejects.toThrow('no /proc today');
  fail = false;
  expect(await registry.metrics()).toContain('\napp_ok 1\n');
});

test('bad arguments, bad collectors and a name already in the registry are errors that leave the registry as it was', async () => {
  const registry = new client.Registry();
  expect(() => register({} as client.Registry)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => register(registry, { system: false, services: false })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => register(registry, { services: [{}] as unknown as Supervisor[] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => register(registry, { system: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => register(registry, { sytem: false } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => register(registry, { system: { procfs: '/nonexistent' } })).toThrow();
  const bad = (f: unknown) => () => register(registry, { system: false, services: false, collectors: [() => [f as MetricFamily]] });
  expect(bad({ name: 'bad name', help: '', type: 'gauge', samples: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(bad({ name: 'x', help: '', type: 'histogram', samples: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(bad({ name: 'x', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] })).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
  );
  expect(bad({ name: 'x', help: '', type: 'gauge', samples: [{ labels: {}, value: '1' }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  // Two samples of one series, one family twice: Prometheus would drop the scrape.
  const one = { labels: { a: '1', b: '2' }, value: 1 };
  const swapped = { labels: { b: '2', a: '1' }, value: 2 };
  expect(bad({ name: 'x', help: '', type: 'gauge', samples: [one, swapped] })).toThrow(/hold these labels twice/);
  const x: MetricFamily = { name: 'x', help: '', type: 'gauge', samples: [] };
  expect(() => register(registry, { system: false, services: false, collectors: [() => [x], () => [x]] })).toThrow(/is given twice/);
  expect(registry.getMetricsAsArray()).toEqual([]);

  new client.Gauge({ name: 'unixproc_service_threads', help: 'mine', registers: [registry] });
  expect(() => register(registry, { system: false })).toThrow(/already been registered/);
  expect(registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name)).toEqual(['unixproc_service_threads']);
});

test('supervise() checks the name option', () => {
  for (const name of ['', 'a\nb', 'x'.repeat(129)]) {
    expect(() => supervise('/bin/true', [], { name })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  }
  expect(() => supervise('/bin/true', [], { name: 7 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});
