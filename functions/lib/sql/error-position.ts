/**
 * Where a PostgreSQL error position falls in the SQL text it was reported on.
 * PostgreSQL counts characters (code points in a UTF-8 database) from 1, while
 * a JavaScript string is indexed in UTF-16 code units, two for an emoji: so the
 * text is walked by code point, never by index.
 *
 * @example lineAndColumnOfPosition("SELECT '😀',\n  nope", 15) // { line: 2, column: 3 }
 */
export function lineAndColumnOfPosition(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let at = 1;
  // A position past the end (it should not be) stops at the end of the text.
  for (const ch of text) {
    if (at >= position) break;
    if (ch === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
    at++;
  }
  return { line, column };
}
