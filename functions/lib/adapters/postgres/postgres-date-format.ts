import { type DateTimePart, PART_DIGITS, tokenizeDateTimeFormat } from '../../config/date-time-format.ts';
import { ConfigInvalid } from '../../errors.ts';

/**
 * Redshift DATEFORMAT / TIMEFORMAT strings ('MM/DD/YYYY', 'DD.MM.YYYY',
 * 'YYYYMMDD', 'YYYY-MM-DD HH24:MI:SS', 'epochsecs', ...) compiled once into a
 * converter from the file's text to the ISO text PostgreSQL parses without
 * guessing. PostgreSQL's own DateStyle cannot express these (and would read
 * '01/02/2024' by locale), so the local warehouse reformats such columns in
 * the part transform instead.
 */

/** Converts one value; returns null when the value does not match the format. */
export type DateTimeConverter = (value: string) => string | null;

/**
 * Only 'auto' goes to PostgreSQL's own (lenient) parser. Every format string,
 * and the default (no DATEFORMAT/TIMEFORMAT = 'YYYY-MM-DD' / 'YYYY-MM-DD
 * HH:MI:SS'), is matched strictly here: Redshift refuses a value that does not
 * match it, where PostgreSQL would read `01/25/2008` in any of them.
 */
export function isNativeDateTimeFormat(format: string | null): boolean {
  return format === 'auto';
}

/** Redshift's formats when COPY has no DATEFORMAT / TIMEFORMAT. */
export const DEFAULT_DATE_FORMAT = 'YYYY-MM-DD';
export const DEFAULT_TIME_FORMAT = 'YYYY-MM-DD HH:MI:SS';

/**
 * The converter the part transform applies to a DATE (`kind` date) or
 * TIMESTAMP column, or null when PostgreSQL reads the values itself ('auto'
 * without ACCEPTANYDATE). With ACCEPTANYDATE, 'auto' is recognised here too,
 * so that what is not a date can load NULL.
 */
export function converterFor(
  format: string | null,
  kind: 'date' | 'timestamp',
  what: string,
  acceptAnyDate = false,
): DateTimeConverter | null {
  if (format === 'auto') return acceptAnyDate ? autoConverter(kind) : null;
  return dateTimeConverter(format ?? (kind === 'date' ? DEFAULT_DATE_FORMAT : DEFAULT_TIME_FORMAT), kind, what);
}

/**
 * Redshift's default TIMESTAMPTZ format, 'YYYY-MM-DD HH:MI:SSOF' ("OF is the
 * offset from UTC (for example, -8:00)", DATEFORMAT and TIMEFORMAT strings):
 * the TIMESTAMP default, then an optional offset, kept for PostgreSQL to apply.
 *
 * @example
 * withUtcOffset(dateTimeConverter(DEFAULT_TIME_FORMAT, 'timestamp', 'x'))('2003-03-31 18:45:05-8:00');
 * // '2003-03-31 18:45:05-08:00'
 */
export function withUtcOffset(base: DateTimeConverter): DateTimeConverter {
  return (value) => {
    const m = /^(.*:\d{2}(?:\.\d+)?)([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(value);
    if (!m) return base(value);
    const time = base(m[1]!);
    const hours = Number(m[3]);
    const minutes = m[4] ?? '00';
    if (time === null || hours > 15 || Number(minutes) > 59) return null;
    return `${time}${m[2]}${m[3]!.padStart(2, '0')}:${minutes}`;
  };
}

/**
 * 'auto' recognition in JavaScript (used with ACCEPTANYDATE only, where a
 * value that is not a date must load NULL instead of failing): the formats of
 * Redshift's DATEFORMAT/TIMEFORMAT table and of *Using automatic recognition*
 * (ISO 8601, Julian `J2451187`, BC `Jan-08-95 BC`, YYYYMMDD HHMISS, YYMMDD
 * HHMISS, YYYY.DDD, DD Mon HH:MI:SS YYYY TZ, MM/DD/YYYY HH:MI:SS.SS TZ, ...),
 * read as PostgreSQL's cast reads them with DateStyle MDY (the docs test 'auto'
 * with CAST): `03.04.2003` is March 4, `17.12.1997` is no date. A trailing
 * time zone is kept for PostgreSQL to apply (a TIMESTAMP drops it, as a cast
 * does). A value none of them reads is not a date.
 *
 * @example
 * autoConverter('date')('J2451187'); // '1999-01-08'
 * autoConverter('timestamp')('17 Dec 07:37:16 1997 PST'); // '1997-12-17 07:37:16 PST'
 */
export function autoConverter(kind: 'date' | 'timestamp'): DateTimeConverter {
  const formats = [
    'YYYY-MM-DD HH24:MI:SS',
    'YYYY-MM-DD HH24:MI',
    'YYYY-MM-DD',
    'MM/DD/YYYY HH24:MI:SS',
    'MM/DD/YYYY HH24:MI',
    'MM/DD/YYYY',
    'MM-DD-YYYY',
    'MM/DD/YY',
    'MM.DD.YYYY HH24:MI:SS',
    'MM.DD.YYYY',
    'YYYYMMDD HH24MISS',
    'YYYYMMDD',
    'YYMMDD HH24MISS',
    'YYMMDD',
    'YYYY/MM/DD HH24:MI:SS',
    'YYYY/MM/DD',
    'MON DD, YYYY',
    'MON DD YYYY',
    'MON-DD-YYYY',
    'MON-DD-YY',
    'DD MON YYYY',
    'DD MON HH24:MI:SS YYYY',
    'DD-MON-YYYY',
    'YYYY-MON-DD',
  ].map((f) => dateTimeConverter(f, 'timestamp', 'auto format'));
  const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/;
  const julian = /^J(\d{1,7})(?:\s+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?$/;
  const dayOfYear = /^(\d{4})\.(\d{3})$/;
  const bc = /^([A-Za-z]{3,9})-(\d{1,2})-(\d{1,4})\s+BC$|^(\d{1,4})-(\d{1,2})-(\d{1,2})\s+BC$/i;
  // A zone PostgreSQL knows without a timezone_abbreviations change, or an offset.
  const zone =
    /^(.*\d)\s*(?:\s(UTC|GMT|Z|[PMCE][SD]T|AK[SD]T|HST|WET|WEST|CET|CEST|EET|EEST)|([+-]\d{1,2}(?::?\d{2})?))$/i;
  const out = (ts: string | null): string | null => (ts === null ? null : kind === 'date' ? ts.slice(0, 10) : ts);
  const read = (v: string): string | null => {
    const m = iso.exec(v);
    if (m) {
      if (formats[2]!(m[1]!) === null) return null;
      return kind === 'date' ? m[1]! : `${m[1]} ${m[2]}${m[3] ?? ''}`;
    }
    const j = julian.exec(v);
    if (j) {
      // Julian day 2440588 is 1970-01-01; PostgreSQL and Redshift use the proleptic Gregorian calendar, as Date does.
      const day = new Date((Number(j[1]) - 2440588) * 86_400_000).toISOString().slice(0, 10);
      const time = j[2] ? formats[0]!(`${day} ${j[2].length <= 5 ? `${j[2]}:00` : j[2]}`) : `${day} 00:00:00`;
      return out(time);
    }
    const d = dayOfYear.exec(v);
    if (d) {
      const days = Number(d[2]);
      const year = Number(d[1]);
      if (days < 1 || days > (daysIn(year, 2) === 29 ? 366 : 365)) return null;
      return out(`${new Date(Date.UTC(year, 0, days)).toISOString().slice(0, 10)} 00:00:00`);
    }
    const b = bc.exec(v);
    if (b) {
      // BC years are as written (Jan-08-95 BC is 95 BC, not 1995 BC).
      const month = b[1] !== undefined ? monthOf(b[1]) : Number(b[5]);
      const day = Number(b[2] ?? b[6]);
      const year = Number(b[3] ?? b[4]);
      if (month < 1 || month > 12 || year < 1 || day < 1 || day > daysIn(1 - year, month)) return null;
      const date = `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
      return kind === 'date' ? `${date} BC` : `${date} 00:00:00 BC`;
    }
    for (const f of formats) {
      const ts = f(v);
      if (ts !== null) return out(ts);
    }
    return null;
  };
  return (value) => {
    const v = value.trim();
    const direct = read(v);
    if (direct !== null) return direct;
    const z = zone.exec(v);
    if (!z) return null;
    const ts = read(z[1]!);
    if (ts === null || kind === 'date') return ts;
    return z[2] ? `${ts} ${z[2].toUpperCase()}` : `${ts}${z[3]}`;
  };
}

/** 1-12 for a month's three-letter or full name (any case), 0 for neither. */
function monthOf(name: string): number {
  const lower = name.toLowerCase();
  return (lower.length === 3 ? MONTHS.indexOf(lower) : MONTH_NAMES.indexOf(lower)) + 1;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/**
 * Compiles `format` for a column of `kind`. Throws ConfigInvalid when the
 * format has no date part or uses a part Redshift does not define.
 */
export function dateTimeConverter(format: string, kind: 'date' | 'timestamp', what: string): DateTimeConverter {
  // Case-sensitive, as in Redshift: 'EPOCHSECS' is a pattern (config validate refuses it).
  if (format === 'epochsecs' || format === 'epochmillisecs') {
    const scale = format === 'epochsecs' ? 1000 : 1;
    return (value) => {
      const v = value.trim();
      if (!/^-?\d+(\.\d+)?$/.test(v)) return null;
      const d = new Date(Number(v) * scale);
      if (Number.isNaN(d.getTime())) return null;
      const iso = d.toISOString();
      return kind === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
    };
  }

  const tokens = tokenizeDateTimeFormat(format);
  const parts: DateTimePart[] = [];
  let pattern = '';
  for (const [k, t] of tokens.entries()) {
    if ('literal' in t) {
      pattern += escapeRegExp(t.literal);
      continue;
    }
    const { part } = t;
    parts.push(part);
    const width = PART_DIGITS[part];
    if (part === 'monthName') pattern += '([A-Za-z]{3,9})';
    else if (part === 'meridiem') pattern += '([AaPp][Mm])';
    else if (part === 'second') pattern += '(\\d{1,2}(?:\\.\\d{1,6})?)';
    else {
      // Next to another number there is no separator: the width must be exact.
      const next = tokens[k + 1];
      const nextIsNumber = next !== undefined && 'part' in next && PART_DIGITS[next.part] !== undefined;
      pattern += nextIsNumber || part === 'year' || part === 'year2' ? `(\\d{${width}})` : `(\\d{1,${width}})`;
    }
  }
  if (!parts.includes('year') && !parts.includes('year2')) {
    throw new ConfigInvalid(`${what} ${JSON.stringify(format)} has no year (YYYY or YY): it cannot be read as a date`);
  }
  if (!parts.includes('month') && !parts.includes('monthName')) {
    throw new ConfigInvalid(`${what} ${JSON.stringify(format)} has no month (MM or MON): it cannot be read as a date`);
  }
  const re = new RegExp(`^${pattern}$`);

  return (value) => {
    const m = re.exec(value.trim());
    if (!m) return null;
    let year = 0;
    let month = 0;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = '00';
    let pm: boolean | null = null;
    let twelve = false;
    for (let k = 0; k < parts.length; k++) {
      const v = m[k + 1]!;
      switch (parts[k]!) {
        case 'year':
          year = Number(v);
          break;
        case 'year2':
          // PostgreSQL's and Redshift's pivot: 70-99 are the 1900s.
          year = Number(v) + (Number(v) < 70 ? 2000 : 1900);
          break;
        case 'month':
          month = Number(v);
          break;
        case 'monthName':
          month = monthOf(v);
          if (month === 0) return null;
          break;
        case 'day':
          day = Number(v);
          break;
        case 'hour24':
          hour = Number(v);
          break;
        case 'hour12':
          hour = Number(v);
          twelve = true;
          break;
        case 'minute':
          minute = Number(v);
          break;
        case 'second': {
          const [whole, fraction] = v.split('.');
          second = fraction === undefined ? pad(Number(whole)) : `${pad(Number(whole))}.${fraction}`;
          break;
        }
        case 'meridiem':
          pm = v.toLowerCase() === 'pm';
          break;
      }
    }
    if (twelve) {
      if (hour < 1 || hour > 12) return null;
      if (pm !== null) hour = (hour % 12) + (pm ? 12 : 0);
    } else if (pm !== null && hour >= 1 && hour <= 12) hour = (hour % 12) + (pm ? 12 : 0);
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
    if (hour > 23 || minute > 59 || Number(second) >= 60) return null;
    const date = `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
    return kind === 'date' ? date : `${date} ${pad(hour)}:${pad(minute)}:${second}`;
  };
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
