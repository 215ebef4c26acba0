// How MySQL and MariaDB name the files of a table or a database: the name in the server's
// `filename` character set, where each character other than ASCII letters, digits and `_` is
// written as `@` and 2 characters (letters of Latin, Greek, Cyrillic, Armenian, Roman
// numerals, circled and full-width Latin: `é` is `@0p`) or `@` and 4 hex digits (`中` is
// `@4e2d`, a space `@0020`). The file system limits a file name to 255 bytes, the server adds
// `.frm` / `.ibd` to a table's, so a table's encoded name fits in 251 and a database's (a
// directory) in 255, although either may be 64 characters long: a 64-character name of
// non-ASCII letters can fail with errno 36 ("File name too long").

/** The longest encoded name of a table (255 bytes, less `.frm` / `.ibd`). */
export const MAX_TABLE_FILE_NAME = 251;
/** The longest encoded name of a database (a directory: 255 bytes). */
export const MAX_DATABASE_FILE_NAME = 255;

/**
 * Code points written as `@` and two characters, as inclusive pairs of ranges (read from the
 * server: `LENGTH(CONVERT(CHAR(cp USING utf32) USING filename))` = 3, MariaDB 10.11; the
 * table is MySQL's too, in strings/ctype-utf8.c).
 */
const THREE = [0xc0, 0xd6, 0xd8, 0xf6, 0xf8, 0x12f, 0x131, 0x1be, 0x1c4, 0x1c4, 0x1c6, 0x1c7, 0x1c9, 0x1ca, 0x1cc, 0x1f1, 0x1f3, 0x1f6, 0x1f8, 0x241, 0x250, 0x2af, 0x386, 0x386, 0x388, 0x38a, 0x38c, 0x38c, 0x38e, 0x3a1, 0x3a3, 0x3ce, 0x3d0, 0x3d7, 0x3d9, 0x3f3, 0x3f5, 0x3f6, 0x3f8, 0x3f8, 0x3fb, 0x481, 0x48a, 0x4ce, 0x4d0, 0x4f9, 0x500, 0x50f, 0x531, 0x555, 0x561, 0x585, 0x1e00, 0x1e9b, 0x1ea0, 0x1ef9, 0x1f00, 0x1f15, 0x1f18, 0x1f1d, 0x1f20, 0x1f45, 0x1f48, 0x1f4d, 0x1f50, 0x1f57, 0x1f59, 0x1f59, 0x1f5b, 0x1f5b, 0x1f5d, 0x1f5d, 0x1f5f, 0x1f7d, 0x1f80, 0x1fb4, 0x1fb6, 0x1fbc, 0x1fc2, 0x1fc4, 0x1fc6, 0x1fcc, 0x1fd0, 0x1fd3, 0x1fd6, 0x1fdb, 0x1fe0, 0x1fec, 0x1ff2, 0x1ff3, 0x1ff6, 0x1ffc, 0x2160, 0x217f, 0x24b6, 0x24e9, 0xff21, 0xff3a, 0xff41, 0xff5a];

/** The length of `name` in the server's file names (`@0p`, `@4e2d`; see above). */
export function fileNameLength(name: string): number {
  let length = 0;
  for (const character of name) {
    const codePoint = character.codePointAt(0)!;
    if ((codePoint >= 0x30 && codePoint <= 0x39) || (codePoint >= 0x41 && codePoint <= 0x5a) || (codePoint >= 0x61 && codePoint <= 0x7a) || codePoint === 0x5f) length += 1;
    else length += isThree(codePoint) ? 3 : 5;
  }
  return length;
}

function isThree(codePoint: number): boolean {
  let low = 0;
  let high = THREE.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < THREE[middle * 2]!) high = middle - 1;
    else if (codePoint > THREE[middle * 2 + 1]!) low = middle + 1;
    else return true;
  }
  return false;
}
