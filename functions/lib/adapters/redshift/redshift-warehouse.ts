import {
  BatchExecuteStatementCommand,
  type BatchExecuteStatementCommandInput,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  type Field,
  GetStatementResultCommand,
  type RedshiftDataClient,
  type SubStatementData,
} from '@aws-sdk/client-redshift-data';
import type { TableRef } from '../../config/model.ts';
import {
  ConfigInvalid,
  classifyError,
  InvalidStateInput,
  isTransientStatementError,
  LoadFailed,
  TransientError,
} from '../../errors.ts';
import { MAX_LOAD_STATEMENTS } from '../../ports/load-spec-rules.ts';
import type {
  DescribeOptions,
  LoadRowError,
  LoadSpec,
  QueryResult,
  SqlParameter,
  StatementState,
  StatementStatus,
  TargetResult,
  Warehouse,
} from '../../ports/warehouse.ts';
import { withTableColumns } from '../../ports/warehouse.ts';
import { splitStatements } from '../../sql/named-parameters.ts';
import {
  COUNT_COLUMNS,
  isCountStatement,
  parseMarker,
  renderLoadStatements,
  type StatementMarker,
} from './redshift-copy-sql.ts';
import { loadErrorParameters, mapLoadErrorRow, SYS_LOAD_ERRORS_SQL } from './redshift-load-errors.ts';
import { mayHaveCommittedPart } from './redshift-partial-commit.ts';

export interface RedshiftTarget {
  clusterIdentifier: string | null;
  workgroupName: string | null;
  database: string;
  dbUser: string | null;
  secretArn: string | null;
}

export interface RedshiftCopySettings {
  iamRoleArn: string;
  region: string | null;
}

export interface RedshiftPollOptions {
  /** Pause between DescribeStatement calls while waiting for a read query. */
  pollDelayMs?: number;
  /** DescribeStatement calls before a read query is given up (and cancelled). */
  maxPolls?: number;
  /** DescribeStatement calls after CancelStatement while the statement still runs (default 20: ~5 s). */
  cancelPolls?: number;
}

const STATES = new Set<StatementState>(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'FAILED', 'ABORTED']);
// Data API limits that clear by themselves; classifyError knows only generic codes.
const TRANSIENT_DATA_API_ERRORS = new Set([
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
  'DatabaseConnectionException',
  'InternalServerException',
]);
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;
/** Management Guide, *Considerations when calling the Data API*: "The maximum query statement size is 100 KB." */
export const MAX_STATEMENT_BYTES = 100 * 1024;
const STATEMENT_NAME_MAX = 500;

/**
 * Warehouse port on the Redshift Data API (provisioned cluster or Serverless
 * workgroup). A load is one BatchExecuteStatement, which Redshift runs as one
 * transaction; CheckLoad maps its sub-statements back to targets through the
 * marker comment each rendered statement starts with (redshift-copy-sql.ts),
 * since it runs in another Lambda than SubmitLoad and has only the id.
 *
 * `submitSql` sends the config's SQL as ONE ExecuteStatement: the Data API
 * runs a single statement there, so multi-statement transforms belong in a
 * stored procedure called with `CALL schema.proc(...)`.
 */
export class RedshiftDataWarehouse implements Warehouse {
  private readonly pollDelayMs: number;
  private readonly maxPolls: number;
  private readonly cancelPolls: number;

  constructor(
    private readonly client: RedshiftDataClient,
    private readonly target: RedshiftTarget,
    private readonly copy: RedshiftCopySettings,
    poll: RedshiftPollOptions = {},
  ) {
    validateTarget(target);
    this.pollDelayMs = poll.pollDelayMs ?? 250;
    this.maxPolls = poll.maxPolls ?? 480;
    this.cancelPolls = poll.cancelPolls ?? 20;
  }

  async submitLoad(given: LoadSpec, clientToken: string): Promise<{ statementId: string }> {
    // No column list: the table's columns in order, as COPY without one (lineage columns are efi's).
    const spec = await withTableColumns(given, (t) => this.tableColumns(t));
    const sqls = renderLoadStatements(spec, { iamRoleArn: this.copy.iamRoleArn, region: this.copy.region });
    sqls.forEach((sql, i) => {
      assertStatementSize(sql, `load statement ${i + 1} of ${sqls.length} (run ${spec.runId})`);
    });
    const input: BatchExecuteStatementCommandInput = {
      ...this.connection(),
      Sqls: sqls,
      ClientToken: assertClientToken(clientToken),
      StatementName: `efi-load-${spec.runId}`.slice(0, STATEMENT_NAME_MAX),
      WithEvent: false,
    };
    const out = await this.call(() => this.client.send(new BatchExecuteStatementCommand(input)));
    return { statementId: requireId(out.Id, 'BatchExecuteStatement') };
  }

  async submitSql(
    sql: string,
    clientToken: string,
    parameters: readonly SqlParameter[] = [],
  ): Promise<{ statementId: string }> {
    if (sql.trim() === '') throw new ConfigInvalid('the transform SQL is empty: set transform.sql or remove transform');
    const statements = splitStatements(sql);
    // ExecuteStatement: "This statement must be a single SQL statement" (Data API reference). Several go as one
    // BatchExecuteStatement, which runs its Sqls "as a single transaction", as the local warehouse runs them.
    if (statements.length > 1) return this.submitBatchSql(statements, clientToken, parameters);
    assertStatementSize(sql, 'the transform SQL');
    const input: ExecuteStatementCommandInput = { ...this.transformRequest(clientToken, parameters), Sql: sql };
    const out = await this.call(() => this.client.send(new ExecuteStatementCommand(input)));
    return { statementId: requireId(out.Id, 'ExecuteStatement') };
  }

  private async submitBatchSql(
    statements: string[],
    clientToken: string,
    parameters: readonly SqlParameter[],
  ): Promise<{ statementId: string }> {
    if (statements.length > MAX_LOAD_STATEMENTS) {
      throw new ConfigInvalid(
        `the transform SQL has ${statements.length} statements; the Data API's BatchExecuteStatement takes at most ${MAX_LOAD_STATEMENTS}: move them into a stored procedure and CALL it`,
      );
    }
    statements.forEach((q, i) => {
      assertStatementSize(q, `statement ${i + 1} of ${statements.length} of the transform SQL`);
    });
    // Parameters reach every statement of a batch; validate refuses them in SQL of several statements anyway.
    const input: BatchExecuteStatementCommandInput = {
      ...this.transformRequest(clientToken, parameters),
      Sqls: statements,
    };
    const out = await this.call(() => this.client.send(new BatchExecuteStatementCommand(input)));
    return { statementId: requireId(out.Id, 'BatchExecuteStatement') };
  }

  /** What a transform's ExecuteStatement and BatchExecuteStatement share: connection, token, name, parameters. */
  private transformRequest(clientToken: string, parameters: readonly SqlParameter[]) {
    return {
      ...this.connection(),
      ClientToken: assertClientToken(clientToken),
      StatementName: 'efi-transform',
      WithEvent: false,
      // The Data API binds `:name` in the SQL to these; it refuses an empty list.
      ...(parameters.length > 0 ? { Parameters: parameters.map((p) => ({ name: p.name, value: p.value })) } : {}),
    };
  }

  async describe(statementId: string, opts: DescribeOptions = {}): Promise<StatementStatus> {
    const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: statementId })));
    const status = toState(d.Status, statementId);
    const result: StatementStatus = { statementId, status, error: d.Error ?? null };
    if (d.CreatedAt) result.submittedAt = d.CreatedAt.toISOString();
    if (d.UpdatedAt) result.updatedAt = d.UpdatedAt.toISOString();
    if (status === 'FAILED' || status === 'ABORTED') {
      const sqls = d.SubStatements?.length ? d.SubStatements.map((s) => s.QueryString ?? '') : [d.QueryString ?? ''];
      if (sqls.some(mayHaveCommittedPart)) result.partialCommit = true;
    }
    if (status === 'FINISHED') {
      const subs = d.SubStatements ?? [];
      const staged = opts.rowCounts === false ? new Map<number, number>() : await this.stageCounts(subs);
      const targets = targetResults(subs, staged);
      if (targets.length > 0) result.targets = targets;
    }
    return result;
  }

  /**
   * Rows per target index from the load's count statement (redshift-copy-sql.ts), read with
   * GetStatementResult on its sub-statement id (`<batch id>:<n>`). Empty when the load has no
   * count statement (one of 40 statements), its result is gone (the Data API keeps it 24 hours) or
   * cannot be read for another reason than a transient one: the counts then come from ResultRows,
   * or stay unknown.
   */
  private async stageCounts(subs: readonly SubStatementData[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    const sub = subs.find((s) => isCountStatement(s.QueryString));
    if (!sub?.Id || sub.Status !== 'FINISHED' || sub.HasResultSet === false) return counts;
    let result: QueryResult;
    try {
      result = await this.readResult(sub.Id);
    } catch (e) {
      // A throttled read is retried (EfiTransient); any other failure to read the counts must not fail
      // a load that committed: the counts then come from ResultRows, or stay unknown.
      const err = classifyDataApiError(e);
      if (err instanceof TransientError) throw err;
      return counts;
    }
    for (const row of result.rows) {
      const target = Number(row[COUNT_COLUMNS.target]);
      const rows = Number(row[COUNT_COLUMNS.rows]);
      if (Number.isSafeInteger(target) && Number.isSafeInteger(rows) && rows >= 0) counts.set(target, rows);
    }
    return counts;
  }

  async loadErrors(statementId: string): Promise<LoadRowError[]> {
    const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: statementId })));
    const subs = d.SubStatements ?? [];
    const failed = subs.find((s) => s.Status === 'FAILED');
    // A failed load: only a failed COPY has row errors (a missing table or a failed INSERT does not).
    // A finished load: rows its COPYs rejected within MAXERROR.
    const copies = (failed ? [failed] : d.Status === 'FINISHED' ? subs : [])
      .map((s) => ({ s, marker: parseMarker(s.QueryString) }))
      .filter((c) => c.marker?.step === 'copy' && c.s.RedshiftQueryId !== undefined);
    const errors: LoadRowError[] = [];
    for (const { s, marker } of copies) {
      // RedshiftQueryId is SYS_QUERY_HISTORY.query_id (Data API), the key of SYS_LOAD_ERROR_DETAIL, not STL's `query`.
      const { rows } = await this.run(SYS_LOAD_ERRORS_SQL, loadErrorParameters(s.RedshiftQueryId!));
      errors.push(...rows.map((r) => mapLoadErrorRow(r, marker!.table)));
    }
    return errors;
  }

  /**
   * CancelStatement only asks Redshift to stop the statement: DescribeStatement may read it as
   * still running for a moment, and it may yet commit. As the port promises, wait (bounded) until
   * it reads ABORTED, FAILED or FINISHED, so the caller records what committed instead of
   * "unknown"; past the bound it returns, and the caller reads it as still running.
   */
  async cancel(statementId: string, _reason?: string): Promise<void> {
    await this.requestCancel(statementId);
    for (let i = 0; i < this.cancelPolls; i++) {
      const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: statementId })));
      if (d.Status === 'FINISHED' || d.Status === 'FAILED' || d.Status === 'ABORTED') return;
      if (this.pollDelayMs > 0) await new Promise((r) => setTimeout(r, this.pollDelayMs));
    }
  }

  private async requestCancel(statementId: string): Promise<void> {
    await this.call(() => this.client.send(new CancelStatementCommand({ Id: statementId })));
  }

  async query(sql: string): Promise<QueryResult> {
    return this.run(sql, []);
  }

  async tableColumns(target: TableRef): Promise<string[]> {
    const r = await this.run(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position',
      [
        { name: 'schema', value: target.schema },
        { name: 'table', value: target.table },
      ],
    );
    if (r.rows.length === 0) {
      throw new ConfigInvalid(
        `table ${target.schema}.${target.table} has no columns or does not exist (the config lists none)`,
      );
    }
    return r.rows.map((row) => String(row['column_name']));
  }

  async close(): Promise<void> {}

  /** ExecuteStatement, wait for it, read every page of its result. */
  private async run(sql: string, parameters: { name: string; value: string }[]): Promise<QueryResult> {
    const input: ExecuteStatementCommandInput = { ...this.connection(), Sql: sql, WithEvent: false };
    if (parameters.length > 0) input.Parameters = parameters;
    const { Id } = await this.call(() => this.client.send(new ExecuteStatementCommand(input)));
    const id = requireId(Id, 'ExecuteStatement');
    const d = await this.waitFor(id);
    if (!d.HasResultSet) return { columns: [], rows: [] };
    return this.call(() => this.readResult(id));
  }

  /** Every page of a finished statement's result; SDK errors are the caller's to classify. */
  private async readResult(id: string): Promise<QueryResult> {
    let columns: string[] = [];
    const rows: Record<string, unknown>[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new GetStatementResultCommand({ Id: id, NextToken: nextToken }));
      if (columns.length === 0 && page.ColumnMetadata)
        columns = page.ColumnMetadata.map((c, i) => c.name ?? `?column${i}?`);
      for (const record of page.Records ?? []) {
        const row: Record<string, unknown> = {};
        record.forEach((field, i) => {
          row[columns[i] ?? `?column${i}?`] = fieldValue(field);
        });
        rows.push(row);
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    return { columns, rows };
  }

  private async waitFor(id: string): Promise<DescribeStatementCommandOutput> {
    for (let i = 0; i < this.maxPolls; i++) {
      const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') {
        const text = `Redshift query ${id} ${d.Status}: ${d.Error ?? 'no error message'}`;
        // The same rule as a thrown error: a serializable isolation violation (1023) clears by itself.
        if (d.Status === 'FAILED' && isTransientStatementError(d.Error)) throw new TransientError(text);
        throw new LoadFailed(text);
      }
      if (this.pollDelayMs > 0) await new Promise((r) => setTimeout(r, this.pollDelayMs));
    }
    // A read query given up: its outcome does not matter, so no waiting for it.
    await this.requestCancel(id).catch(() => undefined);
    throw new TransientError(
      `Redshift query ${id} did not finish after ${this.maxPolls} status checks; it was cancelled, retry later`,
    );
  }

  private connection(): Pick<
    ExecuteStatementCommandInput,
    'ClusterIdentifier' | 'WorkgroupName' | 'Database' | 'DbUser' | 'SecretArn'
  > {
    const t = this.target;
    const c: Pick<
      ExecuteStatementCommandInput,
      'ClusterIdentifier' | 'WorkgroupName' | 'Database' | 'DbUser' | 'SecretArn'
    > = {
      Database: t.database,
    };
    if (t.clusterIdentifier) c.ClusterIdentifier = t.clusterIdentifier;
    if (t.workgroupName) c.WorkgroupName = t.workgroupName;
    if (t.secretArn) c.SecretArn = t.secretArn;
    if (t.dbUser) c.DbUser = t.dbUser;
    return c;
  }

  /** Every SDK call goes through here so throttling surfaces as EfiTransient. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (e) {
      throw classifyDataApiError(e);
    }
  }
}

export function classifyDataApiError(e: unknown): Error {
  if (e instanceof Error && TRANSIENT_DATA_API_ERRORS.has(e.name)) {
    return new TransientError(`${e.name}: ${e.message}`, {}, { cause: e });
  }
  return classifyError(e);
}

function validateTarget(t: RedshiftTarget): void {
  if (!t.clusterIdentifier === !t.workgroupName) {
    throw new ConfigInvalid(
      'Redshift target needs exactly one of clusterIdentifier (provisioned) or workgroupName (Serverless)',
    );
  }
  if (!t.database) throw new ConfigInvalid('Redshift target needs a database name');
  if (t.dbUser && t.secretArn) {
    throw new ConfigInvalid(
      'Redshift target has both dbUser and secretArn: use one (secretArn, or dbUser for temporary credentials)',
    );
  }
  if (t.dbUser && !t.clusterIdentifier) {
    throw new ConfigInvalid(
      'dbUser (temporary credentials) only works with a provisioned cluster: use secretArn for a Serverless workgroup',
    );
  }
}

function assertClientToken(token: string): string {
  if (typeof token !== 'string' || !CLIENT_TOKEN.test(token)) {
    throw new InvalidStateInput(
      `client token ${JSON.stringify(token)} must be 1 to 64 printable ASCII characters without spaces (derive it from the run id and redrive count)`,
    );
  }
  return token;
}

function assertStatementSize(sql: string, what: string): void {
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_STATEMENT_BYTES) {
    throw new ConfigInvalid(
      `${what} is ${bytes} bytes; the Redshift Data API takes at most 100 KB (${MAX_STATEMENT_BYTES} bytes) per statement: move the SQL into a stored procedure and CALL it, or list fewer columns`,
    );
  }
}

function requireId(id: string | undefined, what: string): string {
  if (!id) throw new LoadFailed(`${what} returned no statement id`);
  return id;
}

function toState(status: string | undefined, statementId: string): StatementState {
  if (status !== undefined && STATES.has(status as StatementState)) return status as StatementState;
  throw new LoadFailed(
    `DescribeStatement returned status ${JSON.stringify(status)} for statement ${statementId}, which efi does not know`,
  );
}

/**
 * ResultRows of a sub-statement, or null when the service did not give it:
 * "A -1 indicates the value is null" (Data API SubStatementData), and absent is no count either.
 * Read as 0 or -1 it would be an untruthful rowsLoaded (and CheckLoad would derive records + 1 rejected).
 */
function resultRows(s: SubStatementData): number | null {
  return s.ResultRows === undefined || s.ResultRows < 0 ? null : s.ResultRows;
}

/**
 * Rows loaded per target: its stage table's count from the load's count statement (exact), else
 * ResultRows of its INSERT from stage, else null (not reported).
 */
function targetResults(subs: SubStatementData[], staged: ReadonlyMap<number, number>): TargetResult[] {
  const found: { marker: StatementMarker; rows: number | null }[] = [];
  for (const s of subs) {
    const marker = parseMarker(s.QueryString);
    if (marker?.step === 'insert') found.push({ marker, rows: staged.get(marker.target) ?? resultRows(s) });
  }
  found.sort((a, b) => a.marker.target - b.marker.target);
  // Rejected rows (MAXERROR > 0) are not reported by the Data API; the caller
  // knows the records per target and derives them.
  if (found.length > 0) {
    return found.map(({ marker, rows }) => ({
      target: marker.table,
      recordType: marker.recordType,
      rowsLoaded: rows,
      rowsRejected: 0,
    }));
  }
  // Fallback should the service ever return the statements without their
  // marker comments: the INSERTs name their (validated, quoted) target, in target order.
  return subs.flatMap((s) => {
    const m = INSERT_TARGET.exec(s.QueryString ?? '');
    return m
      ? [{ target: { schema: m[1]!, table: m[2]! }, recordType: null, rowsLoaded: resultRows(s), rowsRejected: 0 }]
      : [];
  });
}

const INSERT_TARGET = /^\s*(?:\/\*[\s\S]*?\*\/\s*)?INSERT INTO "([a-z_][a-z0-9_$]*)"\."([a-z_][a-z0-9_$]*)"/i;

function fieldValue(f: Field): unknown {
  if (f.isNull) return null;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return f.blobValue;
  return null;
}
