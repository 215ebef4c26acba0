// The built package as projects load it (run after the build, as `pnpm test` does).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('the built package', () => {
  it('has one copy of its code behind its CommonJS entries (the covet binary loads index and dialect)', () => {
    const core = require('@covet/core') as typeof import('./index.js');
    const dialect = require('@covet/core/dialect') as typeof import('./dialect.js');
    expect(dialect.CovetError).toBe(core.CovetError);
    expect(dialect.getTable).toBe(core.getTable);
    expect(dialect.EMPTY_STATE).toBe(core.EMPTY_STATE);
  });

  it('has one copy of its code behind its ES module entries', async () => {
    const core = await import('@covet/core');
    const dialect = await import('@covet/core/dialect');
    expect(dialect.CovetError).toBe(core.CovetError);
    expect(dialect.getTable).toBe(core.getTable);
  });

  it('knows its build (compiled plans are cached under it)', () => {
    const core = require('@covet/core') as typeof import('./index.js');
    expect(core.CORE_BUILD_ID).toMatch(/^\d+\.\d+\.\d+.*\+[0-9a-f]{16}$/);
  });
});
