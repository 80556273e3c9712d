/**
 * `unixproc/vitest`: the leak guard in Vitest, per test file and for the whole run.
 *
 * ```js
 * // vitest.config.mjs
 * export default {
 *   test: {
 *     globalSetup: ['unixproc/vitest/global-setup'],
 *     setupFiles: ['unixproc/vitest/setup'],
 *   },
 * };
 * ```
 *
 * The global setup starts a leak guard in Vitest's main process (a child subreaper) and
 * creates the run's provenance directory; its teardown fails the run when anything is left
 * (the safety net). The setup file records, in each worker (threads or forks pool), who
 * starts each process (the test file, the current test, the line: lib/guard/provenance.ts)
 * and registers an `afterAll` that Vitest runs after the file's own (its default
 * `sequence.hooks: 'stack'` runs afterAll hooks in reverse order of registration, and the
 * setup file registers first): the processes attributed to the file that are still there are
 * reported, ended, and the file fails (`leakCheck: 'fail'`; or `'warn'`, `'kill'`, set with
 * `UNIXPROC_LEAK_CHECK`). See docs/leak-guard.md.
 * @packageDocumentation
 * @module unixproc/vitest
 */
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { invalidArgType, outOfRange } from '../../errors';
import { GUARD_PID_ENV, runFileCheck, validateLeakCheckMode } from '../../guard/file-check';
import { startLeakGuard, type LeakGuard } from '../../guard/guard';
import { attachProvenance, installProvenance, provenanceRunDir, removeProvenanceRunDir, type ProvenanceRunDir } from '../../guard/provenance';
import { formatLeakReport } from '../../guard/report';
import { isVitestWorker } from './workers';

/** The parts of Vitest's API the setup file uses (pass them from `import ... from 'vitest'`). */
export interface VitestApi {
  readonly afterAll: (fn: () => unknown, timeout?: number) => void;
  readonly expect: { getState(): { testPath?: string; currentTestName?: string } };
}

const MAX_MS = 2 ** 31 - 1;

function msFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_MS) throw outOfRange(name, `a whole number of milliseconds from 0 to ${MAX_MS}`, raw);
  return Number(raw);
}

/**
 * The setup file's work (`unixproc/vitest/setup` calls it with Vitest's `afterAll` and
 * `expect`): records provenance in this worker and checks the file when it ends.
 * Settings from the environment: `UNIXPROC_LEAK_CHECK` (`fail`, default; `warn`; `kill`),
 * `UNIXPROC_LEAK_FILE_SETTLE_MS` (default 500), `UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS` (default 1000).
 * @throws ERR_INVALID_ARG_TYPE when `api` lacks afterAll/expect; ERR_INVALID_ARG_VALUE for a
 *   bad UNIXPROC_LEAK_CHECK; ERR_OUT_OF_RANGE for a bad number of ms.
 */
export function installVitestLeakCheck(api: VitestApi): void {
  if (api === null || typeof api !== 'object' || typeof api.afterAll !== 'function' || typeof api.expect?.getState !== 'function') {
    throw invalidArgType('api', "an object with Vitest's afterAll and expect", api);
  }
  const mode = validateLeakCheckMode(process.env.UNIXPROC_LEAK_CHECK || undefined, 'UNIXPROC_LEAK_CHECK');
  const settle = msFromEnv('UNIXPROC_LEAK_FILE_SETTLE_MS', 500);
  const grace = msFromEnv('UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS', 1000);
  const { expect, afterAll } = api;
  const state = (): { testPath?: string; currentTestName?: string } => {
    try {
      return expect.getState();
    } catch {
      return {};
    }
  };
  const testFileNow = (): string | undefined => {
    const p = state().testPath;
    return typeof p === 'string' && p !== '' ? path.resolve(p) : undefined;
  };
  const file = testFileNow();
  installProvenance({
    context: () => {
      const s = state();
      return { testFile: testFileNow() ?? file, testName: typeof s.currentTestName === 'string' ? s.currentTestName : undefined };
    },
  });
  afterAll(async () => {
    const testFile = file ?? testFileNow();
    if (testFile === undefined) return;
    const { text, fail } = await runFileCheck(testFile, mode, settle, grace);
    if (text === '') return;
    const message = `unixproc/vitest: ${path.relative(process.cwd(), testFile)}: ${text}`;
    if (!fail) {
      process.stderr.write(message);
      return;
    }
    const e = new Error(message);
    e.stack = message;
    throw e;
  }, settle + grace + 10_000);
}

const KEY = Symbol.for('unixproc.vitestLeakGuard.v1');
type Global = Record<symbol, { guard: LeakGuard; run: ProvenanceRunDir } | undefined>;

/**
 * Vitest `globalSetup`: starts the guard in Vitest's main process and the run's provenance
 * directory; returns the teardown, which fails the run (throws the report) when processes
 * were left behind, after ending them.
 * @throws ERR_WORKER_UNSUPPORTED_OPERATION outside the main thread; EPERM/EINVAL from prctl(2).
 */
export function vitestGlobalSetup(): () => Promise<void> {
  if (!isMainThread) return async () => undefined;
  const g = globalThis as Global;
  if (g[KEY] === undefined) {
    // Under `unixproc guard -- npx vitest`, the guard's directory: its report sees the records too.
    const run = provenanceRunDir();
    process.env[GUARD_PID_ENV] = String(process.pid);
    g[KEY] = { guard: startLeakGuard({ ignore: (p) => isVitestWorker(p) }), run };
  }
  return async () => {
    const running = g[KEY];
    if (running === undefined) return;
    g[KEY] = undefined;
    const { guard, run } = running;
    const { dir } = run;
    try {
      const settled = await guard.settle(msFromEnv('UNIXPROC_LEAK_SETTLE_MS', 2000));
      if (settled.ok) return;
      const report = attachProvenance(settled, dir);
      const cleanup = await guard.cleanup({ killGracePeriod: msFromEnv('UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS', 1000) });
      const after = cleanup.remaining.ok ? 'They have been killed and reaped.' : `Some could not be cleaned up:\n${formatLeakReport(cleanup.remaining)}`;
      throw new Error(`the test run left processes behind.\n${formatLeakReport(report)}${after}`);
    } finally {
      guard.dispose();
      removeProvenanceRunDir(run);
      delete process.env[GUARD_PID_ENV];
    }
  };
}
