// usage() of a contained tree and processUsage(pid, { tree }) of any process (issue 10):
// CPU seconds that grow while a member spins, psutil's cpu_percent priming, RSS from statm,
// PSS/USS from smaps_rollup, and process/thread counts that match the tree.
import { readFileSync } from 'node:fs';
import { spawn } from '../../lib/spawn';
import { processUsage, type Containment } from '../../lib/contain';
import { procConstants } from '../../lib/proc/binding';
import { waitFor } from '../helpers/proc-spawn';

describe.each<Containment>(['cgroup', 'subreaper'])('usage() with %s', (mechanism) => {
  test('the source, CPU that grows while a member spins, and counts that match members()', async () => {
    const child = spawn('/bin/sh', ['-c', 'while :; do :; done & sleep 300 & wait'], { contain: mechanism });
    try {
      await waitFor('3 members', () => child.members().length === 3);
      const first = child.usage();
      expect(first.source).toBe(mechanism === 'cgroup' ? 'cgroup' : 'procfs');
      expect(first.cpuPercent).toBeUndefined(); // the first call primes
      expect(first.processes).toBe(3);
      expect(first.threads).toBe(3);
      // No other usage() call in between: cpuPercent is since the previous call.
      let second = first;
      await waitFor('CPU time to grow', () => {
        second = child.usage();
        return second.cpuUser + second.cpuSystem > first.cpuUser + first.cpuSystem;
      });
      expect(second.cpuPercent).toBeGreaterThan(0);
      expect(second.rss).toBeGreaterThan(0);
      expect(second.pss).toBeUndefined(); // only with fullMemory
      const full = child.usage({ fullMemory: true });
      expect(full.pss!).toBeGreaterThan(0);
      expect(full.pss!).toBeLessThanOrEqual(full.rss);
      expect(full.uss!).toBeLessThanOrEqual(full.pss!);
    } finally {
      await child.terminate({ killGracePeriod: 0 });
    }
    expect(child.usage().processes).toBe(0);
  });
});

describe('processUsage', () => {
  test("one process: RSS is statm's resident pages, threads and processes are 1", async () => {
    const child = spawn('/bin/sleep', ['300']);
    try {
      await waitFor('sleep asleep', () => readFileSync(`/proc/${child.pid}/stat`, 'latin1').split(') ')[1][0] === 'S');
      const u = processUsage(child.pid);
      const resident = Number(readFileSync(`/proc/${child.pid}/statm`, 'latin1').split(' ')[1]);
      expect(u.rss).toBe(resident * procConstants().pageSize);
      expect(u).toMatchObject({ processes: 1, threads: 1, source: 'procfs', memoryCurrent: undefined });
      expect(u.cpuPercent).toBeUndefined();
      expect(processUsage(child.pid).cpuPercent).toBeGreaterThanOrEqual(0); // primed now
    } finally {
      child.kill('SIGKILL');
      await child.wait();
    }
  });

  test('tree: true counts every descendant, tree: false only the process', async () => {
    // contained, so that ending it leaves no sleep behind
    const child = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300 & wait'], { contain: 'cgroup' });
    try {
      const count = (): number => processUsage(child.programPid, { tree: true }).processes;
      await waitFor('sh and 2 sleeps', () => count() === 3);
      expect(processUsage(child.programPid).processes).toBe(1);
    } finally {
      await child.terminate({ killGracePeriod: 0 });
    }
  });

  test('a process that does not exist is ESRCH; bad arguments are TypeError/RangeError', () => {
    expect(() => processUsage(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'open' }));
    expect(() => processUsage(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => processUsage('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => processUsage(process.pid, { tree: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
