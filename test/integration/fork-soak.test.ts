// The short soak (issue 3): 30 forks with the soak workload, 0 hung and 0 crashed.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('30 forks with the soak workload: 0 hung, 0 crashed, 0 failed', () => {
  const root = path.resolve(__dirname, '..', '..');
  const r = spawnSync(
    process.execPath,
    ['--single-threaded', '--expose-gc', path.join(root, 'bench', 'soak-fork.js'), '30', '--from-source'],
    { encoding: 'utf8', timeout: 50000 },
  );
  expect(r.stdout).toMatch(/30 forks in .*: 0 hung, 0 crashed, 0 failed, 30 ok/);
  expect(r.status).toBe(0);
});
