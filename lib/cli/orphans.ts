/**
 * `unixproc orphans`: processes re-parented to init or a subreaper, each classified by
 * findOrphans() as a likely daemon or a likely leaked orphan, with the evidence; with
 * `--groups`, orphanedProcessGroups() too. Exits 1 when a leaked orphan is found.
 * @internal
 */
import { findOrphans, orphanedProcessGroups } from '../proc';
import type { Orphan, OrphanedProcessGroup } from '../proc';
import type { CliIO, Command } from './command';
import {
  atMostPositionals,
  commandText,
  COMMON_USAGE,
  notRunningThis,
  notSelf,
  parsePidList,
  noteUnreadable,
  procfsOption,
  readCmdlines,
  readProcArgs,
  statText,
  ttyText,
  withCmdline,
  yesNo,
} from './proc-args';
import { Column, table, Width, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc orphans [--groups] [--cmdline] [--subreaper PID] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]

Processes whose parent died and that were re-parented to init (ppid 1) or to a known child
subreaper (kernel threads and zombies left out), each classified:
  daemon         a deliberate orphan: detached (session leader, or its session leader gone
                 after a double fork), no controlling terminal, stdio away from terminals
  leaked-orphan  anything else: most likely a child its parent forgot to stop
BASIS is lineage when unixproc's spawn() recorded how the process was started (a fact:
intent child or daemon, and whether the spawner still runs), heuristic otherwise.
One row per orphan: PID PPID PGID SID TTY STAT, ADOPTED BY (init or subreaper), CLASS,
BASIS, COMMAND; then each orphan's reason, evidence and lineage. The command never lists
itself (started by a PID 1 shell, it has ppid 1 too), nor an ancestor of its own that would
be a leaked-orphan (npm under a container's PID 1 shell): those are running the check.

  --groups         also list orphaned process groups (POSIX: the parent of every member is in
                   the group or outside its session), with members and stopped members
  --cmdline        COMMAND shows the command line instead of comm
  --subreaper PID  count PID as a child subreaper (repeatable, or a comma list)
${COMMON_USAGE}

Exit status: 1 when at least one leaked-orphan is found, 0 otherwise (daemons and orphaned
process groups alone do not count); 2 for a usage error.`;

const COLUMNS: readonly Column[] = [
  { heading: 'PID', right: true },
  { heading: 'PPID', right: true },
  { heading: 'PGID', right: true },
  { heading: 'SID', right: true },
  { heading: 'TTY' },
  { heading: 'STAT' },
  { heading: 'ADOPTED BY' },
  { heading: 'CLASS' },
  { heading: 'BASIS' },
  { heading: 'COMMAND' },
];

function lineageText(o: Orphan): string {
  const l = o.evidence.lineage;
  if (l === undefined) return 'lineage: none (not started by unixproc spawn(), or its environment is unreadable)';
  return (
    `lineage: spawned by pid ${l.spawnerPid} (start time ${l.spawnerStartTime} ticks) with intent ${l.intent}; ` +
    `spawner still running: ${yesNo(o.evidence.spawnerAlive)}`
  );
}

/** The rows and per-orphan details of the human output. */
function orphanLines(orphans: readonly Orphan[], full: boolean, width: Width): string[] {
  if (orphans.length === 0) return ['no orphans'];
  const rows = orphans.map((o) => {
    const p = o.process;
    return [
      String(p.pid),
      String(p.ppid),
      String(p.pgid),
      String(p.sid),
      ttyText(p),
      statText(p),
      o.reparentedTo,
      o.classification,
      o.basis,
      commandText(p, full),
    ];
  });
  const lines = table(COLUMNS, rows, width);
  for (const o of orphans) {
    const e = o.evidence;
    lines.push(
      '',
      `${o.process.pid} ${o.process.comm}: ${o.classification} (${o.basis}): ${o.reason}`,
      `  evidence: session leader ${yesNo(e.sessionLeader)}, session leader alive ${yesNo(e.sessionLeaderAlive)}, ` +
        `detached ${yesNo(e.detached)}, controlling terminal ${yesNo(e.controllingTerminal)}, ` +
        `stdio on a terminal ${yesNo(e.stdioOnTerminal)}`,
      `  ${lineageText(o)}`,
    );
  }
  const daemons = orphans.filter((o) => o.classification === 'daemon').length;
  const leaked = orphans.length - daemons;
  lines.push(
    '',
    `${orphans.length} ${orphans.length === 1 ? 'orphan' : 'orphans'}: ${daemons} likely ${daemons === 1 ? 'daemon' : 'daemons'}, ` +
      `${leaked} likely leaked ${leaked === 1 ? 'orphan' : 'orphans'}`,
  );
  return lines;
}

const GROUP_COLUMNS: readonly Column[] = [
  { heading: 'PGID', right: true },
  { heading: 'SID', right: true },
  { heading: 'MEMBERS' },
  { heading: 'STOPPED' },
  { heading: 'LEADER' },
];

function groupLines(groups: readonly OrphanedProcessGroup[], full: boolean, width: Width): string[] {
  if (groups.length === 0) return ['no orphaned process groups'];
  const rows = groups.map((g) => [
    String(g.pgid),
    String(g.sid),
    g.members.map((m) => m.pid).join(','),
    g.stoppedMembers.length === 0 ? '-' : g.stoppedMembers.map((m) => m.pid).join(','),
    g.leader === undefined ? '(gone)' : commandText(g.leader, full),
  ]);
  const lines = ['orphaned process groups:', ...table(GROUP_COLUMNS, rows, width)];
  for (const g of groups) {
    if (g.stoppedMembers.length === 0) continue;
    lines.push(
      `group ${g.pgid} has stopped members (${g.stoppedMembers.map((m) => m.pid).join(', ')}): no process of its session ` +
        'can resume them by job control; only a SIGCONT from outside will',
    );
  }
  return lines;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(argv, io, ['groups', 'cmdline'], ['subreaper']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 0);
  const full = args.flags.has('cmdline');
  const subreapers = parsePidList(args, 'subreaper');
  let orphans = notRunningThis(args, notSelf(args, findOrphans({ ...procfsOption(args), subreapers })));
  let groups = args.flags.has('groups') ? orphanedProcessGroups(procfsOption(args)) : undefined;
  if (full) {
    const cmdlines = readCmdlines(args);
    orphans = orphans.map((o) => ({ ...o, process: withCmdline(o.process, cmdlines) }));
    groups = groups?.map((g) => ({
      ...g,
      members: g.members.map((m) => withCmdline(m, cmdlines)),
      leader: g.leader === undefined ? undefined : withCmdline(g.leader, cmdlines),
      stoppedMembers: g.stoppedMembers.map((m) => withCmdline(m, cmdlines)),
    }));
  }
  if (args.json) {
    writeJson(io, groups === undefined ? { orphans } : { orphans, orphanedProcessGroups: groups });
  } else {
    const lines = orphanLines(orphans, full, args.width);
    if (groups !== undefined) lines.push('', ...groupLines(groups, full, args.width));
    writeLines(io, lines);
  }
  noteUnreadable(io, args, 'orphans');
  return orphans.some((o) => o.classification === 'leaked-orphan') ? 1 : 0;
}

/** `unixproc orphans`. */
export const command: Command = {
  summary: 'orphans, each a likely daemon or a likely leaked orphan; exit 1 on a leak',
  usage: USAGE,
  run,
};
