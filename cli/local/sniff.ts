/**
 * Guesses a feed's shape from a sample of its text (`efi init`): delimiter,
 * quote, header, trailer and column types. Pure; the guesses are a starting
 * point a person reviews, so each one says why it was made.
 */

export type ColumnType =
  | { kind: 'integer' | 'bigint' | 'date' | 'timestamp' }
  | { kind: 'numeric'; precision: number; scale: number }
  | { kind: 'varchar'; bytes: number };

export interface SniffedColumn {
  name: string;
  type: ColumnType;
  /** No empty value in the sample. */
  notNull: boolean;
  /** Longest value in the sample, in bytes (UTF-8). */
  maxBytes: number;
}

export interface Sniffed {
  delimiter: string;
  quote: '"' | null;
  lineEnding: 'lf' | 'crlf';
  header: string[] | null;
  /** The trailer line and a countPattern that reads its count, when the last line looks like one. */
  trailer: { line: string; pattern: string; count: number } | null;
  records: number;
  columns: SniffedColumn[];
  notes: string[];
}

const CANDIDATES = ['~|~', '|', '\t', ',', ';'];
const INT = /^-?\d{1,18}$/;
const NUMERIC = /^-?\d+\.\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
const INT4_MAX = 2_147_483_647;

/** Splits one line (quotes may hold the delimiter; doubled quotes are one). */
export function splitLine(line: string, delimiter: string, quote: string | null): string[] {
  if (quote === null || !line.includes(quote)) return line.split(delimiter);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line.startsWith(quote, i)) {
      let v = '';
      let j = i + 1;
      for (;;) {
        const close = line.indexOf(quote, j);
        if (close < 0) {
          v += line.slice(j);
          j = line.length;
          break;
        }
        v += line.slice(j, close);
        if (line.startsWith(quote, close + 1)) {
          v += quote;
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      out.push(v);
      if (j >= line.length) return out;
      i = j + delimiter.length;
      continue;
    }
    const next = line.indexOf(delimiter, i);
    if (next < 0) {
      out.push(line.slice(i));
      return out;
    }
    out.push(line.slice(i, next));
    i = next + delimiter.length;
  }
}

/** Records of the sample: lines, except that a quoted field may span lines. */
function records(text: string, quote: string | null): string[] {
  const lines = text.split(/\r?\n/);
  if (quote === null) return lines;
  const out: string[] = [];
  let pending: string | null = null;
  for (const l of lines) {
    const joined: string = pending === null ? l : `${pending}\n${l}`;
    const quotes = joined.split(quote).length - 1;
    if (quotes % 2 === 1) pending = joined;
    else {
      out.push(joined);
      pending = null;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

/** snake_case identifier for a header name, unique in the list. */
export function columnName(raw: string, index: number, taken: Set<string>): string {
  let n = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!n || /^\d/.test(n)) n = `col_${n || index + 1}`;
  n = n.slice(0, 60);
  let unique = n;
  for (let k = 2; taken.has(unique); k++) unique = `${n}_${k}`;
  taken.add(unique);
  return unique;
}

export function sniff(text: string): Sniffed {
  const notes: string[] = [];
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lineEnding = /\r\n/.test(body.slice(0, 65536)) ? 'crlf' : 'lf';
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('the sample has no non-blank lines');

  // The delimiter that splits most of the first lines into the same number (> 1) of fields.
  const head = lines.slice(0, 200);
  let best = { delimiter: ',', score: -1, fields: 1 };
  for (const d of CANDIDATES) {
    const counts = new Map<number, number>();
    for (const l of head) {
      const n = splitLine(l, d, '"').length;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    const [fields, hits] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    // Longer delimiters first in CANDIDATES: `~|~` wins over `|` on ties.
    if (fields > 1 && hits > best.score) best = { delimiter: d, score: hits, fields };
  }
  if (best.score < 0) notes.push('no delimiter splits the lines: assumed one column, delimiter ","');
  const delimiter = best.delimiter;
  const fieldStart = new RegExp(`(^|${escapeRe(delimiter)})"`);
  const quote = head.some((l) => fieldStart.test(l)) || !body.includes('"') ? '"' : null;
  if (quote === null) notes.push('double quotes appear inside fields, not around them: quoting is off (quote: null)');

  const recs = records(body, quote).filter((r) => r.trim() !== '');
  let rows = recs.map((r) => splitLine(r, delimiter, quote));
  const width = best.fields;

  // A trailer: a last line with another field count, holding a number.
  let trailer: Sniffed['trailer'] = null;
  const last = recs.at(-1)!;
  if (rows.length > 2 && rows.at(-1)!.length !== width && /\d/.test(last)) {
    const m = /(\d+)(?!.*\d)/.exec(last)!;
    const pattern = `^${escapeRe(last.slice(0, m.index))}(\\d+)${escapeRe(last.slice(m.index + m[1]!.length))}$`;
    trailer = { line: last, pattern, count: Number(m[1]) };
    rows = rows.slice(0, -1);
  }

  // A header: a first row of names where the rows below have numbers or dates.
  const first = rows[0]!;
  const typed = (v: string) => INT.test(v) || NUMERIC.test(v) || DATE.test(v) || TIMESTAMP.test(v);
  const looksLikeNames = first.every((v) => v.trim() !== '' && !typed(v.trim()));
  const below = rows.slice(1, 50);
  const typedBelow = first.some((_, i) => below.length > 0 && below.every((r) => typed((r[i] ?? '').trim())));
  const distinct = below.length > 0 && below.every((r) => r.join('\u0000') !== first.join('\u0000'));
  let header: string[] | null = null;
  if (looksLikeNames && (typedBelow || (distinct && first.every((v) => /^[A-Za-z_][\w .-]*$/.test(v.trim()))))) {
    header = first.map((v) => v.trim());
    rows = rows.slice(1);
  }
  if (trailer && trailer.count !== rows.length) {
    notes.push(
      `the last line ${JSON.stringify(trailer.line)} looks like a trailer, but its number ${trailer.count} is not the ${rows.length} data records of the sample: check trailer.countPattern`,
    );
  }

  const taken = new Set<string>();
  const names = header
    ? header.map((h, i) => columnName(h, i, taken))
    : Array.from({ length: width }, (_, i) => columnName('', i, taken));
  const columns = names.map((name, i) =>
    typeOf(
      name,
      rows.map((r) => (r[i] ?? '').trim()),
    ),
  );
  if (rows.some((r) => r.length !== width)) {
    notes.push(`some records do not have ${width} fields: look at the sample before trusting these columns`);
  }
  return { delimiter, quote, lineEnding, header, trailer, records: rows.length, columns, notes };
}

function typeOf(name: string, values: string[]): SniffedColumn {
  const present = values.filter((v) => v !== '');
  const maxBytes = Math.max(0, ...values.map((v) => Buffer.byteLength(v)));
  const all = (re: RegExp) => present.length > 0 && present.every((v) => re.test(v));
  let type: ColumnType;
  if (all(INT) && present.some((v) => v.length > 1 && v.startsWith('0'))) {
    type = varchar(maxBytes); // leading zeros are codes, not numbers
  } else if (all(INT)) {
    type = { kind: present.every((v) => Math.abs(Number(v)) <= INT4_MAX) ? 'integer' : 'bigint' };
  } else if (all(/^-?\d+(\.\d+)?$/)) {
    const scale = Math.max(...present.map((v) => (v.split('.')[1] ?? '').length));
    const digits = Math.max(...present.map((v) => v.replace(/^-/, '').split('.')[0]!.length));
    type = { kind: 'numeric', precision: Math.min(38, Math.max(digits + scale + 2, 10)), scale };
  } else if (all(DATE) && present.every((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)))) {
    type = { kind: 'date' };
  } else if (all(TIMESTAMP)) {
    type = { kind: 'timestamp' };
  } else type = varchar(maxBytes);
  return { name, type, notNull: present.length === values.length && values.length > 0, maxBytes };
}

/** Room to grow: twice the longest sample value, at least 16 bytes (Redshift counts varchar lengths in bytes). */
function varchar(maxBytes: number): ColumnType {
  return { kind: 'varchar', bytes: Math.min(65535, Math.max(16, Math.ceil((maxBytes * 2) / 8) * 8)) };
}

export function sqlType(t: ColumnType): string {
  switch (t.kind) {
    case 'numeric':
      return `numeric(${t.precision},${t.scale})`;
    case 'varchar':
      return `varchar(${t.bytes})`;
    default:
      return t.kind;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
