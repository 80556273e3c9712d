// The leak guard and containment: this process's cgroup keeper (native/shepherd.cc `keeper`
// mode), which lives as long as this process by design, is not a leak.
import { startLeakGuard } from '../../lib/guard/index';
import { spawn } from '../../lib/spawn';
import { childrenOf } from '../../lib/contain/procfs';
import { readFileSync } from 'node:fs';

test("the guard does not report this process's cgroup keeper; a contained child's tree leaves nothing", async () => {
  const guard = startLeakGuard();
  try {
    const child = spawn('/bin/sh', ['-c', 'setsid sleep 300 & wait'], { contain: 'cgroup' });
    const keeper = childrenOf(process.pid).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1] === 'keeper',
    );
    expect(keeper).toBeDefined();
    await child.terminate({ killGracePeriod: 0 });
    const report = guard.check();
    expect(report.leaked.map((p) => p.pid)).not.toContain(keeper);
    expect(report.leaked).toEqual([]);
  } finally {
    await guard.cleanup({ killGracePeriod: 0 });
    guard.dispose();
  }
});
