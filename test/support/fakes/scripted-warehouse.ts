import type { TableRef } from '../../../functions/lib/config/model.ts';
import type {
  LoadRowError,
  LoadSpec,
  QueryResult,
  SqlParameter,
  StatementState,
  StatementStatus,
  TargetResult,
  Warehouse,
} from '../../../functions/lib/ports/warehouse.ts';

/** A statement as the scripted warehouse logged it. */
export interface LoggedStatement {
  statementId: string;
  clientToken: string;
  kind: 'load' | 'sql';
  spec?: LoadSpec;
  sql?: string;
  parameters?: readonly SqlParameter[];
  status: StatementState;
  error: string | null;
  targets?: TargetResult[];
  rowErrors: LoadRowError[];
}

/**
 * A Warehouse whose statements are a scripted log, shaped like the Data API:
 * submit returns at once (same client token → same statement), and the test
 * decides how each statement ends (`finish`, `fail`, `abort`).
 */
export class ScriptedWarehouse implements Warehouse {
  readonly statements: LoggedStatement[] = [];
  private n = 0;

  async submitLoad(spec: LoadSpec, clientToken: string): Promise<{ statementId: string }> {
    return this.submit({ kind: 'load', spec, clientToken });
  }

  async submitSql(
    sql: string,
    clientToken: string,
    parameters?: readonly SqlParameter[],
  ): Promise<{ statementId: string }> {
    return this.submit({ kind: 'sql', sql, clientToken, ...(parameters ? { parameters } : {}) });
  }

  private submit(s: Pick<LoggedStatement, 'kind' | 'clientToken' | 'spec' | 'sql' | 'parameters'>): {
    statementId: string;
  } {
    const same = this.statements.find((x) => x.clientToken === s.clientToken);
    if (same) return { statementId: same.statementId };
    const statementId = `stmt-${++this.n}`;
    this.statements.push({ ...s, statementId, status: 'SUBMITTED', error: null, rowErrors: [] });
    return { statementId };
  }

  /** The logged statement with this id (throws on an unknown id, as DescribeStatement does). */
  statement(statementId: string): LoggedStatement {
    const s = this.statements.find((x) => x.statementId === statementId);
    if (!s) throw new Error(`unknown statement ${statementId}`);
    return s;
  }

  /** Scripts a statement's end: FINISHED with these per-target counts. */
  finish(statementId: string, targets: TargetResult[] = []): void {
    Object.assign(this.statement(statementId), { status: 'FINISHED', targets });
  }

  /** Scripts a failure, with the rows the warehouse refused (if any). */
  fail(statementId: string, error: string, rowErrors: LoadRowError[] = []): void {
    Object.assign(this.statement(statementId), { status: 'FAILED', error, rowErrors });
  }

  abort(statementId: string, error: string | null = null): void {
    Object.assign(this.statement(statementId), { status: 'ABORTED', error });
  }

  /** Scripts a statement still running (PICKED, STARTED). */
  progress(statementId: string, status: 'PICKED' | 'STARTED'): void {
    this.statement(statementId).status = status;
  }

  async describe(statementId: string): Promise<StatementStatus> {
    const s = this.statement(statementId);
    return {
      statementId,
      status: s.status,
      error: s.error,
      ...(s.targets ? { targets: s.targets } : {}),
    };
  }

  async loadErrors(statementId: string): Promise<LoadRowError[]> {
    return this.statement(statementId).rowErrors;
  }

  async cancel(statementId: string): Promise<void> {
    const s = this.statement(statementId);
    if (s.status !== 'FINISHED' && s.status !== 'FAILED') s.status = 'ABORTED';
  }

  async query(): Promise<QueryResult> {
    return { columns: [], rows: [] };
  }

  async tableColumns(_target: TableRef): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {}
}
