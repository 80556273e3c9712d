/**
 * `unixproc/prometheus`: unixproc's collectors in a Node service's own prom-client registry
 * (issue 14), so the service exports its supervised children (up, ready, state, restarts,
 * start-limit hits, their trees) and the processes of the machine (zombies by parent...)
 * beside its own metrics. prom-client is an optional peer dependency: install it to use
 * this entry. See docs/prometheus.md.
 * @module unixproc/prometheus
 */
import type { Registry, RegistryContentType } from 'prom-client';
import { invalidArgType, invalidArgValue } from '../errors';
import { ProcessMetricsCollector, type CollectOptions } from '../metrics/collect';
import { collectServiceMetrics } from '../metrics/services';
import type { MetricFamily, Sample } from '../metrics/types';
import { Supervisor } from '../supervise/supervisor';
import { optionKeys, validateOptions } from '../validate';

export { collectServiceMetrics, SERVICE_FAMILY_NAMES, SERVICE_STATES } from '../metrics/services';
export { collectProcessMetrics, ProcessMetricsCollector } from '../metrics/collect';
export type { CollectOptions, ProcessGroupSpec } from '../metrics/collect';
export type { MetricFamily, MetricType, Sample } from '../metrics/types';

/**
 * A source of metric families, called once per scrape (synchronously). It should return
 * the same families at every call (with no sample when there is nothing to count): a family
 * that first appears at a later call is registered then, and is exposed from the next scrape
 * on (unless the registry already has a metric of that name: then it is left out, rather
 * than failing every scrape).
 */
export type MetricCollector = () => readonly MetricFamily[];

/** Options of {@link register}. */
export interface RegisterOptions {
  /**
   * The process collectors of `unixproc metrics` (docs/metrics.md: zombies by parent,
   * orphans, daemons, process groups, states): `true` (the default) with their defaults,
   * their {@link CollectOptions} (`groups`, `procfs`...), or `false` for none. Each scrape
   * then reads the whole process table once.
   */
  readonly system?: boolean | CollectOptions;
  /**
   * The supervised services to report (docs/prometheus.md): `true` (the default) for the
   * live supervisors of this process (from supervise() until they are `'stopped'`; failed
   * ones stay), a list of {@link Supervisor}s for exactly those, `false` for none.
   */
  readonly services?: boolean | readonly Supervisor[];
  /** More collectors, e.g. unixproc's process collectors or your own (see {@link MetricCollector}). */
  readonly collectors?: readonly MetricCollector[];
}

/** What {@link register} returns. */
export interface Registration {
  /** The names of the prom-client metrics registered so far (counters end in `_total`, infos in `_info`). */
  readonly names: readonly string[];
  /** Removes every metric this registration added from the registry. Idempotent. */
  unregister(): void;
}

const REGISTER_KEYS = optionKeys<RegisterOptions>({ system: true, services: true, collectors: true });

/** The prom-client module the caller's application has (an optional peer dependency). */
type PromClient = typeof import('prom-client');

function loadPromClient(): PromClient {
  try {
    return require('prom-client') as PromClient;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw e;
    const err = new Error('unixproc/prometheus needs prom-client (an optional peer dependency): npm install prom-client', { cause: e }) as Error & { code: string };
    err.code = 'ERR_UNIXPROC_PROM_CLIENT_MISSING';
    throw err;
  }
}

/** The prom-client metric name of a family: `_total` on a counter, `_info` on an info. */
export function promName(family: Pick<MetricFamily, 'name' | 'type'>): string {
  const suffix = family.type === 'counter' ? '_total' : family.type === 'info' ? '_info' : '';
  return suffix !== '' && family.name.endsWith(suffix) ? family.name : family.name + suffix;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['gauge', 'counter', 'info'];

/** A collector's family, checked: what it returns is written into the exposition. */
function validateFamily(f: MetricFamily): MetricFamily {
  const what = 'a family a collector returned';
  if (typeof f !== 'object' || f === null) throw invalidArgType(what, 'a MetricFamily', f);
  if (typeof f.name !== 'string' || !METRIC_NAME.test(f.name)) throw invalidArgValue(`${what}.name`, f.name, 'is not a Prometheus metric name');
  if (typeof f.help !== 'string') throw invalidArgType(`${what}.help`, 'of type string', f.help);
  if (!TYPES.includes(f.type)) throw invalidArgValue(`${what}.type`, f.type, "must be 'gauge', 'counter' or 'info'");
  if (!Array.isArray(f.samples)) throw invalidArgType(`${what}.samples`, 'an array', f.samples);
  const series = new Set<string>();
  for (const s of f.samples as readonly Sample[]) {
    if (typeof s !== 'object' || s === null || typeof s.value !== 'number') throw invalidArgType(`${what}.samples[]`, 'a { labels, value: number }', s);
    for (const [k, v] of Object.entries(s.labels ?? {})) {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw invalidArgValue(`${what}: label name`, k, 'is not a Prometheus label name');
      if (typeof v !== 'string') throw invalidArgType(`${what}: label ${k}`, 'of type string', v);
    }
    // Prometheus drops a scrape with two samples of one series.
    const key = JSON.stringify(Object.entries(s.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (series.has(key)) throw invalidArgValue(`${what}: samples of ${f.name}`, s.labels, 'hold these labels twice');
    series.add(key);
  }
  return f;
}

function isRegistry(value: unknown): value is Registry<RegistryContentType> {
  const r = value as Registry<RegistryContentType> | null;
  return typeof r === 'object' && r !== null && typeof r.registerMetric === 'function' && typeof r.removeSingleMetric === 'function';
}

function validateCollectors(value: unknown): readonly MetricCollector[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType('options.collectors', 'an array of functions', value);
  value.forEach((c, i) => {
    if (typeof c !== 'function') throw invalidArgType(`options.collectors[${i}]`, 'a function', c);
  });
  return value as readonly MetricCollector[];
}

function validateServices(value: unknown): readonly Supervisor[] | boolean {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value)) throw invalidArgType('options.services', 'a boolean or an array of Supervisor', value);
  value.forEach((s, i) => {
    if (!(s instanceof Supervisor)) throw invalidArgType(`options.services[${i}]`, 'an instance of Supervisor', s);
  });
  return [...(value as readonly Supervisor[])];
}

/**
 * Registers unixproc's collectors in a prom-client registry: one prom-client Gauge or
 * Counter per metric family (an `info` family is a gauge named `..._info`), whose values
 * are read from the collectors when the registry is scraped (`registry.metrics()`), all
 * families of one scrape from one collection. The registry writes them as it writes its own
 * metrics: the text format 0.0.4 or OpenMetrics, its default labels added.
 *
 * @example
 * ```js
 * const client = require('prom-client');
 * const { register } = require('unixproc/prometheus');
 * const { supervise } = require('unixproc');
 * const registry = new client.Registry();
 * const worker = supervise('/bin/sleep', ['60'], { name: 'worker' });
 * register(registry); // the live supervisors of this process
 * registry.metrics().then(async (text) => {
 *   console.log(text.split('\n').filter((l) => l.startsWith('unixproc_service_up')).join('\n'));
 *   await worker.terminate();
 * });
 * ```
 * @param registry - a prom-client `Registry` (default: prom-client's global `register`).
 * @param options - which collectors (see {@link RegisterOptions}).
 * @returns the {@link Registration}, to read the names or to unregister.
 * @throws ERR_UNIXPROC_PROM_CLIENT_MISSING when prom-client cannot be loaded;
 *   ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad argument or option; an error
 *   from the first collection; prom-client's "A metric with the name ... has already been
 *   registered" when the registry has one of these names (nothing is left registered then).
 */
export function register(registry?: Registry<RegistryContentType>, options?: RegisterOptions): Registration {
  const client = loadPromClient();
  if (registry !== undefined && !isRegistry(registry)) throw invalidArgType('registry', 'a prom-client Registry', registry);
  const target: Registry<RegistryContentType> = registry ?? client.register;
  const o = validateOptions<RegisterOptions>(options, 'options', REGISTER_KEYS);
  const services = validateServices(o.services);
  const collectors: MetricCollector[] = [...validateCollectors(o.collectors)];
  if (services === true) collectors.unshift(() => collectServiceMetrics());
  else if (services !== false) collectors.unshift(() => collectServiceMetrics(services));
  if (o.system === undefined || o.system === true) {
    const system = new ProcessMetricsCollector();
    collectors.unshift(() => system.collect());
  } else if (typeof o.system === 'object' && o.system !== null) {
    const system = new ProcessMetricsCollector(o.system);
    collectors.unshift(() => system.collect());
  } else if (o.system !== false) {
    throw invalidArgType('options.system', 'a boolean or the options of collectProcessMetrics()', o.system);
  }
  if (collectors.length === 0) throw invalidArgValue('options', options, 'selects no collector (system: false, services: false, no collectors)');

  // One collection per scrape: registry.metrics() calls every metric's get() in one
  // synchronous pass, so the first call collects and a microtask forgets the result.
  let current: Map<string, MetricFamily> | undefined;
  const registered = new Map<string, { kind: MetricFamily['type']; metric: object }>();
  const refused = new Set<string>();
  let closed = false;
  let initial = true;

  const collect = (): Map<string, MetricFamily> => {
    if (current !== undefined) return current;
    const byName = new Map<string, MetricFamily>();
    for (const c of collectors) {
      const families = c();
      if (!Array.isArray(families)) throw invalidArgType('the value a collector returned', 'an array of MetricFamily', families);
      for (const f of families as readonly MetricFamily[]) {
        const name = promName(validateFamily(f));
        if (byName.has(name)) throw invalidArgValue('a family a collector returned', f.name, 'is given twice (by one collector or two)');
        byName.set(name, f);
      }
    }
    current = byName;
    queueMicrotask(() => {
      current = undefined;
    });
    for (const [name, f] of byName) {
      if (closed || registered.has(name) || refused.has(name)) continue;
      if (initial) {
        add(name, f); // at register(): a name the registry already has is thrown
        continue;
      }
      try {
        add(name, f);
      } catch {
        // A family that appeared later under a name the registry already has: left out
        // (once), rather than failing every scrape of the application's other metrics.
        refused.add(name);
      }
    }
    return byName;
  };

  const valuesOf = (name: string, kind: MetricFamily['type']): { value: number; labels: Record<string, string> }[] => {
    const f = collect().get(name);
    // A family that changed type since it was registered would be mislabelled: left out.
    if (f === undefined || f.type !== kind) return [];
    return f.samples.map((s) => ({ value: s.value, labels: { ...(s.labels ?? {}) } }));
  };

  const add = (name: string, family: MetricFamily): void => {
    const Base = family.type === 'counter' ? client.Counter : client.Gauge;
    const kind = family.type;
    // A prom-client metric whose values come from the collection, not from set()/inc():
    // get() is what the registry reads (its label names are the samples' own).
    const Family = class extends (Base as typeof client.Gauge) {
      override async get(): ReturnType<InstanceType<typeof client.Gauge>['get']> {
        const base = await super.get();
        return { ...base, name: (this as unknown as { name: string }).name, values: valuesOf(name, kind) };
      }
    };
    const metric = new Family({ name, help: family.help, registers: [] });
    target.registerMetric(metric);
    registered.set(name, { kind, metric });
  };

  const unregister = (): void => {
    closed = true;
    // By the name it was registered under (an OpenMetrics registry renames a counter in
    // place, without _total, but keeps it under that key).
    for (const [name, { metric }] of registered) {
      if ((target.getSingleMetric(name) as unknown) === metric) target.removeSingleMetric(name);
    }
    registered.clear();
  };

  try {
    collect();
    initial = false;
  } catch (e) {
    unregister();
    throw e;
  }
  return {
    get names() {
      return [...registered.keys()];
    },
    unregister,
  };
}
