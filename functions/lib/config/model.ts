/**
 * The normalised file config every state works from. YAML (config/schema.ts)
 * and the legacy tables are both turned into this shape; defaults are already
 * applied here, so the core never guesses.
 */

export type Layout = 'delimited' | 'fixed_width';
export type Compression = 'none' | 'gzip' | 'bzip2' | 'zstd';
export type Encoding = 'utf-8' | 'latin1' | 'windows-1252';

export interface ColumnSpec {
  /** Target column name (validated identifier). */
  name: string;
  /** Character width for fixed-width layouts. */
  width?: number;
}

export interface TableRef {
  schema: string;
  table: string;
}

/** Columns set on every loaded row inside the load transaction; null = not recorded. */
export interface LineageColumns {
  sourceFile: string | null;
  runId: string | null;
  loadedAt: string | null;
  /**
   * What the sourceFile column receives: the `s3://bucket/key` URI (default) or
   * only the object's base name (`x_20240101_527.txt`), the value the original
   * framework stamped in its `file_name` column.
   */
  sourceFileAs?: 'uri' | 'basename';
}

/** One record layout. Single-layout files have exactly one with `recordType: null`. */
export interface RecordLayout {
  /** Record-type prefix (the first `split.prefixLength` characters) or null. */
  recordType: string | null;
  target: TableRef;
  /** Columns in file order. */
  columns: ColumnSpec[];
  lineage: LineageColumns;
}

export type TrailerCount = { kind: 'position'; from: number; to: number } | { kind: 'pattern'; regex: string };

export interface LoadOptions {
  /** Redshift DATEFORMAT; 'auto' or a pattern like 'YYYY-MM-DD'; null = warehouse default. */
  dateFormat: string | null;
  timeFormat: string | null;
  /** Empty fields load as NULL (Redshift EMPTYASNULL). */
  emptyAsNull: boolean;
  /** Whitespace-only fields load as NULL (Redshift BLANKSASNULL). */
  blanksAsNull: boolean;
  /** A literal string that means NULL (Redshift NULL AS). */
  nullAs: string | null;
  /** Rows the load may reject before it fails (Redshift MAXERROR). */
  maxErrors: number;
  truncateColumns: boolean;
  /** Replacement character for invalid UTF-8 (Redshift ACCEPTINVCHARS); null = reject. */
  acceptInvalidChars: string | null;
  ignoreBlankLines: boolean;
  /** A DATE/TIMESTAMP value that does not match its format loads as NULL instead of failing the row (Redshift ACCEPTANYDATE). */
  acceptAnyDate: boolean;
  /** Text mode: surrounding ' or " quotes are removed, delimiters inside them kept (Redshift REMOVEQUOTES). */
  removeQuotes: boolean;
  /** Records with trailing columns missing load them as empty fields (Redshift FILLRECORD). */
  fillRecord: boolean;
  /** Trailing white space is removed from VARCHAR values (Redshift TRIMBLANKS). */
  trimBlanks: boolean;
  /** Numbers with more decimals than the column's scale are rounded, not truncated (Redshift ROUNDEC). */
  roundDecimals: boolean;
}

export interface FileConfig {
  /** Unique config id, e.g. `sales.daily`. */
  id: string;
  interface: string;
  description: string | null;
  active: boolean;
  match: { kind: 'glob' | 'regex' | 'token'; pattern: string };
  format: {
    layout: Layout;
    /** Field delimiter for delimited layouts; may be several characters. */
    delimiter: string;
    /** CSV quote character; null means fields are never quoted. */
    quote: string | null;
    escape: string | null;
    encoding: Encoding;
    compression: Compression;
    /** Accepted file extensions without the dot, lower case; empty = any. */
    extensions: string[];
  };
  header: { lines: number; columns: string[] | null };
  /** `marker`: text the trailer line starts with (tells a missing trailer from a malformed one); absent = none. */
  trailer: { count: TrailerCount; marker?: string } | null;
  minSizeBytes: number;
  maxSizeBytes: number | null;
  records: RecordLayout[];
  split: { prefixLength: number; onUnknown: 'reject' | 'skip' } | null;
  load: LoadOptions;
  /** Uncompressed bytes per load part (parallel COPY slices). */
  partBytes: number;
  duplicates: 'skip' | 'reload';
  /**
   * What a reload of content already loaded does: `replace` (default) deletes the
   * earlier run's rows (by the run-id lineage column) in the load's own
   * transaction; `append` loads a second copy (for targets without run-id lineage).
   * Absent = `replace`.
   */
  reloadMode?: 'replace' | 'append';
  transform: { sql: string } | null;
  /** `includeValues: false` keeps file values out of messages, the audit and notifications; absent = shown, bounded. */
  errors?: { includeValues: boolean };
}

export const DEFAULT_LINEAGE: LineageColumns = {
  sourceFile: 'efi_source_file',
  runId: 'efi_run_id',
  loadedAt: 'efi_loaded_at',
};

/** The SQL types of the lineage columns: what `efi init` writes and a refusal of a missing one suggests. */
export const LINEAGE_COLUMN_TYPES = {
  sourceFile: 'varchar(1024)',
  runId: 'varchar(64)',
  loadedAt: 'timestamp',
} as const;

export const DEFAULT_LOAD_OPTIONS: LoadOptions = {
  dateFormat: 'auto',
  timeFormat: 'auto',
  emptyAsNull: true,
  blanksAsNull: false,
  nullAs: null,
  maxErrors: 0,
  truncateColumns: false,
  acceptInvalidChars: null,
  ignoreBlankLines: true,
  acceptAnyDate: false,
  removeQuotes: false,
  fillRecord: false,
  trimBlanks: false,
  roundDecimals: false,
};

/**
 * Redshift COPY's own defaults (`defaults: redshift`): what a COPY without the
 * option means, so options copied from an existing COPY keep their meaning.
 * The format side (delimiter '|', no CSV quoting) is in REDSHIFT_FORMAT_DEFAULTS.
 */
export const REDSHIFT_LOAD_OPTIONS: LoadOptions = {
  dateFormat: null,
  timeFormat: null,
  emptyAsNull: false,
  blanksAsNull: false,
  nullAs: null,
  maxErrors: 0,
  truncateColumns: false,
  acceptInvalidChars: null,
  ignoreBlankLines: false,
  acceptAnyDate: false,
  removeQuotes: false,
  fillRecord: false,
  trimBlanks: false,
  roundDecimals: false,
};

/** Which defaults a file config starts from: efi's CSV-style ones, or Redshift COPY's. */
export type DefaultsPreset = 'efi' | 'redshift';

/** Redshift's NULL AS default: a field that is exactly `\N` is NULL. */
export const REDSHIFT_DEFAULT_NULL = '\\N';

/**
 * The NULL AS marker Redshift applies: the configured one, else Redshift's
 * default `\N` (in every format: the documentation gives one default).
 */
export function effectiveNullAs(options: Pick<LoadOptions, 'nullAs'>): string {
  return options.nullAs ?? REDSHIFT_DEFAULT_NULL;
}

/**
 * No minimum by default. The original framework rejected files under 50 bytes,
 * which reported a header-only or zero-record file as FileTooSmall and hid the
 * real cause; with 0 the content checks name it (ZeroRecords, TrailerMissing,
 * HeaderMismatch). Set minSizeBytes to refuse short uploads before reading them.
 */
export const DEFAULT_MIN_SIZE_BYTES = 0;
export const DEFAULT_PART_BYTES = 64 * 1024 * 1024;
