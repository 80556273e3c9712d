/**
 * spawn()'s hook into containment: which mechanism, the changed exec request (the shepherd
 * in front of the program, or the cgroup.procs fd the child writes), and the handle.
 * @internal
 */
import { invalidArgValue, systemError } from '../errors';
import { createSubprocess, type ChildInit } from '../spawn/handle';
import { ContainedSubprocess, type Containment } from './contained';
import { containBinding, controlPair, readReadyLine, shepherdPath } from './launch';
import { childCgroup, ownerCgroup } from './owner';
import { dirname } from 'node:path';
import { closeSync } from 'node:fs';
import { removeCgroup } from './cgroup';
import { applyCgroupLimits, type CgroupLimitSpec } from './cgroup-limits';
import { shepherdArgv0 } from '../helper-process';

/** The `contain` option, validated: `'off'`, or the mechanism asked for. @internal */
export type ContainRequest = 'off' | 'auto' | Containment;

/** The environment variable that picks the mechanism for `contain: true`, process-wide. */
export const CONTAINMENT_ENV = 'UNIXPROC_CONTAINMENT';

/**
 * The mechanism for a request: an explicit `'cgroup'`/`'subreaper'` as asked; `'auto'`
 * as `UNIXPROC_CONTAINMENT` says, else cgroup v2 where this process may create a cgroup,
 * else the subreaper shepherd.
 * @throws ERR_INVALID_ARG_VALUE for a bad UNIXPROC_CONTAINMENT.
 * @internal
 */
export function chooseContainment(request: Exclude<ContainRequest, 'off'>): Containment {
  if (request !== 'auto') return request;
  const forced = process.env[CONTAINMENT_ENV];
  if (forced !== undefined && forced !== '') {
    if (forced !== 'cgroup' && forced !== 'subreaper') {
      throw invalidArgValue(`process.env.${CONTAINMENT_ENV}`, forced, "must be 'cgroup' or 'subreaper'");
    }
    return forced;
  }
  try {
    ownerCgroup();
    return 'cgroup';
  } catch {
    return 'subreaper';
  }
}

/** The exec request with containment applied, and how to finish or undo it. @internal */
export interface ContainPlan {
  readonly candidates: (string | Buffer)[];
  readonly argv: (string | Buffer)[];
  /** -1 or the fd for the native config's cgroupProcs / keepFd. */
  readonly cgroupProcsFd: number;
  readonly keepFd: number;
  /** After a successful spawnChild: the handle. Throws the program's exec error (subreaper). */
  finish(init: ChildInit, file: string | Buffer): ContainedSubprocess;
  /** After a failed spawnChild. */
  abort(): void;
}

/** Cgroup limits need the cgroup mechanism. @throws ERR_INVALID_ARG_VALUE naming the limit. @internal */
export function requireNoCgroupLimits(limits: CgroupLimitSpec, mechanism: 'off' | Containment): void {
  if (limits.length === 0) return;
  throw invalidArgValue(
    `options.limits.${limits[0].key}`,
    limits[0].value,
    `is enforced by a cgroup: it needs contain: 'cgroup' (the child is ${mechanism === 'off' ? 'not contained' : `contained by ${mechanism}`})`,
  );
}

/**
 * Prepares a contained spawn (`service`: the supervised service it is for, named in the
 * shepherd's argv[0]). @throws ERR_UNIXPROC_CGROUP_UNAVAILABLE or a system error for a forced cgroup.
 * @internal
 */
export function prepareContainment(
  request: Exclude<ContainRequest, 'off'>,
  candidates: (string | Buffer)[],
  argv: (string | Buffer)[],
  killSignal: number,
  killGracePeriod: number,
  cgroupLimits: CgroupLimitSpec = [],
  keepTree = false,
  service?: string,
): ContainPlan {
  const kind = chooseContainment(request);
  if (kind !== 'cgroup') requireNoCgroupLimits(cgroupLimits, kind);
  if (kind === 'cgroup') {
    const { dir, procsFd } = childCgroup();
    if (cgroupLimits.length > 0) {
      try {
        applyCgroupLimits(dirname(dir), dir, cgroupLimits);
      } catch (e) {
        closeSync(procsFd);
        removeCgroup(dir);
        throw e;
      }
    }
    const release = (): void => closeSync(procsFd);
    return {
      candidates,
      argv,
      cgroupProcsFd: procsFd,
      keepFd: -1,
      finish(init) {
        release();
        return createSubprocess(init, (token, i) => new ContainedSubprocess(token, i, { kind: 'cgroup', dir, keepTree }));
      },
      abort() {
        release();
        removeCgroup(dir);
      },
    };
  }
  const shepherd = shepherdPath(); // before anything is opened: it throws when missing
  const [ours, theirs] = controlPair();
  const grace = Number.isFinite(killGracePeriod) ? String(Math.round(killGracePeriod)) : '-1';
  const shepherdArgv = [
    // argv[0] names the service it belongs to, for ps and leak reports (lib/helper-process.ts).
    service === undefined ? 'unixproc-shepherd' : shepherdArgv0(service), 'tree', String(process.pid), String(killSignal), grace, String(candidates.length),
    ...candidates, '--', ...argv,
  ];
  const closeBoth = (): void => {
    containBinding().closeFd(ours);
    containBinding().closeFd(theirs);
  };
  return {
    candidates: [shepherd],
    argv: shepherdArgv,
    cgroupProcsFd: -1,
    keepFd: theirs,
    finish(init, file) {
      containBinding().closeFd(theirs);
      const { line, rest } = readReadyLine(ours);
      const m = /^R (\d+)$/.exec(line);
      if (m === null) {
        // The program did not start: the shepherd exits 127 at once; reap it by pid.
        containBinding().closeFd(ours);
        containBinding().waitpid(init.pid, 0);
        if (init.pidfd >= 0) containBinding().closeFd(init.pidfd);
        for (const fd of init.fds) if (fd >= 0) containBinding().closeFd(fd);
        const e = /^E (\d+)$/.exec(line);
        throw systemError(e === null ? -3 /* ESRCH */ : -Number(e[1]), 'execve', file);
      }
      const contain = { kind: 'subreaper' as const, programPid: Number(m[1]), controlFd: ours, pending: rest };
      return createSubprocess(init, (token, i) => new ContainedSubprocess(token, i, contain));
    },
    abort: closeBoth,
  };
}
