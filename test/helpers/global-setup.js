'use strict';
// Makes the jest main process a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER), so
// every process the suite orphans is re-parented here rather than to PID 1, and the
// teardown can find it. See test/helpers/global-teardown.js.
const path = require('node:path');

module.exports = async function globalSetup() {
  const binding = require('node-gyp-build')(path.join(__dirname, '..', '..'));
  const r = binding.setChildSubreaper(true);
  if (r < 0) throw new Error(`prctl(PR_SET_CHILD_SUBREAPER) failed: errno ${-r}`);
  globalThis.__UNIXPROC_SUITE_PID__ = process.pid;
};
