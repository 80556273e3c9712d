'use strict';
// The suite must leave nothing behind: the library's jest integration
// (lib/integrations/jest/global-teardown.ts, published as unixproc/jest/global-teardown)
// reports every process a test left (not jest's workers), kills and reaps it by identity
// (never by name), and fails the run. See global-setup.js.
require('./ts-register.js');

module.exports = async function globalTeardown(...args) {
  await require('../../lib/integrations/jest/global-teardown.ts')(...args);
};
