// supervise() contains each child's tree by default (issue 10): a grandchild that calls
// setsid (what every daemonizing program does) and ignores SIGTERM is stopped with the
// child, and dies when the supervisor's process is SIGKILLed. Each mechanism forced.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervise } from '../../lib/supervise';
import type { Containment } from '../../lib/contain';
import { childrenOf } from '../../lib/contain/procfs';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { reapIfAdopted, statFields, supervisorProcess, waitFor } from '../helpers/supervise-helpers';

let restore: () => void;
let dir: string;
beforeAll(() => {
  restore = becomeSubreaper();
  dir = mkdtempSync(join(tmpdir(), 'contain-supervise-'));
});
afterAll(() => {
  restore();
  rmSync(dir, { recursive: true, force: true });
});

/** A shell that starts a setsid'd sleep ignoring SIGTERM, records its pid in `file`, and waits. */
const escapee = (file: string): string => `(trap '' TERM; exec setsid sleep 300) & echo $! > ${file}; wait`;

/** The recorded pid once that process sleeps, with its start time. */
async function recorded(file: string): Promise<{ pid: number; startTime: number }> {
  let pid = 0;
  await waitFor('the escapee asleep', () => {
    try {
      pid = Number(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
    return pid > 0 && statFields(pid)?.[0] === 'S' && statFields(pid)?.[3] === String(pid);
  });
  return { pid, startTime: Number(statFields(pid)![19]) };
}

const gone = (m: { pid: number; startTime: number }): boolean => {
  const f = statFields(m.pid);
  return f === undefined || Number(f[19]) !== m.startTime;
};

test('by default the supervisor contains the tree and says with which mechanism', async () => {
  const file = join(dir, 'default');
  const sup = supervise('/bin/sh', ['-c', escapee(file)], { restart: 'never', killGracePeriod: 200 });
  expect(['cgroup', 'subreaper']).toContain(sup.containment);
  const e = await recorded(file);
  await sup.terminate();
  await reapIfAdopted(e.pid);
  expect(gone(e)).toBe(true);
});

test('contain: false: the supervisor has no containment', async () => {
  const sup = supervise('/bin/sleep', ['300'], { contain: false });
  expect(sup.containment).toBeUndefined();
  await sup.terminate();
});

describe.each<Containment>(['cgroup', 'subreaper'])('supervise({ contain: %s })', (mechanism) => {
  test('terminate() ends a setsid\'d grandchild that ignores SIGTERM (SIGKILL after killGracePeriod)', async () => {
    const file = join(dir, `stop-${mechanism}`);
    const sup = supervise('/bin/sh', ['-c', escapee(file)], { restart: 'never', killGracePeriod: 200, contain: mechanism });
    expect(sup.containment).toBe(mechanism);
    const e = await recorded(file);
    await sup.terminate();
    await reapIfAdopted(e.pid);
    expect(gone(e)).toBe(true);
  });

  test('kill() reaches the setsid\'d grandchild too', async () => {
    const file = join(dir, `signal-${mechanism}`);
    const sup = supervise('/bin/sh', ['-c', escapee(file)], { restart: 'never', killGracePeriod: 200, contain: mechanism });
    const e = await recorded(file);
    expect(sup.kill('SIGSTOP')).toBe(true);
    await waitFor('the escapee stopped', () => statFields(e.pid)?.[0] === 'T');
    sup.kill('SIGCONT');
    await sup.terminate();
    await reapIfAdopted(e.pid);
    expect(gone(e)).toBe(true);
  });

  test('the supervisor\'s process is SIGKILLed: the setsid\'d grandchild dies too', async () => {
    const file = join(dir, `kill-${mechanism}`);
    const body = `const sup = supervise('/bin/sh', ['-c', ${JSON.stringify(escapee(file))}], { contain: ${JSON.stringify(mechanism)} });
process.stdout.write(JSON.stringify({ pid: sup.pid }) + '\\n');
setInterval(() => {}, 1000);`;
    const { proc, report } = await supervisorProcess(body);
    const e = await recorded(file);
    // With 'cgroup', its keeper: orphaned here (a subreaper) when its owner is SIGKILLed.
    const keepers = childrenOf(proc.pid).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1] === 'keeper';
      } catch {
        return false;
      }
    });
    expect(keepers).toHaveLength(mechanism === 'cgroup' ? 1 : 0);
    expect(proc.kill('SIGKILL')).toBe(true);
    await proc.wait();
    // The child (the shepherd, or the program whose parent died), the keeper, then the escapee, adopted here.
    await reapIfAdopted(report.pid);
    for (const pid of keepers) await reapIfAdopted(pid);
    await reapIfAdopted(e.pid);
    await waitFor('the escapee gone', () => gone(e));
    expect(gone(e)).toBe(true);
  });
});

test('unixproc supervise says which mechanism contains the tree', async () => {
  const { runCli } = await import('../helpers/cli-run');
  const r = await runCli(['supervise', '--restart', 'never', '--', '/bin/true']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^unixproc supervise: started \/bin\/true \(pid \d+, tree contained by (cgroup|subreaper)\)$/m);
});
