/**
 * The slice of the addon that spawning uses (native/child.cc, native/exit_watch.cc,
 * native/pidfd.cc, native/wait.cc, native/identity.cc), and the layout of spawnChild's
 * config array, mirrored from native/child.cc.
 * @internal
 */
import { native } from '../native';

/** Opaque handle of a pidfd or signal watch (a napi External). */
export type WatchHandle = { readonly __unixprocWatch: unique symbol };

export interface SpawnBinding {
  spawnChild(
    candidates: (string | Buffer)[],
    argv: (string | Buffer)[],
    envp: string[],
    cwd: string | Buffer,
    config: Int32Array,
    extraEnv?: string[],
    limits?: Float64Array | null,
    groups?: Uint32Array | null,
  ): number[];
  watchPidfd(pidfd: number, callback: (status: number) => void): WatchHandle | number;
  watchSignal(signo: number, callback: (signo: number) => void): WatchHandle | number;
  unwatch(handle: WatchHandle): number;
  refWatch(handle: WatchHandle, ref: boolean): number;
  liveExitWatches(): number;
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, sig: number): number;
  /** close(2) of an fd opened natively (a pidfd): 0 or -errno. */
  closeFd(fd: number): number;
  waitid(idtype: number, id: number, options: number): number[] | number;
  waitpid(pid: number, options: number): [number, number] | number;
  getpid(): number;
}

/** The addon, typed for this module. */
export const binding = (): SpawnBinding => native<SpawnBinding>();

/** Indices into spawnChild's config (native/child.cc, ConfigIndex). */
export const Config = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  setsid: 3,
  pgid: 4,
  deathSignal: 5,
  uid: 6,
  gid: 7,
  flags: 8,
  cgroupProcs: 9,
  keepFd: 10,
  passFd: 11,
  passFdTarget: 12,
  length: 13,
} as const;

/** Stdio kinds in the config (native/child.cc, StdioKind); an fd is >= 0. */
export const StdioKind = { inherit: -1, ignore: -2, pipe: -3 } as const;

/** Config flags (native/child.cc, Flags). */
export const Flag = { pidfd: 1, fork: 2, setuid: 4, setgid: 8, setgroups: 16 } as const;

/** The syscall behind each failed step (native/child.cc, Step), for the error. */
export const stepSyscall: Readonly<Record<number, string>> = {
  1: 'dup2',
  2: 'setsid',
  3: 'setpgid',
  4: 'close_range',
  5: 'chdir',
  6: 'setgroups',
  7: 'setgid',
  8: 'setuid',
  9: 'prctl',
  10: 'execve',
  11: 'write',
  12: 'setrlimit',
};

// Linux's waitid(2) constants, and the one siginfo-to-status conversion (lib/exit-status.ts).
export { P_PID, P_PIDFD, WNOHANG, WEXITED, WNOWAIT, CLD_EXITED, CLD_KILLED, CLD_DUMPED } from '../os/status';
export { statusFromSiginfo } from '../exit-status';
