/**
 * The one reading of a Redshift DATEFORMAT / TIMEFORMAT pattern
 * ('MM/DD/YYYY', 'YYYY-MM-DD HH24:MI:SS', ...): `config validate` checks it
 * (cross-field-checks.ts) and the local warehouse compiles it into a value
 * converter (adapters/postgres/postgres-date-format.ts), so both see the same
 * parts in the same places.
 */

export type DateTimePart =
  | 'year'
  | 'year2'
  | 'month'
  | 'monthName'
  | 'day'
  | 'hour24'
  | 'hour12'
  | 'minute'
  | 'second'
  | 'meridiem';

// Longest first, so HH24 wins over HH, YYYY over YY and MONTH over MON.
const TOKENS: ReadonlyArray<readonly [string, DateTimePart]> = [
  ['YYYY', 'year'],
  ['MONTH', 'monthName'],
  ['HH24', 'hour24'],
  ['HH12', 'hour12'],
  ['MON', 'monthName'],
  ['YY', 'year2'],
  ['MM', 'month'],
  ['DD', 'day'],
  ['HH', 'hour24'],
  ['MI', 'minute'],
  ['SS', 'second'],
  ['AM', 'meridiem'],
  ['PM', 'meridiem'],
];

/** Digits a numeric part has at most (and exactly, where no separator follows). */
export const PART_DIGITS: Partial<Record<DateTimePart, number>> = {
  year: 4,
  year2: 2,
  month: 2,
  day: 2,
  hour24: 2,
  hour12: 2,
  minute: 2,
  second: 2,
};

/** One piece of a pattern: a part with the text that named it, or one literal character. */
export type FormatToken = { part: DateTimePart; text: string; at: number } | { literal: string; at: number };

/**
 * The pattern's pieces, left to right. A letter that starts no part is a
 * literal here; the validity check decides whether such a letter is allowed.
 *
 * @example
 * tokenizeDateTimeFormat('DD.MM.YY'); // day, '.', month, '.', year2
 */
export function tokenizeDateTimeFormat(format: string): FormatToken[] {
  const out: FormatToken[] = [];
  let i = 0;
  while (i < format.length) {
    const token = TOKENS.find(([t]) => format.startsWith(t, i));
    if (token) {
      out.push({ part: token[1], text: token[0], at: i });
      i += token[0].length;
    } else {
      out.push({ literal: format[i]!, at: i });
      i++;
    }
  }
  return out;
}
