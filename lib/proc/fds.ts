/**
 * Open file descriptors of a process: what each points to and whether it is
 * close-on-exec, i.e. whether a program it execs (or a child it forks and execs)
 * inherits it. An orphan keeps every fd its parent left it.
 * @see proc(5) /proc/pid/fd, /proc/pid/fdinfo
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { isErrnoException, systemError } from '../errors';
import { validatePid } from '../validate';
import { NOT_PROCFS, procReadFile } from './binding';
import { ProcfsOptions, ResolvedOptions, rootError, validateProcfsOptions } from './options';
import { assertRoot, readOne } from './table';

/** One open file descriptor. */
export interface OpenFd {
  readonly fd: number;
  /** The link target: a path, or `socket:[inode]`, `pipe:[inode]`, `anon_inode:[eventfd]`... */
  readonly target: string | undefined;
  /** O_CLOEXEC is set in the fdinfo flags: the fd is closed across execve. */
  readonly cloexec: boolean | undefined;
  /** The open flags from fdinfo (octal in the file). */
  readonly flags: number | undefined;
}

const O_CLOEXEC = 0o2000000;
const { errno } = constants;

/**
 * The most of one fdinfo file that is read: the flags line is the second, but an epoll or
 * inotify fd lists every watch after it.
 */
const FDINFO_CAP = 64 << 10;

/** The flags of one fd from its fdinfo (read as the scan reads: regular file, bounded). */
function fdinfoFlags(opts: ResolvedOptions, pid: number, fd: number): number | undefined | 'gone' {
  const r = procReadFile(opts.procfs, `${pid}/fdinfo/${fd}`, FDINFO_CAP, opts.fixture);
  if (typeof r !== 'number') return parseFdinfoFlags(r.text);
  // The root was swapped for something that is not a procfs since the stat was read.
  if (r === NOT_PROCFS) throw rootError(opts, r, 'open', opts.procfs);
  return r === -errno.ENOENT || r === -errno.ESRCH ? 'gone' : undefined; // gone: closed meanwhile
}

/** An fd's name in /proc/<pid>/fd: decimal, no leading zero (not "1e3", "0x10", " 5"). */
const FD_NAME = /^(0|[1-9]\d{0,9})$/;

/** Parses the `flags:` line of a fdinfo file (octal). */
export function parseFdinfoFlags(text: string): number | undefined {
  const m = /^flags:\s+([0-7]+)$/m.exec(text);
  return m === null ? undefined : parseInt(m[1], 8);
}

function gone(e: unknown): boolean {
  return isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'ESRCH');
}

/**
 * The open fds of `pid`, in fd order. An fd closed while it is being read is left out.
 * @returns the fds, or `undefined` when there is no such process (gone, or `pid` is the id
 *   of a thread that is not its group's leader: /proc/<tid>/fd exists, but a tid is not a
 *   process).
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid or options; EACCES when
 *   the caller may not inspect the process (another user's, without CAP_SYS_PTRACE);
 *   ENOENT/ENOTDIR when the procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see proc(5) /proc/pid/fd, /proc/pid/fdinfo
 */
export function openFds(pid: number, options?: ProcfsOptions): readonly OpenFd[] | undefined {
  validatePid(pid, 'pid');
  const opts = validateProcfsOptions(options);
  if (readOne(opts, pid, 0) === undefined) return undefined; // throws for a missing root
  return readFds(opts, pid);
}

/** openFds without validation; `only` limits to those fd numbers. @internal */
export function readFds(opts: ResolvedOptions, pid: number, only?: (fd: number) => boolean): OpenFd[] | undefined {
  const { procfs } = opts;
  const dir = `${procfs}/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (gone(e)) {
      assertRoot(opts); // a missing root is an error, not a gone process
      return undefined;
    }
    if (isErrnoException(e)) throw systemError(e.errno, 'scandir', dir);
    throw e;
  }
  const fds = names.filter((n) => FD_NAME.test(n)).map(Number).filter((n) => only === undefined || only(n));
  fds.sort((a, b) => a - b);
  const out: OpenFd[] = [];
  for (const fd of fds) {
    let target: string | undefined;
    let flags: number | undefined;
    try {
      target = readlinkSync(`${dir}/${fd}`);
    } catch (e) {
      if (gone(e)) continue; // closed meanwhile
    }
    const f = fdinfoFlags(opts, pid, fd);
    if (f === 'gone') continue;
    flags = f;
    out.push({ fd, target, flags, cloexec: flags === undefined ? undefined : (flags & O_CLOEXEC) !== 0 });
  }
  return out;
}
