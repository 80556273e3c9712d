// The stale-cgroup sweep (issue 10): an owner cgroup whose keeper is gone (owner and keeper
// both SIGKILLed, say) is killed and removed by the next owner that uses cgroup containment.
// The stale cgroup is made by hand here: unixproc-<pid>-<start>/{keeper (empty), c1 (a sleep)}.
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../../lib/spawn';
import { ownCgroupDir } from '../../lib/contain/cgroup';
import { becomeSubreaper, waitFor } from '../helpers/proc-spawn';
import { LOADER, ROOT, reapIfAdopted, statFields } from '../helpers/supervise-helpers';

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

test("a dead owner's cgroup is killed and removed by the next owner's first contained spawn", async () => {
  const parent = ownCgroupDir();
  const name = `unixproc-999999-${process.pid}`; // unique per run: no leftover of an earlier run can collide
  const stale = join(parent, name);
  mkdirSync(join(stale, 'keeper'), { recursive: true });
  mkdirSync(join(stale, 'c1'));
  // A process of the dead owner's tree: a sleep, moved into c1.
  const victim = spawn('/bin/sleep', ['300']);
  writeFileSync(join(stale, 'c1', 'cgroup.procs'), String(victim.pid));
  const start = Number(statFields(victim.pid)![19]);
  // The next owner: a separate node process (this one may have swept already).
  const script = `const { spawn } = require(${JSON.stringify(join(ROOT, 'lib', 'spawn', 'index.ts'))});
const { childrenOf } = require(${JSON.stringify(join(ROOT, 'lib', 'contain', 'procfs.ts'))});
spawn('/bin/true', [], { contain: 'cgroup' }).terminate().then(() => {
  process.stdout.write(JSON.stringify(childrenOf(process.pid)) + '\\n'); // its keeper
  process.exit(0);
});`;
  const owner = spawn(process.execPath, ['-r', LOADER, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  for await (const chunk of owner.stdout!) text += String(chunk);
  await expect(owner.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
  // Its keeper removes the owner's cgroup and exits once the owner is gone: adopted here.
  for (const pid of JSON.parse(text) as number[]) await reapIfAdopted(pid);
  await expect(victim.wait()).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  await waitFor('the stale cgroup removed', () => !existsSync(stale));
  expect(readdirSync(parent)).not.toContain(name);
  expect(statFields(victim.pid) === undefined || Number(statFields(victim.pid)![19]) !== start).toBe(true);
});
