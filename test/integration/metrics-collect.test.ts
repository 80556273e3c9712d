// The collectors on the live /proc with real processes: a group's CPU counter stays
// monotonic when members exit (ProcessMetricsCollector keeps their last reading), and its
// figures are those of the processes themselves.
import { ChildProcess, spawn } from 'node:child_process';
import { ProcessMetricsCollector } from '../../lib/metrics/collect';
import type { MetricFamily } from '../../lib/metrics/types';
import { getProcess } from '../../lib/proc';
import { PYTHON } from '../helpers/proc-spawn';

function value(fs: readonly MetricFamily[], name: string, labels: Record<string, string>): number {
  const s = fs.find((f) => f.name === name)?.samples.find((x) => JSON.stringify(x.labels) === JSON.stringify(labels));
  if (s === undefined) throw new Error(`no ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

// Names itself, burns about 0.3 s of CPU, says so, then sleeps until killed.
const BURNER = `
import ctypes, sys, time
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(sys.argv[1].encode()), 0, 0, 0)
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
print('burnt', flush=True)
time.sleep(600)
`;

function startBurner(name: string): Promise<ChildProcess> {
  const child = spawn(PYTHON, ['-c', BURNER, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', () => reject(new Error('the burner exited early')));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('a group counts its members, and its CPU counter keeps the CPU of members that exited', async () => {
  const name = `burn${process.pid % 100000}`;
  const children = await Promise.all([startBurner(name), startBurner(name), startBurner(name)]);
  try {
    const collector = new ProcessMetricsCollector({ groups: [{ name: 'burn', pattern: new RegExp(`^${name}$`) }] });
    const first = collector.collect();
    expect(value(first, 'unixproc_group_processes', { group: 'burn' })).toBe(3);
    expect(value(first, 'unixproc_group_threads', { group: 'burn' })).toBe(3);
    const rss = children.map((c) => getProcess(c.pid as number)?.rss ?? 0).reduce((a, b) => a + b, 0);
    // RSS moves a little between two reads; within 10 %
    expect(Math.abs(value(first, 'unixproc_group_memory_bytes', { group: 'burn', memtype: 'resident' }) - rss)).toBeLessThan(rss * 0.1);
    expect(value(first, 'unixproc_group_open_fds', { group: 'burn' })).toBeGreaterThanOrEqual(9); // 0..2 of each at least
    expect(value(first, 'unixproc_group_fds_unreadable_processes', { group: 'burn' })).toBe(0);
    const cpu1 = value(first, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'user' }) + value(first, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'system' });
    expect(cpu1).toBeGreaterThanOrEqual(0.8); // 3 x 0.3 s, at the clock tick's resolution

    await stop(children[0]);
    await stop(children[1]);
    const second = collector.collect();
    expect(value(second, 'unixproc_group_processes', { group: 'burn' })).toBe(1);
    const cpu2 = value(second, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'user' }) + value(second, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'system' });
    expect(cpu2).toBeGreaterThanOrEqual(cpu1);

    // A fresh collector knows only the living member.
    const fresh = new ProcessMetricsCollector({ groups: [{ name: 'burn', pattern: new RegExp(`^${name}$`) }] }).collect();
    const cpu3 = value(fresh, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'user' }) + value(fresh, 'unixproc_group_cpu_seconds', { group: 'burn', mode: 'system' });
    expect(cpu3).toBeLessThan(cpu2 - 0.4);
  } finally {
    for (const c of children) await stop(c);
  }
});
