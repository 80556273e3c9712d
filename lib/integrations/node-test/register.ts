/**
 * `unixproc/node-test/register`: `node --test --import unixproc/node-test/register` (or
 * `--require`) guards every test file's process with {@link leakGuard}. In the runner's
 * own process (started with `--test`), where the files are its children, and in worker
 * threads (where `--require` preloads run too), it does nothing.
 * @packageDocumentation
 */
import { isMainThread } from 'node:worker_threads';
import { leakGuard } from './index';

// --require preloads run again in every worker thread: the guard belongs to the main one.
if (isMainThread && !process.execArgv.includes('--test')) leakGuard();
