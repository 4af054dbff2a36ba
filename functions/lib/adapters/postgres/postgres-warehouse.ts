import type pg from 'pg';
import type { TableRef } from '../../config/model.ts';
import { ConfigInvalid, classifyError, TransientError } from '../../errors.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type {
  DescribeOptions,
  LoadRowError,
  LoadSpec,
  QueryResult,
  SqlParameter,
  StatementProgress,
  StatementStatus,
  TargetResult,
  TextQueryResult,
  Warehouse,
} from '../../ports/warehouse.ts';
import { withTableColumns } from '../../ports/warehouse.ts';
import { quoteTable } from '../../sql/identifiers.ts';
import { toPositional } from '../../sql/named-parameters.ts';
import { createPgPool } from './pg-pool.ts';
import { openPglite } from './pglite.ts';
import { type PgConnection, type PgSession, pgliteConnection, pgPoolConnection } from './postgres-bulk-load.ts';
import { TABLE_COLUMNS_SQL } from './postgres-column-info.ts';
import { describeDbError, pgErrorFields } from './postgres-load-errors.ts';
import { AS_REDSHIFT_SESSION, executeLoad } from './postgres-load-executor.ts';
import { planLoad, type TargetPlan } from './postgres-load-plan.ts';
import { type RunningStatement, RunningStatements, settledWithin } from './postgres-running-statements.ts';
import {
  isoString,
  LoadAttemptFailed,
  type Outcome,
  PostgresStatementLog,
  PROCESS_TOKEN,
  type StatementKind,
  type StatementRow,
} from './postgres-statement-log.ts';

/**
 * The local warehouse: the Warehouse port over PostgreSQL (PGlite embedded, or
 * a server), behaving like the Redshift Data API so the state machine is the
 * same locally and in AWS: submit records the statement (STARTED) and returns
 * its id at once, the statement runs in the background in this process
 * (postgres-running-statements.ts), describe() reports it, cancel() stops it
 * and rolls it back. Outcomes are kept in a statement log
 * (postgres-statement-log.ts) that describe() and loadErrors() read, the way
 * DescribeStatement and SYS_LOAD_ERROR_DETAIL are read in Redshift.
 *
 * A load is planned before anything is recorded (postgres-load-plan.ts), then
 * run as one transaction over all its targets (postgres-load-executor.ts)
 * that also writes its FINISHED row: any failure or cancel rolls everything
 * back. Redshift options PostgreSQL COPY lacks are applied by a per-part
 * stream (postgres-part-transform.ts). Rejected rows are kept in the
 * statement log (loadErrors) even when the statement FINISHED, like
 * SYS_LOAD_ERROR_DETAIL. The two drivers (PGlite, pg) sit behind one connection
 * interface (postgres-bulk-load.ts).
 */

export type PostgresWarehouseOptions =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'postgres'; pool: pg.Pool };

/** Test and bench seams; nothing in the product sets them. */
export interface PostgresWarehouseHooks {
  /** Awaited before a statement's transaction opens; it should end when `signal` aborts. */
  beforeRun?(statementId: string, signal: AbortSignal): Promise<void>;
  /** Awaited each time a load reports progress (between PGlite chunks, after each part on a server). */
  onProgress?(statementId: string, progress: StatementProgress): void | Promise<void>;
}

/**
 * What a dry run of a load found (`dryRunLoad`): the load would commit
 * (with the rows it would reject under maxErrors), or it fails, with the rows
 * the warehouse refused (the file's fault) or none (the table's or config's).
 */
export type DryRunOutcome =
  | { ok: true; targets: TargetResult[]; rowErrors: LoadRowError[] }
  | {
      ok: false;
      /** The failure in the words a FAILED statement's error would have. */
      error: string;
      rowErrors: LoadRowError[] | null;
      /** The target being loaded when it failed (`schema.table`), and PostgreSQL's SQLSTATE when it has one. */
      target: string | null;
      code: string | null;
    };

/** Attempts of a statement that hits a transient error (connection reset, serialization) before it is FAILED. */
const TRANSIENT_ATTEMPTS = 3;

/** Opens the local warehouse. A PGlite instance is the process-wide one for `dataDir` and is never closed here. */
export async function createPostgresWarehouse(
  opts: PostgresWarehouseOptions,
  store: ObjectStore,
  hooks: PostgresWarehouseHooks = {},
): Promise<PostgresWarehouse> {
  if (opts.kind === 'pglite') {
    return new PostgresWarehouse(pgliteConnection(await openPglite(opts.dataDir), store), hooks);
  }
  if ('pool' in opts) return new PostgresWarehouse(pgPoolConnection(opts.pool, store, false), hooks);
  const pool = createPgPool({ connectionString: opts.url, max: 4 });
  return new PostgresWarehouse(pgPoolConnection(pool, store, true), hooks);
}

class StatementCancelled extends Error {
  override readonly name = 'StatementCancelled';
}

export class PostgresWarehouse implements Warehouse {
  static readonly create = createPostgresWarehouse;
  private readonly log: PostgresStatementLog;
  private readonly running = new RunningStatements();

  constructor(
    private readonly conn: PgConnection,
    /** Test and bench seams, settable after construction. */
    readonly hooks: PostgresWarehouseHooks = {},
  ) {
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
    const bytesTotal = spec.targets.reduce((n, t) => n + t.parts.reduce((m, p) => m + p.bytes, 0), 0);
    return this.submit('load', clientToken, bytesTotal, async (session) => {
      const rejected: LoadRowError[] = [];
      const targets = await executeLoad(session, plans, spec, rejected, { lineage: this.lineageMode() });
      return { status: 'FINISHED', error: null, rowErrors: rejected.length > 0 ? rejected : null, targets };
    });
  }

  /** PGlite is one session: a column DEFAULT set inside the load's transaction is seen by no one else. */
  private lineageMode(): 'fields' | 'defaults' {
    return this.conn.kind === 'pglite' ? 'defaults' : 'fields';
  }

  async submitSql(
    sql: string,
    clientToken: string,
    parameters: readonly SqlParameter[] = [],
  ): Promise<{ statementId: string }> {
    if (!sql.trim()) throw new ConfigInvalid('the transform SQL is empty');
    return this.submit('sql', clientToken, 0, async (session) => {
      try {
        await session.query(AS_REDSHIFT_SESSION);
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
      } catch (e) {
        throw new LoadAttemptFailed(`transform SQL failed: ${describeDbError(e)}${transformHint(e)}`, null, e);
      }
      return { status: 'FINISHED', error: null, rowErrors: null, targets: null };
    });
  }

  /**
   * The load `submitLoad` would run (the same plan and executor, in one
   * transaction), always rolled back, reading its parts from `parts`: nothing
   * is committed and no statement is recorded. For `efi check`.
   */
  async dryRunLoad(given: LoadSpec, parts: ObjectStore): Promise<DryRunOutcome> {
    const spec = await withTableColumns(given, (t) => this.tableColumns(t));
    const plans = planLoad(spec);
    let current: TargetPlan | null = null;
    try {
      return await this.conn.transaction(
        async (session) => {
          const rejected: LoadRowError[] = [];
          const targets = await executeLoad(session, plans, spec, rejected, {
            lineage: this.lineageMode(),
            onTarget: (plan) => {
              current = plan;
            },
          });
          return { ok: true as const, targets, rowErrors: rejected };
        },
        { signal: new AbortController().signal, rollbackOnly: true, parts },
      );
    } catch (e) {
      const failed = e instanceof LoadAttemptFailed;
      return {
        ok: false,
        error: failed ? e.message : describeDbError(e),
        rowErrors: failed ? e.rowErrors : null,
        target: (current as TargetPlan | null)?.name ?? null,
        code: pgErrorFields(failed ? e.cause : e)?.code ?? null,
      };
    }
  }

  /** Records the statement and starts it in the background; a known client token returns its statement and runs nothing. */
  private async submit(
    kind: StatementKind,
    clientToken: string,
    bytesTotal: number,
    body: (session: PgSession, statementId: string) => Promise<Outcome>,
  ): Promise<{ statementId: string }> {
    let recorded: { statementId: string; created: boolean };
    try {
      recorded = await this.log.record(kind, clientToken);
    } catch (e) {
      throw classifyError(e);
    }
    const { statementId, created } = recorded;
    if (!created) return { statementId };
    const hold = this.hooks.beforeRun;
    this.running.start(
      statementId,
      bytesTotal,
      (rs) => this.runInBackground(rs, body),
      hold ? (signal) => hold(statementId, signal) : undefined,
    );
    return { statementId };
  }

  private async runInBackground(
    rs: RunningStatement,
    body: (session: PgSession, statementId: string) => Promise<Outcome>,
  ): Promise<void> {
    const id = rs.statementId;
    let outcome: Outcome | null = null;
    for (let attempt = 1; outcome === null; attempt++) {
      const progress = { ...rs.progress };
      try {
        rs.abort.signal.throwIfAborted();
        await this.conn.transaction(
          async (session) => {
            const result = await body(session, id);
            rs.abort.signal.throwIfAborted();
            await this.log.finishIn(session, id, result);
          },
          {
            signal: rs.abort.signal,
            onBackend: async (pid) => {
              rs.backendPid = pid;
              await this.log.recordBackend(id, pid).catch(() => undefined);
            },
            onProgress: async (bytes, rows) => {
              rs.progress.bytesDone += bytes;
              rs.progress.rowsDone += rows;
              await this.hooks.onProgress?.(id, { ...rs.progress });
            },
            onCommitting: () => {
              rs.committing = true;
              rs.backendPid = null;
            },
          },
        );
        return;
      } catch (e) {
        if (rs.abort.signal.aborted) {
          const reason = rs.abort.signal.reason;
          outcome = {
            status: 'ABORTED',
            error: reason instanceof StatementCancelled ? reason.message : 'cancelled',
            rowErrors: null,
            targets: null,
          };
        } else {
          const root = e instanceof LoadAttemptFailed ? e.cause : e;
          if (classifyError(root) instanceof TransientError && attempt < TRANSIENT_ATTEMPTS) {
            // Rolled back whole: run it again, as the Data API's own retry of a
            // statement that lost its connection would.
            Object.assign(rs.progress, progress);
            continue;
          }
          outcome = {
            status: 'FAILED',
            error: e instanceof LoadAttemptFailed ? e.message : describeDbError(e),
            rowErrors: e instanceof LoadAttemptFailed ? e.rowErrors : null,
            targets: null,
          };
        }
      }
    }
    // Written after the rollback: the statement never committed.
    await this.log.settle(id, outcome).catch((e) => {
      console.error(`[efi] could not record the end of statement ${id}:`, (e as Error).message);
    });
  }

  async describe(statementId: string, opts: DescribeOptions = {}): Promise<StatementStatus> {
    const rs = this.running.get(statementId);
    if (rs) {
      await settledWithin(rs.settled, opts.waitMs ?? 0);
      if (this.running.get(statementId)) {
        // Still running: answered from memory (on PGlite the database is busy with its transaction).
        return {
          statementId,
          status: 'STARTED',
          error: null,
          submittedAt: rs.submittedAt,
          updatedAt: new Date().toISOString(),
          progress: { ...rs.progress },
        };
      }
    }
    let row = await this.log.row(statementId);
    if (isUnfinished(row) && (await this.ownerGone(row))) {
      await this.log.settle(statementId, {
        status: 'ABORTED',
        error: `the process that ran it (pid ${row.owner_pid ?? 'unknown'}) is gone: its transaction was rolled back`,
        rowErrors: null,
        targets: null,
      });
      row = await this.log.row(statementId);
    }
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

  /**
   * Whether an unfinished statement not running in this process has lost its
   * executor: ours (this process's token) means it is gone; on PGlite only
   * one process opens the data directory, so another owner is gone; on a
   * server, the backend it recorded tells, or else whether its pid lives.
   */
  private async ownerGone(row: StatementRow): Promise<boolean> {
    if (row.owner_token === PROCESS_TOKEN || row.owner_token === null) return true;
    if (this.conn.kind === 'pglite') return true;
    if (row.backend_pid !== null) return !(await this.log.backendAlive(row));
    return row.owner_pid === null || !processAlive(row.owner_pid);
  }

  /** Row errors of a failed load, or the rows a FINISHED load rejected under maxErrors. */
  async loadErrors(statementId: string): Promise<LoadRowError[]> {
    return (await this.log.row(statementId)).row_errors ?? [];
  }

  /**
   * Stops a statement this process runs and resolves once it rolled back
   * (ABORTED) or, when the cancel came after its COMMIT began, committed
   * (FINISHED). A PGlite load stops at its next chunk; on a server the
   * running query is cancelled too (pg_cancel_backend). A statement another
   * process runs on the same server is cancelled through its backend; one
   * whose process is gone is marked ABORTED; a finished one is left as it is.
   */
  async cancel(statementId: string, reason = 'cancelled'): Promise<void> {
    const rs = this.running.get(statementId);
    if (rs) {
      if (!rs.committing && !rs.abort.signal.aborted) {
        rs.abort.abort(new StatementCancelled(reason));
        const pid = rs.backendPid;
        if (pid !== null) await this.conn.cancelBackend(pid).catch(() => undefined);
      }
      await rs.settled;
      return;
    }
    const row = await this.log.row(statementId);
    if (!isUnfinished(row)) return;
    if (this.conn.kind === 'postgres' && row.backend_pid !== null && (await this.log.backendAlive(row))) {
      await this.conn.cancelBackend(row.backend_pid);
      return;
    }
    if (await this.ownerGone(row)) {
      await this.log.settle(statementId, { status: 'ABORTED', error: reason, rowErrors: null, targets: null });
    }
  }

  /** Resolves once a statement this process runs has its outcome recorded (at once for any other). */
  async settled(statementId: string): Promise<void> {
    await this.running.get(statementId)?.settled;
  }

  /** Ids of the statements this process is running. */
  runningStatements(): string[] {
    return this.running.ids();
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

  /** Cancels what still runs (a closing process must not leave a transaction open), then releases the connection. */
  async close(): Promise<void> {
    await Promise.all(this.running.ids().map((id) => this.cancel(id, 'the warehouse was closed')));
    await this.conn.close();
  }
}

function isUnfinished(row: StatementRow): boolean {
  return row.status === 'SUBMITTED' || row.status === 'PICKED' || row.status === 'STARTED';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What to do about a transform error that only the local warehouse raises.
 * 2D000 (invalid transaction termination): a procedure's COMMIT or ROLLBACK.
 * Redshift runs a lone CALL outside a transaction block, where the procedure
 * may end transactions; locally the transform and its statement record commit
 * together, so it cannot.
 */
function transformHint(e: unknown): string {
  if (pgErrorFields(e)?.code !== '2D000') return '';
  return ': COMMIT or ROLLBACK inside a procedure runs on Redshift, but a transform runs as one transaction locally (it commits with its run record); take the COMMIT out of the procedure (its work then commits with the transform) to run it here';
}
