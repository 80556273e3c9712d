/**
 * daemonize(): start a program as a proper daemon (double fork in native/daemon.cc), with
 * an optional locked pidfile.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { invalidArgType, invalidArgValue, systemError } from '../errors';
import { lineageEntry } from '../lineage';
import { native } from '../native';
import { execCandidates, searchPath } from '../spawn/path-search';
import {
  validateBoolean,
  validateBytes,
  validateEnv,
  validateFd,
  validateInteger,
  optionKeys,
  validateOptions,
  validatePath,
  validateCommand,
} from '../validate';
import { EWOULDBLOCK, LOCK_EX, LOCK_NB, flock } from './pidfile';

interface DaemonBinding {
  daemonize(
    candidates: (string | Buffer)[],
    argv: (string | Buffer)[],
    envp: string[],
    cwd: string | Buffer,
    config: Int32Array,
    extraEnv: string[],
  ): number[] | number;
  getpid(): number;
}
const b = (): DaemonBinding => native<DaemonBinding>();

/**
 * Where a daemon's stdout or stderr goes: `'ignore'` (/dev/null), `'inherit'` (this
 * process's own fd 1 or 2), an fd of this process, or a log file path (appended to,
 * created 0644; a file named `inherit` or `ignore` is `./inherit`).
 */
export type DaemonOutput = 'ignore' | 'inherit' | number | (string & {});

/**
 * A daemon's standard streams, in the shape of {@link SpawnOptions.stdio}: one value for
 * stdout and stderr, or `[stdin, stdout, stderr]`. stdin is always /dev/null (`'ignore'`,
 * the only value it takes): a daemon has no terminal and reads no input of its starter.
 */
export type DaemonStdio = DaemonOutput | readonly [stdin?: 'ignore', stdout?: DaemonOutput, stderr?: DaemonOutput];

/** Options of {@link daemonize}. */
export interface DaemonizeOptions {
  /** The daemon's working directory (default `'/'`, so that it keeps no file system busy). */
  readonly cwd?: string | Buffer;
  /** The daemon's umask (default `0o022`). */
  readonly umask?: number;
  /**
   * The daemon's standard streams (default `'ignore'`: all three on /dev/null). One value
   * is stdout and stderr (a log file: both appended to it); `[stdin, stdout, stderr]` for
   * each. See {@link DaemonStdio}.
   */
  readonly stdio?: DaemonStdio;
  /** The daemon's whole environment (default `process.env`); `UNIXPROC_LINEAGE` is added with intent `daemon`. */
  readonly env?: Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>;
  /**
   * A pidfile to write atomically once the daemon has started, locked (flock) for as long
   * as the daemon keeps fd 3 open. See docs/supervise.md, "pidfiles".
   */
  readonly pidfile?: string;
  /** Put the lineage record into the environment (default true). */
  readonly lineage?: boolean;
}

const DAEMONIZE_OPTION_KEYS = optionKeys<DaemonizeOptions>({
  cwd: true, umask: true, stdio: true, env: true, pidfile: true, lineage: true,
});

/** A started daemon: its identity. */
export interface DaemonInfo {
  readonly pid: number;
  /** Clock ticks after boot at which it started (stat field 22): with `pid`, its identity (see isSameProcess). */
  readonly startTime: number;
}

/** Steps of native/daemon.cc (DaemonStep) and the syscall each names. */
const stepSyscall: Readonly<Record<number, string>> = {
  1: 'fork',
  2: 'setsid',
  3: 'pipe2',
  4: 'dup2',
  5: 'chdir',
  6: 'execve',
  7: 'open',
  8: 'pwrite',
};

function validateOutput(value: unknown, name: string): DaemonOutput {
  if (value === undefined || value === null || value === 'ignore' || value === 'inherit') return value ?? 'ignore';
  if (typeof value === 'number') return validateFd(value, name);
  if (value === 'pipe') {
    throw invalidArgValue(name, value, "must not be 'pipe' (nothing here reads a daemon's output): use 'ignore', 'inherit', a path or an fd");
  }
  if (typeof value === 'string') return validatePath(value, name);
  throw invalidArgType(name, "'ignore', 'inherit', a path or a file descriptor", value);
}

/** stdout and stderr of a daemon, from its `stdio` option (stdin is always /dev/null). */
function validateDaemonStdio(value: unknown): [DaemonOutput, DaemonOutput] {
  if (!Array.isArray(value)) {
    const one = validateOutput(value, 'options.stdio');
    return [one, one];
  }
  if (value.length > 3) {
    throw invalidArgValue('options.stdio', value, 'must have at most 3 entries (stdin, stdout, stderr)');
  }
  if (value[0] !== undefined && value[0] !== null && value[0] !== 'ignore') {
    throw invalidArgValue('options.stdio[0]', value[0], "must be 'ignore': a daemon's stdin is /dev/null");
  }
  return [validateOutput(value[1], 'options.stdio[1]'), validateOutput(value[2], 'options.stdio[2]')];
}

/**
 * Starts `file` as a daemon and returns once it has called execve(2).
 *
 * Step by step (daemon(7), SysV style): this process blocks every signal and forks an
 * intermediate process, which resets every signal to its default and calls setsid(2) (a
 * new session, no controlling terminal), then forks the daemon and exits; this process
 * reaps the intermediate by pid. The daemon is therefore re-parented to init (or the
 * nearest subreaper), is in a session without a leader and is not a session leader itself,
 * so it can never acquire a controlling terminal. Before execve it gets stdin from
 * /dev/null, stdout and stderr as `stdio` asks, the pidfile lock as fd 3 (with `pidfile`), no
 * other fd, the umask, the working directory, every signal at its default disposition and
 * an empty signal mask, and `UNIXPROC_LINEAGE=<this pid>:<start>:daemon`. An exec failure
 * comes back through a CLOEXEC pipe and is thrown here.
 *
 * @param file - the program (a path, or a name searched in PATH).
 * @param args - its arguments.
 * @param options - see {@link DaemonizeOptions}.
 * @returns the daemon's `{ pid, startTime }`.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument or option; a system error naming the step: `execve` (ENOENT, EACCES... with
 *   `path` = file), `chdir` (with `path` = cwd), `dup2`, `setsid`, `fork` (EAGAIN), `open`
 *   of a log file (with `path`); `flock` EAGAIN with `path` = the pidfile when its lock is
 *   held (the daemon already runs).
 * @see daemon(7), setsid(2), fork(2), execve(2), flock(2), credentials(7)
 */
export function daemonize(file: string | Buffer, args?: readonly string[], options?: DaemonizeOptions): DaemonInfo {
  const { file: path, args: argList } = validateCommand(file, args);
  const o = validateOptions<DaemonizeOptions>(options, 'options', DAEMONIZE_OPTION_KEYS, {
    stdout: 'stdio',
    stderr: 'stdio',
  });
  const cwd = o.cwd === undefined ? '/' : validateBytes(o.cwd, 'options.cwd', false);
  const umask = o.umask === undefined ? 0o022 : validateInteger(o.umask, 'options.umask', 0, 0o777);
  const [stdout, stderr] = validateDaemonStdio(o.stdio);
  const env = validateEnv(o.env === undefined ? process.env : o.env, 'options.env');
  // A string only: the temporary file's name is built from it.
  if (o.pidfile !== undefined && typeof o.pidfile !== 'string') throw invalidArgType('options.pidfile', 'of type string', o.pidfile);
  const pidfile = o.pidfile === undefined ? undefined : (validatePath(o.pidfile, 'options.pidfile') as string);
  const lineage = o.lineage === undefined ? true : validateBoolean(o.lineage, 'options.lineage');
  if (typeof cwd === 'string' && cwd.length === 0) throw invalidArgValue('options.cwd', cwd, 'must not be empty');

  const opened: number[] = [];
  const open = (p: string, flags: number, mode?: number): number => {
    const fd = openSync(p, flags, mode); // libuv opens with O_CLOEXEC
    opened.push(fd);
    return fd;
  };
  let tmp: string | undefined;
  /** The pidfile, while this call created it, holds its lock, and has not renamed the new one over it. */
  let created: string | undefined;
  try {
    const devNull = open('/dev/null', fsConstants.O_RDWR);
    const logs = new Map<string, number>(); // one open file description for a log both streams share
    const output = (v: DaemonOutput, fd: number): number => {
      if (v === 'ignore') return devNull;
      if (v === 'inherit') return fd;
      if (typeof v === 'number') return v;
      let log = logs.get(v);
      if (log === undefined) {
        log = open(v, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o644);
        logs.set(v, log);
      }
      return log;
    };
    const config = new Int32Array(5);
    config[0] = devNull;
    config[1] = output(stdout, 1);
    config[2] = output(stderr, 2);
    config[3] = umask;
    config[4] = -1;

    if (pidfile !== undefined) {
      // The current pidfile's lock: held by a running daemon, or by us until the rename,
      // so that two concurrent starts cannot both go ahead.
      // The classic lock-file loop: the file locked must still be the one at the path. A
      // start that finished meanwhile may have renamed its new pidfile over the one opened
      // here; a lock on that unlinked file would let a second daemon start.
      for (let attempt = 0; ; attempt++) {
        let current: number;
        let mine = false;
        try {
          current = open(pidfile, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
          mine = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          try {
            current = open(pidfile, fsConstants.O_RDWR);
          } catch (e2) {
            // Removed between the two opens: start over.
            if ((e2 as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 100) continue;
            throw e2;
          }
        }
        // Only a start that holds the lock may remove or replace the file at the path (every
        // start re-checks the path after locking): one that created the file but lost the
        // race for its lock leaves it to the start that won (test: 'lost the lock').
        const r = flock(current, LOCK_EX | LOCK_NB);
        if (r < 0) throw systemError(r, 'flock', pidfile);
        const locked = fstatSync(current);
        if (mine) created = pidfile; // removed again if the start fails
        let atPath: ReturnType<typeof statSync> | undefined;
        try {
          atPath = statSync(pidfile);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (atPath !== undefined && atPath.dev === locked.dev && atPath.ino === locked.ino) break;
        // Replaced or removed under us: what we created (if anything) is not at the path any more.
        if (mine) created = undefined;
        if (attempt >= 100) throw systemError(-EWOULDBLOCK, 'flock', pidfile);
      }
      tmp = `${pidfile}.${b().getpid()}.tmp`;
      try {
        unlinkSync(tmp); // left by a start of ours that crashed (the name holds our pid)
      } catch {
        // none
      }
      const lockFd = open(tmp, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      const l = flock(lockFd, LOCK_EX | LOCK_NB);
      if (l < 0) throw systemError(l, 'flock', tmp);
      config[4] = lockFd;
    }

    const extraEnv = lineage ? [lineageEntry(b().getpid(), 'daemon')] : [];
    const candidates = execCandidates(path, searchPath(env));
    const r = b().daemonize(candidates, [path, ...argList], env, cwd, config, extraEnv);
    if (typeof r === 'number') throw systemError(r, 'daemonize');
    if (r[0] < 0) {
      const syscall = stepSyscall[r[1]] ?? 'daemonize';
      const errPath = syscall === 'execve' ? path : syscall === 'chdir' ? cwd : undefined;
      throw systemError(r[0], syscall, errPath);
    }
    if (pidfile !== undefined && tmp !== undefined) {
      renameSync(tmp, pidfile);
      tmp = undefined;
      created = undefined;
    }
    return { pid: r[0], startTime: r[1] };
  } finally {
    // Still locked by us (its fd is closed below): a failed first start leaves no empty pidfile.
    if (created !== undefined) {
      try {
        unlinkSync(created);
      } catch {
        // removed meanwhile
      }
    }
    if (tmp !== undefined) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
    }
    for (const fd of opened) closeSync(fd);
  }
}
