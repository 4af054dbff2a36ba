import { needsRewrite } from '../../functions/lib/adapters/postgres/postgres-copy-options.ts';
import {
  dateTimeConverter,
  isNativeDateTimeFormat,
} from '../../functions/lib/adapters/postgres/postgres-date-format.ts';
import { pgErrorFields } from '../../functions/lib/adapters/postgres/postgres-load-errors.ts';
import { tooLongMessage } from '../../functions/lib/adapters/postgres/postgres-part-transform.ts';
import type { FileConfig, RecordLayout } from '../../functions/lib/config/model.ts';
import type { ValidationResult } from '../../functions/lib/contract/payloads.ts';
import {
  EfiError,
  formatValue,
  type RowRejected,
  type SerializedError,
  serializeError,
} from '../../functions/lib/errors.ts';
import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';
import type { QueryResult } from '../../functions/lib/ports/warehouse.ts';
import { fieldStrings } from '../../functions/lib/records/fields.ts';
import { recordPlan } from '../../functions/lib/records/record-plan.ts';
import { recordRouter, UNKNOWN_RECORD } from '../../functions/lib/records/record-router.ts';
import { STOP } from '../../functions/lib/records/record-scanner.ts';
import { scanRecords } from '../../functions/lib/records/scan-records.ts';
import { recordBytes } from '../../functions/lib/records/source.ts';
import { quotePgLiteral, quoteTable } from '../../functions/lib/sql/identifiers.ts';
import { rowRejected } from '../../functions/lib/steps/check-load.ts';
import { validateFile } from '../../functions/lib/steps/validate-file.ts';

/**
 * `efi check`: what a run would say about a file, without a run. The whole
 * file goes through the real ValidateFile step (the same errors, line and
 * column); then the first N data records are split into fields and each value
 * is checked the way the load treats it (field count, the config's NULL rules,
 * dateFormat/timeFormat, and the target column's type, length and NOT NULL,
 * cast by the warehouse itself so its messages are PostgreSQL's own). Nothing
 * is written: no object moves, no row is inserted, not even into a temp table.
 */

export interface CheckOutcome {
  ok: boolean;
  validation: ValidationResult | null;
  /** Data records parsed and checked against the target (at most `records`). */
  recordsChecked: number;
  /** Targets whose column types were checked; the others (table missing, no SQL warehouse) were not. */
  typedTargets: string[];
  /** The error a run would end with (RowRejected, TrailerMismatch...), with line and column. */
  error: SerializedError | null;
  /** What a run would trip over that is not the file's fault (missing table): the run would fail, redrivably. */
  warnings: string[];
}

export interface CheckTarget {
  bucket: string;
  key: string;
  config: FileConfig;
  /** How many data records to parse (the whole file is always validated). */
  records: number;
  /** The SQL warehouse's query, for the target columns' types; null = structural checks only. */
  query: ((sql: string) => Promise<QueryResult>) | null;
}

interface ParsedRecord {
  line: number;
  layout: number;
  values: (string | null)[];
  raw: string;
}

interface ColumnInfo {
  name: string;
  sqlType: string;
  typeName: string;
  isText: boolean;
  notNull: boolean;
  maxChars: number | null;
}

export async function checkFile(store: ObjectStore, t: CheckTarget): Promise<CheckOutcome> {
  const out: CheckOutcome = {
    ok: false,
    validation: null,
    recordsChecked: 0,
    typedTargets: [],
    error: null,
    warnings: [],
  };
  const head = await store.head(t.bucket, t.key);
  try {
    out.validation = await validateFile(store, { bucket: t.bucket, key: t.key, size: head?.size ?? 0 }, t.config);
    const parsed = await parseRecords(store, t);
    out.recordsChecked = parsed.records.length;
    if (parsed.error) throw parsed.error;
    for (let i = 0; i < t.config.records.length; i++) {
      const layout = t.config.records[i]!;
      const rows = parsed.records.filter((r) => r.layout === i);
      const columns = t.query ? await targetColumns(t.query, layout, out.warnings) : null;
      if (columns) out.typedTargets.push(`${layout.target.schema}.${layout.target.table}`);
      const e = await firstValueError(t, layout, rows, columns);
      if (e) throw e;
    }
    out.ok = out.warnings.length === 0;
  } catch (e) {
    if (!(e instanceof EfiError)) throw e;
    // The same shape a real run records (serializeError), without the stack.
    const { stack: _stack, location, ...serialized } = serializeError(e) as SerializedError & { stack?: string };
    out.error = location ? { ...serialized, location } : serialized;
  }
  return out;
}

/** The first `records` data records, split into fields (fixed-width: cut and right-trimmed, as FIXEDWIDTH does). */
async function parseRecords(
  store: ObjectStore,
  t: CheckTarget,
): Promise<{ records: ParsedRecord[]; error: RowRejected | null }> {
  const plan = recordPlan(t.config);
  const records: ParsedRecord[] = [];
  let error: RowRejected | null = null;
  const fixed = t.config.format.layout === 'fixed_width';
  const rewrite = needsRewrite(t.config.format, t.config.load);
  // Unknown types were refused by ValidateFile already, or are skipped on purpose.
  const route = recordRouter(plan, 'skip');
  const checkEncoding = !(t.config.format.encoding === 'utf-8' && t.config.load.acceptInvalidChars !== null);
  await scanRecords(recordBytes(store, t.bucket, t.key, t.config, { checkEncoding }), plan, {
    header() {},
    trailer() {},
    blank() {},
    data(buf, start, end, line) {
      if (error || records.length >= t.records) return STOP;
      const layout = route(buf, start, end, line);
      if (layout === UNKNOWN_RECORD) return;
      const spec = t.config.records[layout]!;
      const raw = buf.toString('utf8', start, end);
      let values: string[];
      if (fixed) {
        const chars = Array.from(raw);
        let at = 0;
        values = spec.columns.map((c) => {
          const v = chars
            .slice(at, at + (c.width ?? 0))
            .join('')
            .replace(/ +$/, '');
          at += c.width ?? 0;
          return v;
        });
      } else {
        const split = fieldStrings(buf, start, end, plan.delimiter, plan.quote);
        if (split.error) {
          error = rowError(spec, line, null, `field ${split.error.field} cannot be read: ${split.error.problem}`, raw);
          return;
        }
        values = split.fields;
        const n = spec.columns.length;
        // Rewritten parts are refused by the part transform (its words); the fast path by COPY itself.
        if (values.length < n) {
          const missing = spec.columns[values.length]!.name;
          error = rewrite
            ? rowError(
                spec,
                line,
                missing,
                `missing data for column ${missing}: the record has ${values.length} fields, the load expects ${n}`,
                raw,
              )
            : rowError(spec, line, null, `missing data for column "${missing}" (SQLSTATE 22P04)`, raw);
          return;
        }
        if (values.length > n) {
          error = rowError(
            spec,
            line,
            null,
            rewrite
              ? `extra data after the last expected column: the record has ${values.length} fields, the load expects ${n}`
              : 'extra data after last expected column (SQLSTATE 22P04)',
            raw,
          );
          return;
        }
      }
      records.push({ line, layout, values, raw });
      return records.length >= t.records ? STOP : undefined;
    },
  });
  return { records, error };
}

/** The load's column facts, read from the catalog as the PostgreSQL warehouse does; null when the table is missing. */
async function targetColumns(
  query: (sql: string) => Promise<QueryResult>,
  layout: RecordLayout,
  warnings: string[],
): Promise<Map<string, ColumnInfo> | null> {
  const name = `${layout.target.schema}.${layout.target.table}`;
  let r: QueryResult;
  try {
    r = await query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS sql_type, t.typname AS type_name,
              t.typcategory AS category, a.attnotnull AS not_null,
              CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS max_chars
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = ${quotePgLiteral(quoteTable(layout.target))}::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    );
  } catch (e) {
    const f = pgErrorFields(e);
    if (f?.code === '42P01') {
      warnings.push(
        `target table ${name} does not exist in the warehouse: a run would fail at the load (redrivable once you create it); column types not checked`,
      );
      return null;
    }
    throw e;
  }
  const columns = new Map(
    r.rows.map((row) => [
      String(row['name']),
      {
        name: String(row['name']),
        sqlType: String(row['sql_type']),
        typeName: String(row['type_name']),
        isText: row['category'] === 'S',
        notNull: row['not_null'] === true || row['not_null'] === 't',
        maxChars: row['max_chars'] === null || row['max_chars'] === undefined ? null : Number(row['max_chars']),
      },
    ]),
  );
  const unknown = layout.columns.filter((c) => !columns.has(c.name)).map((c) => c.name);
  if (unknown.length > 0) {
    warnings.push(
      `target table ${name} has no column ${unknown.join(', ')}: a run would fail at the load (redrivable once the table has it)`,
    );
    return null;
  }
  return columns;
}

/**
 * The first refused value in file order: NULL rules and date formats first
 * (the part transform's order), then the type cast, batched per column and
 * narrowed to the first failing record only when a batch fails.
 */
async function firstValueError(
  t: CheckTarget,
  layout: RecordLayout,
  rows: ParsedRecord[],
  columns: Map<string, ColumnInfo> | null,
): Promise<RowRejected | null> {
  const o = t.config.load;
  const conv = (format: string | null, kind: 'date' | 'timestamp') =>
    format === null || isNativeDateTimeFormat(format) ? null : dateTimeConverter(format, kind, `${kind} format`);
  const dateConv = conv(o.dateFormat, 'date');
  const timeConv = conv(o.timeFormat, 'timestamp');
  let first: { line: number; col: number; error: RowRejected } | null = null;
  const consider = (line: number, col: number, error: RowRejected) => {
    if (!first || line < first.line || (line === first.line && col < first.col)) first = { line, col, error };
  };
  for (let ci = 0; ci < layout.columns.length; ci++) {
    const name = layout.columns[ci]!.name;
    const info = columns?.get(name) ?? null;
    const values: { row: ParsedRecord; value: string }[] = [];
    for (const row of rows) {
      if (first && row.line > (first as { line: number }).line) break;
      let v = row.values[ci] ?? null;
      if (v !== null && o.nullAs !== null && v === o.nullAs) v = null;
      else if (v === '') v = o.emptyAsNull || !(info?.isText ?? true) ? null : '';
      else if (v !== null && /^[ \t\r\n\f\v]+$/.test(v) && (o.blanksAsNull || !(info?.isText ?? true))) v = null;
      if (v === null) {
        if (info?.notNull) {
          consider(
            row.line,
            ci,
            rowError(
              layout,
              row.line,
              name,
              `null value in column "${name}" of relation "${layout.target.schema}.${layout.target.table}" violates not-null constraint (SQLSTATE 23502)`,
              row.raw,
            ),
          );
        }
        continue;
      }
      const converter =
        info?.typeName === 'date' ? dateConv : /^timestamp/.test(info?.typeName ?? '') ? timeConv : null;
      if (converter) {
        const c = converter(v);
        if (c === null) {
          const option = info?.typeName === 'date' ? 'dateFormat' : 'timeFormat';
          const format = info?.typeName === 'date' ? o.dateFormat : o.timeFormat;
          consider(
            row.line,
            ci,
            rowError(
              layout,
              row.line,
              name,
              `${JSON.stringify(v)} does not match ${option} ${JSON.stringify(format)}; fix the value or the load option`,
              v,
            ),
          );
          continue;
        }
        v = c;
      }
      if (info?.maxChars != null && !o.truncateColumns && Buffer.byteLength(v, 'utf8') > info.maxChars) {
        consider(
          row.line,
          ci,
          rowError(layout, row.line, name, tooLongMessage(Buffer.byteLength(v, 'utf8'), info.maxChars), v),
        );
        continue;
      }
      if (info && !info.isText) values.push({ row, value: v });
    }
    if (!info || !t.query || values.length === 0) continue;
    const cast = (vs: string[]) =>
      t.query!(
        `SELECT (v)::${info.sqlType} FROM (VALUES ${vs.map((v) => `(${quotePgLiteral(v)})`).join(', ')}) AS x(v)`,
      );
    try {
      await cast(values.map((v) => v.value));
      continue;
    } catch (e) {
      if (!pgErrorFields(e)) throw e;
    }
    for (const { row, value } of values) {
      try {
        await cast([value]);
      } catch (e) {
        const f = pgErrorFields(e);
        if (!f) throw e;
        consider(row.line, ci, rowError(layout, row.line, name, `${f.message} (SQLSTATE ${f.code})`, value));
        break;
      }
    }
  }
  return (first as { error: RowRejected } | null)?.error ?? null;
}

/** The RowRejected a run raises (steps/statements.ts throwIfRowsRejected), in the same words. */
function rowError(
  layout: RecordLayout,
  line: number,
  column: string | null,
  reason: string,
  value: string | null,
): RowRejected {
  const index = column === null ? -1 : (layout.columns ?? []).findIndex((c) => c.name === column);
  return rowRejected({
    table: `${layout.target.schema}.${layout.target.table}`,
    line,
    field: index >= 0 ? index + 1 : null,
    column,
    reason,
    valueShown: value === null ? null : formatValue(value),
  });
}
