import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isCountStatement } from '../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { RedshiftDataWarehouse } from '../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import { checkLoad } from '../../functions/lib/steps/check-load.ts';
import { submitLoad } from '../../functions/lib/steps/submit-load.ts';
import { prepared, SALES_CONFIG, stepWorld } from '../support/step-fixtures.ts';

const client = new RedshiftDataClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const rs = mockClient(client);

beforeEach(() => {
  rs.reset();
});

afterAll(() => {
  rs.restore();
});

/** CheckLoad over the Redshift adapter (the real SDK client, its calls answered by aws-sdk-client-mock). */
async function finishedLoad(maxErrors: number, insertResultRows: number, staged: number | null) {
  const world = await stepWorld({ ...SALES_CONFIG, load: { ...SALES_CONFIG.load, maxErrors } });
  const warehouse = new RedshiftDataWarehouse(
    client,
    { clusterIdentifier: 'efi-cluster', workgroupName: null, database: 'dev', dbUser: 'efi_loader', secretArn: null },
    { iamRoleArn: 'arn:aws:iam::123456789012:role/efi-copy', region: null },
    { pollDelayMs: 0 },
  );
  const ports = { ...world, warehouse };
  rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-1' });
  const load = await submitLoad({ run: world.run, prepared: prepared(), redriveCount: 0 }, ports);
  const sqls = rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.Sqls!;
  rs.on(DescribeStatementCommand).resolves({
    Id: 'load-1',
    Status: 'FINISHED',
    SubStatements: sqls.map((sql, i) => ({
      Id: `load-1:${i + 1}`,
      QueryString: sql,
      Status: 'FINISHED',
      ...(sql.includes('step=insert') ? { ResultRows: insertResultRows } : {}),
      ...(isCountStatement(sql) ? { HasResultSet: staged !== null } : {}),
    })),
  });
  rs.on(GetStatementResultCommand, { Id: `load-1:${sqls.length}` }).resolves({
    ColumnMetadata: [{ name: 'efi_target' }, { name: 'efi_rows' }],
    Records: [[{ longValue: 0 }, { longValue: staged ?? 0 }]],
  });
  const done = await checkLoad({ run: world.run, prepared: prepared(), load, redriveCount: 0 }, ports);
  return { done, audited: await world.runs.get(world.run.runId) };
}

describe('checkLoad on Redshift: rows loaded and rejected', () => {
  it('with maxErrors > 0 and ResultRows -1, records the exact stage count and derives the rejected rows from it', async () => {
    const { done, audited } = await finishedLoad(5, -1, 1);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: 1, rowsRejected: 1 });
    expect(audited).toMatchObject({ rowsLoaded: 1, rowsRejected: 1 });
  });

  it('with maxErrors > 0, ResultRows -1 and no count result, records both counts as unknown (null), not 0', async () => {
    const { done, audited } = await finishedLoad(5, -1, null);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: null, rowsRejected: null });
    expect(audited).toMatchObject({ rowsLoaded: null, rowsRejected: null });
  });

  it('with maxErrors 0, every record of the target is loaded, the count agreeing', async () => {
    const { done } = await finishedLoad(0, -1, 2);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: 2, rowsRejected: 0 });
  });
});
