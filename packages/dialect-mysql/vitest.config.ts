import { defineConfig } from 'vitest/config';

// The tests create and drop real databases (one of 500 tables); on a loaded machine (CI,
// parallel turbo tasks) dropping it takes longer than vitest's 10 s hook default, which then
// fails a test that is not wrong, only late. This bound only catches a hang.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
