/**
 * `unixproc metrics`: a Prometheus exporter of the process collectors (lib/metrics): an
 * HTTP endpoint (`--listen`), a file for node_exporter's textfile collector (`--textfile`),
 * or one exposition on stdout (`--once`).
 * @internal
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessMetricsCollector } from '../metrics/collect';
import type { ProcessGroupSpec } from '../metrics/collect';
import { ExpositionFormat, formatExposition } from '../metrics/exposition';
import type { MetricFamily } from '../metrics/types';
import { assertRoot } from '../proc/table';
import { validateProcfsOptions } from '../proc/options';
import { parseArgs, UsageError } from './command';
import type { CliIO, Command } from './command';
import { parseListenAddress, startMetricsServer, type ListenAddress, type MetricsServer } from './metrics-server';
import { parsePidList } from './proc-args';
import { escapeText } from './text';

const USAGE = `usage: unixproc metrics (--listen ADDR:PORT | --textfile PATH [--interval SECONDS] | --once [--format FORMAT])
                        [--group NAME=REGEX]... [--group-cmdline NAME=REGEX]... [--subreaper PID]
                        [--procfs ROOT [--procfs-fixture]]

A Prometheus exporter: zombies by the parent at fault, orphans by class, orphaned process
groups, daemon findings, process states and process groups (metrics: docs/metrics.md).

  --listen ADDR:PORT     serve GET /metrics over HTTP on ADDR:PORT (127.0.0.1:9256, [::1]:9256,
                         :9256 for every address, port 0 for any free port); the text format
                         0.0.4, or OpenMetrics 1.0.0 when the scraper's Accept header asks for it.
                         Runs until SIGTERM or SIGINT
  --textfile PATH        write the exposition to PATH (a *.prom file in the directory that
                         node_exporter's textfile collector reads), atomically: a temporary
                         file in the same directory, then rename(2)
  --interval SECONDS     with --textfile: rewrite it every SECONDS (1 to 86400) until SIGTERM or
                         SIGINT, instead of once
  --once                 write one exposition on stdout and exit
  --format FORMAT        with --once: text (0.0.4, the default) or openmetrics (1.0.0)
  --group NAME=REGEX     report the processes whose command name (comm) matches REGEX (a
                         JavaScript regular expression, unanchored) as group NAME (repeatable;
                         a process counts in the first group it matches; NAME: 1 to 64 of
                         A-Z a-z 0-9 _ . : / -)
  --group-cmdline NAME=REGEX
                         the same, matched against the command line (arguments joined by spaces)
  --subreaper PID        count PID as a child subreaper (repeatable, or a comma list)
  --procfs ROOT          read ROOT instead of /proc: the host's /proc mounted into a container
                         (e.g. /host/proc); ROOT must be a procfs
  --procfs-fixture       let --procfs ROOT be a tree laid out like /proc on another filesystem
  -h, --help             this text

Exit status: 0 (after SIGTERM or SIGINT for --listen and --textfile --interval), 1 for a
system error (a busy port, a --procfs ROOT that is not a procfs, an unwritable --textfile),
2 for a usage error.`;

function parseGroups(values: readonly string[], match: 'comm' | 'cmdline', flag: string): ProcessGroupSpec[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag}: '${v}' is not NAME=REGEX`);
    const name = v.slice(0, eq);
    if (!/^[A-Za-z0-9_.:/-]{1,64}$/.test(name)) {
      throw new UsageError(`--${flag}: group name '${name}' must be 1 to 64 of the characters A-Z a-z 0-9 _ . : / -`);
    }
    let pattern: RegExp;
    try {
      pattern = new RegExp(v.slice(eq + 1));
    } catch (e) {
      throw new UsageError(`--${flag}: '${v.slice(eq + 1)}' is not a regular expression (${(e as Error).message})`);
    }
    return { name, pattern, match };
  });
}

function exporterInfo(): MetricFamily {
  let version = 'unknown';
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // a bundled copy without its package.json: the version is unknown, the metrics are not
  }
  return { name: 'unixproc_exporter', help: 'The unixproc exporter: its version.', type: 'info', samples: [{ labels: { version }, value: 1 }] };
}

/**
 * Writes `text` to `file` through a temporary file in the same directory (created with
 * O_EXCL, fsynced) and rename(2): a reader sees the old file or the new one, never half of
 * one. The temporary file is removed when anything fails.
 * @throws the fs error (ENOENT, EACCES, ENOSPC, EXDEV...) of the step that failed.
 */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Resolves on the first SIGTERM or SIGINT, and stops listening for them. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
}

async function serve(listen: ListenAddress, collect: () => readonly MetricFamily[], io: CliIO): Promise<number> {
  let server: MetricsServer;
  try {
    server = await startMetricsServer(listen, collect, (line) => io.stderr.write(`unixproc metrics: ${line}\n`));
  } catch (e) {
    io.stderr.write(`unixproc metrics: --listen ${escapeText(listen.text)}: ${(e as Error).message}\n`);
    return 1;
  }
  io.stderr.write(`unixproc metrics: serving http://${server.address}/metrics\n`);
  await untilSignal();
  await server.close();
  return 0;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    ['once', 'procfs-fixture', 'help'],
    ['listen', 'textfile', 'interval', 'format', 'group', 'group-cmdline', 'subreaper', 'procfs'],
    { h: 'help' },
  );
  if (args.flags.has('help')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.rest !== undefined) throw new UsageError(`unexpected '--': this command runs no other command`);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const modes = ['listen', 'textfile', 'once'].filter((m) => args.flags.has(m));
  if (modes.length !== 1) {
    throw new UsageError(
      modes.length === 0 ? 'say where the metrics go: --listen ADDR:PORT, --textfile PATH or --once' : `--${modes.join(' and --')} cannot be combined: choose one`,
    );
  }
  const listen = args.flags.has('listen') ? parseListenAddress(String(args.flags.get('listen')), '--listen', 9256) : undefined;
  const textfile = args.flags.get('textfile');
  if (typeof textfile === 'string' && !/[^/]\.prom$/.test(textfile)) {
    throw new UsageError(`--textfile: '${textfile}' must name a *.prom file (node_exporter's textfile collector reads only those)`);
  }
  const intervalText = args.flags.get('interval');
  let interval: number | undefined;
  if (intervalText !== undefined) {
    if (textfile === undefined) throw new UsageError('--interval goes with --textfile');
    if (typeof intervalText !== 'string' || !/^\d+$/.test(intervalText) || Number(intervalText) < 1 || Number(intervalText) > 86400) {
      throw new UsageError(`--interval: '${String(intervalText)}' is not a number of seconds from 1 to 86400`);
    }
    interval = Number(intervalText);
  }
  const formatText = args.flags.get('format');
  if (formatText !== undefined && !args.flags.has('once')) {
    throw new UsageError('--format goes with --once (--listen follows the Accept header; --textfile is always text: node_exporter reads only that)');
  }
  if (formatText !== undefined && formatText !== 'text' && formatText !== 'openmetrics') {
    throw new UsageError(`--format: '${String(formatText)}' is not a format (text, openmetrics)`);
  }
  const procfs = args.flags.get('procfs');
  if (procfs === '') throw new UsageError('--procfs needs a directory');
  if (typeof procfs === 'string' && procfs.includes('\0')) throw new UsageError('--procfs must not contain a NUL byte');
  const fixture = args.flags.has('procfs-fixture');
  if (fixture && typeof procfs !== 'string') throw new UsageError('--procfs-fixture needs --procfs ROOT (the fixture tree to read)');
  const groups = [
    ...parseGroups(args.values.get('group') ?? [], 'comm', 'group'),
    ...parseGroups(args.values.get('group-cmdline') ?? [], 'cmdline', 'group-cmdline'),
  ];
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name)) throw new UsageError(`--group: the group name '${g.name}' is given twice`);
    seen.add(g.name);
  }
  const subreapers = parsePidList(args, 'subreaper');

  const procfsOptions = typeof procfs === 'string' ? (fixture ? { procfs, procfsFixture: true } : { procfs }) : {};
  // At start, not at the first scrape: a DaemonSet whose mount is wrong fails to start.
  try {
    assertRoot(validateProcfsOptions(procfsOptions));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE') {
      io.stderr.write(`unixproc metrics: --procfs: '${escapeText(String(procfs))}' is not a procfs (fstatfs(2) does not say PROC_SUPER_MAGIC)\n`);
      return 1;
    }
    throw e;
  }
  const collector = new ProcessMetricsCollector({ ...procfsOptions, groups, subreapers });
  const info = exporterInfo();
  const collect = (): MetricFamily[] => [...collector.collect(), info];
  const scrape = (format: ExpositionFormat): string => formatExposition(collect(), format);
  const first = scrape('text'); // a root that cannot be read fails here, at start

  if (args.flags.has('once')) {
    io.stdout.write(formatText === 'openmetrics' ? scrape('openmetrics') : first);
    return 0;
  }
  if (listen !== undefined) return serve(listen, collect, io);

  const file = textfile as string;
  const write = (text: string): void => {
    try {
      writeAtomically(file, text);
    } catch (e) {
      throw new Error(`--textfile ${file}: ${typeof (e as { message?: unknown }).message === 'string' ? (e as Error).message : String(e)}`);
    }
  };
  try {
    write(first);
  } catch (e) {
    io.stderr.write(`unixproc metrics: ${escapeText((e as Error).message)}\n`);
    return 1;
  }
  if (interval === undefined) return 0;
  const timer = setInterval(() => {
    try {
      write(scrape('text'));
    } catch (e) {
      io.stderr.write(`unixproc metrics: ${escapeText((e as Error).message)}\n`); // kept running: the next write may succeed
    }
  }, interval * 1000);
  await untilSignal();
  clearInterval(timer);
  return 0;
}

/** `unixproc metrics`. */
export const command: Command = {
  summary: 'a Prometheus exporter: zombies by parent, orphans, daemons, states, groups',
  usage: USAGE,
  run,
};
