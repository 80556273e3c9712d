// The cgroup2 mount and the caller's v2 path, parsed from /proc/self/mountinfo and
// /proc/self/cgroup texts (fixtures: a hybrid hierarchy as on these machines, a pure v2 one).
import { cgroup2DirsOf, cgroup2MountOf, cgroup2PathOf, ownerCgroupName } from '../../lib/contain/cgroup';

const HYBRID = [
  '31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '33 31 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

test('the cgroup2 mount of a hybrid hierarchy is found by file system type, not by path', () => {
  expect(cgroup2MountOf(HYBRID)).toBe('/sys/fs/cgroup/unified');
});

test('a mount point with an escaped space is unescaped', () => {
  expect(cgroup2MountOf('50 1 0:40 / /mnt/my\\040cg rw - cgroup2 none rw')).toBe('/mnt/my cg');
});

test('no cgroup2 line: undefined (v1 only)', () => {
  expect(cgroup2MountOf(HYBRID.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
});

test("a bind mount of a subtree (mountinfo root field) is where the path below that root is, and it hides the mount it covers", () => {
  const info = [
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '66 41 0:38 /lxc/c\\0401 /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  expect(cgroup2DirsOf(info, '/lxc/c 1/app')).toEqual(['/sys/fs/cgroup/unified/app', '/sys/fs/cgroup/unified/lxc/c 1/app']);
  // a subtree mount that does not hold the path is no candidate
  expect(cgroup2DirsOf(info, '/other')).toEqual(['/sys/fs/cgroup/unified/other']);
  expect(cgroup2DirsOf(info, '/lxc/c 10')).toEqual(['/sys/fs/cgroup/unified/lxc/c 10']);
});

test("the v2 path is the 0:: line's, whatever the v1 lines say", () => {
  expect(cgroup2PathOf('4:memory:/a/b\n0::/user.slice/app.scope\n')).toBe('/user.slice/app.scope');
  expect(cgroup2PathOf('4:memory:/a/b\n')).toBeUndefined();
});

test("an owner's cgroup is named by its pid and start time", () => {
  expect(ownerCgroupName(1234, 56789)).toBe('unixproc-1234-56789');
});

test('oomKillsOf reads the oom_kill count of a memory.events text', () => {
  const { oomKillsOf } = require('../../lib/contain/contained');
  expect(oomKillsOf('low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n')).toBe(2);
  expect(oomKillsOf('low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n')).toBe(0);
  expect(oomKillsOf('')).toBe(0);
  expect(oomKillsOf('oom_group_kill 5\n')).toBe(0);
});
