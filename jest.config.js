/** Jest projects: `unit` needs nothing running; `system` gets a real PostgreSQL, SMTP sink and
 * Temporal dev server started once by test/system-setup.ts (and the Java time-skipping test server
 * per file where a test asks for it). */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'system',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/{api,workflow,integration,e2e,replay,faults}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/system-setup.ts',
      globalTeardown: '<rootDir>/test/system-teardown.ts',
    },
  ],
};
