/**
 * Metrics of supervised services (issue 14): for each {@link Supervisor}, whether it is up,
 * ready and in which state, its restarts and start-limit hits, and its child's tree
 * (processes, threads, CPU seconds, resident memory). The supervisors are the live ones of
 * this process (lib/supervise/registry.ts) or a list the caller gives. Used by
 * `unixproc/prometheus` (a Node service's own prom-client registry) and by
 * `unixproc supervise --metrics-listen`. See docs/prometheus.md.
 */
import { processUsage, type ResourceUsage } from '../contain/usage';
import { ContainedSubprocess } from '../contain/contained';
import { invalidArgType } from '../errors';
import { liveSupervisors, RUNNING_CHILD } from '../supervise/registry';
import { Supervisor, type SupervisorState } from '../supervise/supervisor';
import type { MetricFamily, Sample } from './types';

/** Every state a supervisor can be in, in the order `unixproc_service_state` lists them. */
export const SERVICE_STATES: readonly SupervisorState[] = ['starting', 'running', 'backoff', 'stopping', 'stopped', 'failed'];

/** The names of the families {@link collectServiceMetrics} returns, always all of them, in this order. */
export const SERVICE_FAMILY_NAMES: readonly string[] = [
  'unixproc_service_up',
  'unixproc_service_ready',
  'unixproc_service_state',
  'unixproc_service_restarts',
  'unixproc_service_start_limit_hits',
  'unixproc_service_processes',
  'unixproc_service_threads',
  'unixproc_service_cpu_seconds',
  'unixproc_service_memory_bytes',
];

/**
 * The `service` label of each supervisor: its name, made unique in the list by appending
 * ` (2)`, ` (3)`... to the later ones of the same name, in the list's order.
 */
function serviceLabels(sups: readonly Supervisor[]): string[] {
  const used = new Set<string>();
  return sups.map((s) => {
    let label = s.name;
    for (let n = 2; used.has(label); n++) label = `${s.name} (${n})`;
    used.add(label);
    return label;
  });
}

/** The usage of a supervisor's running child's tree, or undefined (none runs, or it just ended). */
function treeUsage(sup: Supervisor): ResourceUsage | undefined {
  const child = sup[RUNNING_CHILD]();
  if (child === undefined) return undefined;
  try {
    return child instanceof ContainedSubprocess ? child.usage() : processUsage(child.pid, { tree: true });
  } catch {
    // The child ended between the check and the read (ESRCH): nothing runs, no figures.
    return undefined;
  }
}

function validateSupervisors(value: unknown): readonly Supervisor[] {
  if (!Array.isArray(value)) throw invalidArgType('supervisors', 'an array of Supervisor', value);
  value.forEach((s, i) => {
    if (!(s instanceof Supervisor)) throw invalidArgType(`supervisors[${i}]`, 'an instance of Supervisor', s);
  });
  return value as readonly Supervisor[];
}

/**
 * The metric families of supervised services, label `service` (the supervisor's name,
 * made unique): `unixproc_service_up` (1 while a child runs, ready or still starting) and
 * `_ready` (1 once it is ready: state `'running'`, see the `ready` option of supervise()), `_state` (1 for the current one of
 * {@link SERVICE_STATES}, 0 for the others), the counters `_restarts` and
 * `_start_limit_hits`, and for a running child's tree `_processes`, `_threads`,
 * `_cpu_seconds` (a counter of the current child's run, label `mode`: user, system) and
 * `_memory_bytes` (label `memtype`: resident).
 * Every family is returned, with no sample when there is no service.
 *
 * Reading a contained child's usage resets the interval its `cpuPercent` is measured over
 * (ContainedSubprocess.usage()).
 * @param supervisors - the supervisors to report (default: the live ones of this process:
 *   from supervise() until they are `'stopped'`; failed ones stay).
 * @returns the families, in the order of {@link SERVICE_FAMILY_NAMES}.
 * @throws ERR_INVALID_ARG_TYPE when `supervisors` is not an array of Supervisor.
 */
export function collectServiceMetrics(supervisors?: readonly Supervisor[]): MetricFamily[] {
  const sups = supervisors === undefined ? liveSupervisors() : validateSupervisors(supervisors);
  const labels = serviceLabels(sups);
  const up: Sample[] = [];
  const ready: Sample[] = [];
  const state: Sample[] = [];
  const restarts: Sample[] = [];
  const hits: Sample[] = [];
  const processes: Sample[] = [];
  const threads: Sample[] = [];
  const cpu: Sample[] = [];
  const rss: Sample[] = [];
  sups.forEach((sup, i) => {
    const service = labels[i];
    const current = sup.state;
    up.push({ labels: { service }, value: current === 'running' || current === 'starting' ? 1 : 0 });
    ready.push({ labels: { service }, value: current === 'running' ? 1 : 0 });
    for (const s of SERVICE_STATES) state.push({ labels: { service, state: s }, value: s === current ? 1 : 0 });
    restarts.push({ labels: { service }, value: sup.restarts });
    hits.push({ labels: { service }, value: sup.startLimitHits });
    const u = treeUsage(sup);
    if (u !== undefined) {
      processes.push({ labels: { service }, value: u.processes });
      threads.push({ labels: { service }, value: u.threads });
      cpu.push({ labels: { service, mode: 'user' }, value: u.cpuUser });
      cpu.push({ labels: { service, mode: 'system' }, value: u.cpuSystem });
      rss.push({ labels: { service, memtype: 'resident' }, value: u.rss });
    }
  });
  return [
    { name: 'unixproc_service_up', type: 'gauge', help: 'Whether a child of the supervised service is running (1), ready or still starting, or not (0).', samples: up },
    {
      name: 'unixproc_service_ready',
      type: 'gauge',
      help: 'Whether the child of the supervised service is ready (1) or not (0: none runs, or it is still starting).',
      samples: ready,
    },
    {
      name: 'unixproc_service_state',
      type: 'gauge',
      help: 'The supervisor state of the service: 1 for the current one of starting, running, backoff, stopping, stopped, failed.',
      samples: state,
    },
    { name: 'unixproc_service_restarts', type: 'counter', help: 'Restarts of the supervised service (by policy or on request).', samples: restarts },
    {
      name: 'unixproc_service_start_limit_hits',
      type: 'counter',
      help: 'Times the supervisor gave up on the service because it restarted too often (start limit).',
      samples: hits,
    },
    { name: 'unixproc_service_processes', type: 'gauge', help: "Live processes in the running child's tree.", samples: processes },
    { name: 'unixproc_service_threads', type: 'gauge', help: "Threads of the live processes in the running child's tree.", samples: threads },
    {
      name: 'unixproc_service_cpu_seconds',
      type: 'counter',
      help: "CPU seconds of the running child's tree since it started, by mode (user, system); resets at a restart.",
      samples: cpu,
    },
    {
      name: 'unixproc_service_memory_bytes',
      type: 'gauge',
      help: "Memory of the running child's tree in bytes, by memtype (resident: RSS summed over its processes).",
      samples: rss,
    },
  ];
}
