/**
 * `unixproc top`: the process table refreshed in place on a terminal (like procps top),
 * sorted by %CPU, with keys to sort, filter, and show threads or the tree; zombies and
 * leaked orphans marked and coloured. When stdout is not a terminal (or with -b), plain
 * snapshots instead: the same text, no escape sequence at all.
 * @internal
 */
import type { CliIO, Command } from './command';
import { parseArgs, UsageError } from './command';
import { parsePid } from './proc-args';
import { filterRows, SampleOptions, Sample, SORT_KEYS, SortKey, sortRows, takeSample, treeRows, uidOf } from './top-model';
import { buildFrame, View } from './top-render';
import { parseDelay, PRIME_MS, Terminal, TopSession } from './top-screen';

const USAGE = `usage: unixproc top [-d SECONDS] [-n N] [-p PID[,PID...]] [-u USER] [-o [+|-]FIELD] [-H] [-c]
                    [--tree] [--name TEXT] [--kernel] [--subreaper PID] [-b]

The process table, refreshed every SECONDS (default 3) on a terminal, highest %CPU first.
%CPU is per process over the last refresh (percent of one CPU, as psutil's cpu_percent and
procps top: a process busy on two CPUs shows 200.0). Zombies are marked Z and leaked
orphans O in the first column (and coloured, unless NO_COLOR is set).
Columns: PID USER PR NI VIRT RES S %CPU %MEM TIME+ COMMAND (VIRT and RES in KiB).
On a narrow terminal PR, NI, VIRT, TIME+, USER, RES and %MEM are dropped, in that order,
before COMMAND is cut; a cut field ends in +. Nothing wraps.

  -d, --delay SECONDS   time between refreshes, 0.1 to 3600 (default 3)
  -n, --iterations N    exit after N frames (default: until q on a terminal, 1 otherwise)
  -p, --pid PID         only these processes (repeatable, or a comma list)
  -u, --user USER       only processes of USER (a name or a uid)
  -o, --sort FIELD      sort by FIELD (default cpu), highest first; +FIELD lowest first.
                        FIELD: ${SORT_KEYS.join(', ')}
  -H, --threads         one row per thread
  -c, --cmdline         COMMAND shows the command line instead of comm
      --tree            each process under its parent (the V key)
      --name TEXT       only processes whose COMMAND contains TEXT (case-insensitive)
      --kernel          include kernel threads (hidden by default)
      --subreaper PID   count PID as a child subreaper when finding orphans (repeatable)
  -b, --batch           plain snapshots even on a terminal
  -h, --help            this text

Keys: P M N T sort by %CPU, %MEM, PID, TIME+; < > the column left or right; R reverse;
/ or o filter by name; u filter by user; = clear filters; H threads; V tree; c command
line; d or s delay; space or Enter refresh now; arrows, PgUp, PgDn, Home, End scroll;
h or ? the keys; q or Ctrl-C quit; Ctrl-Z suspend.

Not a terminal (a pipe, a file) or -b: N snapshots (default 1), each the header and every
row, separated by an empty line, with no escape sequence; the first is measured over
${PRIME_MS / 1000} s.

Exit status: 0; 1 when a pid given to -p does not exist or /proc cannot be read;
2 for a usage error; 128+N when ended by signal N (the terminal restored).`;

function sortOption(text: string): { sort: SortKey; ascending: boolean } {
  const ascending = text.startsWith('+');
  const name = text.replace(/^[+-]/, '').toLowerCase().replace(/^%/, '');
  const aliases: Readonly<Record<string, SortKey>> = { pcpu: 'cpu', pmem: 'mem', rss: 'res', vsz: 'virt', state: 's', comm: 'command', 'time+': 'time', nice: 'ni', priority: 'pr' };
  const key = (SORT_KEYS as readonly string[]).includes(name) ? (name as SortKey) : aliases[name];
  if (key === undefined) throw new UsageError(`unknown sort field '${text}' (fields: ${SORT_KEYS.join(', ')})`);
  return { sort: key, ascending };
}

function positiveInt(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) === 0) throw new UsageError(`${what}: '${text}' is not a positive integer`);
  return Number(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The live terminal of this process. */
function processTerminal(): Terminal {
  const out = process.stdout;
  const stdin = process.stdin;
  return {
    write: (s) => {
      out.write(s);
    },
    get columns() {
      return out.columns ?? 80;
    },
    get rows() {
      return out.rows ?? 24;
    },
    onResize(listener) {
      out.on('resize', listener);
      return () => out.removeListener('resize', listener);
    },
    input: stdin.isTTY
      ? {
          setRaw: (on) => {
            stdin.setRawMode(on);
          },
          onData(listener) {
            stdin.setEncoding('utf8');
            stdin.on('data', listener);
            stdin.resume();
            return () => {
              stdin.removeListener('data', listener);
              stdin.pause();
            };
          },
        }
      : undefined,
  };
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    ['threads', 'cmdline', 'tree', 'kernel', 'batch', 'help'],
    ['delay', 'iterations', 'pid', 'user', 'sort', 'name', 'subreaper'],
    { d: 'delay', n: 'iterations', p: 'pid', u: 'user', o: 'sort', H: 'threads', c: 'cmdline', b: 'batch', h: 'help' },
  );
  if (args.flags.has('help')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.rest !== undefined) throw new UsageError(`unexpected '--': top runs no other command`);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const flag = (name: string): string | undefined => {
    const v = args.flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const delayText = flag('delay');
  const delay = delayText === undefined ? 3 : parseDelay(delayText);
  if (delay === undefined) throw new UsageError(`--delay: '${delayText}' is not a number of seconds from 0.1 to 3600`);
  const iterationsText = flag('iterations');
  const iterations = iterationsText === undefined ? undefined : positiveInt(iterationsText, '--iterations');
  const pidList = (flag: string): number[] => {
    const out: number[] = [];
    for (const value of args.values.get(flag) ?? []) for (const part of value.split(',')) out.push(parsePid(part.trim(), `--${flag}`));
    return [...new Set(out)];
  };
  const pids = args.values.has('pid') ? new Set(pidList('pid')) : undefined;
  const subreapers = pidList('subreaper');
  const userText = flag('user') ?? '';
  const uid = userText === '' ? undefined : uidOf(userText);
  if (args.flags.has('user') && uid === undefined) throw new UsageError(`--user: no user '${userText}' (a user name or a uid)`);
  const { sort, ascending } = sortOption(flag('sort') ?? 'cpu');

  const view: View = {
    sort,
    ascending,
    filter: { name: flag('name') ?? '', uid, pids, kernel: args.flags.has('kernel') },
    userText,
    threads: args.flags.has('threads'),
    tree: args.flags.has('tree'),
    cmdline: args.flags.has('cmdline'),
    delay,
    offset: 0,
  };
  const sampleOptions = (): SampleOptions => ({ threads: view.threads, cmdline: view.cmdline, subreapers });

  // A pid named by -p that is not there is an error before anything is drawn.
  const first = takeSample(sampleOptions(), undefined);
  if (pids !== undefined) {
    const present = new Set(first.rows.map((r) => r.pid));
    const missing = [...pids].filter((p) => !present.has(p));
    if (missing.length > 0) {
      for (const p of missing) io.stderr.write(`unixproc top: no process ${p}\n`);
      return 1;
    }
  }

  const stdout = io.stdout as { isTTY?: unknown; columns?: unknown };
  const onTerminal = io.stdout === process.stdout && stdout.isTTY === true;
  if (onTerminal && !args.flags.has('batch')) {
    const noColor = process.env.NO_COLOR;
    const session = new TopSession(processTerminal(), {
      view,
      sample: { subreapers },
      iterations,
      colour: noColor === undefined || noColor === '',
    });
    return session.run();
  }

  // Snapshots: cut to the width only on a terminal (-b there); never an escape sequence.
  const columns = onTerminal && typeof stdout.columns === 'number' && stdout.columns > 0 ? stdout.columns : undefined;
  await sleep(Math.min(PRIME_MS, delay * 1000));
  const n = iterations ?? 1;
  let sample: Sample = first;
  for (let i = 0; i < n; i++) {
    if (i > 0) await sleep(delay * 1000);
    sample = takeSample(sampleOptions(), sample);
    const sorted = sortRows(filterRows(sample.rows, view.filter), view.sort, view.ascending);
    const placed = view.tree ? treeRows(sorted) : sorted.map((row) => ({ row, branch: '' }));
    const lines = buildFrame(sample, placed, view, { columns, rows: undefined }, {}, new Date());
    // Each line was escaped as it was built (top-render.ts): written as it is.
    io.stdout.write(`${i > 0 ? '\n' : ''}${lines.map((l) => l.text).join('\n')}\n`);
  }
  return 0;
}

/** `unixproc top`. */
export const command: Command = {
  summary: 'the process table refreshed in place, highest %CPU first (like procps top)',
  usage: USAGE,
  run,
};
