/**
 * `unixproc/node-test`: fail a node:test file that leaves processes behind.
 *
 * Two ways in (docs/leak-guard.md):
 * - `node --test --import unixproc/node-test/register` (or `--require`): Node 20's test
 *   runner passes `--import`/`--require` on to the process it starts for each test file,
 *   so every file is guarded, with nothing added to the files;
 * - `leakGuard()` at the top of one test file.
 *
 * Either way the file's process becomes a child subreaper, and when it exits (all tests,
 * hooks and timers done: the 'exit' event) every process it left behind is reported on
 * stderr, killed with SIGKILL (by identity), reaped, and the exit code is set to 1, which
 * the runner reports as a failure of that file.
 * @packageDocumentation
 * @module unixproc/node-test
 */
import * as path from 'node:path';
import { startLeakGuard, type LeakGuard } from '../../guard/guard';
import { attachProvenance, installProvenance, provenanceRunDir, removeProvenanceRunDir, type ProvenanceRunDir } from '../../guard/provenance';
import { formatLeakReport, type LeakedProcess } from '../../guard/report';
import { optionKeys, validateBoolean, validateFunction, validateOptions } from '../../validate';

/** Options of {@link leakGuard}. */
export interface NodeTestLeakGuardOptions {
  /** Leave processes this accepts out of the check (see LeakGuardOptions.ignore). */
  readonly ignore?: (process: LeakedProcess) => boolean;
  /** Kill and reap what is left (default true); false only reports and fails. */
  readonly kill?: boolean;
}

const LEAK_GUARD_KEYS = optionKeys<NodeTestLeakGuardOptions>({ ignore: true, kill: true });

const KEY = Symbol.for('unixproc.nodeTestLeakGuard.v1');

/** The provenance directory this process records into (removed at exit when it made it). */
let run: ProvenanceRunDir | undefined;

/**
 * Records who starts each process in this file (lib/guard/provenance.ts): a directory of
 * its own, inherited by what it starts. The test file is this process's main module; the
 * current test's name is not exposed by node:test, so it stays unknown.
 */
function recordProvenance(): void {
  // Under `unixproc guard -- node --test`, the guard's directory: its report sees the records too.
  run = provenanceRunDir();
  const testFile = process.argv[1] === undefined ? undefined : path.resolve(process.argv[1]);
  installProvenance({ dir: run.dir, context: () => ({ testFile, testName: undefined }) });
}

function exitCheck(guard: LeakGuard, kill: boolean): void {
  if (guard.disposed || guard.pid !== process.pid) return;
  const report = attachProvenance(guard.check(), run?.dir);
  if (!report.ok) {
    let text = `unixproc/node-test: ${process.argv[1] ?? 'this process'} left processes behind.\n${formatLeakReport(report)}`;
    if (kill) {
      const result = guard.cleanupSync();
      text += result.remaining.ok
        ? 'They have been killed and reaped.\n'
        : `Some could not be cleaned up:\n${formatLeakReport(result.remaining)}`;
    }
    process.stderr.write(text);
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = 1;
  }
  guard.dispose();
  removeProvenanceRunDir(run);
}

/**
 * Guards this process (a node:test file): makes it a child subreaper now, and at exit
 * fails it (exit code 1, report on stderr) if it left any process behind, after killing
 * and reaping them. Calling it again returns the same guard.
 * @param options - `ignore`, `kill` (default true).
 * @returns the guard (its `check()` may also be called from an `after` hook).
 * @throws ERR_INVALID_ARG_TYPE for bad options; ERR_WORKER_UNSUPPORTED_OPERATION in a worker
 *   thread; EPERM/EINVAL from prctl(2).
 * @see prctl(2) PR_SET_CHILD_SUBREAPER, wait(2)
 */
export function leakGuard(options?: NodeTestLeakGuardOptions): LeakGuard {
  const o = validateOptions<NodeTestLeakGuardOptions>(options, 'options', LEAK_GUARD_KEYS);
  const ignore = o.ignore === undefined ? undefined : (validateFunction(o.ignore, 'options.ignore') as (p: LeakedProcess) => boolean);
  const kill = o.kill === undefined ? true : validateBoolean(o.kill, 'options.kill');
  const g = globalThis as Record<symbol, LeakGuard | undefined>;
  const running = g[KEY];
  if (running !== undefined && !running.disposed && running.pid === process.pid) return running;
  const guard = startLeakGuard({ ignore });
  g[KEY] = guard;
  recordProvenance();
  process.on('exit', () => exitCheck(guard, kill));
  return guard;
}
