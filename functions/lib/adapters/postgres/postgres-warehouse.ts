import type pg from 'pg';
import type { TableRef } from '../../config/model.ts';
import { ConfigInvalid } from '../../errors.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type {
  LoadRowError,
  LoadSpec,
  QueryResult,
  SqlParameter,
  StatementStatus,
  TextQueryResult,
  Warehouse,
} from '../../ports/warehouse.ts';
import { withTableColumns } from '../../ports/warehouse.ts';
import { quoteTable } from '../../sql/identifiers.ts';
import { toPositional } from '../../sql/named-parameters.ts';
import { createPgPool } from './pg-pool.ts';
import { openPglite } from './pglite.ts';
import { type PgConnection, pgliteConnection, pgPoolConnection } from './postgres-bulk-load.ts';
import { TABLE_COLUMNS_SQL } from './postgres-column-info.ts';
import { describeDbError } from './postgres-load-errors.ts';
import { executeLoad } from './postgres-load-executor.ts';
import { planLoad } from './postgres-load-plan.ts';
import { isoString, LoadAttemptFailed, PostgresStatementLog } from './postgres-statement-log.ts';

/**
 * The local warehouse: the Warehouse port over PostgreSQL (PGlite embedded, or
 * a server), behaving like the Redshift Data API so the state machine is the
 * same locally and in AWS. Statements run synchronously inside submit (the
 * database is in-process or near), and their outcome is kept in a statement
 * log (postgres-statement-log.ts) that describe() and loadErrors() read, the
 * way DescribeStatement and STL_LOAD_ERRORS are read in Redshift.
 *
 * A load is planned before anything is recorded (postgres-load-plan.ts), then
 * run as one transaction over all its targets (postgres-load-executor.ts):
 * any failure rolls everything back. Redshift options PostgreSQL COPY lacks
 * are applied by a per-part stream (postgres-part-transform.ts). Rejected
 * rows are kept in the statement log (loadErrors) even when the statement
 * FINISHED, like STL_LOAD_ERRORS. The two drivers (PGlite, pg) sit behind
 * one connection interface (postgres-bulk-load.ts).
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
  const pool = createPgPool({ connectionString: opts.url, max: 4 });
  return new PostgresWarehouse(pgPoolConnection(pool, store, true));
}

export class PostgresWarehouse implements Warehouse {
  static readonly create = createPostgresWarehouse;
  private readonly log: PostgresStatementLog;

  constructor(private readonly conn: PgConnection) {
    this.log = new PostgresStatementLog(conn);
  }

  get kind(): 'pglite' | 'postgres' {
    return this.conn.kind;
  }

  async submitLoad(given: LoadSpec, clientToken: string): Promise<{ statementId: string }> {
    // No column list: the table's columns in order, as COPY without one.
    const spec = await withTableColumns(given, (t) => this.tableColumns(t));
    // A spec the adapter cannot load is refused before anything is recorded, as
    // the Redshift adapter refuses it while rendering the COPY.
    const plans = planLoad(spec);
    return this.log.submit('load', clientToken, async () => {
      const rejected: LoadRowError[] = [];
      const targets = await this.conn.transaction((session) =>
        executeLoad(session, plans, spec, rejected, {
          // PGlite is one session: a column DEFAULT set inside the load's transaction is seen by no one else.
          lineage: this.conn.kind === 'pglite' ? 'defaults' : 'fields',
        }),
      );
      return { status: 'FINISHED', error: null, rowErrors: rejected.length > 0 ? rejected : null, targets };
    });
  }

  async submitSql(
    sql: string,
    clientToken: string,
    parameters: readonly SqlParameter[] = [],
  ): Promise<{ statementId: string }> {
    if (!sql.trim()) throw new ConfigInvalid('the transform SQL is empty');
    return this.log.submit('sql', clientToken, async () => {
      try {
        await this.conn.transaction(async (session) => {
          if (parameters.length > 0) {
            // Bound by position: one statement (extended protocol), as the Data API runs one.
            const { text, values } = toPositional(sql, parameters);
            await session.query(text, values);
          } else await session.exec(sql);
          // Redshift runs every statement in a session of its own. Locally a
          // PGlite instance has one session and a pool reuses its connections, so
          // temp tables the SQL created (the original framework's transforms
          // CREATE TEMP TABLE tmp_<table> and never drop it) would make the next
          // run's transform fail 42P07. DISCARD TEMP drops them before commit;
          // DISCARD ALL would also reset settings but cannot run in a transaction
          // and, on PGlite, would reset the config database's session too.
          await session.exec('DISCARD TEMP');
        });
      } catch (e) {
        throw new LoadAttemptFailed(`transform SQL failed: ${describeDbError(e)}`, null, e);
      }
      return { status: 'FINISHED', error: null, rowErrors: null, targets: null };
    });
  }

  async describe(statementId: string): Promise<StatementStatus> {
    const row = await this.log.row(statementId);
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
    return (await this.log.row(statementId)).row_errors ?? [];
  }

  /**
   * Statements run to completion inside submit, so by the time a caller holds
   * an id there is nothing left to interrupt: cancelling a finished statement
   * is a no-op (as the Data API leaves it unchanged). A statement still marked
   * SUBMITTED/PICKED/STARTED was abandoned by a process that died mid-run; it
   * is marked ABORTED so pollers stop waiting.
   */
  async cancel(statementId: string): Promise<void> {
    await this.log.abortUnfinished(statementId);
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
}
