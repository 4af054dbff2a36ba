/**
 * Config mistakes that span several fields or need more than a type, caught by
 * `efi config validate` (schema validation runs `CROSS_FIELD_RULES`) so they
 * are never blamed on a file later (issue 8, E13). Pure: no I/O, no imports
 * above config/.
 */

import { type DateTimePart, tokenizeDateTimeFormat } from './date-time-format.ts';
import type { FieldRule } from './field-rules.ts';
import { transformSqlProblems } from './transform-sql.ts';

/** The parts of a file entry these checks read (structural, so schema.ts need not export its types). */
export interface CrossCheckedEntry {
  header?: boolean | { lines?: number | undefined; columns?: string[] | undefined } | undefined;
  columns?: ReadonlyArray<string | { name: string }> | undefined;
  split?: unknown;
  load?: { dateFormat?: string | null | undefined; timeFormat?: string | null | undefined } | undefined;
  transform?: { sql: string } | null | undefined;
}

/** Run by schema validation (schema-rules.ts), each once the fields it reads are valid. */
export const CROSS_FIELD_RULES: readonly FieldRule<CrossCheckedEntry>[] = [
  {
    reads: ['header.columns', 'columns', 'split?'],
    check: (f, add) => {
      const headerColumns = typeof f.header === 'object' ? f.header.columns : undefined;
      if (headerColumns && f.columns && !f.split && headerColumns.length !== f.columns.length) {
        add(
          ['header', 'columns'],
          `header.columns has ${headerColumns.length} names but columns has ${f.columns.length}: every file would be rejected; list the same fields in both (header.columns is the header line as delivered, columns the fields loaded in file order)`,
        );
      }
    },
  },
  ...(['dateFormat', 'timeFormat'] as const).map(
    (key): FieldRule<CrossCheckedEntry> => ({
      reads: [`load.${key}`],
      check: (f, add) => {
        const format = f.load?.[key];
        if (typeof format !== 'string') return;
        const problem = redshiftDateTimeFormatProblem(format, key === 'dateFormat' ? 'date' : 'timestamp');
        if (problem) add(['load', key], `${key} ${JSON.stringify(format)}: ${problem}`);
      },
    }),
  ),
  {
    reads: ['transform.sql'],
    check: (f, add) => {
      if (!f.transform) return;
      for (const message of transformSqlProblems(f.transform.sql)) add(['transform', 'sql'], message);
    },
  },
];

type Part = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'meridiem';

/** What a part gives, whichever way it is written (YY and YYYY both give the year). */
const GIVES: Record<DateTimePart, Part> = {
  year: 'year',
  year2: 'year',
  month: 'month',
  monthName: 'month',
  day: 'day',
  hour24: 'hour',
  hour12: 'hour',
  minute: 'minute',
  second: 'second',
  meridiem: 'meridiem',
};

/**
 * Why `format` is not a Redshift DATEFORMAT/TIMEFORMAT string, or null.
 * 'auto', 'epochsecs' and 'epochmillisecs' (TIMEFORMAT) are accepted as words, in lower case only.
 *
 * @example
 * redshiftDateTimeFormatProblem('DD/MM/YYYY HH:MM', 'timestamp');
 * // 'MM appears twice: MM is the month; minutes are MI (write DD/MM/YYYY HH:MI)'
 */
const TIME_ZONE_PARTS = new Set(['TZ', 'TZH', 'TZM', 'OF']);

export function redshiftDateTimeFormatProblem(format: string, kind: 'date' | 'timestamp'): string | null {
  const word = format.toLowerCase();
  // "The 'auto', 'epochsecs', and 'epochmillisecs' keywords are case-sensitive" (TIMEFORMAT): 'AUTO' is no keyword.
  if ((word === 'auto' || word === 'epochsecs' || word === 'epochmillisecs') && format !== word) {
    return `not a keyword: Redshift's 'auto', 'epochsecs' and 'epochmillisecs' are case-sensitive (lower case); write ${word}`;
  }
  if (word === 'auto') return null;
  if (word === 'epochsecs' || word === 'epochmillisecs') {
    return kind === 'timestamp'
      ? null
      : `${format} is one of the TIMEFORMAT values only (Redshift): it applies to timeFormat only; dateFormat takes 'auto' or a pattern`;
  }
  const seen = new Map<Part, string>();
  for (const t of tokenizeDateTimeFormat(format)) {
    if ('literal' in t) {
      if (!/[A-Za-z]/.test(t.literal)) continue;
      const word = format.slice(t.at).match(/^[A-Za-z]+/)![0];
      if (TIME_ZONE_PARTS.has(word)) {
        return `a time zone specifier (${word}) cannot be part of a ${kind === 'date' ? 'DATEFORMAT' : 'TIMEFORMAT'} string (Redshift refuses it): use 'auto' for values with offsets`;
      }
      return `${JSON.stringify(word)} is not a Redshift date/time part (parts are upper case: YYYY YY MM MON DD HH HH24 HH12 MI SS AM PM)`;
    }
    const part = GIVES[t.part];
    const before = seen.get(part);
    if (before !== undefined) {
      if (part === 'month' && t.text === 'MM' && seen.has('hour') && !seen.has('minute')) {
        const fixed = `${format.slice(0, t.at)}MI${format.slice(t.at + 2)}`;
        return `MM appears twice: MM is the month; minutes are MI (write ${fixed})`;
      }
      return `${before} and ${t.text} both give the ${part}`;
    }
    seen.set(part, t.text);
  }
  if (!seen.has('year')) return 'has no year (YYYY or YY)';
  if (!seen.has('month')) return 'has no month (MM or MON)';
  if (!seen.has('day')) return 'has no day (DD)';
  // A dateFormat may hold time parts: Redshift reads and ignores them ("The date format can include time
  // information (hour, minutes, seconds), but this information is ignored", DATEFORMAT).
  return null;
}
