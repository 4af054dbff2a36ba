import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TableRef } from '../../config/model.ts';
import { ConfigInvalid, classifyError, InvalidStateInput, TransientError } from '../../errors.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type {
  LoadRowError,
  LoadSpec,
  LoadTargetSpec,
  QueryResult,
  StatementState,
  StatementStatus,
  TargetResult,
  TextQueryResult,
  Warehouse,
} from '../../ports/warehouse.ts';
import { withTableColumns } from '../../ports/warehouse.ts';
import { assertIdentifier, quoteIdent, quoteTable } from '../../sql/identifiers.ts';
import { openPglite } from './pglite.ts';
import { type PgConnection, type PgSession, pgliteConnection, pgPoolConnection } from './postgres-bulk-load.ts';
import {
  buildRewritePlan,
  COLUMN_INFO_SQL,
  type ColumnInfo,
  dropNullChecksSql,
  stageChecksSql,
  TABLE_COLUMNS_SQL,
} from './postgres-column-info.ts';
import { locateCopyLine } from './postgres-copy-line.ts';
import {
  assertCopySupported,
  columnsNeedRewrite,
  copyOptionsSql,
  needsRewrite,
  REWRITTEN_COPY_OPTIONS,
} from './postgres-copy-options.ts';
import { converterFor, type DateTimeConverter } from './postgres-date-format.ts';
import {
  describeDbError,
  describeRowError,
  partRowError,
  rewriteWouldLoad,
  toLoadRowError,
} from './postgres-load-errors.ts';
import { PartRowError, PartTransform, type RewritePlan } from './postgres-part-transform.ts';

/**
 * The local warehouse: the Warehouse port over PostgreSQL (PGlite embedded, or
 * a server), behaving like the Redshift Data API so the state machine is the
 * same locally and in AWS. Statements run synchronously inside submit (the
 * database is in-process or near), and their outcome is kept in a statement
 * log, `efi_wh.statements`, that describe() and loadErrors() read, the way
 * DescribeStatement and STL_LOAD_ERRORS are read in Redshift.
 *
 * A load is one transaction over all its targets: each target's parts are
 * COPYed into a temporary staging table with the target's column types, then
 * moved into the target with lineage set. Any failure rolls everything back.
 *
 * Redshift options PostgreSQL COPY lacks are applied by a per-part stream
 * (postgres-part-transform.ts). MAXERROR: each part is COPYed under a
 * SAVEPOINT; a row error rolls back to it and the part is COPYed again
 * without the rejected records. The cost per row PostgreSQL rejects (at most
 * maxErrors per target) is two more reads of its part: one to map COPY's line
 * number to the record (postgres-copy-line.ts), one to COPY the part again,
 * plus the work COPY had done on the part before the bad row; rows the transform itself
 * refuses (short fixed-width records, dates not in DATEFORMAT) are dropped in
 * the same pass at no extra cost. Rejected rows are kept in the statement log
 * (loadErrors) even when the statement FINISHED, like STL_LOAD_ERRORS.
 */

export type PostgresWarehouseOptions =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'postgres'; pool: pg.Pool };

/** Opens the local warehouse. A PGlite instance is the process-wide one for `dataDir` and is never closed here. */
export async function createPostgresWarehouse(
  opts: PostgresWarehouseOptions,
  store: ObjectStore,
): Promise<PostgresWarehouse> {
  if (opts.kind === 'pglite') return new PostgresWarehouse(pgliteConnection(await openPglite(opts.dataDir), store));
  if ('pool' in opts) return new PostgresWarehouse(pgPoolConnection(opts.pool, store, false));
  const pool = new pg.Pool({ connectionString: opts.url, max: 4 });
  // An idle client dropped by the server is removed from the pool; without a
  // listener the 'error' event would crash the process instead.
  pool.on('error', () => {});
  return new PostgresWarehouse(pgPoolConnection(pool, store, true));
}

const STATEMENT_LOG_DDL = `
CREATE SCHEMA IF NOT EXISTS efi_wh;
CREATE TABLE IF NOT EXISTS efi_wh.statements (
  statement_id text PRIMARY KEY,
  client_token text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('load', 'sql')),
  status text NOT NULL CHECK (status IN ('SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'FAILED', 'ABORTED')),
  error text,
  row_errors jsonb,
  targets jsonb,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

type StatementKind = 'load' | 'sql';

interface Outcome {
  status: 'FINISHED' | 'FAILED';
  error: string | null;
  rowErrors: LoadRowError[] | null;
  targets: TargetResult[] | null;
}

/** A failure of a load attempt, already described for people, with the row errors when it is about a row. */
class LoadAttemptFailed extends Error {
  constructor(
    message: string,
    readonly rowErrors: LoadRowError[] | null,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export class PostgresWarehouse implements Warehouse {
  static readonly create = createPostgresWarehouse;
  private logReady: Promise<void> | null = null;

  constructor(private readonly conn: PgConnection) {}

  get kind(): 'pglite' | 'postgres' {
    return this.conn.kind;
  }

  async submitLoad(given: LoadSpec, clientToken: string): Promise<{ statementId: string }> {
    // No column list: the table's columns in order, as COPY without one.
    const spec = await withTableColumns(given, (t) => this.tableColumns(t));
    // A spec the adapter cannot load is refused before anything is recorded, as
    // the Redshift adapter refuses it while rendering the COPY.
    const plans = planLoad(spec);
    return this.submit('load', clientToken, async () => {
      const rejected: LoadRowError[] = [];
      const targets = await this.conn.transaction((session) => runLoad(session, plans, spec, rejected));
      return { status: 'FINISHED', error: null, rowErrors: rejected.length > 0 ? rejected : null, targets };
    });
  }

  async submitSql(sql: string, clientToken: string): Promise<{ statementId: string }> {
    if (!sql.trim()) throw new ConfigInvalid('the transform SQL is empty');
    return this.submit('sql', clientToken, async () => {
      try {
        await this.conn.transaction((session) => session.exec(sql));
      } catch (e) {
        throw new LoadAttemptFailed(`transform SQL failed: ${describeDbError(e)}`, null, e);
      }
      return { status: 'FINISHED', error: null, rowErrors: null, targets: null };
    });
  }

  async describe(statementId: string): Promise<StatementStatus> {
    const row = await this.statementRow(statementId);
    const status: StatementStatus = {
      statementId: row.statement_id,
      status: row.status,
      error: row.error,
      submittedAt: isoString(row.submitted_at),
      updatedAt: isoString(row.updated_at),
    };
    if (row.targets) status.targets = row.targets;
    return status;
  }

  /** Row errors of a failed load, or the rows a FINISHED load rejected under maxErrors. */
  async loadErrors(statementId: string): Promise<LoadRowError[]> {
    return (await this.statementRow(statementId)).row_errors ?? [];
  }

  /**
   * Statements run to completion inside submit, so by the time a caller holds
   * an id there is nothing left to interrupt: cancelling a finished statement
   * is a no-op (as the Data API leaves it unchanged). A statement still marked
   * SUBMITTED/PICKED/STARTED was abandoned by a process that died mid-run; it
   * is marked ABORTED so pollers stop waiting.
   */
  async cancel(statementId: string): Promise<void> {
    await this.statementRow(statementId);
    await this.conn.query(
      `UPDATE efi_wh.statements SET status = 'ABORTED', error = 'cancelled', updated_at = now()
        WHERE statement_id = $1 AND status IN ('SUBMITTED', 'PICKED', 'STARTED')`,
      [statementId],
    );
  }

  async query(sql: string): Promise<QueryResult> {
    const r = await this.conn.exec(sql);
    return { columns: r.columns, rows: r.rows };
  }

  async tableColumns(target: TableRef): Promise<string[]> {
    let r: { rows: Record<string, unknown>[] };
    try {
      r = await this.conn.query(TABLE_COLUMNS_SQL, [quoteTable(target)]);
    } catch (e) {
      throw new ConfigInvalid(
        `cannot read the columns of ${target.schema}.${target.table} (the config lists none): ${describeDbError(e)}`,
      );
    }
    return r.rows.map((row) => String(row['name']));
  }

  /** efi sql: values as PostgreSQL renders them, duplicate column names kept. */
  async queryText(sql: string): Promise<TextQueryResult> {
    return this.conn.execText(sql);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  // ---------------------------------------------------------------- statement log

  private ensureLog(): Promise<void> {
    this.logReady ??= this.conn
      .transaction(async (session) => {
        // Serialises first use across processes sharing a server: concurrent
        // CREATE ... IF NOT EXISTS can still collide on the catalog.
        await session.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['efi_wh.statements']);
        await session.exec(STATEMENT_LOG_DDL);
      })
      .catch((e) => {
        this.logReady = null;
        throw classifyError(e);
      });
    return this.logReady;
  }

  /**
   * Idempotent submit: the same client token returns the statement already
   * recorded for it and runs nothing. Otherwise the statement is recorded,
   * run, and its outcome recorded.
   */
  private async submit(
    kind: StatementKind,
    clientToken: string,
    run: () => Promise<Outcome>,
  ): Promise<{ statementId: string }> {
    if (!clientToken) throw new InvalidStateInput('a client token is required to submit a statement');
    await this.ensureLog();
    const statementId = randomUUID();
    const inserted = await this.conn.query(
      `INSERT INTO efi_wh.statements (statement_id, client_token, kind, status) VALUES ($1, $2, $3, 'STARTED')
       ON CONFLICT (client_token) DO NOTHING RETURNING statement_id`,
      [statementId, clientToken, kind],
    );
    if (inserted.rows.length === 0) {
      const existing = await this.conn.query('SELECT statement_id FROM efi_wh.statements WHERE client_token = $1', [
        clientToken,
      ]);
      return { statementId: String(existing.rows[0]?.['statement_id']) };
    }

    let outcome: Outcome;
    try {
      outcome = await run();
    } catch (e) {
      const root = e instanceof LoadAttemptFailed ? e.cause : e;
      const classified = classifyError(root);
      if (classified instanceof TransientError) {
        // Forget the attempt so the state's Retry, resubmitting with the same
        // token, runs it again rather than finding a failure.
        await this.conn
          .query('DELETE FROM efi_wh.statements WHERE statement_id = $1', [statementId])
          .catch(() => undefined);
        throw classified;
      }
      outcome = {
        status: 'FAILED',
        error: e instanceof LoadAttemptFailed ? e.message : describeDbError(e),
        rowErrors: e instanceof LoadAttemptFailed ? e.rowErrors : null,
        targets: null,
      };
    }
    try {
      await this.conn.query(
        `UPDATE efi_wh.statements
            SET status = $2, error = $3, row_errors = $4::jsonb, targets = $5::jsonb, updated_at = now()
          WHERE statement_id = $1`,
        [
          statementId,
          outcome.status,
          outcome.error,
          outcome.rowErrors ? JSON.stringify(outcome.rowErrors) : null,
          outcome.targets ? JSON.stringify(outcome.targets) : null,
        ],
      );
    } catch (e) {
      throw classifyError(e);
    }
    return { statementId };
  }

  private async statementRow(statementId: string): Promise<StatementRow> {
    await this.ensureLog();
    const r = await this.conn.query(
      `SELECT statement_id, status, error, row_errors, targets, submitted_at, updated_at
         FROM efi_wh.statements WHERE statement_id = $1`,
      [statementId],
    );
    const row = r.rows[0];
    if (!row) {
      throw new InvalidStateInput(
        `statement ${JSON.stringify(statementId)} is not in the local warehouse's statement log (efi_wh.statements): was it submitted to another warehouse?`,
      );
    }
    return row as unknown as StatementRow;
  }
}

interface StatementRow {
  statement_id: string;
  status: StatementState;
  error: string | null;
  row_errors: LoadRowError[] | null;
  targets: TargetResult[] | null;
  submitted_at: Date | string;
  updated_at: Date | string;
}

function isoString(v: Date | string): string {
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}

// ------------------------------------------------------------------ load

/** One target of a load, with every identifier validated and quoted up front. */
interface TargetPlan {
  spec: LoadTargetSpec;
  name: string;
  table: string;
  stage: string;
  stageName: string;
  columnNames: string[];
  columns: string;
  lineage: { sourceFile: string | null; runId: string | null; loadedAt: string | null };
  /** Records are rewritten as canonical CSV by the part transform. */
  rewrite: boolean;
  dateConverter: DateTimeConverter | null;
  timeConverter: DateTimeConverter | null;
}

function planLoad(spec: LoadSpec): TargetPlan[] {
  if (spec.targets.length === 0) throw new ConfigInvalid(`load for run ${spec.runId} has no targets`);
  return spec.targets.map((t, i) => {
    const name = `${t.target.schema}.${t.target.table}`;
    const where = `load target ${i + 1} (${JSON.stringify(name)})`;
    const table = quoteTable(t.target);
    if (t.columns.length === 0) throw new ConfigInvalid(`${where} has no columns`);
    const columnNames = t.columns.map((c) => assertIdentifier(c.name, `${where}: column`));
    const lineageNames = [t.lineage.sourceFile, t.lineage.runId, t.lineage.loadedAt].filter(
      (c): c is string => c !== null,
    );
    const seen = new Set<string>();
    for (const c of [...columnNames, ...lineageNames]) {
      if (seen.has(c)) {
        throw new ConfigInvalid(`${where}: column ${JSON.stringify(c)} is listed twice (file columns and lineage)`);
      }
      seen.add(c);
    }
    assertCopySupported(t.format, t.options, where);
    if (t.format.layout === 'fixed_width') {
      for (const c of t.columns) {
        if (c.width === undefined || !Number.isInteger(c.width) || c.width < 1) {
          throw new ConfigInvalid(
            `${where}: column ${JSON.stringify(c.name)} has no valid width (${String(c.width)}): fixed_width columns need a positive integer width`,
          );
        }
      }
    }
    const { dateFormat, timeFormat } = t.options;
    const lineageIdent = (c: string | null, what: string) => (c === null ? null : quoteIdent(c, `${where}: ${what}`));
    const stageName = `efi_stage_${i}`;
    return {
      spec: t,
      name,
      table,
      stage: quoteIdent(stageName),
      stageName,
      columnNames,
      columns: columnNames.map((c) => quoteIdent(c)).join(', '),
      lineage: {
        sourceFile: lineageIdent(t.lineage.sourceFile, 'lineage column sourceFile'),
        runId: lineageIdent(t.lineage.runId, 'lineage column runId'),
        loadedAt: lineageIdent(t.lineage.loadedAt, 'lineage column loadedAt'),
      },
      rewrite: needsRewrite(t.format, t.options),
      // Compiled here so a bad pattern is refused before anything is recorded.
      dateConverter: converterFor(dateFormat, 'date', `${where}: dateFormat`, t.options.acceptAnyDate),
      timeConverter: converterFor(timeFormat, 'timestamp', `${where}: timeFormat`, t.options.acceptAnyDate),
    };
  });
}

async function runLoad(
  session: PgSession,
  plans: TargetPlan[],
  spec: LoadSpec,
  rejected: LoadRowError[],
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const plan of plans) results.push(await loadTarget(session, plan, spec, rejected));
  return results;
}

/** Loads one target; rows it rejects under maxErrors are appended to `rejected` (the whole load's list). */
async function loadTarget(
  session: PgSession,
  plan: TargetPlan,
  spec: LoadSpec,
  rejected: LoadRowError[],
): Promise<TargetResult> {
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof LoadAttemptFailed) throw e;
      throw new LoadAttemptFailed(`load into ${plan.name} failed while ${what}: ${describeDbError(e)}`, null, e);
    }
  };

  const columns = await step('creating its staging table', async () => {
    await session.query(
      `CREATE TEMP TABLE ${plan.stage} ON COMMIT DROP AS SELECT ${plan.columns} FROM ${plan.table} WITH NO DATA`,
    );
    // The staging table carries the target's NOT NULL constraints, so COPY
    // reports a missing value with its line instead of the INSERT without one.
    const info = await session.query(COLUMN_INFO_SQL, [plan.table]);
    const all = info.rows as unknown as ColumnInfo[];
    const wanted = new Set(plan.columnNames);
    const notNull = all.filter((c) => c.not_null && wanted.has(c.name)).map((c) => c.name);
    if (notNull.length > 0) {
      const clauses = notNull.map((c) => `ALTER COLUMN ${quoteIdent(c)} SET NOT NULL`).join(', ');
      await session.query(`ALTER TABLE ${plan.stage} ${clauses}`);
    }
    const loaded = all.filter((c) => wanted.has(c.name));
    // Redshift counts VARCHAR(n) in bytes, and `\N` is its default NULL: the fast path's COPY must agree.
    const fastPath = !plan.rewrite && !columnsNeedRewrite(plan.spec.options, loaded);
    const checks = stageChecksSql(plan.stage, loaded, plan.spec.options, fastPath);
    if (checks) await session.query(checks);
    return new Map(loaded.map((c) => [c.name, c]));
  });

  // 'S' is PostgreSQL's string type category (text, varchar, char).
  const textColumns = [...columns.values()].filter((c) => c.category === 'S').map((c) => c.name);
  const columnRewrite = columnsNeedRewrite(plan.spec.options, columns.values());
  let options = columnRewrite
    ? REWRITTEN_COPY_OPTIONS
    : copyOptionsSql(plan.spec.format, plan.spec.options, textColumns, `load target ${plan.name}`);
  let rewrite = plan.rewrite || columnRewrite ? rewritePlan(plan, columns) : null;
  const { maxErrors, acceptInvalidChars } = plan.spec.options;
  const replaceInvalid = acceptInvalidChars === null ? null : acceptInvalidChars.charCodeAt(0);
  const delimiter = Buffer.from(plan.spec.format.delimiter, 'utf8');
  const quote = plan.spec.format.quote === null ? null : plan.spec.format.quote.charCodeAt(0);
  // Fixed-width records never span lines: a newline always ends one.
  const recordQuote = plan.spec.format.layout === 'fixed_width' ? null : quote;
  const rejectedBefore = rejected.length;
  const overBudget = (e: LoadRowError) => {
    const n = rejected.length - rejectedBefore + 1;
    const why =
      maxErrors > 0
        ? ` (${n} rows rejected for ${plan.name}, more than maxErrors ${maxErrors}: nothing was loaded)`
        : '';
    return new LoadAttemptFailed(`${describeRowError(e)}${why}`, [...rejected, e], e);
  };

  for (const part of plan.spec.parts) {
    const ctx = { target: plan.spec.target, partKey: part.key, stageTable: plan.stageName };
    // Records of this part rejected so far (by record number): left out of every later attempt.
    const skipped = new Set<number>();
    const withinBudget = (e: LoadRowError, record: number): boolean => {
      if (rejected.length - rejectedBefore >= maxErrors) return false;
      rejected.push(e);
      skipped.add(record);
      return true;
    };
    let overflow: LoadRowError | null = null;
    for (;;) {
      const transform =
        rewrite || replaceInvalid !== null || skipped.size > 0
          ? () =>
              new PartTransform({
                delimiter,
                quote,
                escape: plan.spec.format.escape,
                skip: new Set(skipped),
                replaceInvalid,
                rewrite,
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
        await session.copyPart(`${plan.stage} (${plan.columns})`, options, part, transform);
        if (savepoint) await step('releasing a savepoint', () => session.query('RELEASE SAVEPOINT efi_part'));
        break;
      } catch (e) {
        if (e instanceof PartRowError) throw overBudget(overflow ?? partRowError(e, ctx));
        const rowError = toLoadRowError(e, ctx);
        if (rewrite === null && rowError && rewriteWouldLoad(rowError, columns)) {
          // Redshift loads this row (a blank non-text field as NULL, a trailing delimiter); PostgreSQL
          // COPY cannot, so this target's parts go through the rewrite, which does (no row is rejected).
          await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
          const drop = dropNullChecksSql(plan.stage, columns.values());
          if (drop) await step('dropping the fast-path checks', () => session.query(drop));
          rewrite = rewritePlan(plan, columns);
          options = REWRITTEN_COPY_OPTIONS;
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
          locateCopyLine(await session.readPart(part), recordQuote, skipped, rowError.lineInPart),
        );
        if (at) rowError.lineInPart = at.line;
        // A record already left out cannot fail again; refusing to loop is the safe answer if it seems to.
        if (!at || skipped.has(at.record) || !withinBudget(rowError, at.record)) throw overBudget(rowError);
        await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
      }
    }
  }

  const params: unknown[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  if (plan.lineage.runId) {
    // A redriven load replaces the rows its run loaded before, never duplicates them.
    await step('removing rows of an earlier attempt of this run', () =>
      session.query(`DELETE FROM ${plan.table} WHERE ${plan.lineage.runId} = $1`, [spec.runId]),
    );
  }
  const into = [plan.columns];
  const select = [plan.columns];
  if (plan.lineage.sourceFile) {
    into.push(plan.lineage.sourceFile);
    select.push(param(spec.sourceFile));
  }
  if (plan.lineage.runId) {
    into.push(plan.lineage.runId);
    select.push(param(spec.runId));
  }
  if (plan.lineage.loadedAt) {
    into.push(plan.lineage.loadedAt);
    select.push('now()');
  }
  const inserted = await step('moving staged rows into it', () =>
    session.query(
      `INSERT INTO ${plan.table} (${into.join(', ')}) SELECT ${select.join(', ')} FROM ${plan.stage}`,
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

/** What the part transform needs to know of each file column: its type, length and format. */
function rewritePlan(plan: TargetPlan, columns: Map<string, ColumnInfo>): RewritePlan {
  return buildRewritePlan(plan.spec, columns, `load target ${plan.name}`);
}
