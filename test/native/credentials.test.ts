// native/credentials.cc, the database lookups behind spawn's user/group/extraGroups: each
// export against getent(1)/id(1) (independent readers of the same NSS databases), "not
// found" as null, and arguments of the wrong shape as -EINVAL rather than a crash.
import { execFileSync, spawnSync } from 'node:child_process';
import { native } from '../../lib/native';

interface CredentialsBinding {
  getpwnam(name: unknown): [number, number, string] | null | number;
  getpwuid(uid: unknown): [number, number, string] | null | number;
  getgrnam(name: unknown): number | null;
  getgrouplist(name: unknown, gid: unknown): number[] | number;
  getgroups(): number[] | number;
  ngroupsMax(): number;
}
const b = native<CredentialsBinding>();
const EINVAL = -22;

function getent(db: 'passwd' | 'group', key: string): string[] | undefined {
  const r = spawnSync('getent', [db, key], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0].split(':') : undefined;
}

const sorted = (a: readonly number[]): number[] => [...a].sort((x, y) => x - y);

test('getpwnam: uid, gid and name of the passwd entry, as getent reads it', () => {
  const e = getent('passwd', 'nobody') as string[];
  expect(b.getpwnam('nobody')).toEqual([Number(e[2]), Number(e[3]), 'nobody']);
  expect(b.getpwnam('root')).toEqual([0, 0, 'root']);
});

test('getpwuid: the entry of a uid, null for a uid without one', () => {
  expect(b.getpwuid(0)).toEqual([0, 0, 'root']);
  let free = 12345;
  while (getent('passwd', String(free)) !== undefined) free++;
  expect(b.getpwuid(free)).toBeNull();
});

test('getpwnam and getgrnam: null for a name that is not there', () => {
  expect(b.getpwnam('no-such-user-unixproc')).toBeNull();
  expect(b.getgrnam('no-such-group-unixproc')).toBeNull();
});

test('getgrnam: the gid of a group name', () => {
  const e = getent('group', 'users') as string[];
  expect(b.getgrnam('users')).toBe(Number(e[2]));
  expect(b.getgrnam('root')).toBe(0);
});

test('getgrouplist: the groups of a user and the gid given, as id -G (which calls it too)', () => {
  for (const user of ['root', 'nobody']) {
    const [, gid] = b.getpwnam(user) as [number, number, string];
    const id = execFileSync('id', ['-G', user], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    expect(sorted(b.getgrouplist(user, gid) as number[])).toEqual(sorted([...new Set(id)]));
  }
  // The gid given is in the list even for a name no group lists (initgroups(3)'s contract).
  expect(b.getgrouplist('no-such-user-unixproc', 4242)).toEqual([4242]);
});

test('getgroups: the supplementary groups of this process, as /proc/self/status has them (without the egid)', () => {
  const line = /^Groups:[ \t]*(.*)$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8') as string) as RegExpExecArray;
  const groups = line[1].trim() === '' ? [] : line[1].trim().split(/\s+/).map(Number);
  expect(sorted(b.getgroups() as number[])).toEqual(sorted(groups));
});

test('ngroupsMax: sysconf(_SC_NGROUPS_MAX), as getconf', () => {
  expect(b.ngroupsMax()).toBe(Number(execFileSync('getconf', ['NGROUPS_MAX'], { encoding: 'utf8' })));
});

test.each<[string, () => unknown]>([
  ['getpwnam of a number', () => b.getpwnam(5)],
  ['getpwnam with a NUL', () => b.getpwnam('root\0x')],
  ['getpwuid of a string', () => b.getpwuid('0')],
  ['getpwuid of -1', () => b.getpwuid(-1)],
  ['getpwuid of (uid_t)-1', () => b.getpwuid(2 ** 32 - 1)],
  ['getpwuid of a fraction', () => b.getpwuid(1.5)],
  ['getgrnam of nothing', () => (b.getgrnam as () => unknown)()],
  ['getgrouplist without a gid', () => (b.getgrouplist as (n: string) => unknown)('root')],
  ['getgrouplist of a negative gid', () => b.getgrouplist('root', -5)],
])('%s is -EINVAL, not a crash', (_what, call) => {
  expect(call()).toBe(EINVAL);
});

test('spawnChild with FlagSetgroups but no Uint32Array of groups is -EINVAL, before any clone', () => {
  const { Config, Flag, binding } = require('../../lib/spawn/native-child') as typeof import('../../lib/spawn/native-child');
  const config = new Int32Array(Config.length).fill(-1);
  config[Config.setsid] = 0;
  config[Config.deathSignal] = 0;
  config[Config.flags] = Flag.setgroups;
  const children = (): string => require('node:fs').readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8') as string;
  const before = children();
  expect(binding().spawnChild(['/bin/true'], ['true'], [], '', config, [], null)).toBe(EINVAL);
  expect(binding().spawnChild(['/bin/true'], ['true'], [], '', config, [], null, [100] as never)).toBe(EINVAL);
  expect(binding().spawnChild(['/bin/true'], ['true'], [], '', config, [], null, new Int32Array([100]) as never)).toBe(EINVAL);
  expect(children()).toBe(before);
});
