/**
 * Orphaned process groups, by POSIX's definition.
 * @see POSIX.1-2017 XBD 3.265 "Orphaned Process Group", credentials(7), setpgid(2)
 */
import { ProcfsOptions, validateProcfsOptions } from './options';
import { ProcessInfo } from './process-info';
import { readableOnly, scanTable } from './table';

/** One orphaned process group. */
export interface OrphanedProcessGroup {
  readonly pgid: number;
  readonly sid: number;
  readonly members: readonly ProcessInfo[];
  /** The group leader (pid === pgid) if it still exists. */
  readonly leader: ProcessInfo | undefined;
  /**
   * Members stopped by job control (state T). A group that becomes orphaned with stopped
   * members is sent SIGHUP then SIGCONT by the kernel; one found in that state later is stuck.
   */
  readonly stoppedMembers: readonly ProcessInfo[];
}

/** The orphaned groups of a table. @internal */
export function orphanedGroupsOf(procs: readonly ProcessInfo[]): OrphanedProcessGroup[] {
  const byPid = new Map<number, ProcessInfo>();
  const groups = new Map<number, ProcessInfo[]>();
  for (const p of procs) {
    byPid.set(p.pid, p);
    if (p.kernelThread || p.pgid <= 0) continue;
    let g = groups.get(p.pgid);
    if (g === undefined) groups.set(p.pgid, (g = []));
    g.push(p);
  }
  const out: OrphanedProcessGroup[] = [];
  for (const [pgid, members] of groups) {
    // POSIX: "A process group in which the parent of every member is either itself a member
    // of the group or is not a member of the group's session." A parent that is not in the
    // table (ppid 0: outside the pid namespace) is not a member of the session we can see.
    const orphaned = members.every((m) => {
      const parent = byPid.get(m.ppid);
      if (parent === undefined) return true;
      return parent.pgid === pgid || parent.sid !== m.sid;
    });
    if (!orphaned) continue;
    out.push({
      pgid,
      sid: members[0].sid,
      members,
      leader: byPid.get(pgid),
      stoppedMembers: members.filter((m) => m.state.name === 'stopped'),
    });
  }
  out.sort((a, b) => a.pgid - b.pgid);
  return out;
}

/**
 * Every orphaned process group: a group in which the parent of every member is either a
 * member of the group or outside the group's session (POSIX, exactly; Linux's own check in
 * kernel/exit.c also skips exiting members and members whose parent is init). Kernel
 * threads (group 0) are left out. Such a group has no process that could resume it with
 * job control, which is why the kernel hangs up and continues a newly orphaned group with
 * stopped members, and why its members get EIO instead of SIGTTIN on terminal reads.
 *
 * @throws ERR_INVALID_ARG_TYPE for bad options; ENOENT when the procfs root is not there.
 * @see credentials(7), setpgid(2), POSIX.1-2017 XBD 3.265
 */
export function orphanedProcessGroups(options?: ProcfsOptions): readonly OrphanedProcessGroup[] {
  const opts = validateProcfsOptions(options);
  return orphanedGroupsOf(readableOnly(scanTable(opts)));
}
