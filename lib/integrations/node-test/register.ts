/**
 * `unixproc/node-test/register`: `node --test --import unixproc/node-test/register` (or
 * `--require`) guards every test file's process with {@link leakGuard}. In the runner's
 * own process (started with `--test`), where the files are its children, it does nothing.
 * @packageDocumentation
 */
import { leakGuard } from './index';

if (!process.execArgv.includes('--test')) leakGuard();
