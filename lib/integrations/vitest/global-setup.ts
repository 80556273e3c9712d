/**
 * `unixproc/vitest/global-setup`: Vitest `globalSetup` entry of the leak guard (see
 * {@link vitestGlobalSetup} in `unixproc/vitest`): starts the guard in Vitest's main process
 * and returns the teardown that fails the run when processes were left behind.
 * @packageDocumentation
 * @module unixproc/vitest/global-setup
 */
import { vitestGlobalSetup } from './index';

export = vitestGlobalSetup;
