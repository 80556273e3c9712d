/**
 * `unixproc daemons`: the orphans findDaemons() deems daemons, with its security checks
 * (runs as root, owns a controlling terminal, holds fds beyond 0..2 without close-on-exec).
 * @internal
 */
import { findDaemons } from '../proc';
import type { Daemon, SecurityCheck } from '../proc';
import type { CliIO, Command } from './command';
import {
  atMostPositionals,
  commandText,
  COMMON_USAGE,
  notSelf,
  parsePidList,
  noteUnreadable,
  procfsOption,
  readCmdlines,
  readProcArgs,
  statText,
  ttyText,
  withCmdline,
} from './proc-args';
import { Column, table, Width, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc daemons [--cmdline] [--subreaper PID] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]

Orphans that look like (or were spawned as) daemons: detached from the session that
started them, no controlling terminal, stdio away from terminals (see unixproc orphans).
One row per daemon: PID PPID SID UID (effective) TTY STAT BASIS COMMAND; then each
daemon's security checks, each ok, FAIL, or ? (could not be checked):
  runs-as-root          FAIL when its real, effective or saved uid is 0
  controlling-terminal  FAIL when it owns a controlling terminal (a hang-up reaches it)
  inherited-fds         FAIL when an fd beyond 0..2 is not close-on-exec (whatever it
                        execs inherits it)

  --cmdline        COMMAND shows the command line instead of comm
  --subreaper PID  count PID as a child subreaper (repeatable, or a comma list)
${COMMON_USAGE}

Exit status: 0 (the checks are reported, not judged: many system daemons run as root;
gate on the JSON's checks[].passed if you need to); 2 for a usage error.`;

const COLUMNS: readonly Column[] = [
  { heading: 'PID', right: true },
  { heading: 'PPID', right: true },
  { heading: 'SID', right: true },
  { heading: 'UID', right: true },
  { heading: 'TTY' },
  { heading: 'STAT' },
  { heading: 'BASIS' },
  { heading: 'COMMAND' },
];

function verdict(c: SecurityCheck): string {
  return c.passed === undefined ? '?' : c.passed ? 'ok' : 'FAIL';
}

function daemonLines(daemons: readonly Daemon[], full: boolean, width: Width): string[] {
  if (daemons.length === 0) return ['no daemons'];
  const rows = daemons.map((d) => {
    const p = d.process;
    return [
      String(p.pid),
      String(p.ppid),
      String(p.sid),
      d.uids === undefined ? '?' : String(d.uids.effective),
      ttyText(p),
      statText(p),
      d.basis,
      commandText(p, full),
    ];
  });
  const lines = table(COLUMNS, rows, width);
  // One table over every daemon's checks, so the verdicts line up across daemons.
  const checkLines = table(
    [{ heading: '' }, { heading: '' }, { heading: '' }],
    daemons.flatMap((d) => d.checks.map((c) => [verdict(c), c.id, c.detail])),
    { columns: undefined },
  ).slice(1);
  let k = 0;
  for (const d of daemons) {
    lines.push('', `${d.process.pid} ${d.process.comm}: ${d.reason}`);
    for (let i = 0; i < d.checks.length; i++) lines.push(`  ${checkLines[k++]}`);
  }
  const failing = daemons.filter((d) => d.checks.some((c) => c.passed === false)).length;
  lines.push('', `${daemons.length} ${daemons.length === 1 ? 'daemon' : 'daemons'}, ${failing} failing at least one check`);
  return lines;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(argv, io, ['cmdline'], ['subreaper']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 0);
  const full = args.flags.has('cmdline');
  let daemons = notSelf(args, findDaemons({ ...procfsOption(args), subreapers: parsePidList(args, 'subreaper') }));
  if (full) {
    const cmdlines = readCmdlines(args);
    daemons = daemons.map((d) => ({ ...d, process: withCmdline(d.process, cmdlines) }));
  }
  if (args.json) writeJson(io, { daemons });
  else writeLines(io, daemonLines(daemons, full, args.width));
  noteUnreadable(io, args, 'daemons');
  return 0;
}

/** `unixproc daemons`. */
export const command: Command = {
  summary: 'daemons (deliberate orphans) with security checks: root, terminal, inherited fds',
  usage: USAGE,
  run,
};
