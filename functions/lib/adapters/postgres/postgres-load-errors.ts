import type { TableRef } from '../../config/model.ts';
import { formatValue } from '../../errors.ts';
import type { LoadRowError } from '../../ports/warehouse.ts';
import type { PartRowError } from './postgres-part-transform.ts';

/**
 * Turns PostgreSQL errors raised during a COPY into LoadRowError. Both drivers
 * (PGlite's DatabaseError and pg's) carry the protocol's error fields under the
 * same property names (`code`, `where`, `column`), but neither exports a class
 * the other shares, so fields are read structurally.
 */

export interface PgErrorFields {
  /** SQLSTATE. */
  code: string;
  message: string;
  /** The error context (`COPY t, line 3, column c: "v"`), possibly several lines. */
  where: string | null;
  column: string | null;
  detail: string | null;
}

export function pgErrorFields(err: unknown): PgErrorFields | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as Record<string, unknown>;
  if (typeof e['code'] !== 'string' || !/^[0-9A-Z]{5}$/.test(e['code'])) return null;
  return {
    code: e['code'],
    message: typeof e['message'] === 'string' ? e['message'] : String(e['message']),
    where: typeof e['where'] === 'string' ? e['where'] : null,
    column: typeof e['column'] === 'string' ? e['column'] : null,
    detail: typeof e['detail'] === 'string' ? e['detail'] : null,
  };
}

/**
 * Errors about a row's content: data exceptions (class 22: bad number, date,
 * too long, missing/extra columns) and NOT NULL violations. Anything else
 * (missing table or column, permissions) is about the environment.
 */
export function isRowErrorCode(code: string): boolean {
  // 23514: the staging table's byte-length checks (postgres-column-info.ts byteLimitChecksSql).
  return code.startsWith('22') || code === '23502' || code === '23514';
}

/**
 * Whether a row PostgreSQL's COPY refused on the fast path is one Redshift
 * loads, and the part transform's rewrite loads the way Redshift does: a blank
 * or empty field of a non-string column (Redshift: NULL) or a record with
 * more fields than columns (Redshift ignores a trailing delimiter). The caller
 * then re-runs the part through the rewrite instead of rejecting the row.
 */
export function rewriteWouldLoad(e: LoadRowError, columns: Map<string, { category: string }>): boolean {
  if (e.reason.startsWith('extra data after last expected column')) return true;
  // The stage check for a `\N` string field (stageChecksSql): the rewrite loads it as NULL.
  if (e.reason.includes('efi_null_')) return true;
  if (e.column === null || e.rawValue === null) return false;
  if (e.rawValue !== '\\N' && !/^[ \t]*$/.test(e.rawValue)) return false;
  const c = columns.get(e.column);
  return c !== undefined && c.category !== 'S';
}

export interface CopyContext {
  relation: string;
  line: number;
  column: string | null;
  /** The field's text, or the whole line when the error is about the line; null when not shown. */
  rawValue: string | null;
}

// PostgreSQL's CopyFromErrorCallback forms:
//   COPY t, line 3, column c: "v"   COPY t, line 3, column c: null input
//   COPY t, line 3, column c        COPY t, line 3: "whole line"        COPY t, line 3
const COPY_CONTEXT = /^COPY (\S+), line (\d+)(?:, column ([^:]+?))?(?:: (?:"([\s\S]*)"|null input))?$/;

/** Parses the COPY line of an error context; null when the error did not come from a COPY row. */
export function parseCopyContext(where: string | null): CopyContext | null {
  if (!where) return null;
  // Context lines are newline-separated, but the value shown may itself hold
  // newlines and quotes: the longest text that still parses wins, which is
  // exact for the adapter's top-level COPYs (they have no further context lines).
  const start = where.indexOf('COPY ');
  if (start < 0) return null;
  let text = where.slice(start);
  let m = COPY_CONTEXT.exec(text);
  while (!m) {
    const cut = text.lastIndexOf('\n');
    if (cut < 0) return null;
    text = text.slice(0, cut);
    m = COPY_CONTEXT.exec(text);
  }
  return {
    relation: m[1]!,
    line: Number(m[2]),
    column: m[3] ?? null,
    rawValue: m[4] ?? null,
  };
}

export interface PartContext {
  target: TableRef;
  partKey: string;
  /** The staging table the part was copied into, named in PostgreSQL's messages. */
  stageTable: string;
}

/**
 * The row error for a failed COPY of one part, or null when the failure is not
 * about a row (the caller then reports it as an operational failure).
 * `lineInPart` is PostgreSQL's own line number: see locateCopyLine for the
 * physical line of the part it stands for.
 */
export function toLoadRowError(err: unknown, part: PartContext): LoadRowError | null {
  const f = pgErrorFields(err);
  if (!f || !isRowErrorCode(f.code)) return null;
  const ctx = parseCopyContext(f.where);
  if (!ctx) return null;
  const targetName = `${part.target.schema}.${part.target.table}`;
  return {
    target: part.target,
    partKey: part.partKey,
    lineInPart: ctx.line,
    column: ctx.column ?? f.column,
    // The staging table is an implementation detail; people know the target.
    reason: `${f.message.split(`"${part.stageTable}"`).join(`"${targetName}"`)} (SQLSTATE ${f.code})${
      f.code === '23514' && f.message.includes('efi_bytes_')
        ? ': a value is longer in bytes than its VARCHAR(n) (Redshift counts VARCHAR lengths in bytes, not characters); shorten it or set truncateColumns'
        : ''
    }`,
    rawValue: ctx.rawValue,
  };
}

/** A row the part transform refused, as a LoadRowError. */
export function partRowError(e: PartRowError, part: PartContext): LoadRowError {
  return {
    target: part.target,
    partKey: part.partKey,
    lineInPart: e.line,
    column: e.column,
    reason: e.reason,
    rawValue: e.rawValue,
  };
}

/** One line for the statement's error column, e.g. in `efi show`. */
export function describeRowError(e: LoadRowError): string {
  const column = e.column ? `, column ${e.column}` : '';
  const value = e.rawValue !== null ? ` (value ${formatValue(e.rawValue)})` : '';
  return `row rejected for ${e.target.schema}.${e.target.table}: part ${e.partKey} line ${e.lineInPart}${column}: ${e.reason}${value}`;
}

/** One line for an operational failure, keeping the SQLSTATE so the cause is searchable. */
export function describeDbError(err: unknown): string {
  const f = pgErrorFields(err);
  if (f) return `${f.message} (SQLSTATE ${f.code})${f.detail ? `: ${f.detail}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
