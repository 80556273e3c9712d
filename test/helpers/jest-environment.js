'use strict';
// unixproc/jest/environment from the TypeScript sources (the fixture projects of
// test/integration/guard-provenance.test.ts use it as their testEnvironment).
require('./ts-register.js');

module.exports = require('../../lib/integrations/jest/environment.ts');
