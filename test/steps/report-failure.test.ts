import 'aws-sdk-client-mock-vitest/extend';
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RedshiftDataWarehouse } from '../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import type { StatusChangeEvent } from '../../functions/lib/contract/status-change-event.ts';
import type { RunRecord } from '../../functions/lib/ports/run-log.ts';
import { notifyRun } from '../../functions/lib/steps/notify.ts';
import { reportFailure } from '../../functions/lib/steps/report-failure.ts';
import { MemoryRunLog, RecordingNotifier, ScriptedWarehouse } from '../support/fakes/index.ts';

const RUN: RunRecord = {
  runId: 'run-1',
  executionId: 'arn:aws:states:eu-west-1:1:execution:efi:run-1',
  configId: 'sales.pos_daily',
  interface: 'sales',
  bucket: 'b',
  key: 'landing/sales_pos_20261121.csv',
  etag: 'e',
  fileBytes: 10,
  status: 'RUNNING',
  recordsInFile: 1200,
  recordsSkipped: null,
  rowsLoaded: null,
  rowsRejected: null,
  targets: null,
  statementIds: ['load-1'],
  archivedTo: null,
  skipReason: null,
  error: null,
  redriveCount: 0,
  notified: null,
  loadStatementId: 'load-1',
  transformStatementId: null,
  loadCommitted: null,
  transformCommitted: null,
  notifyError: null,
  contentSha256: null,
  startedAt: '2026-11-21T10:00:00.000Z',
  finishedAt: null,
};

function event(
  status: StatusChangeEvent['detail']['status'],
  error: string | null = null,
  cause: string | null = null,
) {
  return {
    version: '0',
    id: 'x',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '1',
    time: '2026-11-21T10:05:00Z',
    region: 'eu-west-1',
    resources: [RUN.executionId],
    detail: {
      executionArn: RUN.executionId,
      stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:efi',
      name: 'run-1',
      status,
      startDate: 1,
      stopDate: 2,
      input: '{}',
      output: null,
      error,
      cause,
      redriveCount: 0,
      redriveDate: null,
    },
  } as StatusChangeEvent;
}

const client = new RedshiftDataClient({ region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
const rs = mockClient(client);
const warehouse = new RedshiftDataWarehouse(
  client,
  { clusterIdentifier: 'c', workgroupName: null, database: 'dev', dbUser: 'u', secretArn: null },
  { iamRoleArn: 'arn:aws:iam::1:role/copy', region: null },
  { pollDelayMs: 0 },
);

/** The run row as the failing execution left it, in the RunLog fake; the Redshift warehouse on a mocked Data API client. */
function setup(run: Partial<RunRecord> = {}) {
  const runs = new MemoryRunLog();
  runs.rows.set(RUN.runId, structuredClone({ ...RUN, ...run }));
  const notifier = new RecordingNotifier();
  const ports = { runs, notifier, warehouse };
  const row = async () => (await runs.get(RUN.runId))!;
  return { runs, sent: notifier.sent, ports, row };
}

describe('ReportFailure on a stopped execution (truth model rows 7 and 8, in AWS)', () => {
  beforeEach(() => rs.reset());

  it('ABORTED while the load runs: cancels the statement (CancelStatement), records loadCommitted false, notifies ABORTED', async () => {
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'ABORTED' });
    rs.on(CancelStatementCommand).resolves({ Status: true });
    const { row, sent, ports } = setup();
    await reportFailure(event('ABORTED'), ports);
    expect(rs).toHaveReceivedCommandWith(CancelStatementCommand, { Id: 'load-1' });
    expect(await row()).toMatchObject({ status: 'ABORTED', loadCommitted: false });
    expect(sent.map((n) => n.status)).toEqual(['ABORTED']);
    expect(sent[0]!.body).toMatch(/Committed: +nothing: the load did not commit/);
    expect(sent[0]!.detail).toMatchObject({ loadCommitted: false });
  });

  it('TIMED_OUT when the load commits before the cancel lands: records loadCommitted true and says the rows are loaded', async () => {
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'FINISHED' });
    rs.on(CancelStatementCommand).rejects(
      new ValidationException({ message: 'Could not cancel a query that is already in FINISHED state', $metadata: {} }),
    );
    const { row, sent, ports } = setup({ rowsLoaded: 1200 });
    await reportFailure(event('TIMED_OUT'), ports);
    expect(await row()).toMatchObject({ status: 'FAILED', loadCommitted: true });
    expect(sent[0]!.body).toMatch(/the load committed \(1,?200 rows are loaded\)/);
    expect(sent[0]!.idempotencyKey).toBe('run-1:FAILED:0');
  });

  it('ABORTED: a cancel that Redshift takes a moment to apply still records loadCommitted false, not unknown', async () => {
    // CancelStatement only asks; DescribeStatement reads STARTED for a while before ABORTED.
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'ABORTED' });
    rs.on(CancelStatementCommand).resolves({ Status: true });
    const { row, sent, ports } = setup();
    await reportFailure(event('ABORTED'), ports);
    expect(await row()).toMatchObject({ status: 'ABORTED', loadCommitted: false });
    expect(sent[0]!.body).toMatch(/Committed: +nothing: the load did not commit/);
  });

  it("a Task's States.Timeout cancels the running statement too", async () => {
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'ABORTED' });
    rs.on(CancelStatementCommand).resolves({ Status: true });
    const { row, ports } = setup();
    await reportFailure(event('FAILED', 'States.Timeout', 'Task timed out'), ports);
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 1);
    expect((await row()).loadCommitted).toBe(false);
  });

  it('FAILED StatementStillRunning (poll ceiling): no cancel, and no claim about a load that may still commit', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'STARTED' });
    const { row, sent, ports } = setup();
    await reportFailure(
      event('FAILED', 'StatementStillRunning', 'load statement load-1 is still running after 150 polls (~12.1 h)'),
      ports,
    );
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 0);
    expect(await row()).toMatchObject({ status: 'FAILED', loadCommitted: null });
    expect(sent[0]!.body).not.toMatch(/Committed:/);
    expect(sent[0]!.body).toMatch(/still running after 150 polls/);
  });

  it('FAILED after the load committed (row 5): no cancel, loadCommitted true', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FINISHED' });
    const { row, ports } = setup({ transformStatementId: 'tr-1' });
    rs.on(DescribeStatementCommand, { Id: 'tr-1' }).resolves({ Id: 'tr-1', Status: 'FAILED', Error: 'boom' });
    await reportFailure(event('FAILED', 'TransformFailed', 'boom'), ports);
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 0);
    expect(await row()).toMatchObject({ status: 'FAILED', loadCommitted: true, transformCommitted: false });
  });

  it('FAILED transform that was a CALL: the load committed, whether the transform did is left unknown (a procedure can COMMIT)', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FINISHED' });
    rs.on(DescribeStatementCommand, { Id: 'tr-1' }).resolves({
      Id: 'tr-1',
      Status: 'FAILED',
      Error: 'boom',
      QueryString: 'CALL core.merge_sales()',
    });
    const { row, sent, ports } = setup({ transformStatementId: 'tr-1', rowsLoaded: 1200 });
    await reportFailure(event('FAILED', 'TransformFailed', 'boom'), ports);
    expect(await row()).toMatchObject({ status: 'FAILED', loadCommitted: true, transformCommitted: null });
    expect(sent[0]!.body).toMatch(/whether the transform committed part of its work is not known/);
  });

  it('reads a FINISHED load as committed without reading its row counts, so a failing count read cannot hide it', async () => {
    rs.on(DescribeStatementCommand).resolves({
      Id: 'load-1',
      Status: 'FINISHED',
      SubStatements: [
        { Id: 'load-1:5', Status: 'FINISHED', HasResultSet: true, QueryString: '/* efi step=count */\nSELECT 0' },
      ],
    });
    rs.on(GetStatementResultCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const { row, sent, ports } = setup({ rowsLoaded: 1200 });
    await reportFailure(event('FAILED', 'ArchiveFailed', 'S3 said no'), ports);
    expect(rs).toHaveReceivedCommandTimes(GetStatementResultCommand, 0);
    expect(await row()).toMatchObject({ status: 'FAILED', loadCommitted: true });
    expect(sent[0]!.body).toMatch(/the load committed \(1,?200 rows are loaded\)/);
  });
});

describe('a Notify failure never changes a FINISHED outcome (truth model row 6)', () => {
  beforeEach(() => rs.reset());

  it('keeps FINISHED, records the notify error, sends nothing; the redrive sends FINISHED once', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FINISHED' });
    const { runs, row, sent, ports } = setup({ status: 'FINISHED', loadCommitted: true });
    await runs.recordError('run-1', { name: 'AuthorizationError', message: 'not allowed to publish' }, 'Notify');
    await reportFailure(event('FAILED', 'AuthorizationError', 'not allowed to publish'), ports);
    expect(await row()).toMatchObject({
      status: 'FINISHED',
      error: null,
      notifyError: 'AuthorizationError: not allowed to publish',
    });
    expect(sent).toEqual([]);
    // The redrive (redrive count 1) resumes at Notify.
    expect(await notifyRun({ runId: 'run-1', redriveCount: 1 }, ports)).toEqual({ sent: true });
    expect(sent.map((n) => [n.status, n.idempotencyKey])).toEqual([['FINISHED', 'run-1:FINISHED']]);
    expect((await row()).notifyError).toBeNull();
    // A kill after the message was out, then another redrive: nothing twice.
    expect(await notifyRun({ runId: 'run-1', redriveCount: 2 }, ports)).toEqual({ sent: false });
  });
});

function statusChange(detail: Partial<StatusChangeEvent['detail']> = {}): StatusChangeEvent {
  return {
    detail: {
      executionArn: RUN.executionId,
      name: 'run-1',
      status: 'FAILED',
      startDate: Date.parse('2026-11-24T10:00:00.000Z'),
      input: JSON.stringify({ detail: { bucket: { name: 'bucket' }, object: { key: 'landing/in/a.csv' } } }),
      error: 'LoadFailed',
      cause: JSON.stringify({ errorType: 'LoadFailed', errorMessage: 'relation does not exist' }),
      redriveCount: 0,
      ...detail,
    },
  };
}

describe('ReportFailure closes the run and notifies once (over in-memory ports)', () => {
  let runs: MemoryRunLog;
  let notifier: RecordingNotifier;
  // No statement on these runs: the warehouse is never asked.
  const ports = () => ({ runs, notifier, warehouse: new ScriptedWarehouse() });
  const register = () =>
    runs.register({
      runId: 'run-1',
      executionId: RUN.executionId,
      bucket: 'bucket',
      key: 'landing/in/a.csv',
      etag: 'e',
      size: 10,
      startedAt: '2026-11-24T10:00:00.000Z',
    });

  beforeEach(() => {
    runs = new MemoryRunLog();
    notifier = new RecordingNotifier();
  });

  it('closes a FAILED execution’s run as FAILED with the error of the event, and notifies once', async () => {
    await register();
    expect(await reportFailure(statusChange(), ports())).toEqual({ runId: 'run-1', notified: true });
    const run = (await runs.get('run-1'))!;
    expect(run).toMatchObject({ status: 'FAILED', notified: 'FAILED:0' });
    expect(run.finishedAt).not.toBeNull();
    expect(run.error).toMatchObject({ name: 'LoadFailed', message: 'relation does not exist', state: 'execution' });
    expect(notifier.sent.map((n) => n.status)).toEqual(['FAILED']);
    // The same event delivered twice tells nobody twice.
    expect(await reportFailure(statusChange(), ports())).toEqual({ runId: 'run-1', notified: false });
    expect(notifier.sent).toHaveLength(1);
  });

  it('keeps the located error the failing state recorded', async () => {
    await register();
    await runs.recordError('run-1', { name: 'LoadFailed', message: 'at line 3', line: 3 }, 'CheckLoad');
    await reportFailure(statusChange(), ports());
    expect((await runs.get('run-1'))!.error).toMatchObject({ message: 'at line 3', line: 3, state: 'CheckLoad' });
  });

  it('closes an ABORTED execution’s run as ABORTED', async () => {
    await register();
    await reportFailure(statusChange({ status: 'ABORTED', error: null, cause: null }), ports());
    expect(await runs.get('run-1')).toMatchObject({ status: 'ABORTED', error: null, notified: 'ABORTED:0' });
  });

  it('records a TIMED_OUT execution as FAILED, saying it timed out', async () => {
    await register();
    await reportFailure(
      statusChange({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'no answer in 300 s' }),
      ports(),
    );
    const run = (await runs.get('run-1'))!;
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ name: 'States.Timeout', message: 'execution timed out: no answer in 300 s' });
  });

  it('registers a run that failed before FetchConfig registered it, from the execution input', async () => {
    const out = await reportFailure(statusChange({ error: 'InvalidStateInput', cause: 'bad input' }), ports());
    expect(out).toEqual({ runId: 'run-1', notified: true });
    expect(await runs.get('run-1')).toMatchObject({
      executionId: RUN.executionId,
      bucket: 'bucket',
      key: 'landing/in/a.csv',
      status: 'FAILED',
      startedAt: '2026-11-24T10:00:00.000Z',
      error: { name: 'InvalidStateInput', message: 'bad input' },
    });
  });

  it('registers an unreadable input as bucket and key "unknown"', async () => {
    await reportFailure(statusChange({ input: 'not json' }), ports());
    expect(await runs.get('run-1')).toMatchObject({ bucket: 'unknown', key: 'unknown' });
  });

  it('leaves a run the rejection path already closed as it is, and does not notify it again', async () => {
    await register();
    await runs.recordError('run-1', { name: 'HeaderMismatch', message: 'bad header', line: 1 }, 'ValidateFile');
    await runs.update('run-1', { status: 'FAILED', redriveCount: 0, notified: 'FAILED:0', finished: true });
    const before = await runs.get('run-1');
    const out = await reportFailure(
      statusChange({ error: 'States.TaskFailed', cause: 'FileRejected', redriveCount: 0 }),
      ports(),
    );
    expect(out).toEqual({ runId: 'run-1', notified: false });
    expect(await runs.get('run-1')).toEqual(before);
    expect(notifier.sent).toEqual([]);
  });

  it('notifies again for the failure of a redriven execution', async () => {
    await register();
    await reportFailure(statusChange(), ports());
    await reportFailure(statusChange({ redriveCount: 1 }), ports());
    expect((await runs.get('run-1'))!.notified).toBe('FAILED:1');
    expect(notifier.sent).toHaveLength(2);
  });
});
