import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/**
 * Kysely types for the config/audit database (schema `efi`), created by
 * sql/migrations. Timestamps are timestamptz; counts are int8 and arrive as
 * strings from `pg`, so read them through `Number()`.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Defaulted by the database: optional on insert, a Date when selected. */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Int8 = ColumnType<string | number, number | bigint, number | bigint>;

export interface InterfaceTable {
  name: string;
  description: string | null;
  active: boolean;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface FileConfigTable {
  id: string;
  interface_name: string;
  active: boolean;
  match_kind: 'glob' | 'regex' | 'token';
  match_pattern: string;
  /** The normalised FileConfig (config/model.ts). */
  spec: JSONColumnType<import('../../config/model.ts').FileConfig>;
  /** sha256 of the spec: `config apply` only bumps version on change. */
  checksum: string;
  version: Generated<number>;
  source: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Every stored version of a config (sql/migrations/0003): runs read the version they were matched to. */
export interface ConfigVersionTable {
  config_id: string;
  version: number;
  spec: JSONColumnType<import('../../config/model.ts').FileConfig>;
  checksum: string;
  source: string | null;
  created_at: GeneratedTimestamp;
}

export interface FileConfigColumnTable {
  config_id: string;
  record_type: string;
  ordinal: number;
  column_name: string;
  width: number | null;
  target_schema: string;
  target_table: string;
}

export interface RunTable {
  run_id: string;
  execution_id: string;
  config_id: string | null;
  interface_name: string | null;
  bucket: string;
  object_key: string;
  etag: string | null;
  file_bytes: Int8 | null;
  status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'ABORTED' | 'SKIPPED';
  records_in_file: Int8 | null;
  /** Unknown record types skipped on purpose (`split.onUnknown: skip`). */
  records_skipped: ColumnType<string | number | null, number | bigint | null | undefined, number | bigint | null>;
  rows_loaded: Int8 | null;
  rows_rejected: Int8 | null;
  /** Per-target counts: [{schema, table, recordType, rowsLoaded, rowsRejected}]. */
  targets: JSONColumnType<unknown[] | null, unknown[] | null, unknown[] | null>;
  statement_ids: JSONColumnType<string[], string[], string[]>;
  archived_to: string | null;
  skip_reason: string | null;
  error_name: string | null;
  error_message: string | null;
  error_line: Int8 | null;
  error_column: string | null;
  /** The one location shape { line, field, fieldName, byteOffset } (migration 0006). */
  error_location: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  error_state: string | null;
  redrive_count: Generated<number>;
  notified: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  updated_at: GeneratedTimestamp;
  /** sql/migrations/0005: the latest load / transform statement, whether each had committed, a notify error. */
  load_statement_id: ColumnType<string | null, string | null | undefined, string | null>;
  transform_statement_id: ColumnType<string | null, string | null | undefined, string | null>;
  load_committed: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  transform_committed: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  notify_error: ColumnType<string | null, string | null | undefined, string | null>;
  /** sql/migrations/0007: SHA-256 of the file's bytes (ValidateFile), the key of its content claim. */
  content_sha256: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Claim on a file's content: at most one run loads a given (bucket, key, etag). */
export interface FileClaimTable {
  bucket: string;
  object_key: string;
  etag: string;
  run_id: string;
  claimed_at: GeneratedTimestamp;
}

/** Who owns a content (config + ETag + size), whatever the file's name (migration 0006). */
export interface ContentClaimTable {
  config_id: string;
  etag: string;
  size_bytes: ColumnType<number | string, number, number>;
  run_id: string;
  replaces: ColumnType<string[], string, string>;
  claimed_at: GeneratedTimestamp;
}

/** Local executions (the Step Functions console's list, for local runs). */
export interface ExecutionTable {
  execution_id: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  input: ColumnType<unknown, string, string>;
  output: ColumnType<unknown, string | null, string | null>;
  error: string | null;
  cause: string | null;
  redrive_count: Generated<number>;
  started_at: Timestamp;
  stopped_at: Timestamp | null;
  /** sql/migrations/0005: the process running it (a dead owner's RUNNING execution is recovered). */
  owner_host: ColumnType<string | null, string | null | undefined, string | null>;
  owner_pid: ColumnType<number | null, number | null | undefined, number | null>;
  owner_token: ColumnType<string | null, string | null | undefined, string | null>;
  heartbeat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ExecutionEventTable {
  execution_id: string;
  seq: number;
  redrive_count: number;
  type: string;
  state_name: string | null;
  input: ColumnType<unknown, string | null, string | null>;
  output: ColumnType<unknown, string | null, string | null>;
  error: string | null;
  cause: string | null;
  at: Timestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  run_id: string;
  status: string;
  subject: string;
  body: string;
  detail: JSONColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
  /** sql/migrations/0005: unique; a re-sent notification inserts nothing. */
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: GeneratedTimestamp;
}

export interface EfiDatabase {
  'efi.interfaces': InterfaceTable;
  'efi.file_configs': FileConfigTable;
  'efi.config_versions': ConfigVersionTable;
  'efi.file_config_columns': FileConfigColumnTable;
  'efi.runs': RunTable;
  'efi.file_claims': FileClaimTable;
  'efi.content_claims': ContentClaimTable;
  'efi.executions': ExecutionTable;
  'efi.execution_events': ExecutionEventTable;
  'efi.outbox': OutboxTable;
}
