import { randomUUID } from 'node:crypto';
import { classifyError, InvalidStateInput } from '../../errors.ts';
import type { LoadRowError, StatementState, TargetResult } from '../../ports/warehouse.ts';
import type { PgConnection, PgSession } from './postgres-bulk-load.ts';

/**
 * The local warehouse's statement log, `efi_wh.statements`: what the Redshift
 * Data API keeps for a statement (status, error, per-target counts) plus the
 * rows a load rejected (what SYS_LOAD_ERROR_DETAIL holds). Submits are idempotent
 * by client token, as the Data API's ClientToken makes them.
 *
 * A statement is recorded STARTED (autocommit) with its owner: the process
 * (pid + a token minted per process) and, on a server, the backend running
 * its transaction. Its FINISHED row is written inside the statement's own
 * transaction (`finishIn`), so "committed" and "FINISHED" cannot disagree; a
 * failure or cancel is written after the rollback (`settle`). A row left
 * STARTED whose owner is gone is a statement that died with its process.
 */

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
);
ALTER TABLE efi_wh.statements ADD COLUMN IF NOT EXISTS owner_pid integer;
ALTER TABLE efi_wh.statements ADD COLUMN IF NOT EXISTS owner_token text;
ALTER TABLE efi_wh.statements ADD COLUMN IF NOT EXISTS backend_pid integer;
ALTER TABLE efi_wh.statements ADD COLUMN IF NOT EXISTS backend_start timestamptz`;

/** This process's token: a pid alone can be reused by a later process. */
export const PROCESS_TOKEN = randomUUID();

export type StatementKind = 'load' | 'sql';

export interface Outcome {
  status: 'FINISHED' | 'FAILED' | 'ABORTED';
  error: string | null;
  rowErrors: LoadRowError[] | null;
  targets: TargetResult[] | null;
}

/** A failure of a load attempt, already described for people, with the row errors when it is about a row. */
export class LoadAttemptFailed extends Error {
  constructor(
    message: string,
    readonly rowErrors: LoadRowError[] | null,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export class PostgresStatementLog {
  private ready: Promise<void> | null = null;

  constructor(private readonly conn: PgConnection) {}

  private ensure(): Promise<void> {
    this.ready ??= this.conn
      .transaction(async (session) => {
        // Serialises first use across processes sharing a server: concurrent
        // CREATE ... IF NOT EXISTS can still collide on the catalog.
        await session.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['efi_wh.statements']);
        await session.exec(STATEMENT_LOG_DDL);
      })
      .catch((e) => {
        this.ready = null;
        throw classifyError(e);
      });
    return this.ready;
  }

  /**
   * Records a statement STARTED and owned by this process, or, when the
   * client token was used before, returns the statement recorded for it
   * (`created: false`: nothing is to be run).
   */
  async record(kind: StatementKind, clientToken: string): Promise<{ statementId: string; created: boolean }> {
    if (!clientToken) throw new InvalidStateInput('a client token is required to submit a statement');
    await this.ensure();
    const statementId = randomUUID();
    const inserted = await this.conn.query(
      `INSERT INTO efi_wh.statements (statement_id, client_token, kind, status, owner_pid, owner_token)
       VALUES ($1, $2, $3, 'STARTED', $4, $5)
       ON CONFLICT (client_token) DO NOTHING RETURNING statement_id`,
      [statementId, clientToken, kind, process.pid, PROCESS_TOKEN],
    );
    if (inserted.rows.length > 0) return { statementId, created: true };
    const existing = await this.conn.query('SELECT statement_id FROM efi_wh.statements WHERE client_token = $1', [
      clientToken,
    ]);
    return { statementId: String(existing.rows[0]?.['statement_id']), created: false };
  }

  /** Notes which server backend runs the statement's transaction (in that transaction, so it is visible only if it commits: written autocommit instead). */
  async recordBackend(statementId: string, pid: number): Promise<void> {
    await this.conn.query(
      `UPDATE efi_wh.statements SET backend_pid = $2, backend_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = $2)
        WHERE statement_id = $1`,
      [statementId, pid],
    );
  }

  /** Writes the FINISHED row inside the statement's transaction: it commits with the load or not at all. */
  async finishIn(session: PgSession, statementId: string, outcome: Outcome): Promise<void> {
    await session.query(
      `UPDATE efi_wh.statements
          SET status = 'FINISHED', error = NULL, row_errors = $2::jsonb, targets = $3::jsonb, updated_at = now()
        WHERE statement_id = $1`,
      [
        statementId,
        outcome.rowErrors ? JSON.stringify(outcome.rowErrors) : null,
        outcome.targets ? JSON.stringify(outcome.targets) : null,
      ],
    );
  }

  /** Records how a statement ended without committing (after its rollback); a settled row is left as it is. */
  async settle(statementId: string, outcome: Outcome): Promise<void> {
    await this.conn.query(
      `UPDATE efi_wh.statements
          SET status = $2, error = $3, row_errors = $4::jsonb, targets = $5::jsonb, updated_at = now()
        WHERE statement_id = $1 AND status IN ('SUBMITTED', 'PICKED', 'STARTED')`,
      [
        statementId,
        outcome.status,
        outcome.error,
        outcome.rowErrors ? JSON.stringify(outcome.rowErrors) : null,
        outcome.targets ? JSON.stringify(outcome.targets) : null,
      ],
    );
  }

  async row(statementId: string): Promise<StatementRow> {
    await this.ensure();
    const r = await this.conn.query(
      `SELECT statement_id, kind, status, error, row_errors, targets, submitted_at, updated_at,
              owner_pid, owner_token, backend_pid, backend_start
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

  /** Whether the server backend a statement recorded still runs (the same pid started at the same time). */
  async backendAlive(row: StatementRow): Promise<boolean> {
    if (row.backend_pid === null || row.backend_pid === undefined) return false;
    const r = await this.conn.query(
      'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND backend_start IS NOT DISTINCT FROM $2::timestamptz',
      [row.backend_pid, row.backend_start],
    );
    return r.rows.length > 0;
  }
}

export interface StatementRow {
  statement_id: string;
  kind: StatementKind;
  status: StatementState;
  error: string | null;
  row_errors: LoadRowError[] | null;
  targets: TargetResult[] | null;
  submitted_at: Date | string;
  updated_at: Date | string;
  owner_pid: number | null;
  owner_token: string | null;
  backend_pid: number | null;
  backend_start: Date | string | null;
}

export function isoString(v: Date | string): string {
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}
