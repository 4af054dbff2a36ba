import type { TableRef } from '../../config/model.ts';
import type { LoadRowError } from '../../ports/warehouse.ts';

/**
 * Row-level errors of a Redshift COPY, from SYS_LOAD_ERROR_DETAIL (provisioned
 * clusters and Serverless). The query id is always a Data API parameter
 * (`:query_id`), never spliced into the text.
 *
 * The id is the sub-statement's `RedshiftQueryId`, which the Data API
 * documents as the `query_id` of SYS_QUERY_HISTORY, the SYS views' identifier.
 * STL_LOAD_ERRORS is not asked: its `query` column is the provisioned-only
 * views' identifier, which the Database Developer Guide says is "not the same
 * identifier" and cannot be used as a join key with SYS `query_id` (SYS_QUERY_HISTORY;
 * *Improving query identifier tracking using the SYS monitoring views*), so
 * `query = RedshiftQueryId` could return another query's errors. The SYS view's
 * documented columns have no raw field value, so `rawValue` is null.
 */

/** Enough to explain a failed file; the load's MAXERROR bounds the count anyway. */
export const LOAD_ERROR_LIMIT = 1000;

export const SYS_LOAD_ERRORS_SQL = [
  'SELECT TRIM(file_name) AS file_name, line_number, TRIM(column_name) AS column_name,',
  '  TRIM(error_message) AS error_message',
  'FROM sys_load_error_detail',
  'WHERE query_id = CAST(:query_id AS BIGINT)',
  'ORDER BY file_name, line_number',
  `LIMIT ${LOAD_ERROR_LIMIT}`,
].join('\n');

export function loadErrorParameters(queryId: number): { name: string; value: string }[] {
  return [{ name: 'query_id', value: String(queryId) }];
}

/** `s3://bucket/a/b.gz` → `a/b.gz`; anything else is returned trimmed as is. */
export function partKeyFromFileName(fileName: string): string {
  const trimmed = fileName.trim();
  const m = /^s3:\/\/[^/]+\/(.*)$/.exec(trimmed);
  return m ? m[1]! : trimmed;
}

/** One row of the query above (column names as aliased there). */
export function mapLoadErrorRow(row: Record<string, unknown>, target: TableRef): LoadRowError {
  const column = text(row['column_name']);
  return {
    target,
    partKey: partKeyFromFileName(text(row['file_name']) ?? ''),
    lineInPart: toLine(row['line_number']),
    column: column === '' ? null : column,
    reason: text(row['error_message']) ?? '',
    rawValue: text(row['raw_field_value']),
  };
}

// System tables pad CHAR columns; TRIM in SQL covers it, this covers an absent TRIM.
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return String(v).trim();
}

function toLine(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
