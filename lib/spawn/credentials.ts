/**
 * spawn()'s `user`, `group` and `extraGroups` options: validated, and resolved through the
 * user and group databases (native/credentials.cc) in the parent, before the clone. The
 * child only calls setgroups(2), setgid(2), setuid(2), in that order (native/child.cc):
 * NSS (files, systemd, sssd, LDAP) is not async-signal-safe and has no place between fork
 * and exec.
 * @internal
 */
import { invalidArgType, invalidArgValue, outOfRange, systemError } from '../errors';
import { native } from '../native';
import { validateArray, validateCString } from '../validate';

/** A user: a name from the user database (passwd), or a uid. */
export type UserOption = string | number;
/** A group: a name from the group database, or a gid. */
export type GroupOption = string | number;

/** What the child's credentials become; `undefined`: left as they are. @internal */
export interface CredentialsSpec {
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /** The supplementary groups for setgroups(2) (possibly empty), or `undefined`: not called. */
  readonly groups: readonly number[] | undefined;
}

interface CredentialsBinding {
  getpwnam(name: string): [number, number, string] | null | number;
  getpwuid(uid: number): [number, number, string] | null | number;
  getgrnam(name: string): number | null; // a gid, or -errno
  getgrouplist(name: string, gid: number): number[] | number;
  getgroups(): number[] | number;
  ngroupsMax(): number;
}

const binding = (): CredentialsBinding => native<CredentialsBinding>();

/** uid_t and gid_t are unsigned 32-bit; (uid_t)-1 means "no change" to the kernel. */
const ID_MAX = 0xffff_fffe;

let ngroupsMaxCache: number | undefined;
/** sysconf(_SC_NGROUPS_MAX): the most supplementary groups setgroups(2) takes (65536 on Linux). */
function ngroupsMax(): number {
  ngroupsMaxCache ??= binding().ngroupsMax();
  return ngroupsMaxCache > 0 ? ngroupsMaxCache : 65536;
}

function validateId(value: number, name: string): number {
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < 0 || value > ID_MAX) throw outOfRange(name, `>= 0 && <= ${ID_MAX}`, value);
  return value;
}

/** A name or an id, checked for type and range (nothing looked up yet). */
function validateNameOrId(value: unknown, name: string, what: 'user' | 'group'): string | number {
  if (typeof value === 'number') return validateId(value, name);
  if (typeof value === 'string') return validateCString(value, name, false);
  throw invalidArgType(name, `of type string (a ${what} name) or number (a ${what === 'user' ? 'uid' : 'gid'})`, value);
}

function notFoundHint(name: string): string {
  return /^\d+$/.test(name) ? `; an id is given as a number (${name}, not '${name}')` : '';
}

/** The passwd entry of a user name (which must exist) or a uid (which need not). */
function lookupUser(user: string | number, name: string): { uid: number; gid: number; name: string } | undefined {
  const r = typeof user === 'string' ? binding().getpwnam(user) : binding().getpwuid(user);
  if (typeof r === 'number') throw systemError(r, typeof user === 'string' ? 'getpwnam' : 'getpwuid');
  if (r === null) {
    if (typeof user === 'number') return undefined;
    throw invalidArgValue(name, user, `is not a user of the user database (getpwnam(3) found none)${notFoundHint(user)}`);
  }
  return { uid: r[0], gid: r[1], name: r[2] };
}

/** The gid of a group name (which must exist), or the gid given. */
function lookupGroup(group: string | number, name: string): number {
  if (typeof group === 'number') return group;
  const r = binding().getgrnam(group);
  if (r === null) {
    throw invalidArgValue(name, group, `is not a group of the group database (getgrnam(3) found none)${notFoundHint(group)}`);
  }
  if (r < 0) throw systemError(r, 'getgrnam');
  return r;
}

/** The list without repeats, in its order (setgroups(2) needs each group once). */
function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((g) => sb.has(g));
}

/**
 * Validates `user`, `group` and `extraGroups` and resolves them (see SpawnOptions.user for
 * the rules, and docs/spawning.md "Credentials"). @internal
 */
export function resolveCredentials(user: unknown, group: unknown, extraGroups: unknown): CredentialsSpec {
  // Types and ranges of all three first, then the lookups.
  const u = user === undefined ? undefined : validateNameOrId(user, 'options.user', 'user');
  const g = group === undefined ? undefined : validateNameOrId(group, 'options.group', 'group');
  let extra: (string | number)[] | undefined;
  if (extraGroups !== undefined) {
    if (typeof extraGroups === 'string') {
      // Python's ValueError "Groups must be a list, not a string".
      throw invalidArgType('options.extraGroups', 'an instance of Array (of group names or gids)', extraGroups);
    }
    if (Array.isArray(extraGroups) && extraGroups.length > ngroupsMax()) {
      throw invalidArgValue(
        'options.extraGroups',
        `[${extraGroups.length} groups]`,
        `must have at most ${ngroupsMax()} entries (NGROUPS_MAX, setgroups(2))`,
      );
    }
    extra = validateArray(extraGroups, 'options.extraGroups', (item, itemName) =>
      validateNameOrId(item, itemName, 'group'),
    );
  }
  if (u === undefined && g === undefined && extra === undefined) {
    return { uid: undefined, gid: undefined, groups: undefined };
  }

  const entry = u === undefined ? undefined : lookupUser(u, 'options.user');
  const uid = u === undefined ? undefined : entry?.uid ?? (u as number);
  // The primary group: as given, else the user's own from passwd, else unchanged.
  const gid = g !== undefined ? lookupGroup(g, 'options.group') : entry?.gid;

  let groups: number[];
  if (extra !== undefined) {
    groups = unique(extra.map((x, i) => lookupGroup(x, `options.extraGroups[${i}]`)));
  } else if (entry !== undefined) {
    // initgroups(3): the groups the group database lists the user in, and its passwd group.
    const r = binding().getgrouplist(entry.name, entry.gid);
    if (typeof r === 'number') throw systemError(r, 'getgrouplist');
    groups = unique(r);
  } else {
    // No user entry to take groups from: none (libuv drops them too), never the caller's.
    groups = [];
  }
  if (groups.length > ngroupsMax()) {
    throw invalidArgValue(
      'options.user',
      user,
      `is a member of ${groups.length} groups, more than setgroups(2) takes (NGROUPS_MAX ${ngroupsMax()}): give extraGroups`,
    );
  }
  // Asking for the groups the process already has changes nothing: setgroups is skipped,
  // so an unprivileged caller can name its own credentials (it would get EPERM otherwise).
  const current = binding().getgroups();
  const skip = typeof current !== 'number' && sameSet(current, groups);
  return { uid, gid, groups: skip ? undefined : groups };
}
