import { effectiveNullAs, type LoadOptions } from '../../config/model.ts';
import { ConfigInvalid } from '../../errors.ts';
import type { LoadFormat } from '../../ports/warehouse.ts';
import { quotePgLiteral } from '../../sql/identifiers.ts';
import { isNativeDateTimeFormat } from './postgres-date-format.ts';

/**
 * Renders a load spec's format and options as the option list of a
 * PostgreSQL `COPY ... WITH (...)`, matching what Redshift's COPY would load
 * from the same bytes. What PostgreSQL cannot express natively (fixed width,
 * BLANKSASNULL, TRUNCATECOLUMNS, ACCEPTINVCHARS, DATEFORMAT patterns, MAXERROR)
 * is done by the part transform (postgres-part-transform.ts) instead.
 */

/**
 * Used as the CSV quote when a format has none, so quotes and backslashes are
 * plain data (Redshift's non-CSV mode). A text file that contains U+0001 would
 * be misread; Validate/Preprocess treat control characters as suspect anyway.
 */
export const NO_QUOTE_BYTE = '\x01';

const MAX_MAXERROR = 100_000;

/**
 * Throws ConfigInvalid for any part of the format/options the local warehouse
 * cannot reproduce. Options PostgreSQL COPY lacks are applied by the part
 * transform (see `needsRewrite`), so only malformed values are refused here.
 */
export function assertCopySupported(format: LoadFormat, options: LoadOptions, where: string): void {
  if (format.layout === 'fixed_width') {
    if (format.escape !== null) {
      throw new ConfigInvalid(
        `${where}: escape ${JSON.stringify(format.escape)} cannot be used with a fixed_width layout: remove format.escape`,
      );
    }
  } else {
    assertDelimited(format, where);
  }
  if (!Number.isInteger(options.maxErrors) || options.maxErrors < 0 || options.maxErrors > MAX_MAXERROR) {
    throw new ConfigInvalid(
      `${where}: maxErrors ${String(options.maxErrors)} must be an integer from 0 to ${MAX_MAXERROR}`,
    );
  }
  if (options.acceptInvalidChars !== null && !/^[\x01-\x7f]$/.test(options.acceptInvalidChars)) {
    throw new ConfigInvalid(
      `${where}: acceptInvalidChars ${JSON.stringify(options.acceptInvalidChars)} must be exactly one ASCII character other than NUL (Redshift ACCEPTINVCHARS)`,
    );
  }
  if (options.acceptInvalidChars === '\n' || options.acceptInvalidChars === '\r') {
    throw new ConfigInvalid(`${where}: acceptInvalidChars cannot be a line break`);
  }
  // The part transform replaces bytes before COPY splits the record; Redshift replaces inside the split value.
  const c = options.acceptInvalidChars;
  if (c !== null && format.layout === 'delimited') {
    const clash = format.delimiter.includes(c)
      ? 'the delimiter'
      : c === (format.quote ?? NO_QUOTE_BYTE)
        ? 'the quote (U+0001 when there is none)'
        : c === format.escape
          ? 'the escape'
          : null;
    if (clash !== null) {
      throw new ConfigInvalid(
        `${where}: acceptInvalidChars ${JSON.stringify(c)} is ${clash}: replaced before the record is split, it would split it differently from Redshift`,
      );
    }
  }
  if (options.nullAs !== null && (options.nullAs.includes('\n') || options.nullAs.includes('\r'))) {
    throw new ConfigInvalid(`${where}: nullAs cannot contain a line break`);
  }
}

function assertDelimited(format: LoadFormat, where: string): void {
  assertSingleByte(format.delimiter, 'delimiter', where);
  if (format.delimiter === '\n' || format.delimiter === '\r') {
    throw new ConfigInvalid(`${where}: the delimiter cannot be a line break`);
  }
  if (format.quote === null && format.delimiter === NO_QUOTE_BYTE) {
    throw new ConfigInvalid(`${where}: delimiter U+0001 is reserved as the no-quote marker; set a quote character`);
  }
  if (format.quote !== null) {
    assertSingleByte(format.quote, 'quote', where);
    if (format.quote === format.delimiter) {
      throw new ConfigInvalid(
        `${where}: quote and delimiter are both ${JSON.stringify(format.quote)}; they must differ`,
      );
    }
  }
  if (format.escape !== null) assertSingleByte(format.escape, 'escape', where);
}

/** The COPY options of a rewritten part: canonical CSV where NULL is only an unquoted empty field. */
export const REWRITTEN_COPY_OPTIONS = `FORMAT csv, DELIMITER ',', QUOTE '"', NULL '', ENCODING 'UTF8'`;

/**
 * Whether records must be parsed and rewritten as canonical CSV before COPY:
 * true for every field rule PostgreSQL COPY has no option for. Otherwise the
 * part's bytes go to COPY as they are (the fast path).
 */
export function needsRewrite(format: LoadFormat, options: LoadOptions): boolean {
  return (
    format.layout === 'fixed_width' ||
    // Redshift ESCAPE on unquoted text: the character after the escape is data (PostgreSQL CSV has no such mode).
    (format.escape !== null && format.quote === null) ||
    options.blanksAsNull ||
    options.truncateColumns ||
    options.removeQuotes ||
    options.fillRecord ||
    options.trimBlanks ||
    // ACCEPTANYDATE: a value that is not a date loads NULL; PostgreSQL COPY would reject the row.
    options.acceptAnyDate ||
    !isNativeDateTimeFormat(options.dateFormat) ||
    !isNativeDateTimeFormat(options.timeFormat) ||
    // PostgreSQL COPY has one NULL marker; the rewrite honours both. The default `\\N` with
    // emptyAsNull stays on the fast path: stage checks (stageChecksSql) send a part that holds it to the rewrite.
    (options.nullAs !== null && options.nullAs !== '' && options.emptyAsNull)
  );
}

/**
 * Column types whose values go through the rewrite: a BOOLEAN column
 * (PostgreSQL also reads 'on', 'off' and prefixes such as 'tr', which Redshift
 * refuses: *Boolean type*, TRUE 't' 'true' 'y' 'yes' '1', FALSE 'f' 'false'
 * 'n' 'no' '0'), and a DECIMAL(19,s) column (Redshift stores it as an 8-byte
 * integer, *Numeric types*: PostgreSQL takes 19 nines, Redshift at most
 * 9223372036854775807 without the point).
 */
export function columnTypesNeedRewrite(
  columns: Iterable<{ type_name?: unknown; numeric_precision?: unknown }>,
): boolean {
  for (const c of columns) {
    if (c.type_name === 'bool') return true;
    if (c.type_name === 'numeric' && Number(c.numeric_precision) === INT64_DECIMAL_PRECISION) return true;
  }
  return false;
}

/** The precision whose DECIMAL Redshift keeps in 8 bytes and whose digits can exceed them (*Numeric types*). */
export const INT64_DECIMAL_PRECISION = 19;

/**
 * Column facts that force the rewrite whatever the options: without ROUNDEC
 * Redshift truncates extra decimals where PostgreSQL rounds them.
 */
export function columnsNeedRewrite(options: LoadOptions, columns: Iterable<{ numeric_scale?: unknown }>): boolean {
  if (options.roundDecimals) return false;
  for (const c of columns) if (c.numeric_scale !== null && c.numeric_scale !== undefined) return true;
  return false;
}

/**
 * The `WITH (...)` contents for a COPY of `columns` (REWRITTEN_COPY_OPTIONS
 * when the part transform rewrites the records). `textColumns` are the
 * columns of string type: without emptyAsNull Redshift loads an empty field as
 * '' into those and as NULL into every other type, which FORCE_NOT_NULL on
 * just the string columns reproduces.
 */
export function copyOptionsSql(
  format: LoadFormat,
  options: LoadOptions,
  _textColumns: readonly string[],
  where = 'load',
): string {
  assertCopySupported(format, options, where);
  if (needsRewrite(format, options)) return REWRITTEN_COPY_OPTIONS;
  const parts = [
    'FORMAT csv',
    `DELIMITER ${quotePgLiteral(format.delimiter)}`,
    `QUOTE ${quotePgLiteral(format.quote ?? NO_QUOTE_BYTE)}`,
  ];
  if (format.escape !== null) parts.push(`ESCAPE ${quotePgLiteral(format.escape)}`);
  // Here either the marker is the only NULL (emptyAsNull off: an empty string field stays '', an
  // empty non-string field fails and is re-run through the rewrite), or the empty field is the marker.
  const nullAs = options.emptyAsNull ? (options.nullAs ?? '') : effectiveNullAs(options);
  parts.push(`NULL ${quotePgLiteral(nullAs)}`);
  // Parts reach the warehouse as UTF-8 (ValidateFile/Preprocess see to it), as Redshift expects.
  parts.push(`ENCODING 'UTF8'`);
  return parts.join(', ');
}

function assertSingleByte(value: string, what: string, where: string): void {
  if (Buffer.byteLength(value, 'utf8') !== 1) {
    throw new ConfigInvalid(
      `${where}: ${what} ${JSON.stringify(value)} must be a single one-byte character for PostgreSQL COPY` +
        (what === 'delimiter' ? ' (Preprocess rewrites multi-character delimiters as CSV)' : ''),
    );
  }
}
