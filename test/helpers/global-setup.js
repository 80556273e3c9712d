'use strict';
// The suite's own leak check, through the library's jest integration
// (lib/integrations/jest/global-setup.ts, published as unixproc/jest/global-setup): jest's
// main process becomes a child subreaper, so every process a test orphans is re-parented
// here rather than to PID 1, and global-teardown.js fails the run if any is left behind.
// The suite runs from the TypeScript sources, not dist/: ts-register.js loads them.
require('./ts-register.js');

module.exports = async function globalSetup(...args) {
  await require('../../lib/integrations/jest/global-setup.ts')(...args);
  globalThis.__UNIXPROC_SUITE_PID__ = process.pid;
};
