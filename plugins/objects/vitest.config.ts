import { defineConfig } from 'vitest/config';

// Tests here start processes, open databases and import built packages; on a loaded machine
// (CI, parallel turbo tasks) that takes seconds, and vitest's 5 s default then fails a test
// that is not wrong, only late. A test waits for the event it needs; this bound only catches
// a hang.
export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
