/**
 * `unixproc/node-test/register`: `node --test --import unixproc/node-test/register` (or
 * `--require`) guards every test file's process with {@link leakGuard}. It does nothing:
 * - in the runner's own process (started with `--test`), where the files are its children;
 * - in worker threads (where `--require` preloads run too);
 * - in node processes that a guarded test file starts with the module preloaded (a
 *   `child_process.fork()` passes the file's execArgv on, NODE_OPTIONS is inherited): they
 *   are the code under test, which may leave a daemon on purpose, and the file's guard
 *   already sees whatever they leave. The guarded process records its pid in the
 *   environment variable `UNIXPROC_NODE_TEST_GUARD_PID`, which they inherit; the mark
 *   counts only while that pid is one of their ancestors.
 * @packageDocumentation
 */
import { isMainThread } from 'node:worker_threads';
import * as path from 'node:path';
import { installProvenance } from '../../guard/provenance';
import { ancestors } from '../../proc/tree';
import { leakGuard } from './index';

const GUARD_PID = 'UNIXPROC_NODE_TEST_GUARD_PID';

function isTestFileProcess(): boolean {
  if (!isMainThread || process.execArgv.includes('--test')) return false;
  const guardedBy = Number(process.env[GUARD_PID]);
  if (!Number.isSafeInteger(guardedBy) || guardedBy <= 0 || guardedBy === process.pid) return true;
  // Only a live ancestor's mark counts: one inherited from elsewhere (a CI step's saved
  // environment, a runner started by a guarded file whose guard has exited) is stale.
  return !ancestors(process.pid).some((p) => p.pid === guardedBy);
}

if (isTestFileProcess()) {
  leakGuard();
  process.env[GUARD_PID] = String(process.pid);
  if (process.argv[1] !== undefined) process.env.UNIXPROC_NODE_TEST_FILE = process.argv[1];
} else if (isMainThread && !process.execArgv.includes('--test')) {
  // A node process the guarded file started (the code under test): its own spawns are
  // recorded too, in the file's provenance directory (inherited), as started by the file.
  const testFile = process.env.UNIXPROC_NODE_TEST_FILE;
  installProvenance({ context: () => ({ testFile: testFile === undefined ? undefined : path.resolve(testFile), testName: undefined }) });
}
