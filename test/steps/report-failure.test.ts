import 'aws-sdk-client-mock-vitest/extend';
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RedshiftDataWarehouse } from '../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import type { StatusChangeEvent } from '../../functions/lib/contract/status-change-event.ts';
import type { StatusNotification } from '../../functions/lib/ports/notifier.ts';
import type { RunLog, RunPatch, RunRecord } from '../../functions/lib/ports/run-log.ts';
import { alreadyNotified, idempotencyKey, notificationMark, notifyRun } from '../../functions/lib/steps/notify.ts';
import { reportFailure } from '../../functions/lib/steps/report-failure.ts';

/** The run row in memory: enough of the RunLog port for ReportFailure and Notify. */
class MemoryRunLog implements Pick<RunLog, 'get' | 'getByExecution' | 'update' | 'recordError' | 'register'> {
  constructor(public run: RunRecord) {}
  async register(): Promise<RunRecord> {
    return this.run;
  }
  async get(): Promise<RunRecord> {
    return this.run;
  }
  async getByExecution(): Promise<RunRecord> {
    return this.run;
  }
  async update(_: string, p: RunPatch): Promise<void> {
    const { finished, clearError, interface: iface, ...rest } = p;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    this.run = { ...this.run, ...defined, ...(iface !== undefined ? { interface: iface } : {}) };
    if (finished) this.run.finishedAt = new Date().toISOString();
    if (clearError) this.run.error = null;
  }
  async recordError(_: string, err: { name: string; message: string }, state: string): Promise<void> {
    this.run.error = { ...err, state };
  }
}

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

function setup(run: Partial<RunRecord> = {}) {
  const runs = new MemoryRunLog({ ...RUN, ...run });
  const sent: StatusNotification[] = [];
  const ports = {
    runs: runs as unknown as RunLog,
    notifier: { publish: async (n: StatusNotification) => void sent.push(n) },
    warehouse,
  };
  return { runs, sent, ports };
}

describe('ReportFailure on a stopped execution (truth model rows 7 and 8, in AWS)', () => {
  beforeEach(() => rs.reset());

  it('ABORTED while the load runs: cancels the statement (CancelStatement), records loadCommitted false, notifies ABORTED', async () => {
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'ABORTED' });
    rs.on(CancelStatementCommand).resolves({ Status: true });
    const { runs, sent, ports } = setup();
    await reportFailure(event('ABORTED'), ports);
    expect(rs).toHaveReceivedCommandWith(CancelStatementCommand, { Id: 'load-1' });
    expect(runs.run).toMatchObject({ status: 'ABORTED', loadCommitted: false });
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
    const { runs, sent, ports } = setup({ rowsLoaded: 1200 });
    await reportFailure(event('TIMED_OUT'), ports);
    expect(runs.run).toMatchObject({ status: 'FAILED', loadCommitted: true });
    expect(sent[0]!.body).toMatch(/the load committed \(1,?200 rows are loaded\)/);
    expect(sent[0]!.idempotencyKey).toBe('run-1:FAILED:0');
  });

  it("a Task's States.Timeout cancels the running statement too", async () => {
    rs.on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'load-1', Status: 'STARTED' })
      .resolves({ Id: 'load-1', Status: 'ABORTED' });
    rs.on(CancelStatementCommand).resolves({ Status: true });
    const { runs, ports } = setup();
    await reportFailure(event('FAILED', 'States.Timeout', 'Task timed out'), ports);
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 1);
    expect(runs.run.loadCommitted).toBe(false);
  });

  it('FAILED StatementStillRunning (poll ceiling): no cancel, and no claim about a load that may still commit', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'STARTED' });
    const { runs, sent, ports } = setup();
    await reportFailure(
      event('FAILED', 'StatementStillRunning', 'load statement load-1 is still running after 150 polls (~12.1 h)'),
      ports,
    );
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 0);
    expect(runs.run).toMatchObject({ status: 'FAILED', loadCommitted: null });
    expect(sent[0]!.body).not.toMatch(/Committed:/);
    expect(sent[0]!.body).toMatch(/still running after 150 polls/);
  });

  it('FAILED after the load committed (row 5): no cancel, loadCommitted true', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FINISHED' });
    const { runs, ports } = setup({ transformStatementId: 'tr-1' });
    rs.on(DescribeStatementCommand, { Id: 'tr-1' }).resolves({ Id: 'tr-1', Status: 'FAILED', Error: 'boom' });
    await reportFailure(event('FAILED', 'TransformFailed', 'boom'), ports);
    expect(rs).toHaveReceivedCommandTimes(CancelStatementCommand, 0);
    expect(runs.run).toMatchObject({ status: 'FAILED', loadCommitted: true, transformCommitted: false });
  });
});

describe('a Notify failure never changes a FINISHED outcome (truth model row 6)', () => {
  beforeEach(() => rs.reset());

  it('keeps FINISHED, records the notify error, sends nothing; the redrive sends FINISHED once', async () => {
    rs.on(DescribeStatementCommand).resolves({ Id: 'load-1', Status: 'FINISHED' });
    const { runs, sent, ports } = setup({ status: 'FINISHED', loadCommitted: true });
    await runs.recordError('run-1', { name: 'AuthorizationError', message: 'not allowed to publish' }, 'Notify');
    await reportFailure(event('FAILED', 'AuthorizationError', 'not allowed to publish'), ports);
    expect(runs.run).toMatchObject({
      status: 'FINISHED',
      error: null,
      notifyError: 'AuthorizationError: not allowed to publish',
    });
    expect(sent).toEqual([]);
    // The redrive (redrive count 1) resumes at Notify.
    expect(await notifyRun({ runId: 'run-1', redriveCount: 1 }, ports)).toEqual({ sent: true });
    expect(sent.map((n) => [n.status, n.idempotencyKey])).toEqual([['FINISHED', 'run-1:FINISHED']]);
    expect(runs.run.notifyError).toBeNull();
    // A kill after the message was out, then another redrive: nothing twice.
    expect(await notifyRun({ runId: 'run-1', redriveCount: 2 }, ports)).toEqual({ sent: false });
  });

  it('never sends a RUNNING notification', async () => {
    const { ports, sent } = setup({ status: 'RUNNING' });
    await expect(notifyRun({ runId: 'run-1', redriveCount: 1 }, ports)).rejects.toThrow(/still RUNNING/);
    expect(sent).toEqual([]);
  });
});

describe('one notification per (run, final status, redrive count)', () => {
  it('FINISHED and SKIPPED once per run; FAILED and ABORTED once per redrive count', () => {
    expect(alreadyNotified({ notified: 'FINISHED:0' }, notificationMark('FINISHED', 1))).toBe(true);
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FINISHED', 1))).toBe(false);
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FAILED', 1))).toBe(false);
    expect(alreadyNotified({ notified: 'FAILED:1' }, notificationMark('FAILED', 1))).toBe(true);
    expect(idempotencyKey('r', 'FINISHED', 3)).toBe('r:FINISHED');
    expect(idempotencyKey('r', 'ABORTED', 3)).toBe('r:ABORTED:3');
  });
});
