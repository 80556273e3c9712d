/**
 * Daemons, with security checks: whether each runs as root, owns a controlling terminal,
 * or holds fds beyond 0..2 that are not close-on-exec (and so pass to whatever it execs).
 * @see daemon(7), credentials(7), proc(5) /proc/pid/fdinfo, open(2) O_CLOEXEC
 */
import { validateOptions } from '../validate';
import { ORPHAN_OPTION_KEYS } from './orphan-options';
import { Extra } from './binding';
import { OpenFd, readFds } from './fds';
import { optionalPidList, ResolvedOptions, resolveProcfs } from './options';
import { Orphan, OrphanOptions, orphansOf } from './orphans';
import { Ids } from './status';
import { readableOnly, readOne, scanTable } from './table';

/** The outcome of one check: `passed` undefined when it could not be made (EACCES). */
export interface SecurityCheck {
  readonly id: 'runs-as-root' | 'controlling-terminal' | 'inherited-fds';
  readonly passed: boolean | undefined;
  readonly detail: string;
}

/** A daemon, why it is deemed one, and its checks. */
export interface Daemon extends Orphan {
  readonly classification: 'daemon';
  readonly uids: Ids | undefined;
  /** Fds >= 3 without O_CLOEXEC; undefined when the fds cannot be read. */
  readonly inheritableFds: readonly OpenFd[] | undefined;
  readonly checks: readonly SecurityCheck[];
}

function checksFor(o: Orphan, uids: Ids | undefined, fds: readonly OpenFd[] | undefined): SecurityCheck[] {
  const root =
    uids === undefined
      ? { passed: undefined, detail: 'credentials unreadable' }
      : uids.real === 0 || uids.effective === 0 || uids.saved === 0
        ? { passed: false, detail: `runs as root (uid real ${uids.real}, effective ${uids.effective}, saved ${uids.saved})` }
        : { passed: true, detail: `runs as uid ${uids.effective}` };
  const tty = o.process.tty;
  const terminal =
    tty !== undefined
      ? { passed: false, detail: `owns controlling terminal ${tty.name ?? `tty_nr ${tty.nr}`}: a hang-up or terminal signal reaches it` }
      : { passed: true, detail: 'no controlling terminal' };
  const inherited =
    fds === undefined
      ? { passed: undefined, detail: 'fds unreadable' }
      : fds.length > 0
        ? { passed: false, detail: `fds without close-on-exec beyond 0..2: ${fds.map((f) => `${f.fd} -> ${f.target ?? '?'}`).join(', ')}` }
        : { passed: true, detail: 'every fd beyond 0..2 is close-on-exec' };
  return [
    { id: 'runs-as-root', ...root },
    { id: 'controlling-terminal', ...terminal },
    { id: 'inherited-fds', ...inherited },
  ];
}

/**
 * Every orphan that {@link findOrphans} classifies as a daemon, with security checks.
 * Daemons kept as children by a supervisor (not orphans) are not included.
 *
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options; ENOENT when the procfs
 *   root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see daemon(7), credentials(7), proc(5)
 */
export function findDaemons(options?: OrphanOptions): readonly Daemon[] {
  const o = validateOptions<OrphanOptions>(options, 'options', ORPHAN_OPTION_KEYS);
  const opts = resolveProcfs(o, 'options');
  const named = optionalPidList(o.subreapers, 'options.subreapers');
  const out: Daemon[] = [];
  for (const orphan of orphansOf(opts, readableOnly(scanTable(opts)), named)) {
    const d = daemonOf(opts, orphan);
    if (d !== undefined) out.push(d);
  }
  return out;
}

/**
 * One orphan with its credentials, inheritable fds and checks, when it is a daemon still
 * running as the same process (pid and start time); undefined otherwise (a leaked orphan,
 * or gone meanwhile). Shared by findDaemons and the metrics collectors. @internal
 */
export function daemonOf(opts: ResolvedOptions, orphan: Orphan): Daemon | undefined {
  if (orphan.classification !== 'daemon') return undefined;
  let uids: Ids | undefined;
  try {
    const one = readOne(opts, orphan.process.pid, Extra.status);
    if (one === undefined || one.info.startTime !== orphan.process.startTime) return undefined; // gone
    uids = one.info.uids;
  } catch {
    uids = undefined;
  }
  let fds: OpenFd[] | undefined;
  try {
    fds = readFds(opts, orphan.process.pid, (fd) => fd > 2)?.filter((f) => f.cloexec === false);
  } catch {
    fds = undefined;
  }
  return {
    ...orphan,
    classification: 'daemon',
    uids,
    inheritableFds: fds,
    checks: checksFor(orphan, uids, fds),
  };
}
