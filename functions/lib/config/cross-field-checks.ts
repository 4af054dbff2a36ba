/**
 * Config mistakes that span several fields or need more than a type, caught by
 * `efi config validate` (schema validation calls `crossFieldIssues`) so they
 * are never blamed on a file later (issue 8, E13). Pure: no I/O, no imports
 * above config/.
 */

/** One problem, at the config path to fix. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/** The parts of a file entry these checks read (structural, so schema.ts need not export its types). */
export interface CrossCheckedEntry {
  header?: boolean | { lines?: number | undefined; columns?: string[] | undefined } | undefined;
  columns?: ReadonlyArray<string | { name: string }> | undefined;
  split?: unknown;
  load?: { dateFormat?: string | null | undefined; timeFormat?: string | null | undefined } | undefined;
}

export function crossFieldIssues(f: CrossCheckedEntry): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const headerColumns = typeof f.header === 'object' ? f.header.columns : undefined;
  if (headerColumns && f.columns && !f.split && headerColumns.length !== f.columns.length) {
    issues.push({
      path: ['header', 'columns'],
      message: `header.columns has ${headerColumns.length} names but columns has ${f.columns.length}: every file would be rejected; list the same fields in both (header.columns is the header line as delivered, columns the fields loaded in file order)`,
    });
  }
  for (const key of ['dateFormat', 'timeFormat'] as const) {
    const format = f.load?.[key];
    if (typeof format !== 'string') continue;
    const problem = redshiftDateTimeFormatProblem(format, key === 'dateFormat' ? 'date' : 'timestamp');
    if (problem) issues.push({ path: ['load', key], message: `${key} ${JSON.stringify(format)}: ${problem}` });
  }
  return issues;
}

type Part = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'meridiem';

// Redshift's DATEFORMAT/TIMEFORMAT parts, longest first (HH24 before HH, YYYY before YY, MONTH before MON).
const TOKENS: Array<[string, Part]> = [
  ['YYYY', 'year'],
  ['MONTH', 'month'],
  ['HH24', 'hour'],
  ['HH12', 'hour'],
  ['MON', 'month'],
  ['YY', 'year'],
  ['MM', 'month'],
  ['DD', 'day'],
  ['HH', 'hour'],
  ['MI', 'minute'],
  ['SS', 'second'],
  ['AM', 'meridiem'],
  ['PM', 'meridiem'],
];

/**
 * Why `format` is not a Redshift DATEFORMAT/TIMEFORMAT string, or null.
 * 'auto', 'epochsecs' and 'epochmillisecs' (TIMEFORMAT) are accepted as words.
 *
 * @example
 * redshiftDateTimeFormatProblem('DD/MM/YYYY HH:MM', 'timestamp');
 * // 'MM appears twice: MM is the month; minutes are MI (write DD/MM/YYYY HH:MI)'
 */
const TIME_ZONE_PARTS = new Set(['TZ', 'TZH', 'TZM', 'OF']);

export function redshiftDateTimeFormatProblem(format: string, kind: 'date' | 'timestamp'): string | null {
  const word = format.toLowerCase();
  if (word === 'auto') return null;
  if (word === 'epochsecs' || word === 'epochmillisecs') {
    return kind === 'timestamp'
      ? null
      : `${format} is one of the TIMEFORMAT values only (Redshift): it applies to timeFormat only; dateFormat takes 'auto' or a pattern`;
  }
  const seen = new Map<Part, string>();
  let i = 0;
  while (i < format.length) {
    const token = TOKENS.find(([t]) => format.startsWith(t, i));
    if (!token) {
      const c = format[i]!;
      if (/[A-Za-z]/.test(c)) {
        const word = format.slice(i).match(/^[A-Za-z]+/)![0];
        if (TIME_ZONE_PARTS.has(word)) {
          return `a time zone specifier (${word}) cannot be part of a ${kind === 'date' ? 'DATEFORMAT' : 'TIMEFORMAT'} string (Redshift refuses it): use 'auto' for values with offsets`;
        }
        return `${JSON.stringify(word)} is not a Redshift date/time part (parts are upper case: YYYY YY MM MON DD HH HH24 HH12 MI SS AM PM)`;
      }
      i++;
      continue;
    }
    const [text, part] = token;
    const before = seen.get(part);
    if (before !== undefined) {
      if (part === 'month' && text === 'MM' && seen.has('hour') && !seen.has('minute')) {
        const fixed = `${format.slice(0, i)}MI${format.slice(i + 2)}`;
        return `MM appears twice: MM is the month; minutes are MI (write ${fixed})`;
      }
      return `${before} and ${text} both give the ${part}`;
    }
    seen.set(part, text);
    i += text.length;
  }
  if (!seen.has('year')) return 'has no year (YYYY or YY)';
  if (!seen.has('month')) return 'has no month (MM or MON)';
  if (!seen.has('day')) return 'has no day (DD)';
  if (kind === 'date' && (seen.has('hour') || seen.has('minute') || seen.has('second'))) {
    return 'a dateFormat has no time of day: put time parts in timeFormat';
  }
  return null;
}
