/**
 * `unixproc/vitest/setup`: Vitest `setupFiles` entry of the leak guard's per-file check
 * (see {@link installVitestLeakCheck} in `unixproc/vitest`). Vitest imports it as an ES
 * module (dist/esm/vitest-setup.mjs, which takes `afterAll` and `expect` from `vitest`); this
 * CommonJS form is for `test.globals: true`, where they are globals.
 * @packageDocumentation
 * @module unixproc/vitest/setup
 */
import { invalidState } from '../../errors';
import { installVitestLeakCheck, type VitestApi } from './index';

const g = globalThis as unknown as Partial<VitestApi>;
if (typeof g.afterAll !== 'function' || g.expect === undefined) {
  throw invalidState("unixproc/vitest/setup was required outside Vitest's globals: import it (setupFiles does), or call installVitestLeakCheck({ afterAll, expect })");
}
installVitestLeakCheck({ afterAll: g.afterAll, expect: g.expect });

export {};
