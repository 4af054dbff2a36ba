import { isAscii, isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { MalformedRecord } from '../../errors.ts';
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
  /** Characters the column holds (varchar(n)/char(n)); values are cut to it under truncateColumns. */
  maxChars: number | null;
  /** Reformats the value for PostgreSQL (DATEFORMAT/TIMEFORMAT), with the format named for messages. */
  convert: { fn: DateTimeConverter; option: string; format: string } | null;
  /** Characters in the record (fixed_width layout). */
  width: number | null;
}

export interface RewritePlan {
  layout: 'delimited' | 'fixed_width';
  columns: ColumnRule[];
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  nullAs: string | null;
  truncateColumns: boolean;
}

export interface PartTransformOptions {
  /** Delimited input: the delimiter and quote bytes the part uses (ignored for fixed_width). */
  delimiter: Buffer;
  quote: number | null;
  /** Redshift ESCAPE on unquoted fields: the character after it is data (delimiter, itself, anything). */
  escape?: string | null;
  /** Record numbers (1-based) to leave out: rows already rejected. */
  skip: ReadonlySet<number>;
  /** ACCEPTINVCHARS: each byte of an invalid UTF-8 sequence becomes this ASCII byte. */
  replaceInvalid: number | null;
  /** null = pass records through unchanged (COPY keeps the part's own format). */
  rewrite: RewritePlan | null;
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

  constructor(private readonly opts: PartTransformOptions) {
    super();
    this.delimiterText = opts.delimiter.toString('utf8');
    // Without quoting a newline always ends a record, as in fixed-width parts.
    const quote = opts.rewrite?.layout === 'fixed_width' ? null : opts.quote;
    this.scanner = new RecordScanner(
      { record: (buf, start, end, line) => this.onRecord(buf, start, end, line) },
      { quote, stripBom: false },
    );
  }

  /** Record numbers seen so far (the part's record count once the stream ends). */
  get records(): number {
    return this.record;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
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
    if (this.opts.replaceInvalid !== null && !isUtf8(bytes))
      bytes = replaceInvalidUtf8(bytes, this.opts.replaceInvalid);
    const rewrite = this.opts.rewrite;
    if (!rewrite) {
      // Copied: the scanner's buffer is only valid during this call.
      this.out.push(Buffer.from(bytes), NEWLINE);
      return;
    }
    try {
      this.text += this.rewriteRecord(bytes, n, rewrite);
    } catch (e) {
      if (e instanceof PartRowError) e.line = line;
      if (!(e instanceof PartRowError) || !this.opts.reject(e)) throw e;
    }
  }

  private rewriteRecord(bytes: Buffer, n: number, plan: RewritePlan): string {
    const values = plan.layout === 'fixed_width' ? this.cutFixed(bytes, n, plan) : this.splitDelimited(bytes, n, plan);
    let line = '';
    for (let i = 0; i < plan.columns.length; i++) {
      if (i > 0) line += ',';
      const value = applyRules(values[i]!, plan.columns[i]!, plan, n);
      if (value !== null) line += csvValue(value);
    }
    return `${line}\n`;
  }

  private cutFixed(bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    const text = bytes.toString('utf8');
    // Code points, not UTF-16 units or bytes: widths count characters.
    const chars = isAscii(bytes) ? null : Array.from(text);
    const length = chars ? chars.length : text.length;
    const out: Field[] = [];
    let at = 0;
    for (const column of plan.columns) {
      const width = column.width ?? 0;
      if (at + width > length) {
        throw new PartRowError(
          n,
          column.name,
          `the record is ${length} characters but the fixed-width layout needs ${sumWidths(plan)}: it ends inside column ${column.name} (characters ${at + 1}-${at + width}); fix the record or the column widths`,
          text,
        );
      }
      const raw = chars ? chars.slice(at, at + width).join('') : text.slice(at, at + width);
      // Redshift FIXEDWIDTH: the padding after a value is not part of it.
      out.push({ text: raw.replace(/ +$/, ''), quoted: false });
      at += width;
    }
    const rest = chars ? chars.slice(at).join('') : text.slice(at);
    if (rest.trim() !== '') {
      throw new PartRowError(
        n,
        null,
        `the record is ${length} characters, longer than the ${at} its fixed-width layout defines, and the extra is not blank; fix the record or the column widths`,
        text,
      );
    }
    return out;
  }

  private splitDelimited(bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    const fields = this.fields;
    fields.length = 0;
    const quote = this.opts.quote;
    const esc = this.opts.escape ?? null;
    if (quote === null && esc !== null && bytes.indexOf(esc.charCodeAt(0)) !== -1) {
      splitEscaped(bytes.toString('utf8'), this.delimiterText, esc, fields);
      return this.checkCount(fields, bytes, n, plan);
    }
    if (quote === null || bytes.indexOf(quote) === -1) {
      // No quotes in the record: one decode and a plain split is much cheaper than field-by-field.
      for (const text of bytes.toString('utf8').split(this.delimiterText)) fields.push({ text, quoted: false });
      return this.checkCount(fields, bytes, n, plan);
    }
    const text = bytes.toString('utf8');
    const problem = splitQuoted(text, this.delimiterText, String.fromCharCode(quote), fields);
    if (problem) throw new PartRowError(n, null, `field ${fields.length + 1} cannot be read: ${problem}`, text);
    return this.checkCount(fields, bytes, n, plan);
  }

  private checkCount(fields: Field[], bytes: Buffer, n: number, plan: RewritePlan): Field[] {
    const record = () => bytes.toString('utf8');
    if (fields.length < plan.columns.length) {
      const missing = plan.columns[fields.length]!.name;
      throw new PartRowError(
        n,
        missing,
        `missing data for column ${missing}: the record has ${fields.length} fields, the load expects ${plan.columns.length}`,
        record(),
      );
    }
    if (fields.length > plan.columns.length) {
      throw new PartRowError(
        n,
        null,
        `extra data after the last expected column: the record has ${fields.length} fields, the load expects ${plan.columns.length}`,
        record(),
      );
    }
    return fields;
  }
}

/**
 * Splits one decoded unquoted record where `escape` makes the next character
 * data, as Redshift COPY ... ESCAPE does (`\|` is a pipe, `\\` a backslash,
 * `\n` the letter n). A trailing lone escape is kept as data.
 */
function splitEscaped(text: string, delimiter: string, esc: string, out: Field[]): void {
  let value = '';
  let pos = 0;
  while (pos < text.length) {
    if (text.startsWith(esc, pos) && pos + esc.length < text.length) {
      const next = text.codePointAt(pos + esc.length)!;
      value += String.fromCodePoint(next);
      pos += esc.length + (next > 0xffff ? 2 : 1);
    } else if (text.startsWith(delimiter, pos)) {
      out.push({ text: value, quoted: false });
      value = '';
      pos += delimiter.length;
    } else {
      value += text[pos];
      pos++;
    }
  }
  out.push({ text: value, quoted: false });
}

/**
 * Splits one decoded record with quoting (doubled quote = one quote) into
 * `out`; returns what is wrong, or null. Working on the decoded string costs
 * one decode per record instead of one per field.
 */
function splitQuoted(text: string, delimiter: string, quote: string, out: Field[]): string | null {
  let pos = 0;
  for (;;) {
    if (text.startsWith(quote, pos)) {
      let value = '';
      let from = pos + 1;
      for (;;) {
        const close = text.indexOf(quote, from);
        if (close === -1) return 'its opening quote is never closed';
        value += text.slice(from, close);
        if (text.startsWith(quote, close + 1)) {
          value += quote;
          from = close + 2;
          continue;
        }
        pos = close + 1;
        break;
      }
      out.push({ text: value, quoted: true });
      if (pos === text.length) return null;
      if (!text.startsWith(delimiter, pos)) {
        return `its closing quote is followed by ${JSON.stringify(text[pos])} instead of the delimiter`;
      }
      pos += delimiter.length;
      continue;
    }
    const next = text.indexOf(delimiter, pos);
    if (next === -1) {
      out.push({ text: text.slice(pos), quoted: false });
      return null;
    }
    out.push({ text: text.slice(pos, next), quoted: false });
    pos = next + delimiter.length;
  }
}

interface Field {
  text: string;
  /** Quoted in the file: an empty quoted field is '' rather than an empty field. */
  quoted: boolean;
}

const NEWLINE = Buffer.from('\n');

function sumWidths(plan: RewritePlan): number {
  return plan.columns.reduce((s, c) => s + (c.width ?? 0), 0);
}

/**
 * Redshift's field rules, in its order: NULL AS, then empty (EMPTYASNULL; empty
 * non-string fields are always NULL), blank (BLANKSASNULL; blank non-string
 * fields are always NULL), date/time reformatting, then TRUNCATECOLUMNS.
 */
function applyRules(field: Field, column: ColumnRule, plan: RewritePlan, n: number): string | null {
  const { text, quoted } = field;
  if (!quoted && plan.nullAs !== null && text === plan.nullAs) return null;
  if (text === '') return (!quoted && plan.emptyAsNull) || !column.isText ? null : '';
  if (WHITESPACE_ONLY.test(text) && (plan.blanksAsNull || !column.isText)) return null;
  let value = text;
  if (column.convert) {
    const converted = column.convert.fn(value);
    if (converted === null) {
      throw new PartRowError(
        n,
        column.name,
        `${JSON.stringify(value)} does not match ${column.convert.option} ${JSON.stringify(column.convert.format)}; fix the value or the load option`,
        value,
      );
    }
    value = converted;
  }
  if (plan.truncateColumns && column.maxChars !== null && value.length > column.maxChars) {
    const chars = Array.from(value);
    if (chars.length > column.maxChars) value = chars.slice(0, column.maxChars).join('');
  }
  return value;
}

/** CSV for COPY: quoted when it could be read as NULL, a separator, a line end or the end-of-data marker. */
function csvValue(value: string): string {
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
  return out;
}
