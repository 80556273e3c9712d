/**
 * Orphaned process groups, by POSIX's definition.
 * @see POSIX.1-2017 XBD 3.265 "Orphaned Process Group", credentials(7), setpgid(2)
 */
import { ProcfsOptions, validateProcfsOptions } from './options';
import { ProcessEntry, ProcessInfo } from './process-info';
import { readEntry, scanTable } from './table';

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

/** Reads one pid again after the scan (undefined: no such process). @internal */
export type Reread = (pid: number) => ProcessEntry | undefined;

/** What is known of a member's parent: in the group's session, outside it, or unknown. */
type ParentSide = 'inside' | 'outside' | 'unknown';

/**
 * The orphaned groups of a table (every entry, unreadable ones included). A member whose
 * parent cannot be read (EPERM under hidepid=1, EACCES) makes its group's status unknown: the group is
 * not reported. A parent missing from the table is read once more, and so is the member
 * (whose ppid changes once the kernel re-parents it); only what that shows is concluded
 * from. @internal
 */
export function orphanedGroupsOf(table: readonly ProcessEntry[], reread: Reread): OrphanedProcessGroup[] {
  const byPid = new Map<number, ProcessInfo>();
  const unreadable = new Set<number>();
  const groups = new Map<number, ProcessInfo[]>();
  for (const p of table) {
    if (!p.readable) {
      unreadable.add(p.pid);
      continue;
    }
    byPid.set(p.pid, p);
    if (p.kernelThread || p.pgid <= 0) continue;
    let g = groups.get(p.pgid);
    if (g === undefined) groups.set(p.pgid, (g = []));
    g.push(p);
  }

  // A parent that was started after the child is a recycled pid, not the parent.
  const parentOf = (m: ProcessInfo, ppid: number): ProcessInfo | 'unreadable' | undefined => {
    if (unreadable.has(ppid)) return 'unreadable';
    const known = byPid.get(ppid);
    if (known !== undefined) return known;
    const again = reread(ppid);
    if (again === undefined) return undefined;
    if (!again.readable) return 'unreadable';
    return again.startTime <= m.startTime ? again : undefined;
  };

  const side = (m: ProcessInfo, pgid: number): ParentSide => {
    // POSIX: "A process group in which the parent of every member is either itself a member
    // of the group or is not a member of the group's session." ppid 0: the parent is
    // outside the pid namespace, so outside any session we can see.
    if (m.ppid === 0) return 'outside';
    let parent = parentOf(m, m.ppid);
    if (parent === undefined) {
      // Gone mid-scan, or invisible (hidepid=2). Once it is gone the kernel re-parents the
      // member: its new parent decides. An unchanged ppid proves nothing.
      const now = reread(m.pid);
      if (now === undefined) return 'unknown'; // the member itself is gone meanwhile
      if (!now.readable || now.startTime !== m.startTime || now.ppid === m.ppid) return 'unknown';
      if (now.ppid === 0) return 'outside';
      parent = parentOf(now, now.ppid);
      if (parent === undefined || parent === 'unreadable') return 'unknown';
    }
    if (parent === 'unreadable') return 'unknown';
    return parent.pgid === pgid || parent.sid !== m.sid ? 'outside' : 'inside';
  };

  const out: OrphanedProcessGroup[] = [];
  for (const [pgid, members] of groups) {
    if (!members.every((m) => side(m, pgid) === 'outside')) continue;
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
 * threads (group 0) are left out.
 *
 * Only groups known to be orphaned are reported: when a member's parent cannot be read
 * (EPERM under hidepid=1, or invisible under hidepid=2) its session is unknown and the group is left out
 * (a false negative rather than a false positive). A parent that vanished during the scan
 * is read again, with the member, and the member's new parent (after re-parenting)
 * decides. Such a group has no process that could resume it with job control, which is
 * why the kernel hangs up and continues a newly orphaned group with stopped members, and
 * why its members get EIO instead of SIGTTIN on terminal reads.
 *
 * @throws ERR_INVALID_ARG_TYPE for bad options; ENOENT when the procfs root is not there.
 * @throws ERR_INVALID_ARG_VALUE when `procfs` is not a procfs and `procfsFixture` is not
 *   true (or `procfsFixture` comes without `procfs`); EINVAL, ELOOP or EISDIR when the
 *   root's `stat` (the boot time) is not a regular file.
 * @see credentials(7), setpgid(2), POSIX.1-2017 XBD 3.265
 */
export function orphanedProcessGroups(options?: ProcfsOptions): readonly OrphanedProcessGroup[] {
  const opts = validateProcfsOptions(options);
  return orphanedGroupsOf(scanTable(opts), (pid) => readEntry(opts, pid));
}
