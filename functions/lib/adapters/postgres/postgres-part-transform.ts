import { isAscii, isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { MalformedRecord } from '../../errors.ts';
import {
  fitFieldCount,
  isNullMarker,
  mayHaveQuotePadding,
  occurrences,
  splitFields,
  unescapeField,
} from '../../records/fields.ts';
import { stopsInsideLastColumn } from '../../records/fixed-width.ts';
import { RecordScanner } from '../../records/record-scanner.ts';
import { firstInvalidUtf8 } from '../../records/transcode.ts';
import type { DateTimeConverter } from './postgres-date-format.ts';

/**
 * The local warehouse's per-part stream between the part and COPY, for what
 * PostgreSQL COPY cannot do itself but Redshift's COPY does: skip rows
 * rejected under MAXERROR, replace invalid UTF-8 (ACCEPTINVCHARS), and, when
 * a field rule needs it (FIXEDWIDTH, BLANKSASNULL, TRUNCATECOLUMNS, NULL AS
 * with EMPTYASNULL, DATEFORMAT/TIMEFORMAT patterns), rewrite each record as
 * canonical CSV where NULL is an unquoted empty field and '' is `""`.
 *
 * Records are found at the byte level (RecordScanner); fields are decoded
 * only in rewrite mode. Memory is bounded by a chunk plus one record.
 */

/** A row the transform itself refuses, located by its record number and physical line in the part. */
export class PartRowError extends Error {
  /** 1-based physical line where the record starts (line breaks inside quotes count); set by the transform. */
  line: number;

  constructor(
    /** 1-based record number in the part: what a retry skips. */
    readonly record: number,
    readonly column: string | null,
    readonly reason: string,
    readonly rawValue: string | null,
  ) {
    super(`record ${record}${column ? `, column ${column}` : ''}: ${reason}`);
    this.name = 'PartRowError';
    this.line = record;
  }
}

/** What the rewrite knows about one target column, in file order. */
export interface ColumnRule {
  name: string;
  /** A string type (text, varchar, char): empty and blank values are kept unless an option says NULL. */
  isText: boolean;
  /** VARCHAR or text: TRIMBLANKS applies (not to CHAR). */
  isVarchar?: boolean;
  /** n of VARCHAR(n)/CHAR(n): Redshift counts it in BYTES; longer values fail, or are cut under truncateColumns. */
  maxBytes: number | null;
  /** maxBytes is Redshift's 256 for a TEXT, VARCHAR or BPCHAR column without n, not in the DDL (for messages). */
  implicitLength?: boolean;
  /** CHAR: Redshift takes single-byte (ASCII) characters only, a multibyte one fails the row (error 1220). */
  singleByte?: boolean;
  /** BOOLEAN: only Redshift's literals load (PostgreSQL would also read 'on', 'off', 'tr', ...). */
  isBoolean?: boolean;
  /** SMALLINT/INTEGER/BIGINT/DECIMAL/REAL/DOUBLE: decimal numbers only (PostgreSQL 16+ also reads 0x1F, 0o17, 0b101, 1_000; strtod reads hexadecimal floats). */
  decimalOnly?: boolean;
  /** s of NUMERIC(p,s): without roundDecimals extra decimals are truncated, as Redshift does. */
  numericScale?: number | null;
  /** DECIMAL(19,s): Redshift keeps it in 8 bytes, its digits without the point at most 9223372036854775807. */
  int64Decimal?: boolean;
  /** Reformats the value for PostgreSQL (DATEFORMAT/TIMEFORMAT), with the format named for messages. */
  convert: { fn: DateTimeConverter; option: string; format: string } | null;
  /** Bytes in the record (fixed_width layout; Redshift FIXEDWIDTH counts bytes). */
  width: number | null;
}

export interface RewritePlan {
  layout: 'delimited' | 'fixed_width';
  columns: ColumnRule[];
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  /** The NULL AS marker in effect (Redshift's default is `\N`); null = none. */
  nullAs: string | null;
  truncateColumns: boolean;
  acceptAnyDate?: boolean;
  removeQuotes?: boolean;
  fillRecord?: boolean;
  trimBlanks?: boolean;
  roundDecimals?: boolean;
}

/**
 * Pass-through mode (records go to COPY in the part's own format): the rules
 * Redshift applies that a COPY of those bytes would not, checked per record
 * without parsing the fields of the records they cannot concern (a record
 * whose bytes are all ASCII has no value longer in bytes than in characters).
 */
export interface PassThroughChecks {
  /** File columns in order: VARCHAR(n) byte limit, NUMERIC scale (null when not truncated), string type. */
  columns: {
    name: string;
    maxBytes: number | null;
    /** maxBytes is Redshift's 256 for a column without a length: COPY checks no length, ASCII records are checked too. */
    implicitLength?: boolean;
    numericScale: number | null;
    isText: boolean;
    singleByte?: boolean;
  }[];
  /** EMPTYASNULL with the default NULL AS `\N`: an unquoted `\N` string field is NULL, which COPY's marker '' misses. */
  backslashNIsNull: boolean;
}

/**
 * Thrown by the pass-through stream when a record needs a rule only the
 * rewrite applies (a `\N` string field, decimals beyond a NUMERIC scale): the
 * caller rolls the part back and loads it through the rewrite.
 */
export class NeedsRewrite extends Error {
  constructor(
    readonly record: number,
    reason: string,
  ) {
    super(`record ${record} needs the rewrite: ${reason}`);
    this.name = 'NeedsRewrite';
  }
}

/**
 * A probe of a CSV part going to COPY untransformed: PostgreSQL reads a quoted
 * field padded with blanks (`1, "a" ,x`) with its blanks, Redshift without
 * them (*CSV*: white space between the delimiters and the quote characters is
 * ignored), so a part that may hold one throws NeedsRewrite and goes through
 * the rewrite, which splits as Redshift does (records/fields.ts splitFields).
 * The last byte of the buffer before is probed with the next one's first.
 */
export function quotePaddingProbe(delimiter: Buffer, quote: number): (bytes: Buffer) => void {
  const d0 = delimiter[0]!;
  // The buffer's start is a line's start, or else taken as a field boundary: either way, yes.
  return lineAligned((b) => {
    if (mayHaveQuotePadding(b, quote, d0)) throw new NeedsRewrite(0, 'a quoted field padded with blanks');
  });
}

/**
 * A probe that sees whole lines where a cut splits one: the unfinished line
 * the buffers so far end in is scanned again whole with the next buffer's
 * first line (a part starts at a record's start), so a pattern across a cut
 * is judged as in one buffer. A look at the few bytes around each cut, with
 * the cut taken as a field boundary, sent a 1 GB part to the rewrite about
 * once per 60 MB (`india "` cut before its quote). `scan` is told whether the
 * buffer starts at a line's start (not so only past a line of over 1 MiB).
 */
function lineAligned(scan: (buf: Buffer, lineStartKnown: boolean) => void): (bytes: Buffer) => void {
  let pending = Buffer.alloc(0);
  let lost = false;
  return (bytes) => {
    const nl = bytes.indexOf(0x0a);
    const headEnd = nl === -1 ? bytes.length : nl + 1;
    const head = pending.length > 0 ? Buffer.concat([pending, bytes.subarray(0, headEnd)]) : bytes.subarray(0, headEnd);
    scan(head, !lost);
    if (nl === -1) {
      // A line longer than this keeps no copy: the rest of it is judged without its start.
      lost = lost || head.length > MAX_PENDING_LINE;
      pending = lost ? Buffer.alloc(0) : Buffer.from(head);
      return;
    }
    const rest = bytes.subarray(headEnd);
    scan(rest, true);
    pending = Buffer.from(rest.subarray(rest.lastIndexOf(0x0a) + 1));
    lost = false;
  };
}

const MAX_PENDING_LINE = 1 << 20;

/**
 * A probe of a part going to COPY untransformed into a table with a numeric
 * column: PostgreSQL 16 and later read `0x1F`, `0o17`, `0b101` and `1_000` as
 * integers and decimals, its float input `0x1F` as 31; Redshift refuses them
 * (an integer is "a sequence of the digits 0-9" with an optional sign,
 * *Integer and floating-point literals*; load error 1207; floats in "standard
 * floating-point format ... or an exponential format", *Preparing your input
 * data*), so a part that may hold one throws NeedsRewrite and goes
 * through the rewrite, which refuses the row (applyRules). Text such as
 * `file_2024_01` may send a part there too: the rewrite loads it the same.
 */
export function nonDecimalProbe(
  delimiter: Buffer,
  quote: number | null,
  decimalFields: ReadonlySet<number>,
): (bytes: Buffer) => void {
  return lineAligned((buf, lineStartKnown) => {
    const hit = (i: number) => inDecimalField(buf, i, lineStartKnown, delimiter, quote, decimalFields);
    if (mayHaveNonDecimalNumber(buf, hit)) {
      throw new NeedsRewrite(0, 'a number PostgreSQL reads as hexadecimal, octal, binary or with _');
    }
  });
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
const isWordByte = (b: number | undefined) =>
  b !== undefined && (isDigit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f);
/** The second byte of a base prefix: x, o, b in either case (0x20 folds the case). */
const isBaseLetter = (b: number | undefined) =>
  b !== undefined && ((b | 0x20) === 0x78 || (b | 0x20) === 0x6f || (b | 0x20) === 0x62);

/**
 * A `_` between digits, or a base prefix (`0x`, `0o`, `0b`) at the start of a
 * word followed by a digit, letter or `_`, where `counts(i)` says the hit may
 * be in a numeric field. Single-byte native scans, each hit looked at in
 * place: a two-byte needle such as `0x` is searched far slower.
 */
function mayHaveNonDecimalNumber(buf: Buffer, counts: (i: number) => boolean): boolean {
  for (let i = buf.indexOf(0x5f); i !== -1; i = buf.indexOf(0x5f, i + 1)) {
    if (isDigit(buf[i - 1]) && isDigit(buf[i + 1]) && counts(i)) return true;
  }
  for (let i = buf.indexOf(0x30); i !== -1; i = buf.indexOf(0x30, i + 1)) {
    if (
      isBaseLetter(buf[i + 1]) &&
      !isWordByte(buf[i - 1]) &&
      buf[i - 1] !== 0x2e &&
      isWordByte(buf[i + 2]) &&
      counts(i)
    )
      return true;
  }
  return false;
}

/**
 * Whether the byte at `i` may be in one of the numeric fields: a hex id such
 * as `0b3c12ab` in a text column is no concern, and such ids are common
 * enough (1 in 256 random ones) that a column-blind probe sent nearly every
 * part holding them to the rewrite. The field is counted from the line's
 * start (the buffer's start when `lineStartKnown`); when a quote comes before
 * the hit on its line (a quoted delimiter or line break may be there), the
 * delimiter has several bytes, or the line's start is not known, the answer is yes.
 */
function inDecimalField(
  buf: Buffer,
  i: number,
  lineStartKnown: boolean,
  delimiter: Buffer,
  quote: number | null,
  decimalFields: ReadonlySet<number>,
): boolean {
  const nl = buf.lastIndexOf(0x0a, i);
  if ((nl === -1 && !lineStartKnown) || delimiter.length !== 1) return true;
  const from = nl + 1;
  if (quote !== null) {
    const q = buf.indexOf(quote, from);
    if (q !== -1 && q < i) return true;
  }
  return decimalFields.has(occurrences(buf, from, i, delimiter));
}

/**
 * Thrown by a slice probe (sliceProbe) when the part's bytes may hold what
 * the pass-through checks look for: the caller rolls the part back and copies
 * it again through the per-record PartTransform, which decides record by record.
 */
export class NeedsRecordChecks extends Error {
  constructor(reason: string) {
    super(`the part needs per-record checks: ${reason}`);
    this.name = 'NeedsRecordChecks';
  }
}

/**
 * The pass-through checks at the byte level, for a part COPYed untransformed:
 * a probe of each buffer (native scans: non-ASCII when a VARCHAR has a byte
 * limit, `\N`, a decimal longer than the smallest NUMERIC scale) that throws
 * NeedsRecordChecks when the buffer may hold a record the checks concern. A
 * clean part costs no per-record work. The last bytes of the buffer before
 * are probed with the next one's first, so a pattern across a cut is seen.
 * `quote` is the part's CSV quote byte (null: none): a line feed inside
 * quotes does not end a record.
 */
export function sliceProbe(checks: PassThroughChecks, quote: number | null = null): (bytes: Buffer) => void {
  const nonAscii = checks.columns.some((c) => c.maxBytes !== null || c.singleByte === true);
  const backslashN = checks.backslashNIsNull && checks.columns.some((c) => c.isText);
  const scales = checks.columns.map((c) => c.numericScale).filter((x): x is number => x !== null);
  // A decimal point then this many digits: more than the smallest scale.
  const decimals = scales.length > 0 ? Math.min(...scales) + 1 : null;
  const overlap = decimals !== null ? decimals + 1 : 2;
  // A column without a length in the DDL (Redshift's 256 bytes, unchecked by COPY): only a longer record may
  // break it, and a quoted field's line breaks are inside its record, so each line can be short.
  const implicit = checks.columns.filter((c) => c.implicitLength === true && c.maxBytes !== null);
  const longRecord = implicit.length > 0 ? Math.min(...implicit.map((c) => c.maxBytes!)) : null;
  const open = { bytes: 0, inQuote: false };
  let tail = Buffer.alloc(0);
  const look = (b: Buffer) => {
    if (nonAscii && !isAscii(b)) {
      throw new NeedsRecordChecks('a non-ASCII byte (VARCHAR limits count bytes, CHAR takes ASCII only)');
    }
    if (backslashN && b.indexOf(BACKSLASH_N) !== -1) throw new NeedsRecordChecks('\\N (NULL AS)');
    if (decimals !== null && hasDigitsAfterPoint(b, decimals)) {
      throw new NeedsRecordChecks('more decimals than a NUMERIC scale');
    }
  };
  return (bytes) => {
    if (tail.length > 0) look(Buffer.concat([tail, bytes.subarray(0, overlap)]));
    look(bytes);
    tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - overlap)));
    if (longRecord !== null && !recordsWithin(bytes, open, longRecord, quote)) {
      throw new NeedsRecordChecks(`a record longer than ${longRecord} bytes (a column without a length)`);
    }
  };
}

/**
 * Whether every record ending in `bytes` is at most `limit` bytes, and the one
 * still open at its end too; `open` carries that record's bytes so far and
 * whether a quote is open across buffers. A line feed inside quotes (CSV; a
 * doubled quote flips twice) does not end a record. One indexOf per line feed
 * and per quote.
 */
function recordsWithin(bytes: Buffer, open: { bytes: number; inQuote: boolean }, limit: number, quote: number | null) {
  let from = 0;
  let run = open.bytes;
  let inQuote = open.inQuote;
  let q = quote === null ? -1 : bytes.indexOf(quote);
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, lf + 1)) {
    for (; q !== -1 && q < lf; q = bytes.indexOf(quote!, q + 1)) inQuote = !inQuote;
    if (inQuote) continue;
    if (run + lf - from > limit) return false;
    run = 0;
    from = lf + 1;
  }
  for (; q !== -1; q = bytes.indexOf(quote!, q + 1)) inQuote = !inQuote;
  open.bytes = run + bytes.length - from;
  open.inQuote = inQuote;
  return open.bytes <= limit;
}

/**
 * Whether `b` holds a '.' followed by at least `digits` ASCII digits. Searched
 * with indexOf from point to point: a regexp needed the slice as a string
 * first, and the two took ~7 % of a PGlite load (same thread as PGlite).
 */
export function hasDigitsAfterPoint(b: Buffer, digits: number): boolean {
  for (let i = b.indexOf(0x2e); i !== -1 && i + digits < b.length; i = b.indexOf(0x2e, i + 1)) {
    let k = 1;
    while (k <= digits && b[i + k]! >= 0x30 && b[i + k]! <= 0x39) k++;
    if (k > digits) return true;
  }
  return false;
}

/** Bytes added to every record before its line end: the lineage values, in each mode's encoding. */
export interface RecordSuffix {
  /** Pass-through mode: delimiter and quoted values in the part's own format. */
  passThrough: Buffer;
  /** Rewrite mode: canonical CSV (`,"value"` per column). */
  rewritten: string;
}

export interface PartTransformOptions {
  /** Delimited input: the delimiter and quote bytes the part uses (ignored for fixed_width). */
  delimiter: Buffer;
  quote: number | null;
  /**
   * Redshift ESCAPE on unquoted fields, as `recordEscapeByte(format)` gives it (null with a quote or a
   * fixed-width layout): the byte after it is data (delimiter, itself, a line feed, anything).
   */
  escape?: number | null;
  /** Record numbers (1-based) to leave out: rows already rejected. */
  skip: ReadonlySet<number>;
  /** ACCEPTINVCHARS: each byte of an invalid UTF-8 sequence becomes this ASCII byte. */
  replaceInvalid: number | null;
  /** null = pass records through unchanged (COPY keeps the part's own format). */
  rewrite: RewritePlan | null;
  /** Appended to every record (lineage columns COPYed with the row); none when absent. */
  suffix?: RecordSuffix | null;
  /** Pass-through mode only: per-record rules COPY would not apply to the part's bytes. */
  checks?: PassThroughChecks | null;
  /** Pass-through mode only: sees every chunk before its records (quotePaddingProbe); what it throws fails the stream. */
  probe?: ((bytes: Buffer) => void) | null;
  /**
   * Called for a row the transform refuses: true drops the row and goes on
   * (it is within MAXERROR), false fails the stream with the PartRowError.
   */
  reject(error: PartRowError): boolean;
}

const WHITESPACE_ONLY = /^[ \t\r\n\f\v]+$/;

export class PartTransform extends Transform {
  private readonly scanner: RecordScanner;
  private out: Buffer[] = [];
  /** Rewritten lines of the current chunk, encoded once per chunk rather than per record. */
  private text = '';
  private record = 0;
  private readonly fields: Field[] = [];
  private readonly delimiterText: string;
  /** Pass-through output of the current chunk, copied record by record (one allocation per chunk). */
  private acc: Buffer = Buffer.alloc(0);
  private accAt = 0;
  private readonly tail: Buffer;
  /** Per scanner buffer: whether any of it is non-ASCII / holds `\N` / a long decimal (records in it need a look). */
  private flagsOf: Buffer | null = null;
  private flags = { nonAscii: false, backslashN: false, decimals: false };
  /** Digits after a point that exceed the smallest NUMERIC scale (hasDigitsAfterPoint), or null without one. */
  private readonly decimalDigits: number | null;
  /** Records longer than this may break a column without a length (Redshift's 256 bytes); null without one. */
  private readonly implicitLength: number | null;

  constructor(private readonly opts: PartTransformOptions) {
    super();
    this.delimiterText = opts.delimiter.toString('utf8');
    this.tail = Buffer.concat([opts.suffix?.passThrough ?? Buffer.alloc(0), NEWLINE]);
    const scales = (opts.checks?.columns ?? []).map((c) => c.numericScale).filter((s): s is number => s !== null);
    this.decimalDigits = scales.length > 0 ? Math.min(...scales) + 1 : null;
    const implicit = (opts.checks?.columns ?? []).filter((c) => c.implicitLength === true && c.maxBytes !== null);
    this.implicitLength = implicit.length > 0 ? Math.min(...implicit.map((c) => c.maxBytes!)) : null;
    // Without quoting a newline always ends a record, as in fixed-width parts.
    const quote = opts.rewrite?.layout === 'fixed_width' ? null : opts.quote;
    this.scanner = new RecordScanner(
      { record: (buf, start, end, line) => this.onRecord(buf, start, end, line) },
      {
        quote,
        stripBom: false,
        // An escaped line feed is inside the record (Redshift ESCAPE); unescapeField turns it into data.
        escape: opts.escape ?? null,
      },
    );
  }

  /** Record numbers seen so far (the part's record count once the stream ends). */
  get records(): number {
    return this.record;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.flagsOf = null;
    if (!this.opts.rewrite && this.acc.length - this.accAt < chunk.length * 2) {
      this.acc = Buffer.allocUnsafe(Math.max(64 * 1024, chunk.length * 2));
      this.accAt = 0;
    }
    try {
      if (!this.opts.rewrite) this.opts.probe?.(chunk);
      this.scanner.push(chunk);
    } catch (e) {
      // The scanner cannot resume mid-record (e.g. an over-long record): the part fails.
      done(this.asRowError(e));
      return;
    }
    this.flush();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.flagsOf = null;
    try {
      this.scanner.end();
    } catch (e) {
      const error = this.asRowError(e);
      // An unclosed quote at the end of the part spoils only the record it opened in.
      if (!(error instanceof PartRowError) || !this.opts.reject(error)) {
        done(error);
        return;
      }
    }
    this.flush();
    done();
  }

  private flush(): void {
    if (this.accAt > 0) {
      this.push(this.acc.subarray(0, this.accAt));
      // The pushed bytes belong to the reader now: later records go to a fresh buffer.
      this.acc = this.acc.subarray(this.accAt);
      this.accAt = 0;
    }
    if (this.text) {
      this.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
    if (this.out.length === 0) return;
    const bytes = Buffer.concat(this.out);
    this.out = [];
    this.push(bytes);
  }

  private asRowError(e: unknown): Error {
    if (e instanceof MalformedRecord) {
      const error = new PartRowError(this.record + 1, null, e.message, null);
      error.line = e.line ?? error.line;
      return error;
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  private onRecord(buf: Buffer, start: number, end: number, line: number): void {
    const n = ++this.record;
    if (this.opts.skip.has(n)) return;
    let bytes = buf.subarray(start, end);
    if (this.opts.replaceInvalid !== null && (!isUtf8(bytes) || hasNoncharacter(bytes)))
      bytes = replaceInvalidUtf8(bytes, this.opts.replaceInvalid);
    const rewrite = this.opts.rewrite;
    if (!rewrite) {
      if (this.opts.checks) {
        try {
          this.checkRecord(buf, bytes, n);
        } catch (e) {
          if (e instanceof PartRowError) e.line = line;
          if (!(e instanceof PartRowError) || !this.opts.reject(e)) throw e;
          return;
        }
      }
      // Copied: the scanner's buffer is only valid during this call.
      this.append(bytes);
      return;
    }
    try {
      // Decoding would turn invalid UTF-8 into U+FFFD: refuse it as COPY (and Redshift without ACCEPTINVCHARS) does.
      if (this.opts.replaceInvalid === null && !isUtf8(bytes)) {
        const bad = firstInvalidUtf8(bytes);
        throw new PartRowError(
          n,
          null,
          `invalid byte sequence for encoding "UTF8" at byte ${bad.index + 1} (SQLSTATE 22021); set acceptInvalidChars to load it with a replacement character`,
          bytes.toString('latin1'),
        );
      }
      this.text += this.rewriteRecord(bytes, n, rewrite, this.opts.suffix?.rewritten ?? '');
    } catch (e) {
      if (e instanceof PartRowError) e.line = line;
      if (!(e instanceof PartRowError) || !this.opts.reject(e)) throw e;
    }
  }

  /** The record, then the suffix and a line end, into the chunk's output buffer. */
  private append(bytes: Buffer): void {
    const need = bytes.length + this.tail.length;
    if (this.acc.length - this.accAt < need) {
      if (this.accAt > 0) this.push(this.acc.subarray(0, this.accAt));
      this.acc = Buffer.allocUnsafe(Math.max(64 * 1024, need * 2));
      this.accAt = 0;
    }
    this.accAt += bytes.copy(this.acc, this.accAt);
    this.accAt += this.tail.copy(this.acc, this.accAt);
  }

  /**
   * Pass-through rules, cheapest first: the scanner buffer holding the record
   * is probed once (non-ASCII, `\N`, a decimal longer than a scale); only a
   * record in a buffer that has one is split into fields.
   */
  private checkRecord(buf: Buffer, bytes: Buffer, n: number): void {
    const checks = this.opts.checks!;
    if (this.flagsOf !== buf) {
      this.flagsOf = buf;
      this.flags.nonAscii = !isAscii(buf);
      this.flags.backslashN = checks.backslashNIsNull && buf.indexOf(BACKSLASH_N) !== -1;
      this.flags.decimals = this.decimalDigits !== null && hasDigitsAfterPoint(buf, this.decimalDigits);
    }
    const f = this.flags;
    const long = this.implicitLength !== null && bytes.length > this.implicitLength;
    if (!f.nonAscii && !f.backslashN && !f.decimals && !long) return;
    const nonAscii = f.nonAscii && !isAscii(bytes);
    const backslashN = f.backslashN && bytes.indexOf(BACKSLASH_N) !== -1;
    const decimals = f.decimals && hasDigitsAfterPoint(bytes, this.decimalDigits!);
    if (!nonAscii && !backslashN && !decimals && !long) return;
    const quote = this.opts.quote;
    const q = quote === null ? '' : String.fromCharCode(quote);
    let i = 0;
    // A record that does not split, or has the wrong field count, is COPY's to refuse.
    splitFields(bytes, 0, bytes.length, this.opts.delimiter, quote, {
      field: (b, s, e, quoted) => {
        const column = checks.columns[i++];
        if (!column) return;
        const text = quoted
          ? b
              .toString('utf8', s, e)
              .split(q + q)
              .join(q)
          : b.toString('utf8', s, e);
        if (backslashN && !quoted && column.isText && text === REDSHIFT_NULL) {
          throw new NeedsRewrite(n, `column ${column.name} holds \\N (NULL AS)`);
        }
        if (decimals && column.numericScale !== null && truncateScale(text, column.numericScale) !== text) {
          throw new NeedsRewrite(n, `column ${column.name} has more decimals than its scale`);
        }
        if (nonAscii && column.singleByte === true) {
          const problem = multibyteInChar(text);
          if (problem) throw new PartRowError(n, column.name, problem, text);
        }
        if ((nonAscii || (long && column.implicitLength === true)) && column.maxBytes !== null) {
          const length = Buffer.byteLength(text, 'utf8');
          if (length > column.maxBytes) {
            // PostgreSQL would clip the blanks to n characters, Redshift to n bytes: the rewrite cuts bytes.
            if (cutExcessBlanks(text, column.maxBytes) !== null) {
              throw new NeedsRewrite(n, `column ${column.name} is longer than its bytes by blanks only`);
            }
            throw new PartRowError(
              n,
              column.name,
              tooLongMessage(length, column.maxBytes, column.implicitLength),
              text,
            );
          }
        }
      },
    });
  }

  private rewriteRecord(bytes: Buffer, n: number, plan: RewritePlan, suffix = ''): string {
    const values = plan.layout === 'fixed_width' ? this.cutFixed(bytes, n, plan) : this.splitDelimited(bytes, n, plan);
    let line = '';
    for (let i = 0; i < plan.columns.length; i++) {
      if (i > 0) line += ',';
      const value = applyRules(values[i]!, plan.columns[i]!, plan, n);
      if (value !== null) line += csvValue(value);
    }
    return `${line}${suffix}\n`;
  }

  private cutFixed(bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    // Redshift FIXEDWIDTH widths (like VARCHAR lengths) count bytes, not characters.
    const out: Field[] = [];
    let at = 0;
    const length = bytes.length;
    const lastColumn = plan.columns[plan.columns.length - 1];
    for (const column of plan.columns) {
      let width = column.width ?? 0;
      // The last column runs to the line end when the record stops inside it (as ValidateFile allows).
      if (column === lastColumn && stopsInsideLastColumn(length, at + width, width)) width = length - at;
      if (at + width > length) {
        throw new PartRowError(
          n,
          column.name,
          `the record is ${length} bytes but the fixed-width layout needs ${sumWidths(plan)}: it ends inside column ${column.name} (bytes ${at + 1}-${at + width}); fix the record or the column widths`,
          bytes.toString('utf8'),
        );
      }
      if (isContinuation(bytes[at]) || (at + width < length && isContinuation(bytes[at + width]))) {
        throw new PartRowError(
          n,
          column.name,
          `column ${column.name} (bytes ${at + 1}-${at + width}) cuts a multibyte character: FIXEDWIDTH widths count bytes (UTF-8), fix the widths`,
          bytes.toString('utf8'),
        );
      }
      // Redshift FIXEDWIDTH: the padding after a value is not part of it.
      out.push({ text: bytes.toString('utf8', at, at + width).replace(/ +$/, ''), quoted: false, raw: null });
      at += width;
    }
    if (at < length && bytes.toString('utf8', at).trim() !== '') {
      throw new PartRowError(
        n,
        null,
        `the record is ${length} bytes, longer than the ${at} its fixed-width layout defines, and the extra is not blank; fix the record or the column widths`,
        bytes.toString('utf8'),
      );
    }
    return out;
  }

  private splitDelimited(bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    const fields = this.fields;
    fields.length = 0;
    const quote = this.opts.quote;
    const esc = this.opts.escape ?? null;
    const plain =
      quote === null ? !plan.removeQuotes && (esc === null || bytes.indexOf(esc) === -1) : bytes.indexOf(quote) === -1;
    if (plain) {
      // Nothing to unquote or unescape: one decode and a plain split is much cheaper than field-by-field.
      for (const text of bytes.toString('utf8').split(this.delimiterText))
        fields.push({ text, quoted: false, raw: null });
      return this.checkCount(fields, bytes, n, plan);
    }
    // The one splitter, shared with ValidateFile and Preprocess (records/fields.ts).
    const q = quote === null ? '' : String.fromCharCode(quote);
    const problem = splitFields(
      bytes,
      0,
      bytes.length,
      this.opts.delimiter,
      quote,
      {
        field(b, s, e, quoted) {
          const written = b.toString('utf8', s, e);
          if (quote !== null) fields.push({ text: quoted ? written.split(q + q).join(q) : written, quoted, raw: null });
          // `raw`: NULL AS also matches the field as written (`\N` under ESCAPE).
          else if (esc === null) fields.push({ text: written, quoted, raw: written });
          else fields.push({ text: unescapeField(b, s, e, esc).toString('utf8'), quoted, raw: written });
        },
      },
      plan.removeQuotes === true,
      esc,
    );
    if (problem) {
      throw new PartRowError(
        n,
        null,
        `field ${problem.field} cannot be read: ${problem.problem}`,
        bytes.toString('utf8'),
      );
    }
    return this.checkCount(fields, bytes, n, plan);
  }

  private checkCount(fields: Field[], bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    const record = () => bytes.toString('utf8');
    const expected = plan.columns.length;
    const last = fields[fields.length - 1];
    const fit = fitFieldCount(
      fields.length,
      expected,
      last !== undefined && last.text === '' && !last.quoted,
      plan.fillRecord === true,
    );
    // A trailing delimiter: Redshift ignores the empty field after it (the docs' venue_noseats.txt).
    if (fit === 'trailingDelimiter') fields.length = expected;
    // FILLRECORD: the missing trailing columns load as empty fields (NULL, or '' for strings without EMPTYASNULL).
    if (fit === 'filled') while (fields.length < expected) fields.push({ text: '', quoted: false, raw: null });
    if (fields.length < expected) {
      const missing = plan.columns[fields.length]!.name;
      // As PostgreSQL's COPY reports it: about the whole line, the column named in the reason.
      throw new PartRowError(
        n,
        null,
        `missing data for column ${missing}: the record has ${fields.length} fields, the load expects ${expected}`,
        record(),
      );
    }
    if (fields.length > expected) {
      throw new PartRowError(
        n,
        null,
        `extra data after the last expected column: the record has ${fields.length} fields, the load expects ${expected}`,
        record(),
      );
    }
    return fields;
  }
}

interface Field {
  text: string;
  /** Quoted in the file: an empty quoted field is '' rather than an empty field. */
  quoted: boolean;
  /** The field as written, when escapes were undone (`\\N` is NULL as written, before unescaping). */
  raw: string | null;
}

function isContinuation(b: number | undefined): boolean {
  return b !== undefined && (b & 0xc0) === 0x80;
}

const NEWLINE = Buffer.from('\n');
const REDSHIFT_NULL = '\\N';
const BACKSLASH_N = Buffer.from(REDSHIFT_NULL);

function sumWidths(plan: RewritePlan): number {
  return plan.columns.reduce((s, c) => s + (c.width ?? 0), 0);
}

/**
 * Redshift's field rules, in its order: NULL AS (also on the field as written,
 * so `\\N` is NULL under ESCAPE), then empty (EMPTYASNULL; empty non-string
 * fields are always NULL), blank (BLANKSASNULL; blank non-string fields are
 * always NULL), date/time formats (ACCEPTANYDATE: no match = NULL), decimal
 * scale (truncated unless ROUNDEC), TRIMBLANKS, then the VARCHAR(n) byte limit
 * (TRUNCATECOLUMNS cuts at a character boundary, else the row fails).
 */
function applyRules(field: Field, column: ColumnRule, plan: RewritePlan, n: number): string | null {
  const { text, quoted } = field;
  if (isNullMarker(field.raw ?? text, text, quoted, plan.nullAs)) return null;
  if (text === '') return (!quoted && plan.emptyAsNull) || !column.isText ? null : '';
  if (WHITESPACE_ONLY.test(text) && (plan.blanksAsNull || !column.isText)) return null;
  let value = text;
  if (column.convert) {
    const converted = column.convert.fn(value);
    if (converted === null) {
      if (plan.acceptAnyDate) return null;
      throw new PartRowError(
        n,
        column.name,
        `${JSON.stringify(value)} does not match ${column.convert.option} ${JSON.stringify(column.convert.format)}; fix the value or the load option`,
        value,
      );
    }
    value = converted;
  }
  if (!plan.roundDecimals && column.numericScale != null) value = truncateScale(value, column.numericScale);
  if (column.int64Decimal && exceedsInt64Decimal(value, column.numericScale ?? 0, plan.roundDecimals === true)) {
    throw new PartRowError(
      n,
      column.name,
      `${JSON.stringify(value)} overflows DECIMAL(19,${column.numericScale ?? 0}): Redshift keeps a DECIMAL of 19 digits in 8 bytes, at most 9223372036854775807 without the point (Numeric types); use a precision of 20 or more`,
      value,
    );
  }
  if (plan.trimBlanks && column.isVarchar) value = value.replace(TRAILING_WHITESPACE, '');
  if (column.decimalOnly && NON_DECIMAL.test(value)) {
    throw new PartRowError(
      n,
      column.name,
      `${JSON.stringify(value)} is not a decimal number: Redshift reads the digits 0-9 with an optional sign and point (load error 1207), not hexadecimal, octal or binary prefixes or _ separators`,
      value,
    );
  }
  if (column.isBoolean && !REDSHIFT_BOOLEANS.has(value.trim().toLowerCase())) {
    throw new PartRowError(
      n,
      column.name,
      `${JSON.stringify(value)} is not a Redshift BOOLEAN literal (true: TRUE 't' 'true' 'y' 'yes' '1'; false: FALSE 'f' 'false' 'n' 'no' '0')`,
      value,
    );
  }
  if (column.singleByte) {
    // Before TRUNCATECOLUMNS: Redshift refuses the character, it does not cut around it.
    const problem = multibyteInChar(value);
    if (problem) throw new PartRowError(n, column.name, problem, value);
  }
  if (column.maxBytes !== null && column.isText) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > column.maxBytes) {
      const clipped = cutExcessBlanks(value, column.maxBytes);
      if (clipped !== null) value = clipped;
      else if (!plan.truncateColumns) {
        throw new PartRowError(n, column.name, tooLongMessage(bytes, column.maxBytes, column.implicitLength), value);
      } else value = cutToBytes(value, column.maxBytes);
    }
  }
  return value;
}

const TRAILING_WHITESPACE = /[ \t\r\n\f\v]+$/;
/** Redshift's BOOLEAN literals (*Boolean type*), lower case; surrounding blanks are allowed as PostgreSQL allows them. */
const REDSHIFT_BOOLEANS = new Set(['true', 't', 'y', 'yes', '1', 'false', 'f', 'n', 'no', '0']);
const DECIMAL = /^(\s*[+-]?\d*\.)(\d+)(\s*)$/;
/** What PostgreSQL 16+ reads as a number and Redshift does not: a base prefix, or `_` between digits. */
const NON_DECIMAL = /^\s*[+-]?0[xXoObB]|\d_\d/;

const PLAIN_DECIMAL = /^\s*[+-]?(\d*)(?:\.(\d*))?\s*$/;
const INT64_MAX = 9223372036854775807n;

/**
 * Whether a plain decimal (no exponent) at `scale`, its extra decimals cut, or
 * rounded half up with ROUNDEC as PostgreSQL rounds, is more than 8 bytes hold
 * without the point. Other spellings are left to PostgreSQL.
 */
export function exceedsInt64Decimal(value: string, scale: number, round: boolean): boolean {
  const m = PLAIN_DECIMAL.exec(value);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return false;
  const frac = (m[2] ?? '').padEnd(scale + 1, '0');
  let unscaled = BigInt(`${m[1] || '0'}${frac.slice(0, scale)}`);
  if (round && frac[scale]! >= '5') unscaled += 1n;
  return unscaled > INT64_MAX;
}

/** `20.259` into scale 2 → `20.25`: Redshift COPY truncates extra decimals unless ROUNDEC. */
export function truncateScale(value: string, scale: number): string {
  const m = DECIMAL.exec(value);
  if (!m || m[2]!.length <= scale) return value;
  return `${m[1]}${m[2]!.slice(0, scale)}${m[3]}`;
}

/**
 * `value` cut to `max` bytes when every byte past them is a space, else null:
 * *Character types*, "An attempt to store a longer string into a column of
 * these types results in an error, unless the extra characters are all spaces
 * (blanks), in which case the string is truncated to the maximum length" (n
 * bytes on Redshift; a space is one byte, so the cut is on a character boundary).
 */
export function cutExcessBlanks(value: string, max: number): string | null {
  const bytes = Buffer.from(value, 'utf8');
  for (let i = max; i < bytes.length; i++) if (bytes[i] !== 0x20) return null;
  return bytes.toString('utf8', 0, max);
}

/** The longest prefix of `value` that fits `max` UTF-8 bytes without splitting a character. */
export function cutToBytes(value: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of value) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > max) break;
    bytes += b;
    out += ch;
  }
  return out;
}

/** CSV for COPY: quoted when it could be read as NULL, a separator, a line end or the end-of-data marker. */
export function csvValue(value: string): string {
  if (value === '' || /[",\n\r\\]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/** Each byte of each invalid UTF-8 sequence becomes `replacement` (Redshift ACCEPTINVCHARS keeps the byte length). */
export function replaceInvalidUtf8(bytes: Buffer, replacement: number): Buffer {
  const out = Buffer.from(bytes);
  let from = 0;
  while (from < out.length) {
    const bad = firstInvalidUtf8(out.subarray(from));
    if (!bad.detail) break;
    out[from + bad.index] = replacement;
    from += bad.index + 1;
  }
  // Noncharacters are valid UTF-8 that ACCEPTINVCHARS replaces too (Multibyte character load errors), byte for byte.
  for (const m of out.toString('latin1').matchAll(new RegExp(NONCHARACTER, 'g'))) {
    out.fill(replacement, m.index, m.index + m[0].length);
  }
  return out;
}

/**
 * U+FDD0..U+FDEF and U+xFFFE / U+xFFFF as UTF-8 bytes (read as latin1): the
 * code points Redshift loads as they are, but replaces under ACCEPTINVCHARS.
 */
const NONCHARACTER = /\xef\xb7[\x90-\xaf]|\xef\xbf[\xbe\xbf]|[\xf0-\xf4][\x8f\x9f\xaf\xbf]\xbf[\xbe\xbf]/;

function hasNoncharacter(bytes: Buffer): boolean {
  if (bytes.indexOf(0xef) === -1 && !/[\xf0-\xf4]/.test(bytes.toString('latin1'))) return false;
  return NONCHARACTER.test(bytes.toString('latin1'));
}

/**
 * Why a CHAR value is refused, as Redshift says it ("Multibyte character not
 * supported for CHAR (Hint: Try using VARCHAR). Invalid char: c3 ab", error 1220),
 * or null when every character is ASCII.
 */
export function multibyteInChar(value: string): string | null {
  const at = value.search(/[^\u0000-\u007f]/u);
  if (at === -1) return null;
  const char = String.fromCodePoint(value.codePointAt(at)!);
  const hex = [...Buffer.from(char, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `Multibyte character not supported for CHAR (Hint: Try using VARCHAR). Invalid char: ${hex} (Redshift CHAR holds single-byte ASCII characters only)`;
}

/** The refusal of a value longer than its VARCHAR/CHAR(n). */
export function tooLongMessage(bytes: number, maxBytes: number, implicit = false): string {
  if (implicit) {
    return `value is ${bytes} bytes, longer than ${maxBytes}: Redshift makes a TEXT, VARCHAR or BPCHAR column without a length VARCHAR(${maxBytes}) / CHAR(${maxBytes}); give the column a length that fits, shorten the value or set truncateColumns`;
  }
  return `value is ${bytes} bytes, longer than the column's ${maxBytes} (Redshift counts VARCHAR/CHAR lengths in bytes); shorten it or set truncateColumns`;
}
