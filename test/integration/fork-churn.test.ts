// fork()'s layout cache (issue 15): between 1000 forks of a ~100 MB heap that churns, the
// DONTFORK ranges a fork takes from the cache are always what a fresh smaps scan finds, every
// child has its whole heap (a checksum over it), and the parent's ranges are DONTFORK again.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('1000 forks of a churning heap: the cached plan always matches smaps, every child is whole, nothing grows', () => {
  const script = path.join(__dirname, '..', 'fixtures', 'fork-churn.js');
  const r = spawnSync(process.execPath, ['--single-threaded', '--expose-gc', script, '1000'], { encoding: 'utf8', timeout: 300000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
    forks: number;
    mismatches: number;
    cached: number;
    failed: number;
    statuses: Record<string, number>;
    before: { fds: number; rss: number; heap: number; dontFork: number };
    after: { fds: number; rss: number; heap: number; dontFork: number };
  };
  expect({ forks: out.forks, mismatches: out.mismatches, failed: out.failed, statuses: out.statuses }).toEqual({ forks: 1000, mismatches: 0, failed: 0, statuses: {} });
  // The cache served the light rounds (two in three): the shortcut was taken, and checked.
  expect(out.cached).toBeGreaterThanOrEqual(500);
  // ... and not the heavy ones (the layout changed): the other path was taken too.
  expect(out.cached).toBeLessThan(1000);
  expect(out.after.fds).toBe(out.before.fds);
  expect(out.after.dontFork).toBeGreaterThan(0);
  // The churn's garbage gone, the heap in use is what it was (the cache holds one layout).
  expect(out.after.heap - out.before.heap).toBeLessThan(10);
}, 320000);
