/**
 * The cgroup v2 mechanism: one cgroup per contained child, under a per-owner cgroup
 * `unixproc-<pid>-<starttime>` created in the caller's own cgroup (or a delegated subtree),
 * which a keeper process (native/shepherd.cc, `keeper` mode) kills and removes when the owner
 * dies. The child is moved into its cgroup before exec (a write to cgroup.procs in the
 * child, native/child.cc); the tree is ended with cgroup.kill (or freeze + SIGKILL each member
 * where cgroup.kill is missing, Linux < 5.14); `populated 0` in cgroup.events, watched with
 * inotify through the event loop, says the whole tree is gone.
 * @see cgroups(7), Documentation/admin-guide/cgroup-v2.rst (cgroup.kill, cgroup.events,
 *   cgroup.freeze, delegation), proc(5) /proc/self/mountinfo, /proc/self/cgroup
 * @internal
 */
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { systemError } from '../errors';

/** Error code for "no cgroup v2 hierarchy this process may use". */
export const ERR_CGROUP_UNAVAILABLE = 'ERR_UNIXPROC_CGROUP_UNAVAILABLE';

/** Unescapes a mountinfo field (space, tab, newline and backslash are octal-escaped). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The mount point of the cgroup2 hierarchy in a /proc/self/mountinfo text, or undefined.
 * Field 5 is the mount point; after the ' - ' separator comes the file system type.
 * @see proc(5) /proc/pid/mountinfo
 */
export function cgroup2MountOf(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    if (fields.length >= 5) return unescapeMountField(fields[4]);
  }
  return undefined;
}

/**
 * The directories that may show the cgroup at v2 path `path`, one per cgroup2 mount whose
 * root (field 4: the part of the hierarchy the mount shows, not `/` for a bind mount of a
 * subtree, as LXC or a container without a cgroup namespace has) holds `path`: the mount
 * point plus `path` below that root. Last mounted first: a later mount on the same mount
 * point hides the earlier one.
 * @see proc(5) /proc/pid/mountinfo
 */
export function cgroup2DirsOf(mountinfo: string, path: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0 || line.slice(sep + 3).split(' ')[0] !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    if (fields.length < 5) continue;
    const root = unescapeMountField(fields[3]);
    const mount = unescapeMountField(fields[4]);
    if (root === '/') out.unshift(join(mount, path));
    else if (path === root || path.startsWith(`${root}/`)) out.unshift(join(mount, path.slice(root.length)));
  }
  return out;
}

/** The v2 path in a /proc/self/cgroup text (the `0::/path` line), or undefined. */
export function cgroup2PathOf(procCgroup: string): string | undefined {
  for (const line of procCgroup.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3);
  }
  return undefined;
}

function unavailable(reason: string): Error & { code: string } {
  const e = new Error(`cgroup v2 containment is unavailable: ${reason}`) as Error & { code: string };
  e.code = ERR_CGROUP_UNAVAILABLE;
  return e;
}

/** The directory of this process's own cgroup in the cgroup2 hierarchy. @throws ERR_UNIXPROC_CGROUP_UNAVAILABLE */
export function ownCgroupDir(): string {
  const mount = cgroup2MountOf(readFileSync('/proc/self/mountinfo', 'utf8'));
  if (mount === undefined) throw unavailable('no cgroup2 file system is mounted (/proc/self/mountinfo)');
  const path = cgroup2PathOf(readFileSync('/proc/self/cgroup', 'utf8'));
  if (path === undefined) throw unavailable('this process has no cgroup v2 path (/proc/self/cgroup has no 0:: line)');
  // "(deleted)" or a path outside our mount namespace's view cannot be used.
  const dir = cgroup2DirsOf(readFileSync('/proc/self/mountinfo', 'utf8'), path).find((d) => existsSync(join(d, 'cgroup.procs')));
  if (dir === undefined) throw unavailable(`this process's cgroup ${path} is not visible under ${mount}`);
  return dir;
}

const OWNER_DIR = /^unixproc-(\d+)-(\d+)$/;

/** The name of an owner's cgroup: its pid and start time, so a sweep can tell a dead owner. */
export function ownerCgroupName(pid: number, startTime: number): string {
  return `unixproc-${pid}-${startTime}`;
}

/** Whether a cgroup (any of its descendants included) has a live process (cgroup.events). */
export function isPopulated(dir: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.events'), 'latin1');
  } catch {
    return false; // removed
  }
  return /^populated 1$/m.test(text);
}

/** Every cgroup below `dir`, deepest first, then `dir`. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [dir];
  }
  for (const e of entries) if (e.isDirectory()) out.push(...cgroupTree(join(dir, e.name)));
  out.push(dir);
  return out;
}

/** The pids in `dir` and every cgroup below it (cgroup.procs). */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  for (const d of cgroupTree(dir)) {
    let text = '';
    try {
      text = readFileSync(join(d, 'cgroup.procs'), 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (line !== '') out.push(Number(line));
  }
  return out;
}

/**
 * Kills every process in `dir`'s subtree with SIGKILL: cgroup.kill (Linux 5.14), else
 * freeze, SIGKILL each member, thaw (what cgroup.kill does in the kernel, so that nothing
 * forks between the listing and the kill).
 */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const freeze = join(dir, 'cgroup.freeze');
  writeFileSync(freeze, '1');
  try {
    for (const pid of cgroupPids(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  } finally {
    writeFileSync(freeze, '0');
  }
}

/** Removes `dir` and the cgroups below it; ENOENT (already gone) is not an error. */
export function removeCgroup(dir: string): void {
  for (const d of cgroupTree(dir)) {
    try {
      rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * Resolves once `dir` has no live process: inotify on cgroup.events (the kernel notifies
 * a modification of the file when "populated" changes; cgroup-v2.rst), no timer.
 */
export function whenEmpty(dir: string): Promise<void> {
  if (!isPopulated(dir)) return Promise.resolve();
  return new Promise((resolve) => {
    const watcher = watch(join(dir, 'cgroup.events'), { persistent: true });
    const check = (): void => {
      if (isPopulated(dir)) return;
      watcher.close();
      resolve();
    };
    watcher.on('change', check);
    watcher.on('error', () => {
      watcher.close();
      resolve(); // the cgroup was removed: nothing is left in it
    });
    check(); // emptied between the first read and the watch
  });
}

/**
 * Kills and removes the cgroups of owners that died without cleaning up (their keeper was
 * killed too): `unixproc-<pid>-<starttime>` whose `keeper` cgroup has no live process. The
 * keeper's cgroup, not the pid in the name, tells: an owner in another pid namespace has
 * another pid there. Returns the ones that are still emptying (SIGKILL is not instant):
 * the new keeper removes them once empty.
 */
export function sweepStale(parent: string): string[] {
  const swept: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return swept;
  }
  for (const name of names) {
    const m = OWNER_DIR.exec(name);
    if (m === null) continue;
    const dir = join(parent, name);
    if (isPopulated(join(dir, 'keeper'))) continue; // its owner's keeper lives
    try {
      if (isPopulated(dir)) killCgroup(dir);
      if (isPopulated(dir)) swept.push(dir);
      else removeCgroup(dir);
    } catch {
      // not ours to remove (EACCES), or still emptying: the next sweep tries again
    }
  }
  return swept;
}

/** Creates a cgroup directory; a system error with `path` when it cannot. */
export function makeCgroup(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw systemError(-(errnoOf(err) ?? 1), 'mkdir', dir);
  }
}

function errnoOf(err: NodeJS.ErrnoException): number | undefined {
  return typeof err.errno === 'number' ? Math.abs(err.errno) : undefined;
}

/** Opens a cgroup's cgroup.procs for writing (close-on-exec, as Node opens every fd). */
export function openProcs(dir: string): number {
  return openSync(join(dir, 'cgroup.procs'), 'w');
}

