import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RedshiftDataWarehouse } from '../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import type { MatchedRun, PreparedLoad, StatementRef } from '../../functions/lib/contract/payloads.ts';
import { errorKindOf, isTransientStatementError } from '../../functions/lib/errors.ts';
import type { ConfigSource } from '../../functions/lib/ports/config-source.ts';
import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';
import type { RunLog, RunPatch, RunRecord } from '../../functions/lib/ports/run-log.ts';
import { checkLoad } from '../../functions/lib/steps/check-load.ts';
import { checkTransform } from '../../functions/lib/steps/check-transform.ts';
import { clientToken } from '../../functions/lib/steps/load-spec.ts';
import { submitLoad } from '../../functions/lib/steps/submit-load.ts';
import { fileConfig } from '../support/config-builder.ts';

/**
 * Redshift error 1023 (serializable isolation violation) is transient whether
 * ExecuteStatement throws it or DescribeStatement reports the statement FAILED
 * with it: one rule (errors.ts isTransientFailure) decides both.
 */

const TEXT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 123456, transactions forming the cycle are: 2001, 2002 (pid:4242)';

const client = new RedshiftDataClient({ region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
const rs = mockClient(client);
const warehouse = new RedshiftDataWarehouse(
  client,
  { clusterIdentifier: 'c', workgroupName: null, database: 'dev', dbUser: 'u', secretArn: null },
  { iamRoleArn: 'arn:aws:iam::123456789012:role/copy', region: null },
  { pollDelayMs: 0 },
);

/** The run row in memory: what the submit and check steps read and write of the RunLog port. */
class MemoryRunLog implements Pick<RunLog, 'get' | 'update' | 'addStatementId' | 'contentClaim'> {
  run = {
    runId: 'run-1',
    loadStatementId: 'load-1',
    transformStatementId: 'tr-1',
    statementIds: [],
  } as unknown as RunRecord;
  async get(): Promise<RunRecord> {
    return this.run;
  }
  async update(_: string, p: RunPatch): Promise<void> {
    this.run = { ...this.run, ...(p as Partial<RunRecord>) };
  }
  async addStatementId(_: string, id: string): Promise<void> {
    this.run.statementIds = [...this.run.statementIds, id];
  }
  async contentClaim() {
    return { owner: 'run-1', replaces: [] };
  }
}

const config = fileConfig({ transform: { sql: 'CALL core.merge_sales()' } as never });
const run = {
  runId: 'run-1',
  bucket: 'landing',
  key: 'in/sales.csv',
  etag: 'e',
  size: 10,
  configId: config.id,
  configVersion: 1,
  startedAt: '2026-12-01T10:00:00.000Z',
} as MatchedRun;
// Inline parts (the legacy shape) so no part list is read: the store renders URIs and heads the original
// (the part is the original read in place: SubmitLoad checks it is still the version the run matched).
const prepared = {
  targets: [
    {
      recordType: null,
      records: 3,
      parts: [{ bucket: 'landing', key: 'in/sales.csv', compression: 'none', bytes: 10, records: 3, firstRecord: 1 }],
      manifest: { bucket: 'landing', key: 'processing/run-1/all/manifest.json' },
    },
  ],
  processingPrefix: 'processing/run-1/',
  skippedRecords: 0,
} as unknown as PreparedLoad;
const load: StatementRef = { statementId: 'load-1', status: 'SUBMITTED', attempt: 0 };

function ports() {
  const runs = new MemoryRunLog();
  return {
    runs,
    ports: {
      store: {
        uri: (b: string, k: string) => `s3://${b}/${k}`,
        head: async (bucket: string, key: string) => ({ bucket, key, size: 10, etag: 'e', lastModified: new Date() }),
      } as unknown as ObjectStore,
      warehouse,
      runs: runs as unknown as RunLog,
      configs: { get: async () => config } as unknown as ConfigSource,
    },
  };
}

describe('a statement that fails with Redshift error 1023', () => {
  beforeEach(() => rs.reset());

  it('thrown by the submit (BatchExecuteStatement) is EfiTransient, for the ASL Retry', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FAILED', Error: TEXT });
    rs.on(BatchExecuteStatementCommand).rejects(new ValidationException({ message: TEXT, $metadata: {} }));
    const { ports: p } = ports();
    await expect(submitLoad({ run, prepared, redriveCount: 0 }, p)).rejects.toMatchObject({ name: 'EfiTransient' });
  });

  it('reported by DescribeStatement (status FAILED) is resubmitted under a new client token, not LoadFailed', async () => {
    rs.on(DescribeStatementCommand, { Id: 'load-1' }).resolves({ Id: 'load-1', Status: 'FAILED', Error: TEXT });
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-2' });
    rs.on(ExecuteStatementCommand).rejects(new Error('no load-error lookup expected: the COPY did not fail'));
    const { runs, ports: p } = ports();
    const next = await checkLoad({ run, prepared, load, redriveCount: 0 }, p);
    expect(next).toMatchObject({ statementId: 'load-2', status: 'SUBMITTED', attempt: 0, retries: 1, retriesUnder: 0 });
    expect(next.nextWaitSeconds).toBe(5);
    const sent = rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input;
    expect(sent.ClientToken).not.toBe(clientToken('run-1', 'load', 0));
    expect(sent.ClientToken).toBe(clientToken('run-1', 'load', 0, 1));
    expect(runs.run.loadStatementId).toBe('load-2');
  });

  it('fails EfiTransient (transient, redrivable) once the resubmits of this attempt are spent, as a submit whose retries ran out', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-6', Status: 'FAILED', Error: TEXT });
    const { ports: p } = ports();
    const last: StatementRef = { statementId: 'load-6', status: 'SUBMITTED', attempt: 0, retries: 5, retriesUnder: 0 };
    const err = await checkLoad({ run, prepared, load: last, redriveCount: 0 }, p).catch((e: Error) => e);
    expect(err).toMatchObject({
      name: 'EfiTransient',
      message: expect.stringMatching(/load statement load-6 failed 6 times/),
    });
    expect(errorKindOf((err as Error).name)).toBe('transient');
    expect(rs).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 0);
  });

  it('a redrive resubmits it with a fresh count', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-6', Status: 'FAILED', Error: TEXT });
    rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-7' });
    const { ports: p } = ports();
    const last: StatementRef = { statementId: 'load-6', status: 'SUBMITTED', attempt: 0, retries: 5, retriesUnder: 0 };
    const next = await checkLoad({ run, prepared, load: last, redriveCount: 1 }, p);
    expect(next).toMatchObject({ statementId: 'load-7', attempt: 1 });
    expect(next.retries).toBeUndefined();
  });

  it('any other failure still ends LoadFailed', async () => {
    rs.on(DescribeStatementCommand).resolves({
      Id: 'load-1',
      Status: 'FAILED',
      Error: 'ERROR: relation "stage.t_all" does not exist',
    });
    const { ports: p } = ports();
    await expect(checkLoad({ run, prepared, load, redriveCount: 0 }, p)).rejects.toMatchObject({ name: 'LoadFailed' });
    expect(rs).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 0);
  });

  it('in the post-load transform is resubmitted the same way, not TransformFailed', async () => {
    rs.on(DescribeStatementCommand, { Id: 'tr-1' }).resolves({ Id: 'tr-1', Status: 'FAILED', Error: TEXT });
    rs.on(ExecuteStatementCommand).resolves({ Id: 'tr-2' });
    const { runs, ports: p } = ports();
    const transform: StatementRef = { statementId: 'tr-1', status: 'SUBMITTED', attempt: 0 };
    const next = await checkTransform({ run, transform, redriveCount: 0 }, p);
    expect(next).toMatchObject({ statementId: 'tr-2', retries: 1 });
    expect(rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input.ClientToken).toBe(
      clientToken('run-1', 'transform', 0, 1),
    );
    expect(runs.run.transformStatementId).toBe('tr-2');
  });

  it('in a query the adapter waits for itself (e.g. the table columns) is EfiTransient too', async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: 'q-1' });
    rs.on(DescribeStatementCommand, { Id: 'q-1' }).resolves({ Id: 'q-1', Status: 'FAILED', Error: TEXT });
    await expect(warehouse.tableColumns({ schema: 'stage', table: 't_all' })).rejects.toMatchObject({
      name: 'EfiTransient',
    });
  });
});

describe('the statement error rule', () => {
  it('reads a local statement’s SQLSTATE from its text: a serialization failure is transient, a missing table is not', () => {
    expect(isTransientStatementError('could not serialize access due to concurrent update (SQLSTATE 40001)')).toBe(
      true,
    );
    expect(isTransientStatementError('relation "stage.t" does not exist (SQLSTATE 42P01)')).toBe(false);
    expect(isTransientStatementError(TEXT)).toBe(true);
    expect(isTransientStatementError(null)).toBe(false);
  });
});
