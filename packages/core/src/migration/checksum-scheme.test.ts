import { describe, expect, it } from 'vitest';
import { CHECKSUM_SCHEME, checksumScheme, compareChecksums, isCurrentChecksumScheme, withChecksumScheme } from './checksum-scheme.js';

const HEX = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

describe('checksum schemes', () => {
  it('reads a bare SHA-256 hex (written before checksums carried their scheme) as scheme v1', () => {
    expect(CHECKSUM_SCHEME).toBe('v1');
    expect(withChecksumScheme(HEX)).toBe(`v1:${HEX}`);
    expect(withChecksumScheme(`v1:${HEX}`)).toBe(`v1:${HEX}`);
    expect(withChecksumScheme(`v0:${HEX}`)).toBe(`v0:${HEX}`);
    expect(checksumScheme(HEX)).toBe('v1');
    expect(checksumScheme(`v7:${HEX}`)).toBe('v7');
    expect(checksumScheme('not a checksum')).toBeUndefined();
    expect(isCurrentChecksumScheme(HEX)).toBe(true);
    expect(isCurrentChecksumScheme(`v0:${HEX}`)).toBe(false);
  });

  it('compares a row with its file: unchanged, edited, or of another scheme vouched for by the text hash', () => {
    const file = { checksum: `v1:${HEX}`, sourceHash: 'text' };
    expect(compareChecksums({ checksum: `v1:${HEX}`, sourceHash: null }, file)).toBe('unchanged');
    expect(compareChecksums({ checksum: HEX, sourceHash: null }, file)).toBe('unchanged');
    expect(compareChecksums({ checksum: `v1:${OTHER}`, sourceHash: 'text' }, file)).toBe('edited');
    // Another scheme: the text hash says whether the file is the one applied.
    expect(compareChecksums({ checksum: `v0:${OTHER}`, sourceHash: 'text' }, file)).toBe('rescheme');
    expect(compareChecksums({ checksum: `v0:${OTHER}`, sourceHash: 'other text' }, file)).toBe('edited');
    expect(compareChecksums({ checksum: `v0:${OTHER}`, sourceHash: null }, file)).toBe('edited');
    expect(compareChecksums({ checksum: `v0:${OTHER}`, sourceHash: null }, { checksum: `v1:${HEX}` })).toBe('edited');
  });
});
