import type { LoadOptions } from '../config/model.ts';
import { ConfigInvalid } from '../errors.ts';
import type { LoadFormat } from '../ports/warehouse.ts';
import { quoteIdent, quotePgLiteral } from '../sql/identifiers.ts';

/**
 * Renders a load spec's format and options as the option list of a
 * PostgreSQL `COPY ... WITH (...)`, matching what Redshift's COPY would load
 * from the same bytes. Everything PostgreSQL cannot express natively is
 * refused with ConfigInvalid naming the option, rather than loaded differently.
 */

/**
 * Used as the CSV quote when a format has none, so quotes and backslashes are
 * plain data (Redshift's non-CSV mode). A text file that contains U+0001 would
 * be misread; Validate/Preprocess treat control characters as suspect anyway.
 */
export const NO_QUOTE_BYTE = '\x01';

const DATE_FORMATS_NATIVE = new Set(['auto', 'YYYY-MM-DD']);
const TIME_FORMATS_NATIVE = new Set(['auto', 'YYYY-MM-DD HH:MI:SS']);

/** Throws ConfigInvalid for any part of the format/options PostgreSQL COPY cannot reproduce. */
export function assertCopySupported(format: LoadFormat, options: LoadOptions, where: string): void {
  const unsupported = (what: string, next: string) =>
    new ConfigInvalid(`${where}: ${what} is not supported by the PostgreSQL warehouse: ${next}`);

  if (format.layout !== 'delimited') {
    throw unsupported(
      `layout ${JSON.stringify(format.layout)}`,
      'PostgreSQL COPY has no fixed-width mode; Preprocess must rewrite fixed-width records as delimited parts first',
    );
  }
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
  if (format.escape !== null) {
    if (format.quote === null) {
      throw unsupported(
        `escape ${JSON.stringify(format.escape)} without a quote character (Redshift ESCAPE)`,
        'set a quote character so the escape applies inside quoted fields, or have Preprocess rewrite the file as CSV',
      );
    }
    assertSingleByte(format.escape, 'escape', where);
  }
  if (options.blanksAsNull) {
    throw unsupported('blanksAsNull (Redshift BLANKSASNULL)', 'set it to false, or trim blank fields in Preprocess');
  }
  if (options.truncateColumns) {
    throw unsupported(
      'truncateColumns (Redshift TRUNCATECOLUMNS)',
      'set it to false; over-long values are rejected as row errors instead',
    );
  }
  if (options.maxErrors > 0) {
    throw unsupported(
      `maxErrors ${options.maxErrors} (Redshift MAXERROR)`,
      'set it to 0: a PostgreSQL load is all or nothing',
    );
  }
  if (options.acceptInvalidChars !== null) {
    throw unsupported(
      'acceptInvalidChars (Redshift ACCEPTINVCHARS)',
      'set it to null; invalid UTF-8 is rejected by ValidateFile',
    );
  }
  if (options.dateFormat !== null && !DATE_FORMATS_NATIVE.has(options.dateFormat)) {
    throw unsupported(`dateFormat ${JSON.stringify(options.dateFormat)}`, "use 'auto' or 'YYYY-MM-DD'");
  }
  if (options.timeFormat !== null && !TIME_FORMATS_NATIVE.has(options.timeFormat)) {
    throw unsupported(`timeFormat ${JSON.stringify(options.timeFormat)}`, "use 'auto' or 'YYYY-MM-DD HH:MI:SS'");
  }
  if (options.nullAs !== null && options.nullAs !== '' && options.emptyAsNull) {
    throw unsupported(
      `nullAs ${JSON.stringify(options.nullAs)} together with emptyAsNull`,
      'PostgreSQL COPY has one NULL marker: set emptyAsNull to false, or nullAs to null',
    );
  }
  if (options.nullAs !== null && (options.nullAs.includes('\n') || options.nullAs.includes('\r'))) {
    throw new ConfigInvalid(`${where}: nullAs cannot contain a line break`);
  }
}

/**
 * The `WITH (...)` contents for a COPY of `columns`. `textColumns` are the
 * columns of string type: without emptyAsNull Redshift loads an empty field as
 * '' into those and as NULL into every other type, which FORCE_NOT_NULL on
 * just the string columns reproduces.
 */
export function copyOptionsSql(
  format: LoadFormat,
  options: LoadOptions,
  textColumns: readonly string[],
  where = 'load',
): string {
  assertCopySupported(format, options, where);
  const parts = [
    'FORMAT csv',
    `DELIMITER ${quotePgLiteral(format.delimiter)}`,
    `QUOTE ${quotePgLiteral(format.quote ?? NO_QUOTE_BYTE)}`,
  ];
  if (format.escape !== null) parts.push(`ESCAPE ${quotePgLiteral(format.escape)}`);
  parts.push(`NULL ${quotePgLiteral(options.nullAs ?? '')}`);
  // FORCE_NOT_NULL stops a column matching the NULL marker at all, so it is only
  // right when the marker is the empty field; with nullAs set, '' already loads as ''.
  if (!options.emptyAsNull && options.nullAs === null && textColumns.length > 0) {
    parts.push(`FORCE_NOT_NULL (${textColumns.map((c) => quoteIdent(c, 'column')).join(', ')})`);
  }
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
