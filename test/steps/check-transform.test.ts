import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { RedshiftDataWarehouse } from '../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import { TransformFailed } from '../../functions/lib/errors.ts';
import { checkTransform } from '../../functions/lib/steps/check-transform.ts';
import { clientToken } from '../../functions/lib/steps/load-spec.ts';
import { submitTransform } from '../../functions/lib/steps/submit-transform.ts';
import { caught, fileConfig } from '../support/config-builder.ts';
import { stepWorld } from '../support/step-fixtures.ts';

const WITH_TRANSFORM = fileConfig({
  id: 'sales.daily',
  interface: 'sales',
  transform: { sql: 'CALL core.promote(:run_id)' },
});

async function submitted(redriveCount = 0) {
  const world = await stepWorld(WITH_TRANSFORM);
  const transform = await submitTransform({ run: world.run, redriveCount }, world);
  return { ...world, transform };
}

describe('checkTransform over in-memory ports', () => {
  it('passes "none" (a config without transform) straight through', async () => {
    const world = await stepWorld();
    const none = { statementId: 'none', status: 'FINISHED' as const, attempt: 0 };
    expect(await checkTransform({ run: world.run, transform: none, redriveCount: 0 }, world)).toBe(none);
  });

  it('keeps waiting while the transform runs, and is done on FINISHED', async () => {
    const w = await submitted();
    w.warehouse.progress(w.transform.statementId, 'PICKED');
    expect(await checkTransform({ run: w.run, transform: w.transform, redriveCount: 0 }, w)).toMatchObject({
      status: 'PICKED',
    });
    w.warehouse.finish(w.transform.statementId);
    expect(await checkTransform({ run: w.run, transform: w.transform, redriveCount: 0 }, w)).toMatchObject({
      status: 'FINISHED',
    });
  });

  it('fails with TransformFailed on FAILED or ABORTED, saying the rows are loaded', async () => {
    const failed = await submitted();
    failed.warehouse.fail(failed.transform.statementId, 'procedure core.promote does not exist');
    const err = await caught(() =>
      checkTransform({ run: failed.run, transform: failed.transform, redriveCount: 0 }, failed),
    );
    expect(err).toBeInstanceOf(TransformFailed);
    expect(err.message).toContain(
      'failed: procedure core.promote does not exist. It rolled back whole. The rows are loaded',
    );

    const aborted = await submitted();
    aborted.warehouse.abort(aborted.transform.statementId);
    const err2 = await caught(() =>
      checkTransform({ run: aborted.run, transform: aborted.transform, redriveCount: 0 }, aborted),
    );
    expect(err2).toBeInstanceOf(TransformFailed);
    expect(err2.message).toBe(
      'post-load transform (statement stmt-1) was aborted: no reason given. It rolled back whole. The rows are loaded; fix the SQL or its objects, then redrive: efi redrive run-1',
    );
  });

  it('after a redrive, resubmits only the transform with a new client token', async () => {
    const w = await submitted(0);
    w.warehouse.fail(w.transform.statementId, 'boom');
    const again = await checkTransform({ run: w.run, transform: w.transform, redriveCount: 1 }, w);
    expect(again).toMatchObject({ status: 'SUBMITTED', attempt: 1 });
    expect(w.warehouse.statements.map((s) => [s.kind, s.clientToken])).toEqual([
      ['sql', clientToken('run-1', 'transform', 0)],
      ['sql', clientToken('run-1', 'transform', 1)],
    ]);
  });
});

describe('submitTransform over in-memory ports', () => {
  it('submits the config version’s SQL with only the named parameters it uses, and records the statement', async () => {
    const w = await submitted(0);
    expect(w.transform).toEqual({
      statementId: 'stmt-1',
      status: 'SUBMITTED',
      attempt: 0,
      polls: 0,
      pollsUnder: 0,
      nextWaitSeconds: 5,
    });
    expect(w.warehouse.statements[0]).toMatchObject({
      sql: 'CALL core.promote(:run_id)',
      parameters: [{ name: 'run_id', value: 'run-1' }],
    });
    expect((await w.runs.get('run-1'))!.statementIds).toEqual(['stmt-1']);
  });

  it('answers statement "none" and submits nothing when the config has no transform', async () => {
    const w = await stepWorld();
    expect(await submitTransform({ run: w.run, redriveCount: 2 }, w)).toEqual({
      statementId: 'none',
      status: 'FINISHED',
      attempt: 2,
      polls: 0,
      pollsUnder: 2,
      nextWaitSeconds: 5,
    });
    expect(w.warehouse.statements).toEqual([]);
  });

  it('reads the config version the run was matched to, not the latest', async () => {
    const w = await stepWorld(WITH_TRANSFORM);
    w.configs.apply(fileConfig({ id: 'sales.daily', interface: 'sales', transform: { sql: 'SELECT 2' } }));
    await submitTransform({ run: w.run, redriveCount: 0 }, w);
    expect(w.warehouse.statements[0]!.sql).toBe('CALL core.promote(:run_id)');
  });
});

describe('checkTransform on Redshift (the real SDK client, answered by aws-sdk-client-mock)', () => {
  const client = new RedshiftDataClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  });
  const rs = mockClient(client);
  const redshift = new RedshiftDataWarehouse(
    client,
    { clusterIdentifier: 'c', workgroupName: null, database: 'dev', dbUser: 'u', secretArn: null },
    { iamRoleArn: 'arn:aws:iam::123456789012:role/copy', region: null },
    { pollDelayMs: 0 },
  );
  afterAll(() => rs.restore());

  it('a FAILED CALL says it may have committed part of its work, not that it rolled back', async () => {
    const world = await stepWorld(WITH_TRANSFORM);
    const ports = { ...world, warehouse: redshift };
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-1' });
    const transform = await submitTransform({ run: world.run, redriveCount: 0 }, ports);
    rs.on(DescribeStatementCommand).resolves({
      Id: 'tr-1',
      Status: 'FAILED',
      Error: 'ERROR: division by zero',
      QueryString: 'CALL core.promote(:run_id)',
    });
    const err = await caught(() => checkTransform({ run: world.run, transform, redriveCount: 0 }, ports));
    expect(err).toBeInstanceOf(TransformFailed);
    expect(err.message).toContain('It may have committed part of its work first');
    expect(err.message).not.toContain('rolled back');
  });
});
