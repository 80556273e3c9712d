// spawn()'s credentials: `user`, `group`, `extraGroups` as names or ids, the supplementary
// groups of a user from the group database (initgroups), unknown names refused before
// anything starts, and EPERM from setgroups/setgid/setuid named by syscall when the caller
// is not privileged. The child's credentials are read from the kernel (/proc/<pid>/status
// of the running program); the databases from coreutils' `id NAME`, an independent reader
// (getpwnam + getgrouplist). Needs root for everything but the validation.
import { execFileSync, spawn as cpSpawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, spawn, type SpawnOptions } from '../../lib/spawn';
import { supervise } from '../../lib/supervise';
import { readAll } from '../helpers/spawn-helpers';

const ROOT = join(__dirname, '..', '..');
const root = process.getuid?.() === 0;
const asRoot = root ? test : test.skip;
if (!root) console.warn('spawn-credentials: the tests that change credentials are skipped (they need root)');

interface Credentials {
  uid: number;
  gid: number;
  groups: number[];
}

/** Real uid/gid (all four fields must agree) and the sorted supplementary groups of a process. */
function credentialsOf(pid: number): Credentials {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number[] => {
    const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status);
    if (m === null) throw new Error(`no ${name} in /proc/${pid}/status`);
    return m[1].trim() === '' ? [] : m[1].trim().split(/\s+/).map(Number);
  };
  const uids = field('Uid');
  const gids = field('Gid');
  // setuid/setgid as root set real, effective, saved and filesystem ids alike.
  expect(new Set(uids).size).toBe(1);
  expect(new Set(gids).size).toBe(1);
  return { uid: uids[0], gid: gids[0], groups: field('Groups').sort((a, b) => a - b) };
}

/** The credentials a sleeping program was started with (then ended and reaped). */
async function spawnedWith(options: SpawnOptions): Promise<Credentials> {
  const child = spawn('/bin/sleep', ['30'], options);
  try {
    return credentialsOf(child.pid);
  } finally {
    child.kill('SIGKILL');
    await child.wait();
  }
}

/** What coreutils' id(1) says of a user in the databases. */
function idOf(user: string): Credentials {
  const id = (flag: string): number[] => execFileSync('id', [flag, user], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  return { uid: id('-u')[0], gid: id('-g')[0], groups: [...new Set(id('-G'))].sort((a, b) => a - b) };
}

function known(kind: 'passwd' | 'group', key: string): boolean {
  return spawnSync('getent', [kind, key], { stdio: 'ignore' }).status === 0;
}

/** A user the group database lists as a member of some group (so it has supplementary groups). */
function userWithSupplementaryGroups(): string | undefined {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const members = (line.split(':')[3] ?? '').split(',').filter((m) => m !== '');
    for (const m of members) if (m !== 'root' && known('passwd', m) && idOf(m).groups.length > 1) return m;
  }
  return undefined;
}

const member = userWithSupplementaryGroups();
const withMember = root && member !== undefined ? test : test.skip;
if (root && member === undefined) console.warn('spawn-credentials: no user in /etc/group member lists; those tests are skipped');

/** An id that neither database has. */
function unusedId(): number {
  for (let id = 12345; ; id++) if (!known('passwd', String(id)) && !known('group', String(id))) return id;
}

describe('user: the database decides gid and supplementary groups (initgroups)', () => {
  withMember('a user name: its uid, its passwd gid and every group the group database lists it in', async () => {
    const name = member as string;
    const db = idOf(name);
    expect(db.groups.length).toBeGreaterThan(1); // the passwd group and at least one more
    expect(await spawnedWith({ user: name })).toEqual(db);
  });

  asRoot("'nobody' by name: its uid, gid and groups from the databases", async () => {
    expect(await spawnedWith({ user: 'nobody' })).toEqual(idOf('nobody'));
  });

  withMember('a uid that has a passwd entry is the same as its name', async () => {
    const name = member as string;
    expect(await spawnedWith({ user: idOf(name).uid })).toEqual(idOf(name));
  });

  withMember("group replaces the passwd gid; the supplementary groups stay the user's", async () => {
    const name = member as string;
    const db = idOf(name);
    const other = db.gid === 100 ? 65534 : 100;
    expect(await spawnedWith({ user: name, group: other })).toEqual({ ...db, gid: other });
  });

  withMember('extraGroups replaces the database groups exactly (names and gids, a repeat counted once)', async () => {
    const name = member as string;
    const got = await spawnedWith({ user: name, extraGroups: ['nogroup', 100, 'nogroup', 5] });
    expect(got).toEqual({ uid: idOf(name).uid, gid: idOf(name).gid, groups: [5, 100, 65534] });
  });

  withMember('extraGroups [] leaves no supplementary group', async () => {
    const name = member as string;
    expect((await spawnedWith({ user: name, extraGroups: [] })).groups).toEqual([]);
  });

  asRoot('a uid without a passwd entry: that uid, the gid unchanged, no supplementary group', async () => {
    const id = unusedId();
    expect(await spawnedWith({ user: id })).toEqual({ uid: id, gid: process.getgid?.(), groups: [] });
    expect(await spawnedWith({ user: id, group: id })).toEqual({ uid: id, gid: id, groups: [] });
  });

  asRoot("group alone: that gid, the caller's supplementary groups dropped, the uid unchanged", async () => {
    expect(await spawnedWith({ group: 'nogroup' })).toEqual({ uid: 0, gid: 65534, groups: [] });
  });

  asRoot('extraGroups alone: only the supplementary groups change', async () => {
    expect(await spawnedWith({ extraGroups: ['users', 'nogroup'] })).toEqual({
      uid: process.getuid?.(),
      gid: process.getgid?.(),
      groups: [100, 65534],
    });
  });

  asRoot('without any of the three the credentials are inherited as they are', async () => {
    const mine = credentialsOf(process.pid);
    expect(await spawnedWith({})).toEqual(mine);
  });

  asRoot('the same through fork mode (UNIXPROC_SPAWN_METHOD=fork: the list travels in a copy)', async () => {
    const before = process.env.UNIXPROC_SPAWN_METHOD;
    process.env.UNIXPROC_SPAWN_METHOD = 'fork';
    try {
      expect(await spawnedWith({ user: 'nobody', extraGroups: ['users', 5] })).toEqual({ uid: 65534, gid: 65534, groups: [5, 100] });
    } finally {
      if (before === undefined) delete process.env.UNIXPROC_SPAWN_METHOD;
      else process.env.UNIXPROC_SPAWN_METHOD = before;
    }
  });
});

describe('the options reach the program through run(), supervise() and containment', () => {
  asRoot('run(): the program runs as the user with its groups', async () => {
    const r = await run('/bin/sh', ['-c', 'echo $(id -u) $(id -g) $(id -G)'], { user: 'nobody', capture: true, check: true });
    expect(r.stdout).toBe(`65534 65534 ${idOf('nobody').groups.join(' ')}\n`);
  });

  const eachMechanism = root ? test.each(['cgroup', 'subreaper'] as const) : test.skip.each(['cgroup', 'subreaper'] as const);
  eachMechanism('contain: %s: the program (in its cgroup, or behind the shepherd) has the credentials too', async (contain) => {
    const r = await run('/bin/sh', ['-c', 'echo $(id -u) $(id -g) $(id -G)'], {
      user: 'nobody',
      extraGroups: ['users'],
      contain,
      capture: true,
      check: true,
    });
    // id -G prints the effective gid first, then the supplementary groups.
    expect(r.stdout).toBe('65534 65534 65534 100\n');
  });

  asRoot('supervise(): the supervised child runs as the user', async () => {
    const sup = supervise('/bin/sleep', ['30'], { user: 'nobody', group: 'users', contain: false });
    try {
      expect(credentialsOf(sup.pid as number)).toEqual({ ...idOf('nobody'), gid: 100 });
    } finally {
      await sup.terminate();
    }
  });
});

describe('names are resolved before anything starts', () => {
  const childCount = (): number => readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;

  test.each<[string, SpawnOptions, string]>([
    ['an unknown user name', { user: 'no-such-user-unixproc' }, "options.user' is not a user of the user database"],
    ['a numeric string that is no user name', { user: '4242424242' }, "an id is given as a number (4242424242, not '4242424242')"],
    ['an unknown group name', { group: 'no-such-group-unixproc' }, "options.group' is not a group of the group database"],
    ['an unknown name in extraGroups', { extraGroups: ['users', 'no-such-group-unixproc'] }, "options.extraGroups[1]' is not a group"],
  ])('%s: ERR_INVALID_ARG_VALUE, and no child', (_what, options, message) => {
    const before = childCount();
    let caught: unknown;
    try {
      spawn('/bin/true', [], options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' });
    expect((caught as Error).message).toContain(message);
    expect(childCount()).toBe(before);
  });

  test('more extraGroups than NGROUPS_MAX: ERR_INVALID_ARG_VALUE', () => {
    const max = Number(execFileSync('getconf', ['NGROUPS_MAX'], { encoding: 'utf8' }));
    expect(() => spawn('/bin/true', [], { extraGroups: new Array<number>(max + 1).fill(100) })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(`at most ${max} entries`) }),
    );
  });

  test('the former uid and gid fail naming user and group', async () => {
    expect(() => spawn('/bin/true', [], { uid: 0 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'options.uid' was renamed 'user'") }),
    );
    await expect(run('/bin/true', [], { gid: 0 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining("'options.gid' was renamed 'group'"),
    });
  });
});

// The unprivileged side: a node process running as nobody (setpriv, as guard-eperm.test.ts)
// spawns with each option set and prints what it got.
const canDrop = root && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const asNobody = canDrop ? test : test.skip;

const PROBE = `
require('./test/helpers/ts-register.js');
const { run } = require('./lib/spawn/index.ts');
(async () => {
  const out = {};
  for (const [name, options] of Object.entries(JSON.parse(process.argv[1]))) {
    try {
      const r = await run('/bin/sh', ['-c', 'echo $(id -u) $(id -g) $(id -G)'], { ...options, capture: true });
      out[name] = r.stdout.trim();
    } catch (e) {
      out[name] = { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message };
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

function probeAsNobody(groups: '--clear-groups' | '--init-groups', cases: Record<string, SpawnOptions>): Promise<Record<string, unknown>> {
  const child = cpSpawn('setpriv', ['--reuid=65534', '--regid=65534', groups, process.execPath, '-e', PROBE, JSON.stringify(cases)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Promise.all([readAll(child.stdout), new Promise((resolve) => child.once('close', resolve))]).then(([out, code]) => {
    expect(code).toBe(0);
    return JSON.parse(out) as Record<string, unknown>;
  });
}

describe('without privilege: EPERM named by the step that failed', () => {
  asNobody('setgroups, then setgid, then setuid: each refused with EPERM and its syscall', async () => {
    const got = await probeAsNobody('--clear-groups', {
      // root's groups from the database ([0]) differ from the caller's ([]): setgroups first.
      groups: { user: 'root' },
      // The same groups as the caller's (none): setgroups is skipped, setgid(0) refused.
      gid: { user: 'root', extraGroups: [] },
      // Its own gid is allowed; setuid(0) is not.
      uid: { user: 0, group: 65534, extraGroups: [] },
    });
    expect(got).toEqual({
      groups: { code: 'EPERM', errno: -1, syscall: 'setgroups', message: 'setgroups EPERM' },
      gid: { code: 'EPERM', errno: -1, syscall: 'setgid', message: 'setgid EPERM' },
      uid: { code: 'EPERM', errno: -1, syscall: 'setuid', message: 'setuid EPERM' },
    });
  });

  asNobody("an unprivileged caller may name itself: its own groups are not set again (no EPERM)", async () => {
    const got = await probeAsNobody('--init-groups', { self: { user: 'nobody' }, byId: { user: 65534, group: 'nogroup' } });
    const line = `65534 65534 ${idOf('nobody').groups.join(' ')}`;
    expect(got).toEqual({ self: line, byId: line });
  });
});
