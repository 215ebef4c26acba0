// Inlined by the bundler at build time (and read from the source tree under vitest), so the
// version printed is always the package's own, as set by `changeset version`.
import manifest from '../package.json' with { type: 'json' };

/** The version of @covet/cli, printed by `covet --version`. */
export const VERSION: string = manifest.version;
