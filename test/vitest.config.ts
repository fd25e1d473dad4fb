// Test configuration: lives under test/ because the package top level is fixed.
// Tests run from TypeScript sources; CLI tests spawn the built dist/ (built by `npm ci` via prepare).
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    pool: 'forks',
  },
});
