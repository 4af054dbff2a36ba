import 'aws-sdk-client-mock-vitest/extend';
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  RedshiftDataClient,
  ResourceNotFoundException,
  type SubStatementData,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isCountStatement, renderLoadStatements } from '../../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { SYS_LOAD_ERRORS_SQL } from '../../../functions/lib/adapters/redshift/redshift-load-errors.ts';
import {
  MAX_STATEMENT_BYTES,
  RedshiftDataWarehouse,
  type RedshiftTarget,
} from '../../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import { ConfigInvalid, InvalidStateInput, LoadFailed } from '../../../functions/lib/errors.ts';
import { transformParameters } from '../../../functions/lib/steps/transform-parameters.ts';
import { csvTarget, ROLE_ARN, RUN_ID, spec } from './fixtures.ts';

const client = new RedshiftDataClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const rs = mockClient(client);

const CLUSTER: RedshiftTarget = {
  clusterIdentifier: 'efi-cluster',
  workgroupName: null,
  database: 'dev',
  dbUser: 'efi_loader',
  secretArn: null,
};
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:efi-redshift-AbCdEf';
const WORKGROUP: RedshiftTarget = {
  clusterIdentifier: null,
  workgroupName: 'efi-wg',
  database: 'dev',
  dbUser: null,
  secretArn: SECRET_ARN,
};
const COPY = { iamRoleArn: ROLE_ARN, region: null };

function warehouse(target: RedshiftTarget = CLUSTER, maxPolls?: number): RedshiftDataWarehouse {
  return new RedshiftDataWarehouse(client, target, COPY, { pollDelayMs: 0, ...(maxPolls ? { maxPolls } : {}) });
}

const twoTargets = spec([
  csvTarget({ recordType: 'H', target: { schema: 'sales', table: 'header' } }),
  csvTarget({ recordType: 'D', target: { schema: 'sales', table: 'detail' } }),
]);

/**
 * Sub-statements as DescribeStatement returns them for the rendered batch: per target stage, COPY,
 * DELETE, INSERT (1-8), then the count statement (9), whose result set is absent unless a test gives it.
 */
function subStatements(statuses: Partial<SubStatementData>[]): SubStatementData[] {
  const sqls = renderLoadStatements(twoTargets, COPY);
  return sqls.map((sql, i) => ({
    Id: `load-1:${i + 1}`,
    QueryString: sql,
    Status: 'FINISHED',
    ...(isCountStatement(sql) ? { HasResultSet: false } : {}),
    ...statuses[i],
  }));
}

/** The count statement's result as GetStatementResult returns it: [target index, stage rows] per row. */
function countResult(rows: [number, number][]) {
  return {
    ColumnMetadata: [{ name: 'efi_target' }, { name: 'efi_rows' }],
    Records: rows.map(([t, n]): Field[] => [{ longValue: t }, { longValue: n }]),
  };
}

function described(d: Partial<DescribeStatementCommandOutput>): DescribeStatementCommandOutput {
  return { $metadata: {}, Id: 'load-1', ...d };
}

beforeEach(() => {
  rs.reset();
});

afterAll(() => {
  rs.restore();
});

describe('connection settings', () => {
  it.each([
    ['both cluster and workgroup', { ...CLUSTER, workgroupName: 'wg' }, /exactly one of clusterIdentifier/],
    ['neither cluster nor workgroup', { ...CLUSTER, clusterIdentifier: null }, /exactly one of clusterIdentifier/],
    [
      'dbUser with a workgroup',
      { ...WORKGROUP, secretArn: null, dbUser: 'u' },
      /only works with a provisioned cluster/,
    ],
    ['dbUser and secret', { ...CLUSTER, secretArn: SECRET_ARN }, /both dbUser and secretArn/],
    ['no database', { ...CLUSTER, database: '' }, /needs a database name/],
  ])('rejects %s', (_what, target, message) => {
    expect(() => warehouse(target as RedshiftTarget)).toThrow(ConfigInvalid);
    expect(() => warehouse(target as RedshiftTarget)).toThrow(message);
  });
});

describe('submitLoad', () => {
  it("reads the table's columns (minus lineage) for a target without a column list, as COPY without one", async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'cols-1' });
    rs.on(DescribeStatementCommand).resolves(described({ Id: 'cols-1', Status: 'FINISHED', HasResultSet: true }));
    rs.on(GetStatementResultCommand).resolves({
      $metadata: {},
      ColumnMetadata: [{ name: 'column_name' }],
      Records: [[{ stringValue: 'id' }], [{ stringValue: 'amount' }], [{ stringValue: 'efi_run_id' }]],
    });
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-9' });
    const given = spec([csvTarget({ columns: [] })]);
    await warehouse().submitLoad(given, `${RUN_ID}-0`);
    expect(rs).toHaveReceivedCommandWith(ExecuteStatementCommand, {
      Sql: expect.stringContaining('information_schema.columns'),
      Parameters: [
        { name: 'schema', value: 'sales' },
        { name: 'table', value: 'daily' },
      ],
    });
    const copy = rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.Sqls!.find((q) => q.includes('COPY'))!;
    expect(copy).toContain('COPY "efi_stage_0" ("id", "amount")');
  });

  it('sends the rendered statements as one BatchExecuteStatement to a cluster with temporary credentials', async () => {
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-1' });
    const out = await warehouse().submitLoad(twoTargets, `${RUN_ID}-0`);
    expect(out).toEqual({ statementId: 'load-1' });
    expect(rs).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 1);
    expect(rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toEqual({
      ClusterIdentifier: 'efi-cluster',
      Database: 'dev',
      DbUser: 'efi_loader',
      Sqls: renderLoadStatements(twoTargets, COPY),
      ClientToken: `${RUN_ID}-0`,
      StatementName: `efi-load-${RUN_ID}`,
      WithEvent: false,
    });
  });

  it('targets a Serverless workgroup with a secret and passes the copy region through', async () => {
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-2' });
    const wh = new RedshiftDataWarehouse(
      client,
      WORKGROUP,
      { iamRoleArn: ROLE_ARN, region: 'us-east-1' },
      { pollDelayMs: 0 },
    );
    await wh.submitLoad(twoTargets, 'tok-1');
    const input = rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input;
    expect(input).toEqual({
      WorkgroupName: 'efi-wg',
      Database: 'dev',
      SecretArn: SECRET_ARN,
      Sqls: renderLoadStatements(twoTargets, { iamRoleArn: ROLE_ARN, region: 'us-east-1' }),
      ClientToken: 'tok-1',
      StatementName: `efi-load-${RUN_ID}`,
      WithEvent: false,
    });
    expect(input.Sqls![1]).toContain("REGION AS 'us-east-1'");
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['empty', ''],
    ['with a space', 'run 1'],
  ])('refuses a client token that is %s before calling AWS', async (_what, token) => {
    await expect(warehouse().submitLoad(twoTargets, token)).rejects.toThrow(InvalidStateInput);
    expect(rs).not.toHaveReceivedAnyCommand();
  });

  it('refuses a load whose COPY is over the Data API statement size (100 KB) before calling AWS', async () => {
    const wide = spec([
      csvTarget({
        columns: Array.from({ length: 900 }, (_, i) => ({ name: `c${String(i).padStart(4, '0')}_${'x'.repeat(110)}` })),
      }),
    ]);
    await expect(warehouse().submitLoad(wide, 'tok')).rejects.toThrow(/load statement 2 of 5 .* at most 100 KB/);
    expect(rs).not.toHaveReceivedAnyCommand();
  });

  it('accepts a 64-character client token', async () => {
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-3' });
    await warehouse().submitLoad(twoTargets, 'a'.repeat(64));
    expect(rs).toHaveReceivedCommandWith(BatchExecuteStatementCommand, { ClientToken: 'a'.repeat(64) });
  });

  it('turns throttling into EfiTransient so the state machine retries', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    rs.on(BatchExecuteStatementCommand).rejects(throttled);
    await expect(warehouse().submitLoad(twoTargets, 'tok')).rejects.toMatchObject({
      name: 'EfiTransient',
      message: 'ThrottlingException: Rate exceeded',
    });
  });

  it('treats too many active statements as transient', async () => {
    rs.on(BatchExecuteStatementCommand).rejects(
      new ActiveStatementsExceededException({ message: 'Active statements exceeded the allowed quota', $metadata: {} }),
    );
    await expect(warehouse().submitLoad(twoTargets, 'tok')).rejects.toMatchObject({ name: 'EfiTransient' });
  });

  it('lets a validation error through unchanged (not retried)', async () => {
    rs.on(BatchExecuteStatementCommand).rejects(
      new ValidationException({ message: 'Cluster not found', $metadata: {} }),
    );
    await expect(warehouse().submitLoad(twoTargets, 'tok')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Cluster not found',
    });
  });
});

describe('submitSql', () => {
  it('sends the transform as one ExecuteStatement with the client token', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-1' });
    const out = await warehouse(WORKGROUP).submitSql('CALL core.merge_sales()', 'run-1-transform-0');
    expect(out).toEqual({ statementId: 'tr-1' });
    expect(rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).toEqual({
      WorkgroupName: 'efi-wg',
      Database: 'dev',
      SecretArn: SECRET_ARN,
      Sql: 'CALL core.merge_sales()',
      ClientToken: 'run-1-transform-0',
      StatementName: 'efi-transform',
      WithEvent: false,
    });
  });

  it('sends SQL of several statements as one BatchExecuteStatement (ExecuteStatement takes a single statement), one transaction', async () => {
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'tr-b' });
    const sql = `DELETE FROM core.sales WHERE note = 'a;b';
      INSERT INTO core.sales SELECT * FROM stage.sales; -- done;`;
    expect(await warehouse(WORKGROUP).submitSql(sql, 'run-1-transform-0')).toEqual({ statementId: 'tr-b' });
    expect(rs).not.toHaveReceivedCommand(ExecuteStatementCommand);
    expect(rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toEqual({
      WorkgroupName: 'efi-wg',
      Database: 'dev',
      SecretArn: SECRET_ARN,
      Sqls: ["DELETE FROM core.sales WHERE note = 'a;b'", 'INSERT INTO core.sales SELECT * FROM stage.sales'],
      ClientToken: 'run-1-transform-0',
      StatementName: 'efi-transform',
      WithEvent: false,
    });
  });

  it('refuses a transform of more statements than BatchExecuteStatement takes (40) before sending it', async () => {
    const sql = Array.from({ length: 41 }, (_, i) => `SELECT ${i}`).join(';\n');
    await expect(warehouse().submitSql(sql, 'tok')).rejects.toThrow(/41 statements.*at most 40/);
    expect(rs).not.toHaveReceivedAnyCommand();
  });

  it('passes the run values as Data API named parameters, the SQL text unchanged', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-2' });
    const sql = 'CALL core.merge_sales(:run_id, :source_file)';
    await warehouse(WORKGROUP).submitSql(sql, 'run-1-transform-0', [
      { name: 'run_id', value: "r-1'; DROP TABLE x; --" },
      { name: 'source_file', value: 's3://b/landing/x.csv' },
    ]);
    expect(rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).toMatchObject({
      Sql: sql,
      Parameters: [
        { name: 'run_id', value: "r-1'; DROP TABLE x; --" },
        { name: 'source_file', value: 's3://b/landing/x.csv' },
      ],
    });
  });

  it('refuses SQL over the Data API statement size (100 KB) before sending it', async () => {
    const sql = `SELECT '${'x'.repeat(MAX_STATEMENT_BYTES)}'`;
    await expect(warehouse().submitSql(sql, 'tok')).rejects.toThrow(/at most 100 KB/);
    expect(rs).not.toHaveReceivedAnyCommand();
    // Bytes, not characters: 51,200 two-byte characters are exactly 100 KB.
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-3' });
    const sql2 = `SELECT '${'é'.repeat(MAX_STATEMENT_BYTES / 2 - 10)}'`;
    await expect(warehouse().submitSql(sql2, 'tok')).resolves.toEqual({ statementId: 'tr-3' });
    await expect(warehouse().submitSql(`${sql2}${'é'.repeat(10)}`, 'tok')).rejects.toThrow(/at most 100 KB/);
  });

  it('sends the SQL as written and, as Parameters, only the run values it uses outside literals, comments and $$ bodies', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-3' });
    const sql = `/* :source_file */ INSERT INTO core.audit SELECT :run_id, :loaded_at::timestamp, ':source_file',
      $q$ :source_file $q$ -- :source_file
      FROM stage.s WHERE efi_run_id = :run_id`;
    const parameters = transformParameters(sql, {
      runId: 'r-1',
      sourceFile: 's3://b/landing/x.csv',
      startedAt: '2026-12-01T10:27:27.123Z',
    });
    await warehouse(WORKGROUP).submitSql(sql, 'run-1-transform-0', parameters);
    const input = rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input;
    expect(input.Sql).toBe(sql);
    expect(input.Parameters).toEqual([
      { name: 'run_id', value: 'r-1' },
      { name: 'loaded_at', value: '2026-12-01 10:27:27.123' },
    ]);
  });

  it('refuses empty SQL', async () => {
    await expect(warehouse().submitSql('  ', 'tok')).rejects.toThrow(ConfigInvalid);
    expect(rs).not.toHaveReceivedAnyCommand();
  });
});

describe('describe', () => {
  it.each(['SUBMITTED', 'PICKED', 'STARTED', 'FAILED', 'ABORTED'] as const)('passes %s through', async (status) => {
    rs.on(DescribeStatementCommand).resolves(
      described({
        Status: status,
        Error: status === 'FAILED' ? 'ERROR: relation "sales.header" does not exist' : undefined,
        SubStatements: subStatements([]),
      }),
    );
    const s = await warehouse().describe('load-1');
    expect(s).toEqual({
      statementId: 'load-1',
      status,
      error: status === 'FAILED' ? 'ERROR: relation "sales.header" does not exist' : null,
    });
    expect(rs).toHaveReceivedCommandWith(DescribeStatementCommand, { Id: 'load-1' });
  });

  it('reports rows loaded per target from the INSERT sub-statements once FINISHED', async () => {
    // COPY rows (stage) differ from INSERT rows on purpose: only the INSERT counts.
    const rows = [0, 120, 0, 119, 0, 5000, 7, 4998];
    rs.on(DescribeStatementCommand).resolves(
      described({
        Status: 'FINISHED',
        CreatedAt: new Date('2024-05-01T10:00:00.000Z'),
        UpdatedAt: new Date('2024-05-01T10:00:42.500Z'),
        SubStatements: subStatements(rows.map((ResultRows) => ({ ResultRows }))),
      }),
    );
    expect(await warehouse().describe('load-1')).toEqual({
      statementId: 'load-1',
      status: 'FINISHED',
      error: null,
      submittedAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:42.500Z',
      targets: [
        { target: { schema: 'sales', table: 'header' }, recordType: 'H', rowsLoaded: 119, rowsRejected: 0 },
        { target: { schema: 'sales', table: 'detail' }, recordType: 'D', rowsLoaded: 4998, rowsRejected: 0 },
      ],
    });
  });

  it('reports an INSERT count the Data API gives as -1 ("the value is null") or leaves out as unknown (null), not -1 or 0', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: -1 }, {}, {}, {}, {}]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [t.recordType, t.rowsLoaded])).toEqual([
      ['H', null],
      ['D', null],
    ]);
  });

  it('keeps target order even if sub-statements come back shuffled', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: 1 }, {}, {}, {}, { ResultRows: 2 }]).reverse();
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [t.recordType, t.rowsLoaded])).toEqual([
      ['H', 1],
      ['D', 2],
    ]);
  });

  it('still counts rows per target if the service returned the statements without their marker comments', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: 11 }, {}, {}, {}, { ResultRows: 22 }]).map((s) => ({
      ...s,
      QueryString: s.QueryString!.replace(/\/\*[\s\S]*?\*\/\s*/g, ''),
    }));
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [`${t.target.schema}.${t.target.table}`, t.rowsLoaded])).toEqual([
      ['sales.header', 11],
      ['sales.detail', 22],
    ]);
  });

  it('counts rows per target exactly from the count sub-statement of the same batch, even when ResultRows is -1', async () => {
    const subs = subStatements([
      {},
      {},
      {},
      { ResultRows: -1 },
      {},
      {},
      {},
      { ResultRows: -1 },
      { HasResultSet: true },
    ]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand, { Id: 'load-1:9' }).resolves(
      countResult([
        [1, 4998],
        [0, 119],
      ]),
    );
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [t.recordType, t.rowsLoaded])).toEqual([
      ['H', 119],
      ['D', 4998],
    ]);
    expect(rs).toHaveReceivedCommandWith(GetStatementResultCommand, { Id: 'load-1:9' });
  });

  it('takes the stage count over the INSERT ResultRows, and reads every page of it', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: 7 }, {}, {}, {}, { ResultRows: 7 }, { HasResultSet: true }]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand, { Id: 'load-1:9' })
      .resolves({ ...countResult([[0, 120]]), NextToken: 'p2' })
      .on(GetStatementResultCommand, { Id: 'load-1:9', NextToken: 'p2' })
      .resolves(countResult([[1, 5000]]));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => t.rowsLoaded)).toEqual([120, 5000]);
  });

  it('falls back to ResultRows, or unknown for -1, when the count result is gone (ResourceNotFound)', async () => {
    const subs = subStatements([
      {},
      {},
      {},
      { ResultRows: 119 },
      {},
      {},
      {},
      { ResultRows: -1 },
      { HasResultSet: true },
    ]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand).rejects(
      new ResourceNotFoundException({
        $metadata: {},
        message: 'Query does not exist.',
        Message: 'Query does not exist.',
        ResourceId: 'load-1:9',
      }),
    );
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [t.recordType, t.rowsLoaded])).toEqual([
      ['H', 119],
      ['D', null],
    ]);
  });

  it('does not fail a committed load over a count result it cannot read (a ValidationException): unknown, not LoadFailed', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: -1 }, {}, {}, {}, { ResultRows: 5 }, { HasResultSet: true }]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand).rejects(new ValidationException({ $metadata: {}, message: 'no result' }));
    const s = await warehouse().describe('load-1');
    expect(s).toMatchObject({ status: 'FINISHED' });
    expect(s.targets?.map((t) => t.rowsLoaded)).toEqual([null, 5]);
  });

  it('leaves a target the count result does not list to its ResultRows (unknown when -1)', async () => {
    const subs = subStatements([
      {},
      {},
      {},
      { ResultRows: -1 },
      {},
      {},
      {},
      { ResultRows: -1 },
      { HasResultSet: true },
    ]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand).resolves(countResult([[1, 5000]]));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => [t.recordType, t.rowsLoaded])).toEqual([
      ['H', null],
      ['D', 5000],
    ]);
  });

  it('reads no result for a load without the count statement (40 statements): ResultRows counts', async () => {
    const subs = subStatements([{}, {}, {}, { ResultRows: 3 }, {}, {}, {}, { ResultRows: -1 }]).slice(0, 8);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    const s = await warehouse().describe('load-1');
    expect(s.targets?.map((t) => t.rowsLoaded)).toEqual([3, null]);
    expect(rs).not.toHaveReceivedCommand(GetStatementResultCommand);
  });

  it('surfaces a throttled count read as EfiTransient (CheckLoad retries) rather than an unknown count', async () => {
    const subs = subStatements([
      {},
      {},
      {},
      { ResultRows: -1 },
      {},
      {},
      {},
      { ResultRows: -1 },
      { HasResultSet: true },
    ]);
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'FINISHED', SubStatements: subs }));
    rs.on(GetStatementResultCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    await expect(warehouse().describe('load-1')).rejects.toMatchObject({ name: 'EfiTransient' });
  });

  it('says a FAILED or ABORTED CALL, or a batch with a TRUNCATE, may have committed part of its work', async () => {
    rs.on(DescribeStatementCommand, { Id: 'tr-1' })
      .resolves(described({ Id: 'tr-1', Status: 'FAILED', QueryString: '/* x */ call core.merge_sales(:run_id)' }))
      .on(DescribeStatementCommand, { Id: 'tr-2' })
      .resolves(
        described({
          Id: 'tr-2',
          Status: 'ABORTED',
          SubStatements: [
            { Id: 'tr-2:1', Status: 'FINISHED', QueryString: 'TRUNCATE core.sales' },
            { Id: 'tr-2:2', Status: 'ABORTED', QueryString: 'INSERT INTO core.sales SELECT * FROM stage.sales' },
          ],
        }),
      )
      .on(DescribeStatementCommand, { Id: 'tr-3' })
      .resolves(
        described({
          Id: 'tr-3',
          Status: 'FAILED',
          QueryString: "DELETE FROM core.sales WHERE note = 'call; truncate'",
        }),
      );
    expect(await warehouse().describe('tr-1')).toMatchObject({ status: 'FAILED', partialCommit: true });
    expect(await warehouse().describe('tr-2')).toMatchObject({ status: 'ABORTED', partialCommit: true });
    expect(await warehouse().describe('tr-3')).not.toHaveProperty('partialCommit');
  });

  it('has no targets for a statement efi did not render (a transform)', async () => {
    rs.on(DescribeStatementCommand).resolves(
      described({ Id: 'tr-1', Status: 'FINISHED', QueryString: 'CALL core.merge_sales()', ResultRows: -1 }),
    );
    expect(await warehouse().describe('tr-1')).toEqual({ statementId: 'tr-1', status: 'FINISHED', error: null });
  });

  it('fails clearly on a status it does not know', async () => {
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'ALL' }));
    await expect(warehouse().describe('load-1')).rejects.toThrow(LoadFailed);
    await expect(warehouse().describe('load-1')).rejects.toThrow(/status "ALL" for statement load-1/);
  });
});

describe('loadErrors', () => {
  // Target 1 (detail): stage, copy(FAILED), ...; everything after the failure is aborted.
  const failedCopy = () =>
    subStatements([
      {},
      {},
      {},
      {},
      {},
      { Status: 'FAILED', RedshiftQueryId: 4242, Error: 'Load into table failed. Check load error views' },
      { Status: 'ABORTED' },
      { Status: 'ABORTED' },
    ]);

  function mockErrorQuery(
    id: string,
    pages: { ColumnMetadata?: { name: string }[]; Records: Field[][]; NextToken?: string }[],
  ) {
    rs.on(DescribeStatementCommand, { Id: id })
      .resolvesOnce(described({ Id: id, Status: 'SUBMITTED' }))
      .resolvesOnce(described({ Id: id, Status: 'STARTED' }))
      .resolves(described({ Id: id, Status: 'FINISHED', HasResultSet: true }));
    const getResult = rs.on(GetStatementResultCommand, { Id: id });
    for (const p of pages) getResult.resolvesOnce({ $metadata: {}, ...p });
  }

  const errorColumns = [
    { name: 'file_name' },
    { name: 'line_number' },
    { name: 'column_name' },
    { name: 'error_message' },
  ];

  it('reads the failed COPY errors from SYS_LOAD_ERROR_DETAIL across two result pages', async () => {
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves(
      described({ Status: 'FAILED', SubStatements: failedCopy() }),
    );
    rs.on(ExecuteStatementCommand).resolves({ Id: 'err-q' });
    mockErrorQuery('err-q', [
      {
        ColumnMetadata: errorColumns,
        Records: [
          [
            { stringValue: `s3://efi-data/processing/${RUN_ID}/all/part-00001.gz   ` },
            { longValue: 7 },
            { stringValue: 'sold_on   ' },
            { stringValue: 'Invalid date format - length must be 10 or more   ' },
          ],
          [
            { stringValue: `s3://efi-data/processing/${RUN_ID}/all/part-00001.gz` },
            { longValue: 9 },
            { isNull: true },
            { stringValue: ' Extra column(s) found ' },
          ],
        ],
        NextToken: 'page-2',
      },
      {
        Records: [
          [
            { stringValue: `s3://efi-data/processing/${RUN_ID}/all/part-00002.gz` },
            { longValue: 1 },
            { stringValue: 'amount' },
            { stringValue: "Invalid digit, Value 'x', Pos 0, Type: Decimal" },
          ],
        ],
      },
    ]);

    const errors = await warehouse(WORKGROUP).loadErrors('load-1');

    expect(rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).toEqual({
      WorkgroupName: 'efi-wg',
      Database: 'dev',
      SecretArn: SECRET_ARN,
      Sql: SYS_LOAD_ERRORS_SQL,
      Parameters: [{ name: 'query_id', value: '4242' }],
      WithEvent: false,
    });
    expect(SYS_LOAD_ERRORS_SQL).toContain('WHERE query_id = CAST(:query_id AS BIGINT)');
    expect(rs).toHaveReceivedCommandTimes(GetStatementResultCommand, 2);
    expect(rs).toHaveReceivedNthCommandWith(GetStatementResultCommand, 1, { Id: 'err-q', NextToken: undefined });
    expect(rs).toHaveReceivedNthCommandWith(GetStatementResultCommand, 2, { Id: 'err-q', NextToken: 'page-2' });
    expect(rs).toHaveReceivedCommandTimes(ExecuteStatementCommand, 1);
    const detail = { schema: 'sales', table: 'detail' };
    expect(errors).toEqual([
      {
        target: detail,
        partKey: `processing/${RUN_ID}/all/part-00001.gz`,
        lineInPart: 7,
        column: 'sold_on',
        reason: 'Invalid date format - length must be 10 or more',
        rawValue: null,
      },
      {
        target: detail,
        partKey: `processing/${RUN_ID}/all/part-00001.gz`,
        lineInPart: 9,
        column: null,
        reason: 'Extra column(s) found',
        rawValue: null,
      },
      {
        target: detail,
        partKey: `processing/${RUN_ID}/all/part-00002.gz`,
        lineInPart: 1,
        column: 'amount',
        reason: "Invalid digit, Value 'x', Pos 0, Type: Decimal",
        rawValue: null,
      },
    ]);
  });

  it('asks only SYS_LOAD_ERROR_DETAIL on a provisioned cluster: STL `query` is another identifier than RedshiftQueryId', async () => {
    // Data API: RedshiftQueryId is SYS_QUERY_HISTORY.query_id; the Developer Guide: SYS query_id and STL query
    // "are not the same identifier". Asking STL_LOAD_ERRORS WHERE query = 4242 could read another query's errors.
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves(
      described({ Status: 'FAILED', SubStatements: failedCopy() }),
    );
    rs.on(ExecuteStatementCommand).resolves({ Id: 'sys-q' });
    mockErrorQuery('sys-q', [{ ColumnMetadata: errorColumns, Records: [] }]);

    expect(await warehouse(CLUSTER).loadErrors('load-1')).toEqual([]);

    expect(rs.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input)).toEqual([
      {
        ClusterIdentifier: 'efi-cluster',
        Database: 'dev',
        DbUser: 'efi_loader',
        Sql: SYS_LOAD_ERRORS_SQL,
        Parameters: [{ name: 'query_id', value: '4242' }],
        WithEvent: false,
      },
    ]);
    expect(SYS_LOAD_ERRORS_SQL).not.toMatch(/stl_/i);
  });

  it('fails with the SYS query error on a cluster rather than guessing from STL', async () => {
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves(
      described({ Status: 'FAILED', SubStatements: failedCopy() }),
    );
    rs.on(ExecuteStatementCommand).resolves({ Id: 'sys-q' });
    rs.on(DescribeStatementCommand, { Id: 'sys-q' }).resolves(
      described({ Id: 'sys-q', Status: 'FAILED', Error: 'permission denied for relation sys_load_error_detail' }),
    );
    await expect(warehouse(CLUSTER).loadErrors('load-1')).rejects.toThrow(/permission denied/);
    expect(rs).toHaveReceivedCommandTimes(ExecuteStatementCommand, 1);
  });

  it('asks SYS_LOAD_ERROR_DETAIL once on Serverless too', async () => {
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves(
      described({ Status: 'FAILED', SubStatements: failedCopy() }),
    );
    rs.on(ExecuteStatementCommand).resolves({ Id: 'sys-q' });
    mockErrorQuery('sys-q', [{ ColumnMetadata: errorColumns, Records: [] }]);
    expect(await warehouse(WORKGROUP).loadErrors('load-1')).toEqual([]);
    expect(rs).toHaveReceivedCommandTimes(ExecuteStatementCommand, 1);
  });

  it('reads the rows each COPY of a FINISHED load rejected within MAXERROR, per target', async () => {
    // Two targets: their COPYs are sub-statements 2 and 6 (stage, copy, delete, insert each).
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves(
      described({
        Status: 'FINISHED',
        SubStatements: subStatements([{}, { RedshiftQueryId: 11 }, {}, {}, {}, { RedshiftQueryId: 22 }, {}, {}]),
      }),
    );
    rs.on(ExecuteStatementCommand, { Parameters: [{ name: 'query_id', value: '11' }] }).resolves({ Id: 'q11' });
    rs.on(ExecuteStatementCommand, { Parameters: [{ name: 'query_id', value: '22' }] }).resolves({ Id: 'q22' });
    mockErrorQuery('q11', [{ ColumnMetadata: errorColumns, Records: [] }]);
    mockErrorQuery('q22', [
      {
        ColumnMetadata: errorColumns,
        Records: [
          [
            { stringValue: `s3://efi-data/processing/${RUN_ID}/all/part-00000.gz` },
            { longValue: 3 },
            { stringValue: 'amount' },
            { stringValue: 'Invalid digit' },
          ],
        ],
      },
    ]);
    const errors = await warehouse(WORKGROUP).loadErrors('load-1');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ lineInPart: 3, column: 'amount', reason: 'Invalid digit' });
    expect(errors[0]!.target).toEqual(twoTargets.targets[1]!.target);
    expect(rs).toHaveReceivedCommandTimes(ExecuteStatementCommand, 2);
  });

  it('returns no row errors when the failure was not the COPY (missing table)', async () => {
    rs.on(DescribeStatementCommand).resolves(
      described({
        Status: 'FAILED',
        SubStatements: subStatements([
          { Status: 'FAILED', RedshiftQueryId: 1, Error: 'relation does not exist' },
          ...Array(7).fill({ Status: 'ABORTED' }),
        ]),
      }),
    );
    expect(await warehouse().loadErrors('load-1')).toEqual([]);
    expect(rs).not.toHaveReceivedCommand(ExecuteStatementCommand);
  });
});

describe('query', () => {
  it('reads every page and maps each Field kind by column name', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-1' });
    rs.on(DescribeStatementCommand, { Id: 'q-1' })
      .resolvesOnce(described({ Id: 'q-1', Status: 'PICKED' }))
      .resolves(described({ Id: 'q-1', Status: 'FINISHED', HasResultSet: true }));
    rs.on(GetStatementResultCommand, { Id: 'q-1' })
      .resolvesOnce({
        $metadata: {},
        ColumnMetadata: [{ name: 'name' }, { name: 'n' }, { name: 'ratio' }, { name: 'ok' }, { name: 'note' }],
        Records: [
          [{ stringValue: 'a' }, { longValue: 1 }, { doubleValue: 0.5 }, { booleanValue: true }, { isNull: true }],
        ],
        NextToken: 't2',
      })
      .resolvesOnce({
        $metadata: {},
        ColumnMetadata: [{ name: 'name' }, { name: 'n' }, { name: 'ratio' }, { name: 'ok' }, { name: 'note' }],
        Records: [
          [
            { stringValue: 'b' },
            { longValue: 2 },
            { doubleValue: 1.25 },
            { booleanValue: false },
            { stringValue: 'x' },
          ],
        ],
        NextToken: 't3',
      })
      .resolvesOnce({
        $metadata: {},
        Records: [
          [{ stringValue: 'c' }, { longValue: 3 }, { doubleValue: 2 }, { booleanValue: true }, { stringValue: '' }],
        ],
      });

    const r = await warehouse().query('SELECT * FROM sales.daily');

    expect(r).toEqual({
      columns: ['name', 'n', 'ratio', 'ok', 'note'],
      rows: [
        { name: 'a', n: 1, ratio: 0.5, ok: true, note: null },
        { name: 'b', n: 2, ratio: 1.25, ok: false, note: 'x' },
        { name: 'c', n: 3, ratio: 2, ok: true, note: '' },
      ],
    });
    expect(rs).toHaveReceivedCommandWith(ExecuteStatementCommand, {
      ClusterIdentifier: 'efi-cluster',
      Sql: 'SELECT * FROM sales.daily',
    });
    expect(rs.commandCalls(GetStatementResultCommand).map((c) => c.args[0].input.NextToken)).toEqual([
      undefined,
      't2',
      't3',
    ]);
  });

  it('returns no rows for a statement without a result set', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-2' });
    rs.on(DescribeStatementCommand).resolves(described({ Id: 'q-2', Status: 'FINISHED', HasResultSet: false }));
    expect(await warehouse().query('ANALYZE sales.daily')).toEqual({ columns: [], rows: [] });
    expect(rs).not.toHaveReceivedCommand(GetStatementResultCommand);
  });

  it('reports a failed query with the warehouse message', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-3' });
    rs.on(DescribeStatementCommand).resolves(
      described({ Id: 'q-3', Status: 'FAILED', Error: 'ERROR: relation "nope" does not exist' }),
    );
    await expect(warehouse().query('SELECT * FROM nope')).rejects.toThrow(
      'Redshift query q-3 FAILED: ERROR: relation "nope" does not exist',
    );
  });

  it('cancels a query that does not finish within the poll budget and reports it as transient', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-4' });
    rs.on(DescribeStatementCommand).resolves(described({ Id: 'q-4', Status: 'STARTED' }));
    rs.on(CancelStatementCommand).resolves({ Status: true });
    await expect(warehouse(CLUSTER, 3).query('SELECT 1')).rejects.toMatchObject({ name: 'EfiTransient' });
    expect(rs).toHaveReceivedCommandTimes(DescribeStatementCommand, 3);
    expect(rs).toHaveReceivedCommandWith(CancelStatementCommand, { Id: 'q-4' });
  });

  it('retries nothing itself: a throttled status check surfaces as EfiTransient', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-5' });
    rs.on(DescribeStatementCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
    );
    await expect(warehouse().query('SELECT 1')).rejects.toMatchObject({ name: 'EfiTransient' });
    expect(rs).toHaveReceivedCommandTimes(DescribeStatementCommand, 1);
  });
});

describe('cancel and close', () => {
  it('cancels with CancelStatement and resolves once DescribeStatement no longer reads it as running', async () => {
    rs.on(CancelStatementCommand).resolves({ Status: true });
    rs.on(DescribeStatementCommand)
      .resolvesOnce(described({ Status: 'STARTED' }))
      .resolvesOnce(described({ Status: 'STARTED' }))
      .resolves(described({ Status: 'ABORTED' }));
    await warehouse().cancel('load-1');
    expect(rs).toHaveReceivedCommandExactlyOnceWith(CancelStatementCommand, { Id: 'load-1' });
    expect(rs).toHaveReceivedCommandTimes(DescribeStatementCommand, 3);
  });

  it('stops waiting for a cancelled statement after its poll bound, leaving it to the caller to read as running', async () => {
    rs.on(CancelStatementCommand).resolves({ Status: true });
    rs.on(DescribeStatementCommand).resolves(described({ Status: 'STARTED' }));
    await new RedshiftDataWarehouse(client, CLUSTER, COPY, { pollDelayMs: 0, cancelPolls: 4 }).cancel('load-1');
    expect(rs).toHaveReceivedCommandTimes(DescribeStatementCommand, 4);
  });

  it('close sends nothing', async () => {
    await warehouse().close();
    expect(rs).not.toHaveReceivedAnyCommand();
  });
});
