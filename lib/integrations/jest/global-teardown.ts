/**
 * `unixproc/jest/global-teardown`: jest `globalTeardown` that fails the run when the tests
 * left processes behind. Use with `unixproc/jest/global-setup`.
 *
 * Jest's workers may still be on their way out when it runs, and a process a test killed
 * at the very end may not have exited yet: whatever is left is given up to
 * `UNIXPROC_LEAK_SETTLE_MS` (default 2000) ms to go. What stays is reported, killed
 * (SIGTERM, SIGKILL after `UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS`, default 1000), reaped, and the run
 * fails with the report as the error. See docs/leak-guard.md.
 * @packageDocumentation
 * @module unixproc/jest/global-teardown
 */
import { invalidArgValue, invalidState, outOfRange } from '../../errors';
import { GUARD_PID_ENV } from '../../guard/file-check';
import { attachProvenance, removeProvenanceRunDir } from '../../guard/provenance';
import { formatLeakReport } from '../../guard/report';
import { getGuard, getRunDir, setGuard, setRunDir } from './state';

/** setTimeout's range, which settle() and cleanup() accept. */
const MAX_MS = 2 ** 31 - 1;

function msFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_MS) {
    throw outOfRange(name, `a whole number of milliseconds from 0 to ${MAX_MS}`, raw);
  }
  return Number(raw);
}

/**
 * Checks, cleans up and stops the guard that globalSetup started.
 * @throws Error (the leak report) when processes were left behind; Error with code
 *   ERR_INVALID_STATE when globalSetup did not run; ERR_OUT_OF_RANGE for a bad
 *   UNIXPROC_LEAK_SETTLE_MS / UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS; ERR_INVALID_ARG_VALUE
 *   when the former UNIXPROC_LEAK_GRACE_MS is set.
 */
async function globalTeardown(): Promise<void> {
  const guard = getGuard();
  if (guard === undefined || guard.disposed) {
    throw invalidState('unixproc/jest/global-teardown: no leak guard is running; add unixproc/jest/global-setup as globalSetup');
  }
  try {
    // Inside the try: a bad setting fails the run but still stops the guard.
    const settle = msFromEnv('UNIXPROC_LEAK_SETTLE_MS', 2000);
    if (process.env.UNIXPROC_LEAK_GRACE_MS !== undefined) {
      throw invalidArgValue('UNIXPROC_LEAK_GRACE_MS', process.env.UNIXPROC_LEAK_GRACE_MS, 'was renamed UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS (see docs/conventions.md)');
    }
    const killGracePeriod = msFromEnv('UNIXPROC_LEAK_KILL_GRACE_PERIOD_MS', 1000);
    const unnamed = await guard.settle(settle);
    if (unnamed.ok) return;
    // Who started each one: the records of unixproc/jest/environment, when it was used.
    const report = attachProvenance(unnamed);
    const cleanup = await guard.cleanup({ killGracePeriod });
    const after = cleanup.remaining.ok
      ? 'They have been killed and reaped.'
      : `Some could not be cleaned up:\n${formatLeakReport(cleanup.remaining)}`;
    throw new Error(`the test run left processes behind.\n${formatLeakReport(report)}${after}`);
  } finally {
    guard.dispose();
    setGuard(undefined);
    removeProvenanceRunDir(getRunDir());
    setRunDir(undefined);
    delete process.env[GUARD_PID_ENV];
  }
}

export = globalTeardown;
