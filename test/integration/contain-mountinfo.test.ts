// The cgroup2 mount is found from /proc/self/mountinfo with its root field: where the
// caller's cgroup is bind-mounted over the mount point (a container's view without a cgroup
// namespace, as LXC and docker bind mounts give it), the cgroup is the mount point itself,
// not the mount point plus the full v2 path (issue 10: never hard-code, read mountinfo).
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '../../lib/spawn';
import { ownCgroupDir } from '../../lib/contain/cgroup';
import { LOADER, ROOT, readAll } from '../helpers/supervise-helpers';

test("a bind mount of this process's own cgroup over the cgroup2 mount point is used (contain: 'cgroup' works there)", async () => {
  const top = ownCgroupDir();
  const sub = join(top, `bind-test-${process.pid}`);
  mkdirSync(sub);
  try {
    const script = `
      const { spawn } = require(${JSON.stringify(join(ROOT, 'lib', 'spawn', 'index.ts'))});
      const c = spawn('/bin/true', [], { contain: 'cgroup' });
      // terminate() once /bin/true has exited by itself: a SIGTERM during its exec would
      // make it 'signaled' (seen under load), which is not what this test is about.
      c.wait().then(() => c.terminate()).then((r) => console.log(c.containment, r.kind, r.code));
    `;
    // In a mount namespace of its own: the shell enters the new cgroup, then hides the
    // whole hierarchy's mount behind a bind mount of that cgroup.
    const sh = [
      `echo $$ > ${sub}/cgroup.procs`,
      `mount --bind ${sub} ${top}`,
      `exec ${process.execPath} -r ${LOADER} -e "$0"`,
    ].join(' && ');
    const child = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', sh, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [out, err, status] = await Promise.all([readAll(child.stdout), readAll(child.stderr), child.wait()]);
    expect({ out: out.trim(), err: err.trim(), status }).toEqual({ out: 'cgroup exited 0', err: '', status: { kind: 'exited', code: 0 } });
    // The keeper removed the owner cgroup it made in there.
    expect(readFileSync(join(sub, 'cgroup.procs'), 'latin1')).toBe('');
  } finally {
    rmdirSync(sub);
  }
});
