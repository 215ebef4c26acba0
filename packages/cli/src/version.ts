/** The version of @covet/cli, printed by `covet --version`. */
export const VERSION = '0.0.0';
