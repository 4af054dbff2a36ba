import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  executionArnFor,
  foldHistory,
  listRemoteRuns,
  RemoteRedriveRefused,
  RemoteRunNotFound,
  redriveRemote,
  resolveRemoteSettings,
  showRemoteRun,
  uploadRemote,
} from '../../../cli/remote/index.ts';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { ConfigInvalid, TransientError } from '../../../functions/lib/errors.ts';
import {
  EXEC_ARN,
  EXEC_NAME,
  failedAtCheckLoad,
  failedAtCheckLoadThenRedriven,
  INPUT,
  lambdaCause,
  MACHINE_ARN,
  rejectedFile,
} from './fixtures/sfn-history.ts';

const sfn = mockClient(SFNClient);
let client: SFNClient;

beforeEach(() => {
  sfn.reset();
  client = new SFNClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
});
afterAll(() => sfn.restore());

/** Serves `events` over GetExecutionHistory in pages of `pageSize`, as the API pages them. */
function serveHistory(events: unknown[], pageSize: number): void {
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string }) => {
    const from = input.nextToken ? Number(input.nextToken.replace('page-', '')) : 0;
    const to = from + pageSize;
    return { events: events.slice(from, to), ...(to < events.length ? { nextToken: `page-${to}` } : {}) };
  });
}

describe('foldHistory', () => {
  it('folds a run that failed at CheckLoad, was redriven and succeeded into states in order', () => {
    const { steps, reason } = foldHistory(failedAtCheckLoadThenRedriven().events);
    expect(steps.map((s) => [s.name, s.status, s.redriveCount])).toEqual([
      ['FetchConfig', 'SUCCEEDED', 0],
      ['IsDuplicate', 'SUCCEEDED', 0],
      ['ValidateFile', 'SUCCEEDED', 0],
      ['IsSameContent', 'SUCCEEDED', 0],
      ['NeedsPreprocess', 'SUCCEEDED', 0],
      ['UseOriginalFile', 'SUCCEEDED', 0],
      ['SubmitLoad', 'SUCCEEDED', 0],
      ['WaitForLoad', 'SUCCEEDED', 0],
      ['CheckLoad', 'FAILED', 0],
      ['CheckLoad', 'SUCCEEDED', 1],
      ['LoadDone', 'SUCCEEDED', 1],
      ['HasTransform', 'SUCCEEDED', 1],
      ['Archive', 'SUCCEEDED', 1],
      ['Audit', 'SUCCEEDED', 1],
      ['Notify', 'SUCCEEDED', 1],
      ['Done', 'SUCCEEDED', 1],
    ]);
    const failed = steps[8]!;
    expect(failed.error).toBe('LoadFailed');
    expect(JSON.parse(failed.cause!)).toMatchObject({ errorType: 'LoadFailed' });
    expect(failed.exitedAt).not.toBeNull();
    expect(failed.output).toBeNull();
    // Inputs and outputs are parsed JSON, not strings.
    expect(steps[0]!.input).toEqual(INPUT);
    expect(steps[10]!.output).toMatchObject({ load: { status: 'FINISHED', rowsLoaded: 100 } });
    expect(steps[9]!.enteredAt! > failed.exitedAt!).toBe(true);
    expect(reason).toBe(failed);
  });

  it('marks a retried attempt RETRIED until its state ends', () => {
    const events = failedAtCheckLoad();
    // Cut just after the retry was scheduled: the throttled first attempt is behind it.
    const firstFailure = events.findIndex((e) => e.type === 'LambdaFunctionFailed');
    const { steps } = foldHistory(events.slice(0, firstFailure + 2));
    expect(steps.at(-1)).toMatchObject({ name: 'CheckLoad', status: 'RETRIED', error: 'EfiTransient' });
  });

  it('shows a caught rejection as CAUGHT and takes the reason from it, not from the Fail state', () => {
    const { steps, reason } = foldHistory(rejectedFile());
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['FetchConfig', 'SUCCEEDED'],
      ['IsDuplicate', 'SUCCEEDED'],
      ['ValidateFile', 'CAUGHT'],
      ['RejectFile', 'SUCCEEDED'],
      ['AuditRejection', 'SUCCEEDED'],
      ['NotifyRejection', 'SUCCEEDED'],
      ['FileRejected', 'FAILED'],
    ]);
    expect(steps[2]!.error).toBe('TrailerMismatch');
    expect(steps[6]!.error).toBe('FileRejected');
    expect(reason).toBe(steps[2]);
  });

  it('reopens the failed state when a redrive resumes it without a StateEntered event', () => {
    const events = failedAtCheckLoadThenRedriven().events;
    const redriven = events.findIndex((e) => e.type === 'ExecutionRedriven');
    const withoutReentry = events.filter((_, i) => i !== redriven + 1);
    const { steps } = foldHistory(withoutReentry);
    expect(steps.filter((s) => s.name === 'CheckLoad').map((s) => [s.status, s.redriveCount])).toEqual([
      ['FAILED', 0],
      ['SUCCEEDED', 1],
    ]);
  });
});

describe('showRemoteRun', () => {
  it('returns the run detail of a redriven, finished run, reading every history page', async () => {
    const { events, output } = failedAtCheckLoadThenRedriven();
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC_ARN,
      stateMachineArn: MACHINE_ARN,
      name: EXEC_NAME,
      status: 'SUCCEEDED',
      startDate: new Date('2026-11-24T09:00:01Z'),
      stopDate: new Date('2026-11-24T09:20:00Z'),
      input: JSON.stringify(INPUT),
      output: JSON.stringify(output),
      redriveCount: 1,
      redriveStatus: 'NOT_REDRIVABLE',
    });
    serveHistory(events, 7);

    const d = await showRemoteRun(client, EXEC_ARN);

    expect(sfn.commandCalls(GetExecutionHistoryCommand).length).toBe(Math.ceil(events.length / 7));
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]!.args[0].input).toMatchObject({
      executionArn: EXEC_ARN,
      nextToken: 'page-7',
    });
    expect({ ...d, states: d.states.length, input: undefined, output: undefined }).toEqual({
      runId: EXEC_NAME,
      executionId: EXEC_ARN,
      executionStatus: 'SUCCEEDED',
      status: 'FINISHED',
      file: 's3://efi-data-123456789012/landing/sales/daily_20261124.csv',
      startedAt: '2026-11-24T09:00:01.000Z',
      stoppedAt: '2026-11-24T09:20:00.000Z',
      redriveCount: 1,
      input: undefined,
      output: undefined,
      error: null,
      states: 16,
    });
    expect(d.input).toEqual(INPUT);
    expect(d.output).toMatchObject({ audit: { status: 'FINISHED' } });
  });

  it('reports where a failed run stopped, with the error from the Lambda cause', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC_ARN,
      name: EXEC_NAME,
      status: 'FAILED',
      startDate: new Date('2026-11-24T09:00:01Z'),
      stopDate: new Date('2026-11-24T09:05:00Z'),
      input: JSON.stringify(INPUT),
      error: 'LoadFailed',
      cause: lambdaCause(
        'LoadFailed',
        'relation "stage"."sales_daily" does not exist; create it, then: efi redrive run-0b7c9e2a',
      ),
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    serveHistory(failedAtCheckLoad(), 1000);
    const d = await showRemoteRun(client, EXEC_ARN);
    expect(d.status).toBe('FAILED');
    expect(d.output).toBeNull();
    expect(d.error).toEqual({
      name: 'LoadFailed',
      message: 'relation "stage"."sales_daily" does not exist; create it, then: efi redrive run-0b7c9e2a',
      line: null,
      column: null,
    });
    expect(d.states.at(-1)).toMatchObject({ name: 'CheckLoad', status: 'FAILED', redriveCount: 0 });
  });

  it('names the rejection reason of a rejected file, not the FileRejected end state', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC_ARN,
      name: EXEC_NAME,
      status: 'FAILED',
      startDate: new Date('2026-11-24T09:00:01Z'),
      input: JSON.stringify(INPUT),
      error: 'FileRejected',
      cause: 'The file was rejected; see the run audit.',
    });
    serveHistory(rejectedFile(), 1000);
    const d = await showRemoteRun(client, EXEC_ARN);
    expect(d.error).toMatchObject({
      name: 'TrailerMismatch',
      message: expect.stringContaining('line 102 says 101 records'),
    });
  });

  it('says when the execution does not exist', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    const err = await showRemoteRun(client, EXEC_ARN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteRunNotFound);
    expect((err as Error).message).toContain('efi runs');
  });
});

describe('listRemoteRuns', () => {
  const item = (n: number, status: 'SUCCEEDED' | 'FAILED') => ({
    executionArn: `${MACHINE_ARN.replace('stateMachine', 'execution')}:run-${n}`,
    stateMachineArn: MACHINE_ARN,
    name: `run-${n}`,
    status,
    startDate: new Date(Date.UTC(2026, 10, 24, 9, n)),
    ...(status === 'FAILED' ? { stopDate: new Date(Date.UTC(2026, 10, 24, 9, n, 30)), redriveCount: 2 } : {}),
  });

  it('pages through ListExecutions up to max, with the status filter', async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [item(5, 'FAILED'), item(4, 'FAILED')], nextToken: 't1' })
      .resolvesOnce({ executions: [item(3, 'FAILED'), item(2, 'FAILED')], nextToken: 't2' });
    const runs = await listRemoteRuns(client, MACHINE_ARN, { status: 'failed', max: 3 });
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: MACHINE_ARN, maxResults: 3, statusFilter: 'FAILED' },
      { stateMachineArn: MACHINE_ARN, maxResults: 1, statusFilter: 'FAILED', nextToken: 't1' },
    ]);
    expect(runs.map((r) => r.runId)).toEqual(['run-5', 'run-4', 'run-3']);
    expect(runs[0]).toEqual({
      runId: 'run-5',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:efi:run-5',
      executionStatus: 'FAILED',
      status: 'FAILED',
      file: null,
      startedAt: '2026-11-24T09:05:00.000Z',
      stoppedAt: '2026-11-24T09:05:30.000Z',
      redriveCount: 2,
    });
  });

  it('tells FINISHED from SKIPPED when asked for details', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [item(2, 'SUCCEEDED'), item(1, 'SUCCEEDED')] });
    sfn
      .on(DescribeExecutionCommand, { executionArn: item(2, 'SUCCEEDED').executionArn })
      .resolves({
        status: 'SUCCEEDED',
        input: JSON.stringify(INPUT),
        output: JSON.stringify({ audit: { status: 'SKIPPED' } }),
      })
      .on(DescribeExecutionCommand, { executionArn: item(1, 'SUCCEEDED').executionArn })
      .resolves({
        status: 'SUCCEEDED',
        input: JSON.stringify(INPUT),
        output: JSON.stringify({ audit: { status: 'FINISHED' } }),
      });

    const plain = await listRemoteRuns(client, MACHINE_ARN, { status: 'FINISHED' });
    expect(plain.map((r) => [r.runId, r.status])).toEqual([
      ['run-2', null],
      ['run-1', null],
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input.statusFilter).toBe('SUCCEEDED');

    const detailed = await listRemoteRuns(client, MACHINE_ARN, { status: 'FINISHED', details: true });
    expect(detailed.map((r) => [r.runId, r.status, r.file])).toEqual([
      ['run-1', 'FINISHED', 's3://efi-data-123456789012/landing/sales/daily_20261124.csv'],
    ]);
  });

  it('refuses an unknown status and turns throttling into EfiTransient', async () => {
    await expect(listRemoteRuns(client, MACHINE_ARN, { status: 'DONE' })).rejects.toThrow(
      /expected one of FINISHED, SKIPPED, RUNNING/,
    );
    sfn.on(ListExecutionsCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    await expect(listRemoteRuns(client, MACHINE_ARN)).rejects.toBeInstanceOf(TransientError);
  });
});

describe('redriveRemote', () => {
  const failed = {
    executionArn: EXEC_ARN,
    name: EXEC_NAME,
    status: 'FAILED' as const,
    error: 'LoadFailed',
    redriveStatus: 'REDRIVABLE' as const,
  };

  it('redrives a failed execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves(failed);
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date('2026-11-24T10:00:00Z') });
    expect(await redriveRemote(client, EXEC_ARN)).toEqual({ redriveDate: '2026-11-24T10:00:00.000Z' });
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toMatchObject({ executionArn: EXEC_ARN });
  });

  it('refuses a rejected file: the remedy is a corrected file', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ ...failed, error: 'FileRejected' });
    const err = await redriveRemote(client, EXEC_ARN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteRedriveRefused);
    expect((err as Error).name).toBe('RedriveRefused');
    expect((err as Error).message).toMatch(/rejected \(FileRejected\).*Send a corrected file/);
    expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
  });

  it('refuses running and succeeded executions', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ ...failed, status: 'RUNNING', error: undefined });
    await expect(redriveRemote(client, EXEC_ARN)).rejects.toThrow(/is RUNNING: wait for it to end/);
    sfn.on(DescribeExecutionCommand).resolves({ ...failed, status: 'SUCCEEDED', error: undefined });
    await expect(redriveRemote(client, EXEC_ARN)).rejects.toThrow(/SUCCEEDED: there is nothing to resume/);
    expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
  });

  it("gives Step Functions' reason when the execution is not redrivable", async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      ...failed,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded',
    });
    await expect(redriveRemote(client, EXEC_ARN)).rejects.toThrow(
      `run ${EXEC_NAME} cannot be redriven: Execution redrivable period exceeded. Upload the file again to start a new run`,
    );
  });

  it('explains an ExecutionNotRedrivable answer from RedriveExecution itself', async () => {
    sfn.on(DescribeExecutionCommand).resolves(failed);
    sfn.on(RedriveExecutionCommand).rejects(
      new ExecutionNotRedrivable({
        message: 'Execution history event limit exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const err = await redriveRemote(client, EXEC_ARN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteRedriveRefused);
    expect((err as Error).message).toMatch(
      /cannot be redriven: Execution history event limit exceeded\. .*within 14 days/,
    );
  });

  it('refuses an execution that does not exist', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(redriveRemote(client, EXEC_ARN)).rejects.toBeInstanceOf(RemoteRedriveRefused);
  });
});

describe('resolveRemoteSettings', () => {
  it('is null without a state machine (the CLI stays local)', () => {
    expect(resolveRemoteSettings({}, {})).toBeNull();
  });

  it('takes flags over the environment and parses the ARN', () => {
    const s = resolveRemoteSettings(
      { 'state-machine-arn': MACHINE_ARN, bucket: 'flag-bucket' },
      {
        EFI_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:999999999999:stateMachine:other',
        EFI_BUCKET: 'env-bucket',
        AWS_REGION: 'us-east-1',
      },
    );
    expect(s).toEqual({
      stateMachineArn: MACHINE_ARN,
      region: 'eu-west-1',
      account: '123456789012',
      stateMachineName: 'efi',
      partition: 'aws',
      bucket: 'flag-bucket',
      landingPrefix: 'landing/',
    });
  });

  it('reads the environment and normalises the landing prefix', () => {
    const s = resolveRemoteSettings({}, { EFI_STATE_MACHINE_ARN: MACHINE_ARN, EFI_LANDING_PREFIX: 'in/files' });
    expect(s).toMatchObject({ bucket: null, landingPrefix: 'in/files/' });
  });

  it('rejects a malformed ARN and a region that contradicts it', () => {
    expect(() => resolveRemoteSettings({}, { EFI_STATE_MACHINE_ARN: 'efi' })).toThrow(ConfigInvalid);
    expect(() => resolveRemoteSettings({}, { EFI_STATE_MACHINE_ARN: 'efi' })).toThrow(
      /EFI_STATE_MACHINE_ARN="efi" is not a state machine ARN/,
    );
    expect(() => resolveRemoteSettings({ 'state-machine-arn': MACHINE_ARN, region: 'us-east-1' }, {})).toThrow(
      /--region us-east-1 does not match the state machine's region eu-west-1/,
    );
  });

  it('builds execution ARNs from names and checks given ARNs', () => {
    const s = resolveRemoteSettings({}, { EFI_STATE_MACHINE_ARN: MACHINE_ARN })!;
    expect(executionArnFor(s, EXEC_NAME)).toBe(EXEC_ARN);
    expect(executionArnFor(s, EXEC_ARN)).toBe(EXEC_ARN);
    expect(() => executionArnFor(s, 'arn:aws:s3:::bucket')).toThrow(/not an execution ARN/);
    expect(() => executionArnFor(s, 'a b')).toThrow(/not an execution name/);
  });
});

describe('uploadRemote', () => {
  it('streams a local file into the landing prefix under its base name', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-upload-'));
    try {
      const file = path.join(dir, 'daily_20261124.csv');
      const body = `id,amount\n${Array.from({ length: 5000 }, (_, i) => `${i},${i * 3}`).join('\n')}\n`;
      await fs.writeFile(file, body);
      const store = new FsObjectStore(path.join(dir, 'store'));
      const { key } = await uploadRemote(store, 'efi-data', 'landing/sales', file);
      expect(key).toBe('landing/sales/daily_20261124.csv');
      expect(await fs.readFile(store.localPath('efi-data', key), 'utf8')).toBe(body);
      await expect(uploadRemote(store, 'efi-data', 'landing/', path.join(dir, 'missing.csv'))).rejects.toThrow(
        /missing\.csv: no such file/,
      );
      await expect(uploadRemote(store, 'efi-data', 'landing/', dir)).rejects.toThrow(/not a regular file/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
