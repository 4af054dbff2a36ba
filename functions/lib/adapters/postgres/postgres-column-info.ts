import { effectiveNullAs, type LoadOptions, REDSHIFT_DEFAULT_NULL } from '../../config/model.ts';
import type { LoadTargetSpec } from '../../ports/warehouse.ts';
import { quoteIdent, quotePgLiteral } from '../../sql/identifiers.ts';
import { INT64_DECIMAL_PRECISION } from './postgres-copy-options.ts';
import { converterFor, withUtcOffset } from './postgres-date-format.ts';
import type { ColumnRule, RewritePlan } from './postgres-part-transform.ts';

/**
 * What the local warehouse reads of a target's columns (PostgreSQL catalog),
 * and the per-column rules derived from it: which columns are strings, their
 * VARCHAR(n) limit, the scale of NUMERIC(p,s) columns, DATE/TIMESTAMP
 * converters. One query, one place.
 */

export interface ColumnInfo {
  name: string;
  not_null: boolean;
  /** PostgreSQL type category: 'S' = string types. */
  category: string;
  type_name: string;
  /** n of varchar(n)/char(n); null for unbounded types. Redshift counts it in bytes. */
  max_chars: number | string | null;
  /** s of numeric(p,s); null for other types or unconstrained numeric. */
  numeric_scale: number | string | null;
  /** p of numeric(p,s); null for other types or unconstrained numeric. */
  numeric_precision?: number | string | null;
  /** Position in the table (1-based). */
  position: number | string;
  has_default: boolean;
}

/**
 * Types whose values are decimal numbers only on Redshift: SMALLINT, INTEGER, BIGINT, DECIMAL
 * (*Integer and floating-point literals*) and REAL, DOUBLE PRECISION (*Preparing your input data*:
 * "standard floating-point format, such as 12.123, or an exponential format, such as 1.0E4").
 */
export const DECIMAL_ONLY_TYPES: ReadonlySet<string> = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8']);

/** What Redshift makes of a string column without a length (*Character types*): VARCHAR(256), CHAR(256). */
export const REDSHIFT_DEFAULT_STRING_BYTES = 256;

/**
 * A string column's length on Redshift, in bytes: n of VARCHAR(n)/CHAR(n);
 * 256 for TEXT, VARCHAR and BPCHAR without n, which Redshift converts to
 * VARCHAR(256) / CHAR(256) (*Character types*) where PostgreSQL has no limit;
 * null for other types. `implicit` says the limit is not in the DDL.
 */
export function redshiftLength(
  c: Pick<ColumnInfo, 'type_name' | 'max_chars'>,
): { bytes: number; implicit: boolean } | null {
  if (c.max_chars != null && Number.isInteger(Number(c.max_chars)))
    return { bytes: Number(c.max_chars), implicit: false };
  if (c.type_name === 'text' || c.type_name === 'varchar' || c.type_name === 'bpchar') {
    return { bytes: REDSHIFT_DEFAULT_STRING_BYTES, implicit: true };
  }
  return null;
}

/**
 * The byte limit a check must enforce beyond what COPY does, or null: every
 * string column's Redshift length, except an explicit CHAR(n), which takes
 * ASCII only (the rewrite and the pass-through checks refuse the rest), so
 * its n characters are n bytes and COPY's own length check holds.
 */
export function checkedByteLimit(c: Pick<ColumnInfo, 'type_name' | 'max_chars'>): number | null {
  const length = redshiftLength(c);
  return length && (c.type_name !== 'bpchar' || length.implicit) ? length.bytes : null;
}

/** `$1` is the table (quoted, regclass text). Columns in table order. */
export const COLUMN_INFO_SQL = `SELECT a.attname AS name, a.attnotnull AS not_null, t.typcategory AS category, t.typname AS type_name,
       CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS max_chars,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN (a.atttypmod - 4) & 65535 END AS numeric_scale,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END AS numeric_precision,
       a.attnum AS position, a.atthasdef AS has_default
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** `$1` is the table: its column names in table order (COPY without a column list). */
export const TABLE_COLUMNS_SQL = `SELECT a.attname AS name FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;

/**
 * CHECK constraints for the staging table so the fast path (COPY of the
 * part's own bytes) does what Redshift does:
 * - `efi_bytes_<i>`: a VARCHAR(n) value of more than n bytes fails
 *   (PostgreSQL counts characters). The rewrite checks the same itself.
 * - `efi_null_<i>`: with emptyAsNull and the default NULL AS, the COPY's
 *   marker is the empty field, so a string field `\\N` would load as text; the
 *   check stops the COPY and the caller re-runs the part through the rewrite,
 *   which honours both markers (rewriteWouldLoad). Only when `fastPath`.
 */
export function stageChecksSql(
  stage: string,
  columns: Iterable<ColumnInfo>,
  options: LoadOptions,
  fastPath: boolean,
): string | null {
  const clauses: string[] = [];
  let i = 0;
  for (const c of columns) {
    i++;
    const col = quoteIdent(c.name);
    const bytes = checkedByteLimit(c);
    if (bytes !== null) clauses.push(`ADD CONSTRAINT efi_bytes_${i} CHECK (octet_length(${col}) <= ${bytes})`);
    if (fastPath && options.emptyAsNull && options.nullAs === null && c.category === 'S') {
      clauses.push(
        `ADD CONSTRAINT efi_null_${i} CHECK (${col} IS DISTINCT FROM ${quotePgLiteral(REDSHIFT_DEFAULT_NULL)})`,
      );
    }
  }
  return clauses.length === 0 ? null : `ALTER TABLE ${stage} ${clauses.join(', ')}`;
}

/** Drops the `efi_null_<i>` checks once a target's parts go through the rewrite (it honours `\\N` itself). */
export function dropNullChecksSql(stage: string, columns: Iterable<ColumnInfo>): string | null {
  const clauses: string[] = [];
  let i = 0;
  for (const c of columns) {
    i++;
    if (c.category === 'S') clauses.push(`DROP CONSTRAINT IF EXISTS efi_null_${i}`);
  }
  return clauses.length === 0 ? null : `ALTER TABLE ${stage} ${clauses.join(', ')}`;
}

/** The part transform's rewrite plan for one target, from its spec and its columns' catalog facts. */
export function buildRewritePlan(spec: LoadTargetSpec, columns: Map<string, ColumnInfo>, where: string): RewritePlan {
  const o = spec.options;
  const date = converterFor(o.dateFormat, 'date', `${where}: dateFormat`, o.acceptAnyDate);
  const time = converterFor(o.timeFormat, 'timestamp', `${where}: timeFormat`, o.acceptAnyDate);
  const rules: ColumnRule[] = spec.columns.map((c) => {
    const info = columns.get(c.name);
    const type = info?.type_name ?? '';
    let convert: ColumnRule['convert'] = null;
    if (type === 'date' && date) {
      convert = { fn: date, option: 'dateFormat', format: o.dateFormat ?? 'YYYY-MM-DD (the default)' };
    } else if (type === 'timestamp' && time) {
      convert = { fn: time, option: 'timeFormat', format: o.timeFormat ?? 'YYYY-MM-DD HH:MI:SS (the default)' };
    } else if (type === 'timestamptz' && time) {
      // Without TIMEFORMAT a TIMESTAMPTZ value may carry its UTC offset (Redshift's default 'YYYY-MM-DD HH:MI:SSOF').
      convert =
        o.timeFormat === null
          ? { fn: withUtcOffset(time), option: 'timeFormat', format: 'YYYY-MM-DD HH:MI:SSOF (the TIMESTAMPTZ default)' }
          : { fn: time, option: 'timeFormat', format: o.timeFormat };
    }
    return {
      name: c.name,
      // An unknown column fails the COPY itself (42703); treat it as text meanwhile.
      isText: info ? info.category === 'S' : true,
      isVarchar: info ? info.type_name === 'varchar' || info.type_name === 'text' : true,
      maxBytes: info ? (redshiftLength(info)?.bytes ?? null) : null,
      implicitLength: info ? redshiftLength(info)?.implicit === true : false,
      singleByte: info?.type_name === 'bpchar',
      isBoolean: info?.type_name === 'bool',
      decimalOnly: DECIMAL_ONLY_TYPES.has(info?.type_name ?? ''),
      numericScale: info?.numeric_scale == null ? null : Number(info.numeric_scale),
      int64Decimal: info?.type_name === 'numeric' && Number(info.numeric_precision) === INT64_DECIMAL_PRECISION,
      convert,
      width: c.width ?? null,
    };
  });
  return {
    layout: spec.format.layout,
    columns: rules,
    emptyAsNull: o.emptyAsNull,
    blanksAsNull: o.blanksAsNull,
    nullAs: effectiveNullAs(o),
    truncateColumns: o.truncateColumns,
    acceptAnyDate: o.acceptAnyDate,
    removeQuotes: o.removeQuotes,
    fillRecord: o.fillRecord,
    trimBlanks: o.trimBlanks,
    roundDecimals: o.roundDecimals,
  };
}
