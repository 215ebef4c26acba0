// A checksum carries the scheme it was computed with (`v1:` + SHA-256 hex), so that when what
// is hashed changes (a new scheme), a row of an older scheme is recomputed instead of being
// reported as an edit. Rows written before checksums carried their scheme hold the bare hex of
// scheme v1 (the only scheme there was): they read as `v1:`.

/** The scheme of the checksums this Covet computes (see computeChecksum). */
export const CHECKSUM_SCHEME = 'v1';

const PREFIXED = /^(v\d+):/;
const BARE_SHA256 = /^[0-9a-f]{64}$/;

/** A stored checksum with its scheme: a bare SHA-256 hex (written before schemes) becomes `v1:<hex>`. */
export function withChecksumScheme(checksum: string): string {
  return BARE_SHA256.test(checksum) ? `${CHECKSUM_SCHEME}:${checksum}` : checksum;
}

/** The scheme of a checksum (`v1`, ...); undefined when it names none. */
export function checksumScheme(checksum: string): string | undefined {
  return PREFIXED.exec(withChecksumScheme(checksum))?.[1];
}

/** Whether a stored checksum is of the scheme this Covet computes. */
export function isCurrentChecksumScheme(checksum: string): boolean {
  return checksumScheme(checksum) === CHECKSUM_SCHEME;
}

/**
 * How an applied migration's tracking row compares with its file:
 * - `unchanged`: the same checksum;
 * - `edited`: the file means something else than what was applied;
 * - `rescheme`: the row's checksum is of another scheme, and the file's text is the one that was
 *   applied (its text hash, recorded with the row, is the file's): not an edit; the row gets the
 *   checksum of the current scheme.
 *
 * A row of another scheme whose text hash does not vouch for the file (none recorded, or the
 * text changed) cannot be compared: it counts as edited, and `covet resolve --accept-edit`
 * records the current checksum once the person has looked.
 */
export type ChecksumComparison = 'unchanged' | 'edited' | 'rescheme';

/** Compares a tracking row (`checksum`, `sourceHash`) with the migration file's (see {@link ChecksumComparison}). */
export function compareChecksums(
  row: { readonly checksum: string; readonly sourceHash: string | null },
  file: { readonly checksum: string; readonly sourceHash?: string | undefined },
): ChecksumComparison {
  const recorded = withChecksumScheme(row.checksum);
  if (recorded === file.checksum) return 'unchanged';
  if (checksumScheme(recorded) === checksumScheme(file.checksum)) return 'edited';
  return row.sourceHash !== null && row.sourceHash === file.sourceHash ? 'rescheme' : 'edited';
}
