// The collectors of lib/metrics on the fixture tree: each family agrees with the library
// finder it summarises (findZombies, findOrphans, findDaemons, orphanedProcessGroups,
// stateSummary), and no label holds a pid.
import * as path from 'node:path';
import { collectProcessMetrics, ProcessMetricsCollector } from '../../lib/metrics/collect';
import type { MetricFamily } from '../../lib/metrics/types';
import { findDaemons, findOrphans, findZombies, listProcesses, orphanedProcessGroups, stateSummary, STATE_NAMES } from '../../lib/proc';

const FIXTURE = { procfs: path.join(__dirname, '../fixtures/proc/tree'), procfsFixture: true };

function family(fs: readonly MetricFamily[], name: string): MetricFamily {
  const f = fs.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
}

function value(fs: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  return family(fs, name).samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

const sum = (f: MetricFamily): number => f.samples.reduce((n, s) => n + s.value, 0);

describe('collectProcessMetrics on the fixture tree', () => {
  const families = collectProcessMetrics(FIXTURE);

  test('counts processes by state as stateSummary does, every state present', () => {
    const summary = stateSummary(FIXTURE);
    const f = family(families, 'unixproc_processes');
    expect(f.samples.map((s) => s.labels.state)).toEqual([...STATE_NAMES]);
    for (const s of f.samples) expect([s.labels.state, s.value]).toEqual([s.labels.state, summary.byState[s.labels.state as keyof typeof summary.byState]]);
    expect(value(families, 'unixproc_processes_unreadable')).toBe(summary.unreadable);
    expect(summary.unreadable).toBe(2);
  });

  test('counts zombies by the parent command, as findZombies groups them', () => {
    const groups = findZombies(FIXTURE);
    expect(sum(family(families, 'unixproc_zombies'))).toBe(groups.reduce((n, g) => n + g.count, 0));
    // 102 is a zombie of 100, whose comm is "x) Z 1 (y" (the last-')' rule)
    expect(value(families, 'unixproc_zombies', { parent_comm: 'x) Z 1 (y', parent_kind: 'process' })).toBe(1);
    expect(value(families, 'unixproc_zombie_parents', { parent_comm: 'x) Z 1 (y', parent_kind: 'process' })).toBe(1);
    const oldest = value(families, 'unixproc_zombie_oldest_age_seconds') as number;
    const zombie = listProcesses(FIXTURE).find((p) => p.pid === 102);
    expect(zombie?.readable).toBe(true);
    const expected = (Date.now() - (zombie as { startDate: Date }).startDate.getTime()) / 1000;
    expect(Math.abs(oldest - expected)).toBeLessThan(60);
  });

  test('counts orphans by class as findOrphans classifies them', () => {
    const orphans = findOrphans(FIXTURE);
    for (const cls of ['leaked-orphan', 'daemon']) {
      const found = orphans.filter((o) => o.classification === cls && o.reparentedTo === 'init').length;
      expect([cls, value(families, 'unixproc_orphans', { class: cls, reparented_to: 'init' })]).toEqual([cls, found]);
    }
    expect(sum(family(families, 'unixproc_orphans'))).toBe(orphans.length);
    expect(orphans.length).toBeGreaterThan(0);
  });

  test('counts orphaned process groups, and those with a stopped member', () => {
    const groups = orphanedProcessGroups(FIXTURE);
    expect(value(families, 'unixproc_orphaned_process_groups')).toBe(groups.length);
    expect(value(families, 'unixproc_orphaned_process_groups_stopped')).toBe(groups.filter((g) => g.stoppedMembers.length > 0).length);
    expect(value(families, 'unixproc_orphaned_process_groups_stopped')).toBe(1);
  });

  test('counts daemon findings by check as findDaemons reports them', () => {
    const daemons = findDaemons(FIXTURE);
    expect(value(families, 'unixproc_daemons')).toBe(daemons.length);
    for (const check of ['runs-as-root', 'controlling-terminal', 'inherited-fds']) {
      const failed = daemons.filter((d) => d.checks.some((c) => c.id === check && c.passed === false)).length;
      const unknown = daemons.filter((d) => d.checks.some((c) => c.id === check && c.passed === undefined)).length;
      expect([check, value(families, 'unixproc_daemon_findings', { check }), value(families, 'unixproc_daemon_checks_unknown', { check })]).toEqual([
        check,
        failed,
        unknown,
      ]);
    }
  });

  test('never puts a pid in a label', () => {
    const pids = new Set(listProcesses(FIXTURE).map((p) => String(p.pid)));
    const labels = families.flatMap((f) => f.samples.flatMap((s) => Object.entries(s.labels)));
    expect(labels.filter(([name, v]) => /pid/i.test(name) || pids.has(v))).toEqual([]);
  });
});

describe('groups', () => {
  test('sum processes, threads, memory and CPU of the processes whose comm matches, first group wins', () => {
    const procs = listProcesses(FIXTURE).filter((p) => p.readable);
    const fs = collectProcessMetrics({ ...FIXTURE, groups: [{ name: 'w', pattern: /^worker$/ }, { name: 'all', pattern: /./ }] });
    const worker = procs.find((p) => p.readable && p.comm === 'worker');
    if (worker === undefined || !worker.readable) throw new Error('fixture has no worker');
    expect(value(fs, 'unixproc_group_processes', { group: 'w' })).toBe(1);
    expect(value(fs, 'unixproc_group_processes', { group: 'all' })).toBe(procs.length - 1);
    expect(value(fs, 'unixproc_group_threads', { group: 'w' })).toBe(worker.numThreads);
    expect(value(fs, 'unixproc_group_memory_bytes', { group: 'w', memtype: 'resident' })).toBe(worker.rss);
    expect(value(fs, 'unixproc_group_memory_bytes', { group: 'w', memtype: 'virtual' })).toBe(worker.vms);
    expect(value(fs, 'unixproc_group_cpu_seconds', { group: 'w', mode: 'user' })).toBe(worker.cpuTimes.user);
    expect(value(fs, 'unixproc_group_cpu_seconds', { group: 'w', mode: 'system' })).toBe(worker.cpuTimes.system);
    expect(family(fs, 'unixproc_group_cpu_seconds').type).toBe('counter');
    expect(value(fs, 'unixproc_group_states', { group: 'w', state: 'sleeping' })).toBe(1);
    expect(value(fs, 'unixproc_group_states', { group: 'w', state: 'zombie' })).toBe(0);
  });

  test('are reported with zeros when nothing matches', () => {
    const fs = collectProcessMetrics({ ...FIXTURE, groups: [{ name: 'none', pattern: /^no such comm$/ }] });
    expect(value(fs, 'unixproc_group_processes', { group: 'none' })).toBe(0);
    expect(value(fs, 'unixproc_group_open_fds', { group: 'none' })).toBe(0);
  });

  test('a global RegExp matches every process the same (no lastIndex carried between processes)', () => {
    const fs = collectProcessMetrics({ ...FIXTURE, groups: [{ name: 'g', pattern: /e/g }] });
    const plain = collectProcessMetrics({ ...FIXTURE, groups: [{ name: 'g', pattern: /e/ }] });
    expect(value(fs, 'unixproc_group_processes', { group: 'g' })).toBe(value(plain, 'unixproc_group_processes', { group: 'g' }));
  });
});

describe('options', () => {
  test('are validated with the library codes', () => {
    const err = (o: unknown): unknown => {
      try {
        new ProcessMetricsCollector(o as never);
      } catch (e) {
        return [(e as { code?: string }).code, (e as Error).message];
      }
      return 'no error';
    };
    expect(err({ group: [] })).toEqual(['ERR_INVALID_ARG_VALUE', expect.stringMatching(/did you mean 'groups'/)]);
    expect(err({ groups: [{ name: 'a b', pattern: /x/ }] })).toEqual(['ERR_INVALID_ARG_VALUE', expect.stringMatching(/options.groups\[0\].name/)]);
    expect(err({ groups: [{ name: 'a', pattern: 'x' }] })).toEqual(['ERR_INVALID_ARG_TYPE', expect.stringMatching(/RegExp/)]);
    expect(err({ groups: [{ name: 'a', pattern: /x/, match: 'exe' }] })).toEqual(['ERR_INVALID_ARG_VALUE', expect.stringMatching(/'comm' or 'cmdline'/)]);
    expect(err({ groups: [{ name: 'a', pattern: /x/ }, { name: 'a', pattern: /y/ }] })).toEqual(['ERR_INVALID_ARG_VALUE', expect.stringMatching(/unique/)]);
    expect(err({ procfs: '/tmp' })).toBe('no error'); // the root is checked by collect()
    expect(() => new ProcessMetricsCollector({ procfs: '/tmp' }).collect()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
