/**
 * What the local warehouse (PGlite / PostgreSQL, functions/lib/adapters/postgres)
 * does with each Redshift COPY option, as data (dlt's "capabilities" idea):
 * `config validate` reads `refuse` to turn away what it cannot load the way
 * Redshift does, with the reason; docs/copy-fidelity.md is the same table in
 * prose, with the tests that hold each row. What Redshift itself refuses (a bad
 * DATEFORMAT/TIMEFORMAT string) is not a local gap: cross-field-checks.ts says it.
 * Imports nothing above config/.
 */

/** exact = same rows or the same failure as Redshift; approximate = documented gap; refused = validate says no. */
export type LocalSupport = 'exact' | 'approximate' | 'refused';

/** The parts of a YAML file entry the rules look at (structural, so schema.ts can pass its parsed entry). */
export interface EntryView {
  format?: { layout?: string; quote?: string | null; compression?: string } | undefined;
  load?:
    | {
        dateFormat?: string | null | undefined;
        timeFormat?: string | null | undefined;
        nullAs?: string | null | undefined;
        acceptAnyDate?: boolean | undefined;
        acceptInvalidChars?: string | null | undefined;
      }
    | undefined;
}

/** The separators of a delimited entry after defaults (null for fixed width): what the local COPY splits records on. */
export interface Separators {
  delimiter: string;
  quote: string | null;
  escape: string | null;
}

export interface LocalCapability {
  /** The Redshift COPY option (or behaviour). */
  option: string;
  /** efi's config key. */
  config: string;
  support: LocalSupport;
  /** How the local engine does it, or why it cannot. */
  local: string;
  /** A config the local engine refuses: the path to point at and the message; null when fine. */
  refuse?: (f: EntryView, separators: Separators | null) => { path: (string | number)[]; message: string } | null;
  /** The config paths `refuse` reads (field-rules.ts): it runs once they are valid, and sees only them. */
  reads?: readonly string[];
  /** `refuse` reads the separators too (validation then also waits for the format's layout, delimiter, quote and escape). */
  readsSeparators?: true;
}

export const LOCAL_CAPABILITIES: readonly LocalCapability[] = [
  {
    option: 'DELIMITER',
    config: 'format.delimiter',
    support: 'exact',
    local: 'COPY DELIMITER, or the rewrite for multi-character delimiters',
  },
  {
    option: 'CSV QUOTE AS',
    config: 'format.quote',
    support: 'exact',
    local: 'PostgreSQL CSV mode with the same quote',
  },
  {
    option: 'ESCAPE',
    config: 'format.escape',
    support: 'exact',
    local:
      'the part rewrite undoes backslash escapes (text mode), an escaped line feed stays in its record; refused with CSV, as Redshift refuses it',
  },
  {
    option: 'FIXEDWIDTH',
    config: 'format.layout: fixed_width',
    support: 'exact',
    local: 'the rewrite cuts byte widths; a record ending inside its last column loads what is there',
  },
  {
    option: 'LZOP',
    config: 'format.compression',
    support: 'refused',
    local: 'no lzop reader in Preprocess or the local warehouse',
    reads: ['format.compression'],
    refuse: (f) =>
      f.format?.compression === 'lzop'
        ? {
            path: ['format', 'compression'],
            message: 'lzop is not supported locally: recompress as gzip, bzip2 or zstd',
          }
        : null,
  },
  {
    option: 'NULL AS',
    config: 'load.nullAs',
    support: 'exact',
    local: "the marker, default '\\N' in every mode; refused when it holds a NUL (NULL AS '\\0') or a line break",
    reads: ['load.nullAs'],
    refuse: (f) =>
      f.load?.nullAs?.includes('\u0000')
        ? {
            path: ['load', 'nullAs'],
            message:
              "nullAs '\\0' (a NUL byte) cannot match: efi rejects a file holding a NUL byte before loading (PostgreSQL text cannot store one); deliver files without NULs, with \\N for NULL",
          }
        : /[\r\n]/.test(f.load?.nullAs ?? '')
          ? {
              path: ['load', 'nullAs'],
              message:
                'nullAs holds a line break: Redshift reserves the newline as the line delimiter (NULL AS: "Do not use \'\\n\' (newline) for the null_string value"), an unquoted field never holds one, and efi drops the CR of a CRLF line end; use another marker, such as \\N',
            }
          : null,
  },
  { option: 'EMPTYASNULL', config: 'load.emptyAsNull', support: 'exact', local: "COPY NULL '' or the rewrite" },
  { option: 'BLANKSASNULL', config: 'load.blanksAsNull', support: 'exact', local: 'the rewrite' },
  {
    option: 'DATEFORMAT',
    config: 'load.dateFormat',
    support: 'exact',
    local:
      "a format string is matched strictly by the rewrite (time parts read and ignored); 'auto' goes to PostgreSQL's parser (approximate)",
  },
  {
    option: 'TIMEFORMAT',
    config: 'load.timeFormat',
    support: 'exact',
    local:
      "as DATEFORMAT; 'epochsecs' and 'epochmillisecs' converted in the rewrite; without it a TIMESTAMPTZ value may end in its UTC offset",
  },
  {
    option: 'ACCEPTANYDATE',
    config: 'load.acceptAnyDate',
    support: 'approximate',
    local:
      "exact with a format string; with 'auto' efi's own recogniser reads the documented formats as PostgreSQL's cast does (approximate beyond them)",
  },
  {
    option: 'ACCEPTINVCHARS',
    config: 'load.acceptInvalidChars',
    support: 'exact',
    local:
      'each invalid byte replaced, and each byte of a noncharacter (U+FFFE, U+FFFF, U+FDD0..U+FDEF, as Redshift does); refused when the replacement is a line break, the delimiter, the quote or the escape',
    reads: ['load.acceptInvalidChars'],
    readsSeparators: true,
    refuse: acceptInvalidCharsRefusal,
  },
  {
    option: 'TRUNCATECOLUMNS',
    config: 'load.truncateColumns',
    support: 'exact',
    local:
      'cut to n bytes at a character boundary; a multibyte character in a CHAR still fails the row, as in Redshift',
  },
  {
    option: 'IGNOREBLANKLINES',
    config: 'load.ignoreBlankLines',
    support: 'exact',
    local: 'blank lines dropped before COPY',
  },
  {
    option: 'REMOVEQUOTES',
    config: 'load.removeQuotes',
    support: 'exact',
    local: 'the rewrite removes surrounding quotes',
  },
  {
    option: 'FILLRECORD',
    config: 'load.fillRecord',
    support: 'exact',
    local: 'the rewrite fills missing trailing fields',
  },
  {
    option: 'TRIMBLANKS',
    config: 'load.trimBlanks',
    support: 'exact',
    local: 'trailing white space removed from VARCHAR',
  },
  {
    option: 'ROUNDEC',
    config: 'load.roundDecimals',
    support: 'exact',
    local: 'PostgreSQL rounds; without it the rewrite truncates',
  },
  { option: 'MAXERROR', config: 'load.maxErrors', support: 'exact', local: 'rejected rows skipped and reported' },
];

/**
 * Redshift replaces an invalid character inside the field it has already split
 * out, so any ASCII character but NUL only changes that value. The local
 * warehouse replaces the bytes of the whole record before PostgreSQL's COPY (or
 * the rewrite) splits it, so a replacement that is a line end or a separator
 * there would end the record or the field early: different rows, refused.
 * With no quote the local CSV quote is NO_QUOTE_BYTE (U+0001), a separator too.
 */
function acceptInvalidCharsRefusal(
  f: EntryView,
  separators: Separators | null,
): { path: (string | number)[]; message: string } | null {
  const c = f.load?.acceptInvalidChars;
  if (c === undefined || c === null) return null;
  const why = (what: string) => ({
    path: ['load', 'acceptInvalidChars'],
    message: `acceptInvalidChars ${JSON.stringify(c)} is ${what}: Redshift puts it inside the field's value, but the local warehouse replaces invalid bytes before it splits the record into fields, so it would load different rows; choose another replacement character`,
  });
  if (c === '\n' || c === '\r') return why('a line break');
  if (separators === null) return null;
  if (separators.delimiter.includes(c)) return why('(in) the delimiter');
  if (c === (separators.quote ?? '\x01'))
    return why(separators.quote === null ? 'the local no-quote byte U+0001' : 'the quote');
  if (c === separators.escape) return why('the escape');
  return null;
}
