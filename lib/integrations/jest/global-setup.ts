/**
 * `unixproc/jest/global-setup`: jest `globalSetup` that starts a leak guard in jest's main
 * process. With `unixproc/jest/global-teardown` as `globalTeardown`, a run that leaves any
 * process behind (an orphan, a zombie, a daemon, a forgotten child) fails.
 *
 * ```js
 * // jest.config.js
 * module.exports = {
 *   globalSetup: 'unixproc/jest/global-setup',
 *   globalTeardown: 'unixproc/jest/global-teardown',
 * };
 * ```
 * The main process becomes a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): whatever a
 * test orphans, in any worker, is re-parented to it rather than to PID 1, so the teardown
 * sees it. See docs/leak-guard.md.
 * @packageDocumentation
 * @module unixproc/jest/global-setup
 */
import { GUARD_PID_ENV } from '../../guard/file-check';
import { startLeakGuard } from '../../guard/guard';
import { provenanceRunDir } from '../../guard/provenance';
import { getGuard, isJestWorker, setGuard, setRunDir } from './state';

/**
 * Starts the guard and creates the run's provenance directory (once per jest run; a second call, e.g. from a multi-project config,
 * keeps the first).
 * @throws EPERM/EINVAL from prctl(2); ENOENT/EACCES when /proc cannot be read.
 * @see prctl(2) PR_SET_CHILD_SUBREAPER
 */
async function globalSetup(): Promise<void> {
  const running = getGuard();
  if (running !== undefined && !running.disposed) return;
  setGuard(startLeakGuard({ ignore: isJestWorker }));
  // The run's provenance directory (lib/guard/provenance.ts), which Jest's workers inherit
  // with the environment: unixproc/jest/environment records every spawn of a test there.
  // Under `unixproc guard -- npx jest`, the guard's own: its report sees the records too.
  setRunDir(provenanceRunDir());
  process.env[GUARD_PID_ENV] = String(process.pid);
}

export = globalSetup;
