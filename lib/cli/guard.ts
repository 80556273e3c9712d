/**
 * `unixproc guard -- <cmd> [args...]`: runs a command under a leak guard and fails when it
 * leaves processes behind (running descendants, zombies, orphans adopted through the child
 * subreaper, daemons that double-forked away). See docs/leak-guard.md.
 *
 * Exit codes:
 * - the command failed: its own code (128 + N when signal N killed it), leaks or not;
 * - the command succeeded but left processes behind: 1, or `--leak-exit-code`;
 * - the command succeeded and left nothing: 0;
 * - 2: usage error; 126 / 127: the command could not be run (not executable / not found).
 * @see prctl(2) PR_SET_CHILD_SUBREAPER, wait(2)
 * @internal
 */
import { closeSync, constants as fsConstants, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { escapeText } from '../escape';
import { isErrnoException } from '../errors';
import { set_blocking } from '../os/fds';
import { describeExitStatus, shellExitCode, type ExitStatus } from '../exit-status';
import type { LeakCleanupResult } from '../guard/guard';
import { attachProvenance, provenanceRunDir, removeProvenanceRunDir, type ProvenanceRunDir } from '../guard/provenance';
import { formatLeakReport, type LeakedProcess } from '../guard/report';
import { leakedEntry, startLeakGuard } from '../guard/guard';
import { descendants } from '../proc/tree';
import { ownCgroupDir } from '../contain/cgroup';
import { hasEnded } from '../proc/process-info';
import type { Subprocess } from '../spawn/handle';
import { spawn, spawnKeepingTree } from '../spawn/spawn';
import { chooseContainment } from '../contain/hook';
import type { ContainedSubprocess, Containment } from '../contain/contained';
import { type CliIO, type Command, parseArgs, signalOf, UsageError } from './command';
import { compileGlob, type Glob, GlobSyntaxError } from './glob';
import { jsonText } from './text';

const usage = `usage: unixproc guard [options] -- <command> [args...]

Runs <command> as a child subreaper, so every process it leaves behind (a background job,
a zombie, a daemon that double-forked) is re-parented here and seen. When the command
exits, reports what is left on stderr, kills it (the kill signal, then SIGKILL after the
kill grace period) and reaps it, and fails. Where this process may create a cgroup v2
cgroup, the command's tree is also held in one (docs/containment.md), so that it is
killed even if the guard itself is SIGKILLed; the report names the mechanism ('cgroup',
or 'subreaper': the guard alone). UNIXPROC_CONTAINMENT=subreaper forces the latter.

options:
  --json                  print the report as one JSON line on stdout, and nothing else there:
                          the command's own stdout goes to stderr, so that
                          'unixproc guard --json -- cmd | jq' reads the report alone
  --json-file <path>      write the report as one JSON line to <path> (created or truncated
                          before the command starts); stdout, stderr and the text report
                          stay as without it
  --no-kill               report leftovers but leave them running (you clean up)
  --kill-signal <sig>     the first signal of the clean-up, e.g. TERM, SIGINT, 15 (default SIGTERM)
  --kill-grace-period <ms>
                          between the kill signal and SIGKILL when cleaning up (default 1000)
  --settle <ms>           give leftovers this long to exit by themselves first (default 250)
  --ignore <glob>         never report processes whose whole command line (arguments
                          joined by spaces; the name, for zombies) matches this glob:
                          * any characters, ? one character, \ escapes; may be repeated
                          ('sleep *' matches 'sleep 300'; '*sleep*' matches anywhere)
  --leak-exit-code <n>    exit code when the command succeeded but leaked (default 1)
  --no-provenance         do not preload the recorder into the command's Node processes
                          (through NODE_OPTIONS): the report then says no line of origin

provenance: every Node process of the command records who starts each process (the file
and line; NODE_OPTIONS preloads the recorder), and the report names it for each leftover:
'started at test/api.test.js:42:11 (child_process.spawn): node -> sh -> sleep 300'.

exit: the command's code if it failed (128+N if signal N killed it); else 1 (or
--leak-exit-code) if it left processes behind; else 0. 2 usage, 126/127 cannot run.`;

/** Signals passed on to the command (a terminal's ^C also reaches it directly). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

function intFlag(flags: Map<string, string | true>, name: string, fallback: number, max: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) > max) {
    throw new UsageError(`--${name} must be an integer from 0 to ${max}, got '${String(v)}'`);
  }
  return Number(v);
}



/**
 * Which mechanism holds the command's tree: a cgroup where this process may make one (the
 * tree is killed even when the guard is SIGKILLed: the cgroup's keeper sees it), else the
 * guard itself as the subreaper. With --no-kill the leftovers must outlive the guard: no
 * cgroup then (its keeper would end them when the guard exits).
 */
function guardContainment(kill: boolean): Containment {
  return kill ? chooseContainment('auto') : 'subreaper';
}

/**
 * Starts the command; an exec failure becomes the shell's 127/126 and a message.
 * @param stdoutToStderr give the command this process's stderr as its stdout (--json: the
 *   report is then the only thing on stdout, and can be piped)
 */
function start(file: string, args: string[], io: CliIO, containment: Containment, stdoutToStderr: boolean): Subprocess | number {
  const stdio = stdoutToStderr ? (['inherit', 2, 'inherit'] as const) : 'inherit';
  try {
    // In a cgroup that it keeps at the command's exit: the report comes first.
    if (containment === 'cgroup') return spawnKeepingTree(file, args, { stdio, contain: 'cgroup' });
    return spawn(file, args, { stdio });
  } catch (e) {
    if (isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ENOEXEC' || e.code === 'ENOTDIR')) {
      io.stderr.write(`unixproc guard: ${escapeText(file)}: ${e.code === 'ENOENT' ? 'command not found' : escapeText(e.message)}\n`);
      return e.code === 'ENOENT' ? 127 : 126;
    }
    throw e;
  }
}

/** The `--ignore` globs, compiled; a bad one is a usage error. */
function ignoreGlobs(patterns: readonly string[]): Glob[] {
  return patterns.map((pattern) => {
    try {
      return compileGlob(pattern);
    } catch (e) {
      if (e instanceof GlobSyntaxError) throw new UsageError(`--ignore '${escapeText(pattern)}': ${e.message}`);
      throw e;
    }
  });
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags, positionals, rest, values } = parseArgs(
    argv,
    ['json', 'no-kill', 'no-provenance'],
    // ignore-pattern only to refuse it by name (below).
    ['kill-signal', 'kill-grace-period', 'settle', 'ignore', 'ignore-pattern', 'leak-exit-code', 'json-file'],
    {},
    { grace: 'kill-grace-period' },
  );
  if (flags.has('ignore-pattern')) {
    // Issue 8: a regex run by a backtracking engine on a text the leaked process chooses
    // can take exponential time. 0.x: no silent alias, and no regex under another name.
    throw new UsageError("--ignore-pattern (a regular expression) was replaced by --ignore <glob> ('sleep *': * any characters, ? one)");
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (put the command after --)`);
  if (rest === undefined || rest.length === 0) throw new UsageError('no command given after --');
  if (rest[0] === '') throw new UsageError("the command after -- is an empty string ('')");
  const killGracePeriod = intFlag(flags, 'kill-grace-period', 1000, 2 ** 31 - 1);
  const killSignalFlag = flags.get('kill-signal');
  const killSignal = typeof killSignalFlag === 'string' ? signalOf(killSignalFlag) : 'SIGTERM';
  const settle = intFlag(flags, 'settle', 250, 2 ** 31 - 1);
  const leakExitCode = intFlag(flags, 'leak-exit-code', 1, 255);
  const globs = ignoreGlobs(values.get('ignore') ?? []);
  const json = flags.has('json');
  const jsonFile = flags.get('json-file');
  if (jsonFile === '') throw new UsageError('--json-file needs a path (it is empty)');
  if (json && jsonFile !== undefined) {
    throw new UsageError('--json and --json-file <path> are two places for the one report: choose one');
  }
  const kill = !flags.has('no-kill');
  const reportFd = typeof jsonFile === 'string' ? openReportFile(jsonFile) : undefined;
  try {
    return await guarded(rest, io, { json, reportFd, kill, killSignal, killGracePeriod, settle, leakExitCode, globs, provenance: !flags.has('no-provenance') });
  } finally {
    if (reportFd !== undefined) closeSync(reportFd);
  }
}

interface GuardSettings {
  readonly json: boolean;
  /** --json-file: where the JSON report goes, opened for writing. */
  readonly reportFd: number | undefined;
  readonly kill: boolean;
  readonly killSignal: NodeJS.Signals | number;
  readonly killGracePeriod: number;
  readonly settle: number;
  readonly leakExitCode: number;
  readonly globs: readonly Glob[];
  /** Preload the provenance recorder into the command's Node processes. */
  readonly provenance: boolean;
}

/**
 * The recorder that `--require` preloads: dist/guard/preload.js; run from the TypeScript
 * sources (lib/, with a .ts loader registered in this process), lib/guard/preload.ts, which
 * the command's Node processes can load only with the same loader in their NODE_OPTIONS.
 */
function preloadPath(): string | undefined {
  const js = join(__dirname, '..', 'guard', 'preload.js');
  if (existsSync(js)) return js;
  // The .ts only when NODE_OPTIONS already has the command's Node processes load something
  // first (the loader): else each of them would fail to parse it at its start.
  const ts = join(__dirname, '..', 'guard', 'preload.ts');
  const loader = /(^|\s)(-r|--require)(\s|=)/.test(process.env.NODE_OPTIONS ?? '');
  return require.extensions['.ts'] !== undefined && loader && existsSync(ts) ? ts : undefined;
}

/**
 * Makes the run's provenance directory and has every Node process of the command preload
 * the recorder: NODE_OPTIONS gains `--require "<preload>"` (quoted as NODE_OPTIONS parses
 * it), kept after what the user's NODE_OPTIONS already says. Undefined when there is no
 * preload to give.
 */
function recordCommandProvenance(): ProvenanceRunDir | undefined {
  const preload = preloadPath();
  if (preload === undefined) return undefined;
  const run = provenanceRunDir();
  const quoted = `"${preload.replace(/["\\]/g, '\\$&')}"`;
  const prior = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = prior === undefined || prior.trim() === '' ? `--require ${quoted}` : `${prior} --require ${quoted}`;
  return run;
}

/** Runs the command under the guard and reports; resolves to the exit code. */
async function guarded(rest: readonly string[], io: CliIO, settings: GuardSettings): Promise<number> {
  const { json, reportFd, kill, killSignal, killGracePeriod, settle, leakExitCode, globs } = settings;

  const ignore =
    globs.length === 0
      ? undefined
      : (p: LeakedProcess): boolean => {
          const text = p.cmdline.length > 0 ? p.cmdline.join(' ') : p.comm;
          return globs.some((g) => g.matches(text));
        };
  let provenanceRun: ProvenanceRunDir | undefined;
  if (settings.provenance) {
    try {
      provenanceRun = recordCommandProvenance();
    } catch (e) {
      // No run directory (TMPDIR unwritable, ENOSPC): the guard runs, its report says no line.
      io.stderr.write(`unixproc guard: no provenance: ${escapeText((e as Error).message)}\n`);
    }
  }
  let guard: ReturnType<typeof startLeakGuard>;
  try {
    guard = startLeakGuard({ ignore });
  } catch (e) {
    removeProvenanceRunDir(provenanceRun);
    throw e;
  }
  // Handlers first: a signal that arrives while the command is being started is held and
  // passed on once it runs, instead of killing the guard (and orphaning the command).
  let child: Subprocess | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    if (child === undefined) pending.push(signal);
    else child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const [file, ...args] = rest;
    const containment = guardContainment(kill);
    const started = start(file, args, io, containment, json);
    if (typeof started === 'number') return started;
    child = started;
    for (const s of pending.splice(0)) child.kill(s);

    // While the command runs, reap what the subreaper adopts as soon as it exits (SIGCHLD),
    // by pid, so this process collects no zombies; a slow timer covers coalesced signals.
    let reapQueued = false;
    const reapSoon = (): void => {
      if (reapQueued) return;
      reapQueued = true;
      setImmediate(() => {
        reapQueued = false;
        if (!guard.disposed) guard.reapAdopted();
      });
    };
    process.on('SIGCHLD', reapSoon);
    const timer = setInterval(reapSoon, 1000);
    let status: ExitStatus;
    try {
      status = await child.wait();
    } finally {
      clearInterval(timer);
      process.off('SIGCHLD', reapSoon);
    }
    // The forwarding handlers stay until the end: a ^C during the clean-up must not kill
    // the guard halfway (its leftovers would escape to PID 1); the clean-up is bounded.

    // Who started each leftover: the records of the command's Node processes.
    const report = provenanceRun === undefined ? await guard.settle(settle) : attachProvenance(await guard.settle(settle), provenanceRun.dir);
    let cleanup: LeakCleanupResult | undefined;
    if (!report.ok && kill) cleanup = await guard.cleanup({ killSignal, killGracePeriod });
    // The cgroup: whatever of the tree is still in it (nothing, unless something escaped
    // this subreaper's view) is ended, and the cgroup removed.
    if (containment === 'cgroup') {
      // --ignore promises to leave those processes alone: out of the cgroup before it ends.
      if (ignore !== undefined) keepIgnored(ignore, io);
      await (child as ContainedSubprocess).terminate({ killSignal, killGracePeriod });
    }
    // The report's processes as the library gives them: the shape listProcesses() and
    // every other --json use for a process (docs/conventions.md).
    const jsonReport = (): string => `${jsonText({ command: rest, status, containment, report, cleanup: cleanup ?? null }, 0)}\n`;
    if (reportFd !== undefined) writeAll(reportFd, jsonReport());
    if (json) {
      io.stdout.write(jsonReport());
    } else if (!report.ok) {
      io.stderr.write(`unixproc guard (tree held by ${containment}): '${escapeText(rest.join(' '))}' ${describeExitStatus(status)}; ${formatLeakReport(report)}`);
      if (cleanup !== undefined) {
        const killed = new Set(cleanup.signaled.map((s) => s.pid)).size;
        io.stderr.write(`unixproc guard: killed ${killed} and reaped ${cleanup.reaped.length} process(es)\n`);
        if (!cleanup.remaining.ok) io.stderr.write(`unixproc guard: could not clean up:\n${formatLeakReport(cleanup.remaining)}`);
      } else {
        io.stderr.write('unixproc guard: --no-kill: left running\n');
      }
    }
    const code = shellExitCode(status);
    if (code !== 0) return code;
    return report.ok ? 0 : leakExitCode;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    guard.dispose();
    removeProvenanceRunDir(provenanceRun);
  }
}

/**
 * Moves the live descendants that `ignore` accepts into this process's own cgroup, so that
 * ending the command's cgroup (and, should this process die, its keeper's clean-up) spares
 * them, as --ignore says. One that cannot be moved (EACCES, EBUSY, gone) is said on stderr:
 * it ends with the cgroup.
 * @see cgroups(7) cgroup.procs
 */
function keepIgnored(ignore: (p: LeakedProcess) => boolean, io: CliIO): void {
  let procs: string;
  try {
    procs = join(ownCgroupDir(), 'cgroup.procs');
  } catch (e) {
    io.stderr.write(`unixproc guard: cannot keep --ignore'd processes out of the command's cgroup: ${escapeText((e as Error).message)}\n`);
    return;
  }
  for (const p of descendants(process.pid)) {
    if (hasEnded(p)) continue;
    const entry = leakedEntry(p, 'descendant', undefined);
    if (!ignore(entry)) continue;
    try {
      writeFileSync(procs, String(p.pid));
    } catch (e) {
      if (isErrnoException(e) && e.code === 'ESRCH') continue; // it ended meanwhile
      io.stderr.write(`unixproc guard: pid ${p.pid} (--ignore'd) ends with the command's cgroup: ${escapeText((e as Error).message)}\n`);
    }
  }
}

/**
 * Opens --json-file's path for the report, before the command runs: a path that cannot be
 * written is an error now (exit 1, one line), not after a test suite that took ten minutes.
 * O_NONBLOCK for the open only: a FIFO nobody reads is ENXIO, not a guard that hangs
 * before starting anything; the writes then block as on any file. O_CLOEXEC (as Node opens
 * every file): the command does not inherit it.
 * @throws the open's system error (ENOENT, EACCES, EISDIR, ENXIO...).
 */
function openReportFile(file: string): number {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NONBLOCK } = fsConstants;
  const fd = openSync(file, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0o666);
  try {
    set_blocking(fd, true);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Writes all of `text` to `fd` (writeSync may write less than asked). */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

export const command: Command = {
  summary: 'run a command and fail if it leaves zombies or orphans behind',
  usage,
  run,
};
