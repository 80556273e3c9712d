'use strict';
/** @type {import('jest').Config} */
module.exports = {
  // Node's, plus a check that a test file leaves no child (zombie or live) in its worker.
  testEnvironment: '<rootDir>/test/helpers/zombie-environment.js',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // The suite owns every orphan it makes and fails if any process is left behind: the
  // library's own jest integration (unixproc/jest/global-setup and global-teardown), loaded
  // from lib/ by these two shims.
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
