/**
 * `unixproc ps`: the process table, like `ps -eo pid,ppid,pgid,sid,tty,stat,time,comm`,
 * from listProcesses(); `--summary` prints stateSummary().
 * @internal
 */
// From the modules themselves, not '../proc': its index loads every reader (orphans, pidfds,
// daemons...), which `unixproc ps` would pay for at each start (issue 14, item 4).
import { STATE_NAMES, stateOf } from '../proc/states';
import { stateSummary } from '../proc/summary';
import type { StateSummary } from '../proc/summary';
import { listProcesses } from '../proc/table';
import type { ProcessEntry } from '../proc/process-info';
import type { CliIO, Command } from './command';
import { UsageError } from './command';
import {
  atMostPositionals,
  COMMON_USAGE,
  parsePidList,
  parseStateLetters,
  ProcArgs,
  procfsOption,
  procpsCommandText,
  readProcArgs,
  statText,
  ttyText,
} from './proc-args';
import { Column, formatCpuTime, table, writeError, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc ps [--cmdline] [--state LETTERS] [--pid PID[,PID...]] [--kernel] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]
       unixproc ps --summary [--json] [--procfs ROOT [--procfs-fixture]]

The process table, in pid order, like ps -eo pid,ppid,pgid,sid,tty,stat,time,comm.
Columns: PID PPID PGID SID TTY STAT TIME COMMAND. STAT is the state letter plus ps's
modifiers (< high priority, N low priority, L pages locked in memory, s session leader,
l multi-threaded, + foreground group of its terminal). COMMAND shows a zombie as
[name] <defunct> and control characters as ?, as procps does. A process whose stat cannot be read (hidepid) is listed with ? fields.

  --cmdline        COMMAND shows the command line ([comm] when there is none) instead of comm
  --state LETTERS  only processes in these states, e.g. --state Z, --state DR, --state Z,T (repeatable)
  --pid PID        only these processes (repeatable, or a comma list); exit 1 if one is not there
  --kernel         include kernel threads (hidden by default; always shown when named by --pid)
  --summary        how many processes are in each state (stateSummary), kernel threads included
${COMMON_USAGE}

Exit status: 0, or 1 when a pid given to --pid does not exist; 2 for a usage error.`;

const COLUMNS: readonly Column[] = [
  { heading: 'PID', right: true },
  { heading: 'PPID', right: true },
  { heading: 'PGID', right: true },
  { heading: 'SID', right: true },
  { heading: 'TTY' },
  { heading: 'STAT' },
  { heading: 'TIME', right: true },
  { heading: 'COMMAND' },
];

function row(p: ProcessEntry, full: boolean): string[] {
  if (!p.readable) return [String(p.pid), '?', '?', '?', '?', '?', '?', `? (unreadable: ${p.error})`];
  return [
    String(p.pid),
    String(p.ppid),
    String(p.pgid),
    String(p.sid),
    ttyText(p),
    statText(p),
    formatCpuTime(p.cpuTimes.user + p.cpuTimes.system),
    procpsCommandText(p, full),
  ];
}

function summaryLines(s: StateSummary): string[] {
  const order = (letter: string): number => {
    const i = STATE_NAMES.indexOf(stateOf(letter).name);
    return i === -1 ? STATE_NAMES.length : i;
  };
  const letters = Object.keys(s.byLetter).sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  const rows = letters.map((l) => {
    const st = stateOf(l);
    return [l, st.name, String(s.byLetter[l]), st.meaning];
  });
  return [
    ...table([{ heading: 'STATE' }, { heading: 'NAME' }, { heading: 'COUNT', right: true }, { heading: 'MEANING' }], rows, {
      columns: undefined,
    }),
    '',
    `total ${s.total}: ${s.kernelThreads} kernel threads, ${s.unreadable} unreadable`,
  ];
}

function runSummary(args: ProcArgs, io: CliIO): number {
  for (const f of ['cmdline', 'state', 'pid', 'kernel']) {
    if (args.flags.has(f)) throw new UsageError(`--summary counts every process; it does not combine with --${f}`);
  }
  const s = stateSummary(procfsOption(args));
  if (args.json) writeJson(io, { summary: s });
  else writeLines(io, summaryLines(s));
  return 0;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(argv, io, ['cmdline', 'kernel', 'summary'], ['state', 'pid']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 0);
  if (args.flags.has('summary')) return runSummary(args, io);
  const states = parseStateLetters(args, 'state');
  const pids = args.values.has('pid') ? parsePidList(args, 'pid') : undefined;
  const full = args.flags.has('cmdline');
  const kernel = args.flags.has('kernel');

  // credentials: /proc/<pid>/status, for the STAT column's L (VmLck), as procps reads it.
  const table0 = listProcesses({ ...procfsOption(args), cmdline: full, credentials: true });
  const wanted = pids === undefined ? undefined : new Set(pids);
  const selected = table0.filter((p) => {
    if (wanted !== undefined && !wanted.has(p.pid)) return false;
    if (states !== undefined && !(p.readable && states.has(p.state.letter))) return false;
    // Named by --pid: shown even when it is a kernel thread.
    if (wanted === undefined && !kernel && p.readable && p.kernelThread) return false;
    return true;
  });
  const found = new Set(table0.map((p) => p.pid));
  const missing = pids === undefined ? [] : pids.filter((pid) => !found.has(pid));

  if (args.json) writeJson(io, { processes: selected });
  else writeLines(io, table(COLUMNS, selected.map((p) => row(p, full)), args.width));
  for (const pid of missing) writeError(io, `unixproc ps: no process ${pid}`);
  return missing.length > 0 ? 1 : 0;
}

/** `unixproc ps`. */
export const command: Command = {
  summary: 'the process table (pid, ppid, pgid, sid, tty, stat, time, command)',
  usage: USAGE,
  run,
};
