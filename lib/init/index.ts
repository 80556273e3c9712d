/**
 * `unixproc/init`: makes a Node process a correct PID 1 for a container. Import it first:
 * `import 'unixproc/init'` (or `require('unixproc/init')`).
 *
 * - Every orphan adopted by this process (PID 1 of its pid namespace, or a child subreaper)
 *   is reaped as it exits, and never a child that child_process, `spawn()` or unixproc/os
 *   started here: their owners still get their exits.
 * - As PID 1, SIGTERM, SIGINT and SIGHUP end the process (status 143, 130, 129) while the
 *   application has no listener of its own for them; the kernel would otherwise drop them.
 *
 * In an ordinary process (not PID 1, not a subreaper) it reaps nothing and adds no signal
 * listener. Unlike the other entry points, which do nothing until first use, this one
 * starts at import. See docs/init.md.
 * @packageDocumentation
 * @module unixproc/init
 */
import { startInit } from './start';

export { initStatus } from './start';
export type { InitStatus } from './start';

startInit();
