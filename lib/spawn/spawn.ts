/**
 * spawn(): start a child, non-blocking, pid-reuse safe.
 */
import { AbortError } from './errors';
import { lineageEntry } from '../lineage';
import { spawnProvenanceHook } from '../provenance-hook';
import { validateCommand } from '../validate';
import { exitWatchMode, prepareSigchldWatch, settleSigchldWatch } from './exit-watch';
import { createSubprocess, type ChildInit, type Subprocess } from './handle';
import { Config, Flag, StdioKind, binding, stepSyscall } from './native-child';
import { validateSpawnOptions, type SpawnOptions, type SpawnSpec, type StdioOption } from './options';
import { execCandidates, searchPath } from './path-search';
import { registerAfterForkHook } from './after-fork';
import { queueSpawnChild } from './queued';
import type { ContainedSubprocess } from '../contain/contained';
import { chooseContainment, prepareContainment, requireNoCgroupLimits, type ContainPlan } from '../contain/hook';
import { invalidArgValue, systemError } from '../errors';

function stdioConfig(value: StdioOption): number {
  if (typeof value === 'number') return value;
  return StdioKind[value];
}

/** Native config from validated options. @internal */
function nativeConfig(spec: SpawnSpec, pidfd: boolean, forkMode: boolean): Int32Array {
  const c = new Int32Array(Config.length);
  c[Config.stdin] = stdioConfig(spec.stdio[0]);
  c[Config.stdout] = stdioConfig(spec.stdio[1]);
  c[Config.stderr] = stdioConfig(spec.stdio[2]);
  c[Config.setsid] = spec.setsid ? 1 : 0;
  c[Config.pgid] = spec.pgid;
  c[Config.deathSignal] = spec.deathSignal;
  const { uid, gid, groups } = spec.credentials;
  // uid_t/gid_t's 32 bits in the int32 slots; the flags say which are set.
  c[Config.uid] = uid ?? -1;
  c[Config.gid] = gid ?? -1;
  c[Config.flags] =
    (pidfd ? Flag.pidfd : 0) |
    (forkMode ? Flag.fork : 0) |
    (uid !== undefined ? Flag.setuid : 0) |
    (gid !== undefined ? Flag.setgid : 0) |
    (groups !== undefined ? Flag.setgroups : 0);
  c[Config.cgroupProcs] = -1;
  c[Config.keepFd] = -1;
  c[Config.passFd] = -1;
  c[Config.passFdTarget] = -1;
  return c;
}

/**
 * How the child is created (native/child.cc): `'vfork'` (clone with CLONE_VM|CLONE_VFORK,
 * the default) or `'fork'` (a copy of this process, kept to measure the difference).
 * Set with the `UNIXPROC_SPAWN_METHOD` environment variable. @internal
 */
export function spawnMethod(): 'vfork' | 'fork' {
  return process.env.UNIXPROC_SPAWN_METHOD === 'fork' ? 'fork' : 'vfork';
}

/**
 * Starts `file` with `args` as a child of this process and returns its handle at once.
 *
 * - `file` is searched in `PATH` (the child's, from `options.env`, when it has one) unless
 *   it contains a slash, as execvp(3) does; `argv[0]` is `file` unless `options.argv0`.
 * - The program starts clean: every signal at its default disposition, an empty signal
 *   mask, blocking stdio, and no fd but 0, 1 and 2 (everything else is closed).
 * - Exec failure is reported here, synchronously, as ENOENT/EACCES (...) with `path`.
 * - Its exit is watched by the event loop through a pidfd (no thread, no polling), and the
 *   child is reaped by pid, never with `waitpid(-1)`: child_process's children are safe.
 * - Lineage: unless `options.lineage` is false, the child's environment gets
 *   `UNIXPROC_LINEAGE=<spawner pid>:<spawner start time>:<child|daemon>` (`daemon` when
 *   `setsid` is set), which unixproc's /proc readers use to tell a daemon from an orphan.
 *
 * @param file - the program (a path, or a name searched in PATH). A Buffer is passed as
 *   its bytes, unchanged (a file name that is not valid UTF-8); so is a Buffer `cwd`.
 * @param args - its arguments (not including argv[0]).
 * @param options - see {@link SpawnOptions}.
 * @returns the {@link Subprocess} handle.
 * - Credentials (`user`, `group`, `extraGroups`): names are resolved here, before the
 *   child exists; the child calls setgroups, setgid, setuid, in that order (see
 *   {@link SpawnOptions.user} for which groups a user gets, and how that differs from Python).
 *
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad
 *   argument or option (NUL bytes, bad stdio, negative timeout, a uid or gid outside
 *   0..4294967294, more than NGROUPS_MAX `extraGroups`, the former `uid`/`gid`, ...);
 *   ERR_INVALID_ARG_VALUE for a `user` or `group` name the user or group database does not
 *   have; a system error with `syscall` 'getpwnam', 'getpwuid', 'getgrnam' or 'getgrouplist'
 *   when the database itself failed (EIO, ...);
 *   a system error with `syscall` naming the step that failed in the child:
 *   `execve` (ENOENT, EACCES, ENOEXEC..., with `path` = file as given, string or
 *   Buffer), `chdir` (with `path` = cwd as given), `setgroups`, `setgid`, `setuid` (EPERM
 *   without CAP_SETGID / CAP_SETUID; EINVAL),
 *   `setsid`, `setpgid`, `prctl`, `dup2`, `setrlimit` (a `limits` entry: EPERM
 *   above the hard limit or fs.nr_open), `write` (entering the containment cgroup); or `spawn` (EMFILE, EAGAIN)
 *   when the child could not be created; AbortError when `options.signal` is already aborted.
 * @see clone(2), execve(2), pidfd_open(2), setgroups(2), setgid(2), setuid(2), initgroups(3),
 *   getpwnam(3), docs/spawning.md
 */
export function spawn(
  file: string | Buffer,
  args: readonly string[] | undefined,
  options: SpawnOptions & { readonly contain: true | 'cgroup' | 'subreaper' },
): ContainedSubprocess;
export function spawn(file: string | Buffer, args?: readonly string[], options?: SpawnOptions): Subprocess;
export function spawn(file: string | Buffer, args?: readonly string[], options?: SpawnOptions): Subprocess {
  return spawnWith(file, args, options, {});
}

/**
 * spawn(), except that a child contained by a cgroup keeps its tree when the program exits
 * (spawn() ends it then): the leak guard reports what is left before it ends it with
 * `terminate()`. @internal
 */
export function spawnKeepingTree(file: string | Buffer, args: readonly string[], options: SpawnOptions): Subprocess {
  return spawnWith(file, args, options, { keepTree: true });
}

/** An fd of this process that the child gets as fd `target` (>= 3), inheritable and blocking. @internal */
export interface PassedFd {
  readonly fd: number;
  readonly target: number;
}

/** What supervise() adds to a spawn. @internal */
export interface ServiceSpawn {
  /**
   * One more fd for the child: `passed.fd` becomes its fd `passed.target` (supervise()'s
   * notification fd, `ready: { fd }`). With the subreaper, the shepherd hands it on to the
   * program (it keeps every inheritable fd but its own fd 3).
   */
  readonly passed?: PassedFd;
  /** The service's name, for the subreaper shepherd's argv[0] (`unixproc-shepherd: <name>`, lib/helper-process.ts). */
  readonly service?: string;
}

/**
 * spawn() for supervise(): a passed fd, the shepherd named after the service.
 * @throws as spawn(); ERR_INVALID_ARG_VALUE for target 3 with the subreaper (its control fd).
 * @internal
 */
export function spawnService(file: string | Buffer, args: readonly string[], options: SpawnOptions, service: ServiceSpawn): Subprocess {
  return spawnWith(file, args, options, service);
}

/** What spawnWith prepares before the native call, and what finishes it after. */
interface Prepared {
  readonly args: readonly unknown[];
  readonly finish: (r: number | number[]) => Subprocess;
  /** Undoes what was prepared when no native call is made. */
  readonly abort: () => void;
}

function prepareSpawn(
  file: string | Buffer,
  args: readonly string[] | undefined,
  options: SpawnOptions | undefined,
  extra: ServiceSpawn & { readonly keepTree?: boolean },
  below: (...a: never[]) => unknown,
): Prepared {
  const { passed, keepTree = false } = extra;
  const { file: path, args: argList } = validateCommand(file, args);
  const spec = validateSpawnOptions(options);
  registerAfterForkHook();
  if (spec.signal?.aborted) {
    throw new AbortError(undefined, { cause: spec.signal.reason });
  }

  // The lineage entry replaces any inherited one (in native code, with the environment).
  const extraEnv = spec.lineage ? [lineageEntry(binding().getpid(), spec.setsid ? 'daemon' : 'child')] : [];
  // The leak guard's provenance (lib/provenance-hook.ts), when installed.
  const provenance = spawnProvenanceHook()?.begin('unixproc.spawn', [path, ...argList], below, 3);
  if (provenance !== undefined) extraEnv.push(provenance.entry);
  let candidates: (string | Buffer)[] = execCandidates(path, searchPath(spec.env));
  let argv: (string | Buffer)[] = [spec.argv0 ?? path, ...argList];
  // Containment (lib/contain): the shepherd in front of the program, or its cgroup.
  let plan: ContainPlan | undefined;
  if (spec.contain === 'off') requireNoCgroupLimits(spec.limits.cgroup, 'off');
  else {
    if (passed?.target === 3 && chooseContainment(spec.contain) === 'subreaper') {
      throw invalidArgValue('options.ready.fd', 3, "must not be 3 with contain 'subreaper' (the shepherd's control fd): use 4 or more");
    }
    plan = prepareContainment(spec.contain, candidates, argv, spec.killSignal, spec.killGracePeriod, spec.limits.cgroup, keepTree, extra.service);
    candidates = plan.candidates;
    argv = plan.argv;
  }

  const usePidfd = exitWatchMode() === 'pidfd';
  if (!usePidfd) prepareSigchldWatch();
  const config = nativeConfig(spec, usePidfd, spawnMethod() === 'fork');
  if (plan !== undefined) {
    config[Config.cgroupProcs] = plan.cgroupProcsFd;
    config[Config.keepFd] = plan.keepFd;
  }
  if (passed !== undefined) {
    config[Config.passFd] = passed.fd;
    config[Config.passFdTarget] = passed.target;
  }
  const groups = spec.credentials.groups === undefined ? null : Uint32Array.from(spec.credentials.groups);
  const finish = (r: number | number[]): Subprocess => {
    if (typeof r === 'number' || r[0] < 0) {
      if (!usePidfd) settleSigchldWatch();
      plan?.abort();
      if (typeof r === 'number') throw systemError(r, 'spawn');
      const syscall = stepSyscall[r[1]] ?? 'spawn';
      const errPath = syscall === 'execve' ? path : syscall === 'chdir' ? spec.cwd : undefined;
      throw systemError(r[0], syscall, errPath);
    }
    provenance?.done(r[0]);
    const init: ChildInit = {
      pid: r[0],
      pidfd: r[1],
      args: [path, ...argList],
      fds: [r[2], r[3], r[4]],
      timeout: spec.timeout,
      killSignal: spec.killSignal,
      killGracePeriod: spec.killGracePeriod,
      signal: spec.signal,
    };
    return plan === undefined ? createSubprocess(init) : plan.finish(init, path);
  };
  const abort = (): void => {
    if (!usePidfd) settleSigchldWatch();
    plan?.abort();
  };
  return { args: [candidates, argv, spec.env, spec.cwd ?? '', config, extraEnv, spec.limits.rlimits ?? null, groups], finish, abort };
}

function spawnWith(
  file: string | Buffer,
  args: readonly string[] | undefined,
  options: SpawnOptions | undefined,
  extra: ServiceSpawn & { readonly keepTree?: boolean },
): Subprocess {
  const p = prepareSpawn(file, args, options, extra, spawnWith);
  return p.finish((binding().spawnChild as (...a: unknown[]) => number | number[])(...p.args));
}

/**
 * {@link spawn}, with the child made on a thread of this library's own instead of the
 * event loop's: resolves with the {@link Subprocess} once the program has exec'd.
 *
 * `spawn()` suspends the calling thread while the new child runs up to its exec (clone with
 * CLONE_VFORK: about 50-400 us a child, longer on a loaded machine); `spawnAsync()` never
 * does, so the event loop keeps running timers, I/O and other callbacks meanwhile, and a
 * burst of spawns uses a second core. Everything else is spawn()'s: the same options, the
 * same clean start, the same handle.
 *
 * - Order: children are started one at a time, in the order of the calls, and the
 *   promises settle in that order.
 * - The thread lives as long as the process, so `killOnParentDeath` fires when this process
 *   ends (PR_SET_PDEATHSIG follows the creating thread, not the process: golang/go#27505).
 * - Backpressure: at most 1024 spawns may be queued or running at once in the process; a
 *   call beyond that rejects with EAGAIN (`syscall` 'spawn') and starts nothing. Await
 *   earlier spawns (or limit how many run at once) to stay below it.
 * - A Worker that ends with spawns still queued: the children made for it are killed
 *   (SIGKILL) and reaped, their pipes closed; none is left running.
 * - In a child of unixproc/os `fork()`, the spawns the parent had queued reject with ECHILD.
 * - An fd given in `stdio` must stay open until the promise settles: the child gets it then.
 *
 * @param file - as {@link spawn}.
 * @param args - as {@link spawn}.
 * @param options - see {@link SpawnOptions}.
 * @returns a Promise of the {@link Subprocess} handle, settled once the child has exec'd
 *   (or failed to).
 * @throws (rejects) every error of {@link spawn}, the same codes and fields: a bad argument
 *   or option (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE), a system error
 *   naming the step that failed in the child (`execve` ENOENT with `path`, `chdir`, `setuid`...),
 *   AbortError when `options.signal` is already aborted; EAGAIN (`syscall` 'spawn') when the
 *   queue is full.
 * @see clone(2), execve(2), prctl(2), docs/spawning.md
 */
export function spawnAsync(
  file: string | Buffer,
  args: readonly string[] | undefined,
  options: SpawnOptions & { readonly contain: true | 'cgroup' | 'subreaper' },
): Promise<ContainedSubprocess>;
export function spawnAsync(file: string | Buffer, args?: readonly string[], options?: SpawnOptions): Promise<Subprocess>;
export function spawnAsync(file: string | Buffer, args?: readonly string[], options?: SpawnOptions): Promise<Subprocess> {
  let p: Prepared;
  try {
    p = prepareSpawn(file, args, options, {}, spawnAsync);
  } catch (e) {
    return Promise.reject(e);
  }
  return queueSpawnChild(p.args).then(p.finish, (e: unknown) => {
    p.abort();
    throw e;
  });
}
