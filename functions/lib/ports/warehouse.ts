import type { ColumnSpec, LineageColumns, LoadOptions, TableRef } from '../config/model.ts';
import type { SqlParameter } from '../sql/named-parameters.ts';

export type { SqlParameter } from '../sql/named-parameters.ts';

/** Data API statement states (DescribeStatement's Status). */
export type StatementState = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export interface LoadPart {
  bucket: string;
  key: string;
  compression: 'gzip' | 'none';
  /** Uncompressed bytes. */
  bytes: number;
  records: number;
  /** Ordinal (1-based, among this target's records) of the part's first record: maps "line n of part" back to the file. */
  firstRecord: number;
  /** Byte offset of the part's first record in the object (a part read in place from the original); 0 when absent. */
  start?: number;
  /** Record-aligned offsets in the object, between start and start + bytes, where a loader may slice the part. */
  cuts?: number[];
}

export interface LoadFormat {
  layout: 'delimited' | 'fixed_width';
  delimiter: string;
  quote: string | null;
  escape: string | null;
}

/** One target of a load: rows from the parts go into `target` with lineage set, all or nothing. */
export interface LoadTargetSpec {
  recordType: string | null;
  target: TableRef;
  columns: ColumnSpec[];
  lineage: LineageColumns;
  format: LoadFormat;
  options: LoadOptions;
  parts: LoadPart[];
  /** Redshift manifest listing the parts (s3 key), written by Preprocess. */
  manifest: { bucket: string; key: string } | null;
}

/**
 * The structured load spec. Adapters render it (Redshift COPY SQL, PostgreSQL
 * COPY) with every identifier validated and quoted; nothing here is SQL text.
 */
export interface LoadSpec {
  runId: string;
  /** Lineage value for the source file column (`s3://bucket/key` of the original). */
  sourceFile: string;
  /**
   * Earlier runs whose rows this load replaces (a `--reload`): each target's rows
   * with these run ids are deleted in the load's own transaction, by the target's
   * run-id lineage column. Absent or empty = append only.
   */
  replaceRunIds?: readonly string[];
  targets: LoadTargetSpec[];
}

/**
 * The value a target's sourceFile lineage column receives: the spec's URI, or
 * its base name when the config says `sourceFileAs: basename`.
 *
 * @example lineageSourceFile('s3://b/landing/x_527.txt', { sourceFileAs: 'basename' }) // 'x_527.txt'
 */
export function lineageSourceFile(sourceFileUri: string, lineage: Pick<LineageColumns, 'sourceFileAs'>): string {
  if (lineage.sourceFileAs !== 'basename') return sourceFileUri;
  return sourceFileUri.slice(sourceFileUri.lastIndexOf('/') + 1);
}

export interface TargetResult {
  target: TableRef;
  recordType: string | null;
  /**
   * Rows inserted into the target; null when the warehouse did not report the
   * count (on Redshift: no stage count and the Data API's ResultRows -1, "the
   * value is null"): CheckLoad then derives it where it can (maxErrors 0) and
   * leaves it unknown otherwise.
   */
  rowsLoaded: number | null;
  /** Null when rowsLoaded is unknown under maxErrors > 0: the rejected rows cannot be derived. */
  rowsRejected: number | null;
}

export interface StatementStatus {
  statementId: string;
  status: StatementState;
  error: string | null;
  /** For a load: per target counts, once FINISHED. */
  targets?: TargetResult[];
  /**
   * true when the statement FAILED or was ABORTED but may still have committed part of its work
   * (on Redshift: a CALLed procedure can COMMIT, TRUNCATE commits): "nothing committed" would
   * then be a guess. Absent: a failed statement rolled back whole.
   */
  partialCommit?: boolean;
  submittedAt?: string;
  updatedAt?: string;
  /** How far a running statement has got, when the adapter can tell (the local warehouse can; the Data API cannot). */
  progress?: StatementProgress;
}

/** Work done so far by a running load: bytes handed to the warehouse and rows it has taken. */
export interface StatementProgress {
  bytesDone: number;
  /** Uncompressed bytes of every part of the load. */
  bytesTotal: number;
  rowsDone: number;
}

/** How long describe may hold its answer for a running statement (a long poll). */
export interface DescribeOptions {
  /**
   * An adapter may wait up to this long for the statement to settle before
   * answering, so a poller writes one cycle per few seconds instead of one per
   * millisecond. The Data API answers at once and ignores it.
   */
  waitMs?: number;
  /**
   * false when the caller needs the status only (did it commit?): an adapter that reads the
   * counts with a call of their own (Redshift: GetStatementResult) skips it, so that call's
   * failure cannot make a known outcome unknown. Default true.
   */
  rowCounts?: boolean;
}

/** describe for a caller that needs the statement's status only (did it commit?), not its row counts. */
export const STATUS_ONLY: DescribeOptions = Object.freeze({ rowCounts: false });

/** A row the warehouse refused, located in the part it came from. */
export interface LoadRowError {
  target: TableRef;
  partKey: string;
  /** 1-based physical line within the part, as the warehouse reports it (line breaks inside quotes count). */
  lineInPart: number;
  column: string | null;
  reason: string;
  rawValue: string | null;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * A query result as the warehouse renders it: every value is the server's
 * text (DATE `2026-11-05`, TIMESTAMP without a time-zone shift, NUMERIC with
 * its scale) or null, and columns keep their order and duplicate names.
 */
export interface TextQueryResult {
  columns: { name: string; type: number }[];
  rows: (string | null)[][];
}

/**
 * Warehouse port, shaped like the Redshift Data API: submit returns at once,
 * DescribeStatement is polled. `clientToken` makes submits idempotent: the same
 * token returns the same statement instead of running it twice.
 */
export interface Warehouse {
  submitLoad(spec: LoadSpec, clientToken: string): Promise<{ statementId: string }>;
  /**
   * Submit config-authored SQL (post-load transform) as one transaction, in a
   * session of its own (temp tables and settings do not outlive it).
   * `parameters` are bound to the SQL's `:name` placeholders (Data API named
   * parameters), never spliced into the text.
   */
  submitSql(sql: string, clientToken: string, parameters?: readonly SqlParameter[]): Promise<{ statementId: string }>;
  describe(statementId: string, opts?: DescribeOptions): Promise<StatementStatus>;
  /** Row-level errors of a failed load statement. */
  loadErrors(statementId: string): Promise<LoadRowError[]>;
  /**
   * Stops a running statement and rolls it back (CancelStatement). Resolves
   * once the adapter knows the outcome where it can (locally: ABORTED, or
   * FINISHED when it had committed first); a finished statement is left as it is.
   */
  cancel(statementId: string, reason?: string): Promise<void>;
  /** Ad-hoc read query (efi sql). */
  query(sql: string): Promise<QueryResult>;
  /**
   * The table's column names in table order (COPY without a column list loads
   * them all). Adapters call it themselves for a target whose `columns` is
   * empty; see `withTableColumns`.
   */
  tableColumns(target: TableRef): Promise<string[]>;
  /** The same, values as the warehouse's text (efi sql output); optional: local warehouses have it. */
  queryText?(sql: string): Promise<TextQueryResult>;
  close(): Promise<void>;
}

/**
 * A target with no columns (the config left `columns` out, as a COPY without a
 * column list) gets the table's columns in order, minus its lineage columns
 * (efi sets those). Targets that list columns are returned as they are.
 */
export async function withTableColumns(
  spec: LoadSpec,
  tableColumns: (target: TableRef) => Promise<string[]>,
): Promise<LoadSpec> {
  if (spec.targets.every((t) => t.columns.length > 0)) return spec;
  const targets = await Promise.all(
    spec.targets.map(async (t) => {
      if (t.columns.length > 0) return t;
      const lineage = new Set([t.lineage.sourceFile, t.lineage.runId, t.lineage.loadedAt]);
      const names = (await tableColumns(t.target)).filter((c) => !lineage.has(c));
      return { ...t, columns: names.map((name) => ({ name })) };
    }),
  );
  return { ...spec, targets };
}
