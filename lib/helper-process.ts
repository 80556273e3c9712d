/**
 * The names of unixproc's own helper processes, and how a report tells one from a leak
 * (issue 11, item 7: "no mysteries in reports"). Each helper says what it is in its argv[0],
 * which `ps` shows and /proc/<pid>/cmdline keeps:
 * - `unixproc-keeper: <service>`: a supervisor's process-group keeper (lib/supervise/group.ts,
 *   `contain: false`), a `/bin/sh` whose comm is `unixproc-keeper`;
 * - `unixproc-shepherd: <service>`: a supervised service's subreaper shepherd
 *   (native/shepherd.cc `tree` mode; `unixproc-shepherd tree ...` for a contained spawn() of
 *   no service);
 * - `unixproc-shepherd keeper <owner pid> ...`: a process's cgroup keeper (lib/contain/owner.ts).
 * No dependency: the supervisor, the contain layer and the leak guard all read it.
 * @internal
 */

const KEEPER = 'unixproc-keeper';
const SHEPHERD = 'unixproc-shepherd';

/** argv[0] of the process-group keeper of service `service`. @internal */
export function keeperArgv0(service: string): string {
  return `${KEEPER}: ${service}`;
}

/** argv[0] of the subreaper shepherd of service `service`. @internal */
export function shepherdArgv0(service: string): string {
  return `${SHEPHERD}: ${service}`;
}

/** The comm the group keeper gives itself (15 bytes: TASK_COMM_LEN - 1). @internal */
export const KEEPER_COMM = KEEPER;

function isShepherd(argv0: string): boolean {
  return argv0 === SHEPHERD || argv0.endsWith(`/${SHEPHERD}`) || argv0.startsWith(`${SHEPHERD}: `);
}

/**
 * What unixproc helper a command line belongs to, in words (`supervisor helper of service
 * "web" (its process-group keeper)`), or undefined for any other process.
 * @internal
 */
export function describeHelper(cmdline: readonly string[]): string | undefined {
  const argv0 = cmdline[0] ?? '';
  if (argv0.startsWith(`${KEEPER}: `) && cmdline[1] === '-c') {
    return `supervisor helper of service ${JSON.stringify(argv0.slice(KEEPER.length + 2))} (its process-group keeper)`;
  }
  if (!isShepherd(argv0)) return undefined;
  if (cmdline[1] === 'tree') {
    if (argv0.startsWith(`${SHEPHERD}: `)) {
      return `supervisor helper of service ${JSON.stringify(argv0.slice(SHEPHERD.length + 2))} (its containment shepherd)`;
    }
    return `unixproc's containment shepherd of the child it runs (owner pid ${cmdline[2] ?? '?'})`;
  }
  if (cmdline[1] === 'keeper') return `unixproc's cgroup keeper of pid ${cmdline[2] ?? '?'}`;
  return undefined;
}
