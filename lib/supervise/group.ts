/**
 * A supervised child's process group: the group keeper, finding who is left in the group,
 * and signalling the group only while its id is known to be the child's.
 *
 * Why a keeper. A process group id is the pid of the process that created the group; the
 * kernel keeps that pid number allocated while any process is in the group (or has it as
 * its pid), and frees it for reuse afterwards. Once the child (the leader) has been reaped,
 * killpg(pgid) could therefore reach a stranger's group, if every other member had gone and
 * the number had been reused. The keeper is a tiny process (`/bin/sh`, named
 * `unixproc-keeper: <service>` in `ps`) that this process spawns INTO the child's group and
 * holds unreaped: while it lives, the group id cannot be
 * reused, so killpg is safe; the supervisor reaps it last, after the group is empty.
 *
 * The keeper stops itself (SIGSTOP) and ignores every catchable signal, so the stop signal
 * sent to the group does not end it. Being a stopped member of the group, it also makes
 * the kernel hang up the group if the supervisor is SIGKILLed: when the supervisor dies,
 * the child and the keeper are re-parented; if their new parent is init or outside the
 * session, the group becomes orphaned (POSIX) while it has a stopped member, and the
 * kernel sends every member SIGHUP then SIGCONT (kernel/exit.c, kill_orphaned_pgrp): the
 * grandchildren that stayed in the group die of the SIGHUP unless they ignore or catch it.
 * Some kernels (6.18 here) send that SIGHUP to the stopped members only: then the running
 * grandchildren live on (only containment, the default, ends them). The keeper, continued
 * either way, sees that its parent changed and exits. See docs/supervise.md.
 * @internal
 */
import { check, systemError } from '../errors';
import { native } from '../native';
import { F, procScan } from '../proc/binding';
import { spawn } from '../spawn/spawn';
import type { Subprocess } from '../spawn/handle';
import { KEEPER_COMM, keeperArgv0 } from '../helper-process';

interface GroupBinding {
  killpg(pgrp: number, sig: number): number;
  getpid(): number;
}
const b = (): GroupBinding => native<GroupBinding>();

const ESRCH = 3;
const SIGKILL = 9;

// Every catchable signal but SIGCHLD, SIGCONT and glibc's internal 32 and 33 is ignored;
// the keeper names itself (comm, /proc/<pid>/comm: writable by the process itself, proc(5));
// then it stops itself, and each time it is continued it exits if its parent is no longer
// the supervisor ($1), else stops again. Field 4 of /proc/<pid>/stat is the ppid (its comm,
// "unixproc-keeper" or "sh", has no spaces).
const IGNORED = [
  ...Array.from({ length: 31 }, (_, i) => i + 1).filter((s) => s !== 9 && s !== 17 && s !== 18 && s !== 19),
  ...Array.from({ length: 31 }, (_, i) => i + 34),
].join(' ');
const KEEPER_SCRIPT =
  `trap '' ${IGNORED}; printf ${KEEPER_COMM} 2>/dev/null > /proc/$$/comm; ` +
  'while :; do kill -STOP $$; read -r _ _ _ p _ < /proc/$$/stat || exit 0; [ "$p" = "$1" ] || exit 0; done';
/**
 * The script goes in the environment, not in argv: `ps` shows the keeper as
 * `unixproc-keeper: <service> -c eval "$UNIXPROC_KEEPER" unixproc-keeper <supervisor pid>`.
 */
const KEEPER_ENV = 'UNIXPROC_KEEPER';

/**
 * Starts the keeper of service `service` in group `pgid`: `/bin/sh` in the group, named
 * `unixproc-keeper: <service>` (argv[0]; comm `unixproc-keeper`), with every catchable
 * signal ignored, stopping itself. Undefined when it cannot join the group (the child
 * already left this session with setsid, or exited and was reaped).
 */
export function startKeeper(pgid: number, service: string): Subprocess | undefined {
  try {
    const keeper = spawn('/bin/sh', ['-c', `eval "$${KEEPER_ENV}"`, KEEPER_COMM, String(b().getpid())], {
      argv0: keeperArgv0(service),
      processGroup: pgid,
      stdio: 'ignore',
      lineage: true,
      env: { PATH: '/usr/bin:/bin', [KEEPER_ENV]: KEEPER_SCRIPT },
    });
    keeper.unref(); // the child keeps the loop alive, not its keeper
    return keeper;
  } catch {
    return undefined;
  }
}

/** The live (not zombie) members of group `pgid`, but `except`. */
export function groupMembers(pgid: number, except: number): number[] {
  const r = procScan('/proc', -1, 0);
  if (typeof r === 'number') throw systemError(r, 'open', '/proc');
  const out: number[] = [];
  const Z = 'Z'.charCodeAt(0);
  const X = 'X'.charCodeAt(0);
  for (let i = 0; i < r.count; i++) {
    const v = r.values.subarray(i * r.width, (i + 1) * r.width);
    if (v[F.err] !== 0 || v[F.pgrp] !== pgid || v[F.pid] === except) continue;
    const state = v[F.state];
    if (state === Z || state === X) continue;
    out.push(v[F.pid]);
  }
  return out;
}

/**
 * Sends `signo` to the child through its pidfd, and to its whole group when the group id
 * is pinned: by the keeper or by the child, whichever is alive now (kill(0) through its
 * pidfd succeeded just before; only this process can reap either, and only on a later turn
 * of the event loop, so the group id cannot be freed between the check and the killpg).
 * @returns whether anything was signalled.
 */
export function signalGroup(
  child: Subprocess | undefined,
  keeper: Subprocess | undefined,
  pgid: number,
  signo: number,
): boolean {
  let sent = false;
  const childAlive = child !== undefined && child.kill(0);
  const keeperAlive = keeper !== undefined && keeper.kill(0);
  if (childAlive && child.kill(signo)) sent = true;
  if (keeperAlive || childAlive) {
    const r = b().killpg(pgid, signo);
    if (r === 0) sent = true;
    else if (r !== -ESRCH) check(r, 'killpg');
  }
  return sent;
}

/** SIGKILL to the group and the child, synchronously (the process 'exit' hook). */
export function killGroupNow(child: Subprocess | undefined, keeper: Subprocess | undefined, pgid: number): void {
  try {
    signalGroup(child, keeper, pgid, SIGKILL);
  } catch {
    // EPERM (a member changed credentials): nothing more can be done here
  }
}
