import { randomUUID } from 'node:crypto';
import { classifyError, InvalidStateInput, TransientError } from '../../errors.ts';
import type { LoadRowError, StatementState, TargetResult } from '../../ports/warehouse.ts';
import type { PgConnection } from './postgres-bulk-load.ts';
import { describeDbError } from './postgres-load-errors.ts';

/**
 * The local warehouse's statement log, `efi_wh.statements`: what the Redshift
 * Data API keeps for a statement (status, error, per-target counts) plus the
 * rows a load rejected (what STL_LOAD_ERRORS holds). Submits are idempotent
 * by client token, as the Data API's ClientToken makes them.
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
)`;

export type StatementKind = 'load' | 'sql';

export interface Outcome {
  status: 'FINISHED' | 'FAILED';
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
   * Idempotent submit: the same client token returns the statement already
   * recorded for it and runs nothing. Otherwise the statement is recorded,
   * run, and its outcome recorded.
   */
  async submit(
    kind: StatementKind,
    clientToken: string,
    run: () => Promise<Outcome>,
  ): Promise<{ statementId: string }> {
    if (!clientToken) throw new InvalidStateInput('a client token is required to submit a statement');
    await this.ensure();
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

  async row(statementId: string): Promise<StatementRow> {
    await this.ensure();
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
  /** Marks a statement abandoned mid-run (still SUBMITTED/PICKED/STARTED) ABORTED; a finished one is left as it is. */
  async abortUnfinished(statementId: string): Promise<void> {
    await this.row(statementId);
    await this.conn.query(
      `UPDATE efi_wh.statements SET status = 'ABORTED', error = 'cancelled', updated_at = now()
        WHERE statement_id = $1 AND status IN ('SUBMITTED', 'PICKED', 'STARTED')`,
      [statementId],
    );
  }
}

export interface StatementRow {
  statement_id: string;
  status: StatementState;
  error: string | null;
  row_errors: LoadRowError[] | null;
  targets: TargetResult[] | null;
  submitted_at: Date | string;
  updated_at: Date | string;
}

export function isoString(v: Date | string): string {
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}
