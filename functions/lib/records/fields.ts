/**
 * Byte-level field splitting of one delimited record (any delimiter length,
 * optional quote byte, Redshift REMOVEQUOTES and ESCAPE in text mode). Used for
 * the header check, ValidateFile's field counts of records with quotes or
 * escapes, rewriting multi-character delimiters to CSV and the local load's
 * rewrite; a record with none of those is counted with indexOf alone.
 */

import type { NextByte } from './next-byte.ts';

export interface FieldVisitor {
  /**
   * A field: [start, end) of buf. For a quoted field the range is inside the
   * quotes and doubled quotes are still doubled.
   */
  field(buf: Buffer, start: number, end: number, quoted: boolean): void;
}

const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/** Where a record could not be split: 1-based field index and what was wrong. */
export interface FieldError {
  field: number;
  problem: string;
}

/**
 * The one field splitter of a delimited record (ValidateFile's count, the
 * header check, Preprocess's CSV rewrite and the local load all split with
 * it, so what one accepts the others read alike). Splits [start, end) of buf
 * into fields; returns null or the first problem, with its field number.
 *
 * With a quote byte (CSV) a quoted field runs to its closing quote, doubled
 * quotes inside. Without one (text mode, where Redshift takes these options):
 * - `removeQuotes` (Redshift REMOVEQUOTES): a field that starts with " or '
 *   runs to the same quote followed by the delimiter or the end, delimiters
 *   inside it kept; it is visited as quoted, without its quotes. An opening
 *   quote never closed fails the record, as Redshift refuses the row.
 * - `escapeByte` (Redshift ESCAPE): the byte after it is data, inside quotes
 *   or not (`\|` is no delimiter, `\"` closes no quote); the visited range
 *   still holds the escapes (`unescapeField` undoes them).
 *
 * @example splitFields(Buffer.from('a|"b|c"'), 0, 7, Buffer.from('|'), null, visitor, true) // visits a, then b|c (quoted)
 */
export function splitFields(
  buf: Buffer,
  start: number,
  end: number,
  delimiter: Buffer,
  quote: number | null,
  visitor: FieldVisitor,
  removeQuotes = false,
  escapeByte: number | null = null,
): FieldError | null {
  const dlen = delimiter.length;
  const d0 = delimiter[0]!;
  // Redshift COPY refuses ESCAPE and REMOVEQUOTES with CSV: they apply to text mode only.
  const esc = quote === null ? escapeByte : null;
  let pos = start;
  let index = 1;
  for (;;) {
    const open = removeQuotes && quote === null && pos < end ? buf[pos]! : -1;
    if (open === DOUBLE_QUOTE || open === SINGLE_QUOTE) {
      const close = closingQuote(buf, pos + 1, end, open, delimiter, d0, dlen, esc);
      if (close === -1) {
        return {
          field: index,
          problem: `its opening quote ${String.fromCharCode(open)} is never closed (load.removeQuotes)`,
        };
      }
      visitor.field(buf, pos + 1, close, true);
      if (close + 1 === end) return null;
      pos = close + 1 + dlen;
      index++;
      continue;
    }
    // Redshift CSV: "white space between the delimiters and the quote characters is ignored"
    // (the delimiter itself, a tab say, is never white space). A field that is not quoted
    // once its blanks are skipped is read as before, blanks and quotes as data.
    const qStart = quote !== null ? skipQuotePadding(buf, pos, end, d0) : pos;
    if (quote !== null && qStart < end && buf[qStart] === quote) {
      let i = qStart + 1;
      let close = -1;
      while (i < end) {
        const q: number = buf.indexOf(quote, i);
        if (q === -1 || q >= end) break;
        if (q + 1 < end && buf[q + 1] === quote) {
          i = q + 2;
          continue;
        }
        close = q;
        break;
      }
      const after = close === -1 ? -1 : skipQuotePadding(buf, close + 1, end, d0);
      const ends = after !== -1 && (after === end || matchesAt(buf, after, end, delimiter, d0, dlen));
      if (ends || qStart === pos) {
        if (close === -1) return { field: index, problem: 'its opening quote is never closed' };
        if (!ends) {
          return {
            field: index,
            problem: `its closing quote is followed by ${JSON.stringify(String.fromCharCode(buf[close + 1]!))} instead of the delimiter`,
          };
        }
        visitor.field(buf, qStart + 1, close, true);
        if (after === end) return null;
        pos = after + dlen;
        index++;
        continue;
      }
    }
    const next =
      esc === null
        ? findDelimiter(buf, pos, end, delimiter, d0, dlen)
        : unescapedDelimiter(buf, pos, end, delimiter, esc);
    if (next === -1) {
      visitor.field(buf, pos, end, false);
      return null;
    }
    visitor.field(buf, pos, next, false);
    pos = next + dlen;
    index++;
  }
}

/**
 * Whether the byte at `i` is an escape that makes the next byte data: Redshift
 * ESCAPE, except a lone escape at the record's end, which is data itself.
 */
function escapes(buf: Buffer, i: number, end: number, esc: number | null): boolean {
  return buf[i] === esc && i + 1 < end;
}

/** The closing `open` quote of a REMOVEQUOTES field (followed by the delimiter or the end), or -1. */
function closingQuote(
  buf: Buffer,
  from: number,
  end: number,
  open: number,
  delimiter: Buffer,
  d0: number,
  dlen: number,
  esc: number | null,
): number {
  for (let i = from; i < end; i++) {
    if (escapes(buf, i, end, esc)) i++;
    else if (buf[i] === open && (i + 1 === end || matchesAt(buf, i + 1, end, delimiter, d0, dlen))) return i;
  }
  return -1;
}

/** The next delimiter not made data by an escape, or -1. */
function unescapedDelimiter(buf: Buffer, from: number, end: number, delimiter: Buffer, esc: number): number {
  const dlen = delimiter.length;
  const d0 = delimiter[0]!;
  for (let i = from; i < end; i++) {
    if (escapes(buf, i, end, esc)) i++;
    else if (matchesAt(buf, i, end, delimiter, d0, dlen)) return i;
  }
  return -1;
}

/**
 * A field's bytes with Redshift ESCAPE undone: each escape is dropped and the
 * byte after it kept (`\\` is a backslash, `\n` the letter n, an escaped line
 * feed a line feed); a lone escape at the record's end stays. The range itself
 * when it holds no escape.
 *
 * @example unescapeField(Buffer.from('x\\|y'), 0, 4, 0x5c).toString() // 'x|y'
 */
export function unescapeField(buf: Buffer, start: number, end: number, escapeByte: number): Buffer {
  const first = buf.indexOf(escapeByte, start);
  if (first === -1 || first >= end) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = buf.copy(out, 0, start, first);
  for (let i = first; i < end; i++) {
    if (escapes(buf, i, end, escapeByte)) i++;
    out[n++] = buf[i]!;
  }
  return out.subarray(0, n);
}

/**
 * A blank that may pad a quoted CSV field (Redshift: "white space between the
 * delimiters and the quote characters is ignored"): a space or a tab, unless
 * it is the delimiter's first byte (a tab delimiter is never white space).
 */
function isQuotePad(b: number | undefined, d0: number): boolean {
  return (b === 0x20 || b === 0x09) && b !== d0;
}

/** Past the blanks at `from`: where a padded quoted CSV field's quote may be. */
function skipQuotePadding(buf: Buffer, from: number, end: number, d0: number): number {
  let i = from;
  while (i < end && isQuotePad(buf[i], d0)) i++;
  return i;
}

/**
 * Whether `buf` may hold a quoted CSV field padded with blanks (`, "a" ,`),
 * which Redshift reads without them and PostgreSQL's CSV COPY with them: a
 * quote next to a space or tab that has only blanks between it and a field
 * boundary (the delimiter's first byte, a line end, or the buffer's edge, so
 * a probe of a cut stream errs towards yes). Byte-level, for the load's probes.
 */
export function mayHaveQuotePadding(buf: Buffer, quote: number, d0: number): boolean {
  const isPad = (b: number | undefined) => isQuotePad(b, d0);
  const boundary = (b: number | undefined) => b === undefined || b === d0 || b === 0x0a || b === 0x0d;
  // One native scan for the quote byte; a pad next to it is rare, and only then are the bytes walked.
  for (let q = buf.indexOf(quote); q !== -1; q = buf.indexOf(quote, q + 1)) {
    const before = buf[q - 1];
    const after = buf[q + 1];
    // Most quotes touch a delimiter, a line end or text: one test each, no walk.
    if (before !== 0x20 && before !== 0x09 && after !== 0x20 && after !== 0x09) continue;
    if (isPad(before)) {
      let i = q - 1;
      while (isPad(buf[i])) i--;
      if (boundary(buf[i])) return true;
    }
    if (isPad(after)) {
      let i = q + 1;
      while (isPad(buf[i])) i++;
      if (boundary(buf[i])) return true;
    }
  }
  return false;
}

function matchesAt(buf: Buffer, at: number, end: number, delimiter: Buffer, d0: number, dlen: number): boolean {
  if (at + dlen > end || buf[at] !== d0) return false;
  for (let k = 1; k < dlen; k++) if (buf[at + k] !== delimiter[k]) return false;
  return true;
}

function findDelimiter(buf: Buffer, from: number, end: number, delimiter: Buffer, d0: number, dlen: number): number {
  if (from >= end) return -1;
  const j = dlen === 1 ? buf.indexOf(d0, from) : buf.indexOf(delimiter, from);
  return j === -1 || j + dlen > end ? -1 : j;
}

/**
 * Redshift NULL AS: an unquoted field is NULL when it is the marker, as
 * written or, under ESCAPE, once unescaped (the docs: `\\N` is NULL as `\N`
 * is). A quoted field is never NULL. The local load and Preprocess's CSV
 * rewrite both decide with this.
 */
export function isNullMarker(written: string, value: string, quoted: boolean, marker: string | null): boolean {
  return !quoted && marker !== null && (value === marker || written === marker);
}

/** Field values as strings (header check): quotes removed, doubled quotes undone. */
export function fieldStrings(
  buf: Buffer,
  start: number,
  end: number,
  delimiter: Buffer,
  quote: number | null,
): { fields: string[]; error: FieldError | null } {
  const fields: string[] = [];
  const q = quote === null ? '' : String.fromCharCode(quote);
  const error = splitFields(buf, start, end, delimiter, quote, {
    field(b, s, e, quoted) {
      const text = b.toString('utf8', s, e);
      fields.push(quoted ? text.split(q + q).join(q) : text);
    },
  });
  return { fields, error };
}

const COMMA = 0x2c;
const DQUOTE = 0x22;

/**
 * Re-encodes one record as RFC 4180 CSV (',' and '"') into a reusable buffer.
 * A field is quoted when it was quoted in the source (keeps "" distinct from
 * NULL under EMPTYASNULL) or when it holds a comma, quote, CR or LF.
 */
export class CsvRewriter implements FieldVisitor {
  private out = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private first = true;
  private readonly marker: Buffer | null;

  /**
   * `removeQuotes`: split as Redshift REMOVEQUOTES reads the record; `escaping` (text mode): split and
   * unescape as Redshift ESCAPE reads it, `nullAs` the NULL AS marker in effect (`effectiveNullAs`). The
   * CSV written needs neither option: a field NULL AS matches is written as the bare marker, the CSV
   * load's NULL, and every other value unescaped.
   */
  constructor(
    private readonly delimiter: Buffer,
    private readonly quote: number | null,
    private readonly removeQuotes = false,
    private readonly escaping: { byte: number; nullAs: string } | null = null,
  ) {
    this.marker = escaping === null ? null : Buffer.from(escaping.nullAs, 'utf8');
  }

  /** Rewrites a record; returns the bytes (valid until the next call) or the split problem. */
  rewrite(buf: Buffer, start: number, end: number): { bytes: Buffer; error: FieldError | null } {
    this.len = 0;
    this.first = true;
    const error = splitFields(
      buf,
      start,
      end,
      this.delimiter,
      this.quote,
      this,
      this.removeQuotes,
      this.escaping?.byte ?? null,
    );
    return { bytes: this.out.subarray(0, this.len), error };
  }

  field(buf: Buffer, start: number, end: number, quoted: boolean): void {
    if (this.escaping !== null) {
      const value = unescapeField(buf, start, end, this.escaping.byte);
      const marker = this.marker!;
      const mayBeNull = !quoted && (end - start === marker.length || value.length === marker.length);
      if (
        mayBeNull &&
        isNullMarker(buf.toString('utf8', start, end), value.toString('utf8'), quoted, this.escaping.nullAs)
      ) {
        this.write(marker, 0, marker.length, false);
        return;
      }
      this.write(value, 0, value.length, quoted);
      return;
    }
    this.write(buf, start, end, quoted);
  }

  private write(buf: Buffer, start: number, end: number, quoted: boolean): void {
    // Worst case every byte is a quote that doubles, plus separators.
    this.reserve((end - start) * 2 + 3);
    const out = this.out;
    let n = this.len;
    if (!this.first) out[n++] = COMMA;
    this.first = false;
    let needsQuotes = quoted;
    if (!needsQuotes) {
      for (let i = start; i < end; i++) {
        const b = buf[i]!;
        if (b === COMMA || b === DQUOTE || b === 0x0a || b === 0x0d) {
          needsQuotes = true;
          break;
        }
      }
    }
    if (!needsQuotes) {
      n += buf.copy(out, n, start, end);
      this.len = n;
      return;
    }
    const srcQuote = quoted ? this.quote : null;
    out[n++] = DQUOTE;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      // A doubled source quote is one literal quote.
      if (srcQuote !== null && b === srcQuote) i++;
      if (b === srcQuote || b === DQUOTE) {
        out[n++] = DQUOTE;
        out[n++] = DQUOTE;
      } else out[n++] = b;
    }
    out[n++] = DQUOTE;
    this.len = n;
  }

  private reserve(extra: number): void {
    if (this.len + extra <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.len + extra));
    this.out.copy(next, 0, 0, this.len);
    this.out = next;
  }
}

/** Finders for the quote and escape bytes, kept by a pass over many records (see NextByte). */
export interface FieldFinders {
  quote?: NextByte;
  escape?: NextByte;
  /** With REMOVEQUOTES: the two quote characters a field may start with. */
  doubleQuote?: NextByte;
  singleQuote?: NextByte;
}

/**
 * Counts the fields of one record without building strings: a record without
 * the quote byte is counted with indexOf alone (the common case); otherwise it
 * is split. `error` is the first problem splitting found (quote not closed, or
 * a closing quote not followed by the delimiter), with its field number.
 * `lastEmpty` says the last field is empty and unquoted (the record ends with
 * a delimiter), which `fitFieldCount` needs.
 */
export function countFields(
  buf: Buffer,
  start: number,
  end: number,
  delimiter: Buffer,
  quote: number | null,
  escapeByte: number | null = null,
  finders: FieldFinders = {},
  removeQuotes = false,
): { count: number; lastEmpty: boolean; error: FieldError | null } {
  const split =
    quote === null
      ? (removeQuotes &&
          (hasByte(buf, start, end, DOUBLE_QUOTE, finders.doubleQuote) ||
            hasByte(buf, start, end, SINGLE_QUOTE, finders.singleQuote))) ||
        (escapeByte !== null && hasByte(buf, start, end, escapeByte, finders.escape))
      : hasByte(buf, start, end, quote, finders.quote);
  if (!split) {
    const dlen = delimiter.length;
    let count = 1;
    let at = start;
    for (;;) {
      const j = dlen === 1 ? buf.indexOf(delimiter[0]!, at) : buf.indexOf(delimiter, at);
      if (j === -1 || j + dlen > end) break;
      count++;
      at = j + dlen;
    }
    return { count, lastEmpty: count > 1 && at === end, error: null };
  }
  FIELD_COUNTER.n = 0;
  FIELD_COUNTER.lastEmpty = false;
  const error = splitFields(buf, start, end, delimiter, quote, FIELD_COUNTER, removeQuotes, escapeByte);
  const count = FIELD_COUNTER.n;
  return { count: error ? error.field : count, lastEmpty: count > 1 && FIELD_COUNTER.lastEmpty, error };
}

/** One visitor for every quoted record countFields splits (synchronous: never in use twice at once). */
const FIELD_COUNTER = {
  n: 0,
  lastEmpty: false,
  field(_b: Buffer, s: number, e: number, quoted: boolean) {
    FIELD_COUNTER.n++;
    FIELD_COUNTER.lastEmpty = s === e && !quoted;
  },
};

// A module function, not a closure per record: per-record allocations dominate a pass this hot.
function hasByte(buf: Buffer, start: number, end: number, byte: number, finder: NextByte | undefined): boolean {
  if (finder) return finder.within(buf, start, end);
  const at = buf.indexOf(byte, start);
  return at !== -1 && at < end;
}

/**
 * How Redshift COPY fits a delimited record of `count` fields to `expected`
 * columns: exactly; one field more that is empty and unquoted is a trailing
 * delimiter it ignores (the docs' venue_noseats.txt); fewer fields load as
 * empty with FILLRECORD; anything else is a load error (Redshift's "Extra
 * column(s) found" / "Delimiter not found"). ValidateFile and the local load
 * both decide with this.
 */
export type FieldCountFit = 'exact' | 'trailingDelimiter' | 'filled' | 'extra' | 'missing';

export function fitFieldCount(count: number, expected: number, lastEmpty: boolean, fillRecord: boolean): FieldCountFit {
  if (count === expected) return 'exact';
  if (count === expected + 1 && lastEmpty) return 'trailingDelimiter';
  if (count > expected) return 'extra';
  return fillRecord ? 'filled' : 'missing';
}

/**
 * Where the record has a quote inside an unquoted CSV field (`2,12" pizza,20`),
 * or null: a quote opens quoting only at a field's start (after the delimiter
 * and any blanks, or the record's start); inside quotes a doubled quote is data.
 * Redshift documents no reading of such a quote, and the local fast path
 * (PostgreSQL's CSV COPY: quoting from there on) and the rewrite (data) read it
 * differently, so ValidateFile names it where a record fails because of it.
 * `line` counts the line feeds before it; `field` is 1-based.
 */
export function strayQuote(
  buf: Buffer,
  start: number,
  end: number,
  delimiter: Buffer,
  quote: number,
): { at: number; line: number; field: number } | null {
  const dlen = delimiter.length;
  const d0 = delimiter[0]!;
  let inQuoted = false;
  let field = 1;
  let from = start;
  for (let q = buf.indexOf(quote, start); q !== -1 && q < end; q = buf.indexOf(quote, q + 1)) {
    if (inQuoted) {
      if (q + 1 < end && buf[q + 1] === quote) q++;
      else {
        inQuoted = false;
        from = q + 1;
      }
      continue;
    }
    field += occurrences(buf, from, q, delimiter);
    let p = q;
    while (p > start && isQuotePad(buf[p - 1], d0)) p--;
    const atFieldStart = p === start || (p - dlen >= start && matchesAt(buf, p - dlen, p, delimiter, d0, dlen));
    if (!atFieldStart) return { at: q, line: occurrences(buf, start, q, LINE_FEED), field };
    inQuoted = true;
    from = q + 1;
  }
  return null;
}

const LINE_FEED = Buffer.from('\n');

/** How many times `needle` occurs in buf[from, to). */
export function occurrences(buf: Buffer, from: number, to: number, needle: Buffer): number {
  let n = 0;
  for (
    let i = buf.indexOf(needle, from);
    i !== -1 && i + needle.length <= to;
    i = buf.indexOf(needle, i + needle.length)
  )
    n++;
  return n;
}
