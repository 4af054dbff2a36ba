import { LINEAGE_COLUMN_TYPES } from '../../config/model.ts';
import { ConfigInvalid } from '../../errors.ts';
import { type LoadRowError, type LoadSpec, lineageSourceFile, type TargetResult } from '../../ports/warehouse.ts';
import { recordEscapeByte } from '../../records/record-plan.ts';
import { isIdentifier, quoteIdent, quotePgLiteral } from '../../sql/identifiers.ts';
import type { PgSession } from './postgres-bulk-load.ts';
import {
  COLUMN_INFO_SQL,
  checkedByteLimit,
  DECIMAL_ONLY_TYPES,
  dropNullChecksSql,
  redshiftLength,
  stageChecksSql,
} from './postgres-column-info.ts';
import { locateCopyLine } from './postgres-copy-line.ts';
import {
  columnsNeedRewrite,
  columnTypesNeedRewrite,
  copyOptionsSql,
  NO_QUOTE_BYTE,
  REWRITTEN_COPY_OPTIONS,
} from './postgres-copy-options.ts';
import {
  describeDbError,
  describeRowError,
  partRowError,
  rewriteWouldLoad,
  toLoadRowError,
} from './postgres-load-errors.ts';
import { type ColumnInfo, rewritePlan, type TargetPlan } from './postgres-load-plan.ts';
import {
  csvValue,
  NeedsRecordChecks,
  NeedsRewrite,
  nonDecimalProbe,
  PartRowError,
  PartTransform,
  type PassThroughChecks,
  quotePaddingProbe,
  type RecordSuffix,
  sliceProbe,
  tooLongMessage,
} from './postgres-part-transform.ts';
import { LoadAttemptFailed } from './postgres-statement-log.ts';

/**
 * Runs a planned load inside one open transaction: the rows of an earlier
 * attempt of the run are removed, then per target each part is COPYed
 * straight into the target with the lineage values appended to every record
 * by the part transform (each row written once). Where those values cannot be
 * appended (see `loadTarget`), a temporary staging table with the target's
 * column types takes the parts and the staged rows are moved into the target
 * with lineage set.
 *
 * MAXERROR: each part is COPYed under a SAVEPOINT; a row error rolls back to
 * it and the part is COPYed again without the rejected records. The cost per
 * row PostgreSQL rejects (at most maxErrors per target) is two more reads of
 * its part: one to map COPY's line number to the record
 * (postgres-copy-line.ts), one to COPY the part again, plus the work COPY had
 * done on the part before the bad row; rows the transform itself refuses
 * (short fixed-width records, dates not in DATEFORMAT) are dropped in the
 * same pass at no extra cost.
 */

export interface ExecuteOptions {
  /**
   * How the lineage values reach the rows COPY writes into the target:
   * 'fields' appends them to every record in the part stream; 'defaults' sets
   * them as the lineage columns' DEFAULTs for the transaction (restored before
   * it commits), so COPY parses nothing more. 'defaults' takes an ACCESS
   * EXCLUSIVE lock on the target until commit: for PGlite, a single session.
   */
  lineage: 'fields' | 'defaults';
  /** Told each target as work on it begins, its clean-up and its load (a dry run names the target a failure is about). */
  onTarget?: (plan: TargetPlan) => void;
}

/**
 * Redshift sessions run in UTC: a TIMESTAMPTZ value without an offset is a UTC
 * instant there, loaded_at is UTC wall time, and a transform's `now()::date` is
 * the UTC date. Run first in every local load and transform transaction, so
 * the local session's own zone (a laptop's) does not change the rows.
 */
export const AS_REDSHIFT_SESSION = `SET LOCAL TimeZone = 'UTC'`;

export async function executeLoad(
  session: PgSession,
  plans: TargetPlan[],
  spec: LoadSpec,
  rejected: LoadRowError[],
  opts: ExecuteOptions = { lineage: 'fields' },
): Promise<TargetResult[]> {
  await session.query(AS_REDSHIFT_SESSION);
  // A redriven load replaces the rows its run loaded before, never duplicates them. Done for every
  // target before any part is copied: parts go straight into their targets (direct mode), and two
  // record types may share a table.
  // A --reload replaces the rows of the earlier runs of the same content, in this same transaction.
  const replaced = (spec.replaceRunIds ?? []).filter((id) => id !== spec.runId);
  // Every target's columns are read, and refused where Redshift would fail, before any row is touched.
  const columnsOf = new Map<TargetPlan, ColumnInfo[]>();
  for (const plan of plans) {
    opts.onTarget?.(plan);
    const all = await targetStep(plan, 'reading its columns', async () => {
      const info = await session.query(COLUMN_INFO_SQL, [plan.table]);
      return info.rows as unknown as ColumnInfo[];
    });
    refuseWhatRedshiftRefuses(plan, all);
    columnsOf.set(plan, all);
  }
  const cleared = new Set<string>();
  for (const plan of plans) {
    opts.onTarget?.(plan);
    if (!plan.lineage.runId) {
      if (replaced.length > 0) {
        throw new ConfigInvalid(`${plan.table} has no run-id lineage column: this reload cannot replace earlier rows`);
      }
      continue;
    }
    if (cleared.has(`${plan.table}.${plan.lineage.runId}`)) continue;
    cleared.add(`${plan.table}.${plan.lineage.runId}`);
    const remove = (what: string, sql: string, params: unknown[]) =>
      targetStep(plan, what, () => session.query(sql, params));
    await remove(
      'removing rows of an earlier attempt of this run',
      `DELETE FROM ${plan.table} WHERE ${plan.lineage.runId} = $1`,
      [spec.runId],
    );
    if (replaced.length > 0) {
      await remove(
        'removing rows of the runs this reload replaces',
        `DELETE FROM ${plan.table} WHERE ${plan.lineage.runId} = ANY($1::text[])`,
        [replaced],
      );
    }
  }
  const results: TargetResult[] = [];
  for (const plan of plans) {
    opts.onTarget?.(plan);
    results.push(await loadTarget(session, plan, columnsOf.get(plan)!, spec, rejected, opts));
  }
  return results;
}

/** `fn`, with a database error it throws named as the failure of `what` in loading the plan's target. */
async function targetStep<T>(plan: TargetPlan, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LoadAttemptFailed) throw e;
    throw new LoadAttemptFailed(`load into ${plan.name} failed while ${what}: ${describeDbError(e)}`, null, e);
  }
}

/** Loads one target; rows it rejects under maxErrors are appended to `rejected` (the whole load's list). */
async function loadTarget(
  session: PgSession,
  plan: TargetPlan,
  all: readonly ColumnInfo[],
  spec: LoadSpec,
  rejected: LoadRowError[],
  opts: ExecuteOptions,
): Promise<TargetResult> {
  const step = <T>(what: string, fn: () => Promise<T>): Promise<T> => targetStep(plan, what, fn);
  const wanted = new Set(plan.columnNames);
  const loaded = all.filter((c) => wanted.has(c.name));
  const columns = new Map(loaded.map((c) => [c.name, c]));
  const byDefaults = opts.lineage === 'defaults' && (plan.rewrite || escapeIsDoubledQuote(plan));
  const lineage = await lineageValues(session, plan, spec, byDefaults, all);
  const restoreDefaults = byDefaults
    ? await step('setting its lineage defaults', () => setLineageDefaults(session, plan, lineage))
    : null;
  // Direct: each part is COPYed into the target with its lineage values appended to every record
  // (one write per row). Staged (a temp table, then INSERT ... SELECT) only where the appended
  // values cannot be written in the part's format, or an ESCAPE inside quotes keeps the rewrite out.
  const direct = byDefaults || (lineage.writable && (plan.rewrite || escapeIsDoubledQuote(plan)));

  if (!direct) {
    await step('creating its staging table', async () => {
      await session.query(
        `CREATE TEMP TABLE ${plan.stage} ON COMMIT DROP AS SELECT ${plan.columns} FROM ${plan.table} WITH NO DATA`,
      );
      // The staging table carries the target's NOT NULL constraints, so COPY
      // reports a missing value with its line instead of the INSERT without one.
      const notNull = loaded.filter((c) => c.not_null).map((c) => c.name);
      if (notNull.length > 0) {
        const clauses = notNull.map((c) => `ALTER COLUMN ${quoteIdent(c)} SET NOT NULL`).join(', ');
        await session.query(`ALTER TABLE ${plan.stage} ${clauses}`);
      }
      // Redshift counts VARCHAR(n) in bytes, and `\N` is its default NULL: the fast path's COPY must agree.
      const fastPath =
        !plan.rewrite && !columnsNeedRewrite(plan.spec.options, loaded) && !columnTypesNeedRewrite(loaded);
      const checks = stageChecksSql(plan.stage, loaded, plan.spec.options, fastPath);
      if (checks) await session.query(checks);
    });
  }

  // 'S' is PostgreSQL's string type category (text, varchar, char).
  const textColumns = loaded.filter((c) => c.category === 'S').map((c) => c.name);
  // Direct mode checks NUMERIC scales per record (passThroughChecks) instead of rewriting every part.
  const columnRewrite =
    (!direct && columnsNeedRewrite(plan.spec.options, columns.values())) || columnTypesNeedRewrite(columns.values());
  let options = columnRewrite
    ? REWRITTEN_COPY_OPTIONS
    : copyOptionsSql(plan.spec.format, plan.spec.options, textColumns, `load target ${plan.name}`);
  let rewrite = plan.rewrite || columnRewrite ? rewritePlan(plan, columns) : null;
  const checks = direct ? passThroughChecks(plan, columns) : null;
  const into = byDefaults
    ? `${plan.table} (${plan.columns})`
    : direct
      ? `${plan.table} (${[plan.columns, ...lineage.columns].join(', ')})`
      : `${plan.stage} (${plan.columns})`;
  const { maxErrors, acceptInvalidChars } = plan.spec.options;
  const replaceInvalid = acceptInvalidChars === null ? null : acceptInvalidChars.charCodeAt(0);
  const delimiter = Buffer.from(plan.spec.format.delimiter, 'utf8');
  const quote = plan.spec.format.quote === null ? null : plan.spec.format.quote.charCodeAt(0);
  // Fixed-width records never span lines: a newline always ends one.
  const recordQuote = plan.spec.format.layout === 'fixed_width' ? null : quote;
  // Redshift ESCAPE: an escaped line feed does not end the record (as the part transform's scanner reads it).
  const recordEscape = recordEscapeByte(plan.spec.format);
  // The file's fields (0-based) that load into an integer, DECIMAL or float column.
  const decimalFields = new Set(
    plan.columnNames.flatMap((name, i) => (DECIMAL_ONLY_TYPES.has(columns.get(name)?.type_name ?? '') ? [i] : [])),
  );
  const rejectedBefore = rejected.length;
  let copied = 0;
  const overBudget = (e: LoadRowError) => {
    const n = rejected.length - rejectedBefore + 1;
    const why =
      maxErrors > 0
        ? ` (${n} rows rejected for ${plan.name}, more than maxErrors ${maxErrors}: nothing was loaded)`
        : '';
    return new LoadAttemptFailed(`${describeRowError(e)}${why}`, [...rejected, e], e);
  };
  // Switches this target's remaining parts to the rewrite (it applies every Redshift rule itself).
  const toRewrite = async () => {
    await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
    if (!direct) {
      const drop = dropNullChecksSql(plan.stage, columns.values());
      if (drop) await step('dropping the fast-path checks', () => session.query(drop));
    }
    rewrite = rewritePlan(plan, columns);
    options = REWRITTEN_COPY_OPTIONS;
  };

  for (const part of plan.spec.parts) {
    // PostgreSQL names the relation COPY wrote in its messages: the staging table, or the target (unqualified).
    const ctx = {
      target: plan.spec.target,
      partKey: part.key,
      stageTable: direct ? plan.spec.target.table : plan.stageName,
    };
    // Records of this part rejected so far (by record number): left out of every later attempt.
    const skipped = new Set<number>();
    const withinBudget = (e: LoadRowError, record: number): boolean => {
      if (rejected.length - rejectedBefore >= maxErrors) return false;
      rejected.push(e);
      skipped.add(record);
      return true;
    };
    let overflow: LoadRowError | null = null;
    // A part sliced at ValidateFile's cuts goes to COPY untransformed when only the pass-through checks
    // would need a transform: a byte-level probe of each slice stands in for them until it finds
    // something they concern (then the part is copied again, record by record).
    let perRecord = false;
    for (;;) {
      const suffix = direct && !byDefaults ? lineage.suffix : null;
      const passChecks = rewrite === null ? checks : null;
      const probed =
        passChecks !== null &&
        !perRecord &&
        part.cuts !== undefined &&
        part.compression === 'none' &&
        rewrite === null &&
        replaceInvalid === null &&
        skipped.size === 0 &&
        suffix === null;
      // Untransformed bytes the rewrite reads as Redshift does and COPY does not (a quoted CSV field
      // padded with blanks, an integer or DECIMAL written 0x1F or 1_000) send the target to the rewrite.
      const toRewriteProbes =
        rewrite === null && escapeIsDoubledQuote(plan)
          ? [
              recordQuote !== null ? quotePaddingProbe(delimiter, recordQuote) : null,
              decimalFields.size > 0 ? nonDecimalProbe(delimiter, recordQuote, decimalFields) : null,
            ].filter((p) => p !== null)
          : [];
      const rewriteProbe = toRewriteProbes.length > 0 ? allOf(toRewriteProbes) : null;
      const slices = probed ? sliceProbe(passChecks, recordQuote) : null;
      const probe = rewriteProbe && slices ? allOf([rewriteProbe, slices]) : (rewriteProbe ?? slices ?? undefined);
      const transform =
        rewrite || replaceInvalid !== null || skipped.size > 0 || suffix !== null || (passChecks !== null && !probed)
          ? () =>
              new PartTransform({
                delimiter,
                quote,
                escape: recordEscape,
                skip: new Set(skipped),
                replaceInvalid,
                rewrite,
                suffix,
                checks: passChecks,
                probe: rewriteProbe,
                reject: (e: PartRowError) => {
                  const rowError = partRowError(e, ctx);
                  if (withinBudget(rowError, e.record)) return true;
                  overflow = rowError;
                  return false;
                },
              })
          : undefined;
      // The fast path may have to fall back to the rewrite (below): that needs a savepoint too.
      const savepoint = maxErrors > 0 || rewrite === null;
      if (savepoint) await step('setting a savepoint', () => session.query('SAVEPOINT efi_part'));
      try {
        const rows = await session.copyPart(into, options, part, transform, probe);
        if ((part.start !== undefined || part.cuts !== undefined) && rows + skipped.size !== part.records) {
          // Read in place from the original: COPY's count is the last check that it is still what ValidateFile read.
          throw new LoadAttemptFailed(
            `load into ${plan.name} failed: s3://${part.bucket}/${part.key} gave ${rows + skipped.size} records to COPY but ValidateFile counted ${part.records}: the object changed after validation (nothing was loaded); start a new run for the new object`,
            null,
            null,
          );
        }
        if (savepoint) await step('releasing a savepoint', () => session.query('RELEASE SAVEPOINT efi_part'));
        copied += rows;
        break;
      } catch (e) {
        if (e instanceof LoadAttemptFailed) throw e;
        if (e instanceof NeedsRecordChecks && !perRecord) {
          await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
          perRecord = true;
          continue;
        }
        if (e instanceof NeedsRewrite && rewrite === null) {
          await toRewrite();
          continue;
        }
        if (e instanceof PartRowError) throw overBudget(overflow ?? partRowError(e, ctx));
        const rowError = asRedshiftTooLong(toLoadRowError(e, ctx), columns);
        if (
          rewrite === null &&
          rowError &&
          (rewriteWouldLoad(rowError, columns) || (direct && !byDefaults && lineageShifted(rowError, lineage)))
        ) {
          // Redshift loads this row (a blank non-text field as NULL, a trailing delimiter); PostgreSQL
          // COPY cannot, so this target's parts go through the rewrite, which does (no row is rejected).
          // In direct mode a record with too few or too many fields shifts the appended lineage values
          // into other columns: the rewrite counts the fields and names what is missing.
          await toRewrite();
          continue;
        }
        if (!rowError) {
          throw new LoadAttemptFailed(
            `load into ${plan.name} failed while copying part s3://${part.bucket}/${part.key}: ${describeDbError(e)}`,
            null,
            e,
          );
        }
        // PostgreSQL's line number is of the rows it was given: find the record and its line in the part.
        const at = await step('locating the rejected row in its part', async () =>
          locateCopyLine(await session.readPart(part), recordQuote, skipped, rowError.lineInPart, recordEscape),
        );
        if (at) rowError.lineInPart = at.line;
        // A record already left out cannot fail again; refusing to loop is the safe answer if it seems to.
        if (!at || skipped.has(at.record) || !withinBudget(rowError, at.record)) throw overBudget(rowError);
        await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
      }
    }
  }

  if (restoreDefaults) await step('restoring its column defaults', () => session.query(restoreDefaults));
  if (direct) {
    return {
      target: plan.spec.target,
      recordType: plan.spec.recordType,
      rowsLoaded: copied,
      rowsRejected: rejected.length - rejectedBefore,
    };
  }
  const params: unknown[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  const intoColumns = [plan.columns];
  const select = [plan.columns];
  if (plan.lineage.sourceFile) {
    intoColumns.push(plan.lineage.sourceFile);
    select.push(param(lineageSourceFile(spec.sourceFile, plan.spec.lineage)));
  }
  if (plan.lineage.runId) {
    intoColumns.push(plan.lineage.runId);
    select.push(param(spec.runId));
  }
  if (plan.lineage.loadedAt) {
    intoColumns.push(plan.lineage.loadedAt);
    select.push('now()');
  }
  const inserted = await step('moving staged rows into it', () =>
    session.query(
      `INSERT INTO ${plan.table} (${intoColumns.join(', ')}) SELECT ${select.join(', ')} FROM ${plan.stage}`,
      params,
    ),
  );
  return {
    target: plan.spec.target,
    recordType: plan.spec.recordType,
    rowsLoaded: inserted.rowCount,
    rowsRejected: rejected.length - rejectedBefore,
  };
}

interface Lineage {
  /** The target's lineage columns (quoted), in the order their values are appended. */
  columns: string[];
  /** The values as text, in the same order. */
  values: string[];
  /** The values appended to each record (null when there are none). */
  suffix: RecordSuffix | null;
  /** False when a value cannot be written as a field (a line break, the no-quote marker). */
  writable: boolean;
}

/**
 * The lineage values as COPY input text. loaded_at is the transaction's
 * `now()` as `now()` assigned to the column gives it: a timestamp column gets
 * the session's wall time (written without an offset, which COPY would parse
 * for every row only to drop it), any other type the instant with its UTC
 * offset (a timestamptz column reads the instant).
 */
async function lineageValues(
  session: PgSession,
  plan: TargetPlan,
  spec: LoadSpec,
  asDefaults: boolean,
  tableColumns: readonly ColumnInfo[],
): Promise<Lineage> {
  const columns: string[] = [];
  const values: string[] = [];
  if (plan.lineage.sourceFile) {
    columns.push(plan.lineage.sourceFile);
    values.push(lineageSourceFile(spec.sourceFile, plan.spec.lineage));
  }
  if (plan.lineage.runId) {
    columns.push(plan.lineage.runId);
    values.push(spec.runId);
  }
  if (plan.lineage.loadedAt && asDefaults) {
    columns.push(plan.lineage.loadedAt);
    values.push('now()');
  } else if (plan.lineage.loadedAt) {
    columns.push(plan.lineage.loadedAt);
    const type = tableColumns.find((c) => quotedColumn(c.name) === plan.lineage.loadedAt)?.type_name;
    const offset = type === 'timestamp' ? '' : ` || to_char(now(), 'OF')`;
    const r = await session.query(`SELECT to_char(now(), 'YYYY-MM-DD HH24:MI:SS.US')${offset} AS t`);
    values.push(String(r.rows[0]?.['t']));
  }
  if (asDefaults) return { columns, values, suffix: null, writable: true };
  const writable = values.every((v) => !/[\r\n\x01]/.test(v));
  return { columns, values, suffix: writable && values.length > 0 ? recordSuffix(plan, values) : null, writable };
}

/** The lineage values as extra fields of a record, in the part's own format and in the rewrite's CSV. */
export function recordSuffix(plan: Pick<TargetPlan, 'spec'>, values: string[]): RecordSuffix {
  const { delimiter, quote } = plan.spec.format;
  const q = plan.spec.format.layout === 'fixed_width' ? null : (quote ?? NO_QUOTE_BYTE);
  let passThrough = '';
  let rewritten = '';
  for (const v of values) {
    rewritten += `,${csvValue(v)}`;
    if (q === null) continue;
    // Quoting costs COPY time on every row: a value COPY reads the same bare stays bare.
    passThrough += readsBare(v, delimiter, q, plan.spec.options.nullAs)
      ? `${delimiter}${v}`
      : `${delimiter}${q}${v.split(q).join(q + q)}${q}`;
  }
  return { passThrough: Buffer.from(passThrough, 'utf8'), rewritten };
}

/**
 * Whether COPY (CSV) reads `v` unquoted as the same text: not empty (NULL
 * under NULL ''), no delimiter, quote or line break, no backslash (`\N` and
 * the end-of-data marker), not the configured NULL AS marker, and nothing a
 * reader could take for padding.
 */
function readsBare(v: string, delimiter: string, quote: string, nullAs: string | null): boolean {
  return (
    /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(v) &&
    !v.includes(delimiter) &&
    !v.includes(quote) &&
    !v.includes('\\') &&
    v !== nullAs
  );
}

/** The pass-through rules COPY of the part's bytes would miss (null when none applies to this target). */
function passThroughChecks(plan: TargetPlan, columns: Map<string, ColumnInfo>): PassThroughChecks | null {
  const o = plan.spec.options;
  let any = false;
  const backslashNIsNull = o.emptyAsNull && o.nullAs === null;
  const rules = plan.columnNames.map((name) => {
    const c = columns.get(name);
    const maxBytes = c ? checkedByteLimit(c) : null;
    const implicitLength = c ? redshiftLength(c)?.implicit === true : false;
    const numericScale = !o.roundDecimals && c?.numeric_scale != null ? Number(c.numeric_scale) : null;
    const isText = c ? c.category === 'S' : true;
    // CHAR: COPY of the bytes would take a multibyte character Redshift refuses.
    const singleByte = c?.type_name === 'bpchar';
    if (maxBytes !== null || numericScale !== null || singleByte || (backslashNIsNull && isText)) any = true;
    return { name, maxBytes, implicitLength, numericScale, isText, singleByte };
  });
  return any ? { columns: rules, backslashNIsNull } : null;
}

/**
 * Whether a COPY error in direct mode may come from a record whose field
 * count is off, so that the appended lineage values landed in other columns.
 */
function lineageShifted(e: LoadRowError, lineage: Lineage): boolean {
  if (e.reason.startsWith('missing data for column') || e.reason.startsWith('extra data after last expected column'))
    return true;
  if (e.column !== null && lineage.columns.some((c) => c === quotedColumn(e.column!))) return true;
  return e.rawValue !== null && lineage.values.includes(e.rawValue);
}

/** The lineage columns' DEFAULTs as they are before the load (an expression, or null when none). */
const COLUMN_DEFAULTS_SQL = `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS expr
  FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`;

/**
 * Sets the lineage values as the lineage columns' DEFAULTs (loaded_at as
 * `now()`, the transaction's time, as the INSERT of the staged path wrote it);
 * returns the statement that puts the defaults back as they were, run before
 * commit. A failed load rolls both back with everything else.
 */
async function setLineageDefaults(session: PgSession, plan: TargetPlan, lineage: Lineage): Promise<string | null> {
  if (lineage.columns.length === 0) return null;
  const before = new Map<string, string | null>();
  for (const r of (await session.query(COLUMN_DEFAULTS_SQL, [plan.table])).rows) {
    before.set(quotedColumn(String(r['name'])), r['expr'] == null ? null : String(r['expr']));
  }
  const set = lineage.columns.map((c, i) => {
    const v = lineage.values[i]!;
    return `ALTER COLUMN ${c} SET DEFAULT ${c === plan.lineage.loadedAt ? v : quotePgLiteral(v)}`;
  });
  await session.query(`ALTER TABLE ${plan.table} ${set.join(', ')}`);
  const restore = lineage.columns.map((c) => {
    const expr = before.get(c) ?? null;
    return expr === null ? `ALTER COLUMN ${c} DROP DEFAULT` : `ALTER COLUMN ${c} SET DEFAULT ${expr}`;
  });
  return `ALTER TABLE ${plan.table} ${restore.join(', ')}`;
}

/**
 * A lineage column NOT NULL without a DEFAULT fails every Redshift load: the
 * rows are staged in `CREATE TEMP TABLE ... (LIKE target INCLUDING DEFAULTS)`,
 * which keeps NOT NULL, and COPYed with the file's columns only, so the stage's
 * lineage columns are NULL until the INSERT sets them. The local load writes
 * them at once and would pass: it refuses instead, saying so.
 */
function refuseWhatRedshiftRefuses(plan: TargetPlan, columns: readonly ColumnInfo[]): void {
  // *Numeric types*: a DECIMAL's default precision is 18 and scale 0, so the same DDL cuts 12.789 to 12 on
  // Redshift where PostgreSQL's unconstrained numeric keeps every digit.
  const file = new Set(plan.columnNames);
  const bare = columns.filter((c) => file.has(c.name) && c.type_name === 'numeric' && c.numeric_scale == null);
  if (bare.length > 0) {
    const names = bare.map((c) => c.name).join(', ');
    throw new ConfigInvalid(
      `column${bare.length > 1 ? 's' : ''} ${names} of ${plan.name} ${bare.length > 1 ? 'are' : 'is'} NUMERIC without precision and scale: Redshift makes it DECIMAL(18,0) (its defaults), so a load there cuts every decimal while this warehouse keeps them; declare ${bare.length > 1 ? 'them' : 'it'} numeric(p,s) in both (numeric(18,0) is what Redshift reads now)`,
    );
  }
  refuseMissingLineage(plan, columns);
  const lineage = new Set([plan.lineage.sourceFile, plan.lineage.runId, plan.lineage.loadedAt].filter(Boolean));
  const strict = columns.filter((c) => c.not_null && !c.has_default && lineage.has(quotedColumn(c.name)));
  if (strict.length === 0) return;
  const names = strict.map((c) => c.name).join(', ');
  throw new ConfigInvalid(
    `lineage column${strict.length > 1 ? 's' : ''} ${names} of ${plan.name} ${strict.length > 1 ? 'are' : 'is'} NOT NULL without a DEFAULT: on Redshift every load of this config would fail (its staging table, LIKE the target, keeps NOT NULL, and COPY fills only the file's columns); make ${strict.length > 1 ? 'them' : 'it'} nullable or give ${strict.length > 1 ? 'them' : 'it'} a DEFAULT (efi sets the value on every row either way)`,
  );
}

/**
 * A lineage column the table lacks fails the load on Redshift too (the INSERT
 * from stage names it); refused here with the column and both ways out.
 */
function refuseMissingLineage(plan: TargetPlan, columns: readonly ColumnInfo[]): void {
  const have = new Set(columns.map((c) => quotedColumn(c.name)));
  const missing = (Object.keys(LINEAGE_COLUMN_TYPES) as (keyof typeof LINEAGE_COLUMN_TYPES)[]).flatMap((role) => {
    const column = plan.lineage[role];
    return column !== null && !have.has(column) ? [{ role, column }] : [];
  });
  if (missing.length === 0) return;
  const named = missing.map((m) => `${m.column.slice(1, -1)} (lineage ${m.role})`).join(', ');
  const adds = missing.map((m) => `ADD COLUMN ${m.column} ${LINEAGE_COLUMN_TYPES[m.role]}`).join(', ');
  throw new ConfigInvalid(
    `${plan.name} has no column ${named}: add ${missing.length > 1 ? 'them' : 'it'} (ALTER TABLE ${plan.table} ${adds}), or leave ${missing.length > 1 ? 'them' : 'it'} out of the config's lineage (lineage: { ${missing.map((m) => `${m.role}: null`).join(', ')} }, or lineage: false for none)`,
  );
}

/** One probe that runs each of `probes` on the bytes. */
function allOf(probes: ((bytes: Buffer) => void)[]): (bytes: Buffer) => void {
  return (bytes) => {
    for (const p of probes) p(bytes);
  };
}

/** No ESCAPE, or ESCAPE the quote itself (a doubled quote): what the pass-through and the rewrite both read. */
function escapeIsDoubledQuote(plan: TargetPlan): boolean {
  const { escape: escapeChar, quote } = plan.spec.format;
  return escapeChar === null || escapeChar === quote;
}

/**
 * PostgreSQL's "value too long for type character varying(n)" as the message
 * the rewrite and `efi check` give (Redshift counts the length in bytes): the
 * direct load leaves ASCII records to COPY's own length check.
 */
function asRedshiftTooLong(e: LoadRowError | null, columns: Map<string, ColumnInfo>): LoadRowError | null {
  if (!e || e.column === null || e.rawValue === null || !e.reason.startsWith('value too long for type')) return e;
  const c = columns.get(e.column);
  if (!c || c.max_chars == null) return e;
  e.reason = tooLongMessage(Buffer.byteLength(e.rawValue, 'utf8'), Number(c.max_chars));
  return e;
}

/**
 * A table column's name as the plan quotes lineage columns, to compare with
 * them; '' for a name that is no plain identifier ("RowId", an identity of the
 * user's table), which no lineage column has. quoteIdent would throw on it and
 * fail a load that has nothing to do with that column.
 */
function quotedColumn(name: string): string {
  return isIdentifier(name) ? quoteIdent(name) : '';
}
