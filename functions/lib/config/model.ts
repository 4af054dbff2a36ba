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
};

/**
 * No minimum by default. The original framework rejected files under 50 bytes,
 * which reported a header-only or zero-record file as FileTooSmall and hid the
 * real cause; with 0 the content checks name it (ZeroRecords, TrailerMissing,
 * HeaderMismatch). Set minSizeBytes to refuse short uploads before reading them.
 */
export const DEFAULT_MIN_SIZE_BYTES = 0;
export const DEFAULT_PART_BYTES = 64 * 1024 * 1024;
