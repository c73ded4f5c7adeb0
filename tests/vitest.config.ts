import { defineConfig } from 'vitest/config';

// The feature tests (tests/<feature>/, mirroring api/) run in parallel files (each with its own temp database); the e2e files
// start real servers and Chromium, so they run in their own project without file parallelism.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 30_000,
    hookTimeout: 240_000,
    projects: [
      {
        extends: true,
        test: { name: 'features', include: ['tests/**/*.test.ts'], exclude: ['tests/e2e/**', '**/node_modules/**'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 },
      },
    ],
  },
});
