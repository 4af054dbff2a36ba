import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveRemoteSettings } from '../../../cli/remote/settings.ts';
import { createApi } from '../../../cli/server/api.ts';
import type { RunRecord } from '../../../functions/lib/ports/run-log.ts';
import {
  EXEC_ARN,
  EXEC_NAME,
  failedAtCheckLoad,
  INPUT,
  MACHINE_ARN,
  rejectedFile,
} from '../remote/fixtures/sfn-history.ts';

// efi server --state-machine-arn ARN: the console's run routes read Step Functions (mocked here, no AWS).
const sfn = mockClient(SFNClient);
const client = new SFNClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
});
const REJECTED = 'run-rejected1';
const REJECTED_ARN = EXEC_ARN.replace(EXEC_NAME, REJECTED);
const t = (s: string) => new Date(`2026-11-24T09:${s}Z`);

const row = {
  runId: EXEC_NAME,
  configId: 'sales.daily',
  interface: 'sales',
  key: 'landing/sales/daily_20261124.csv',
  status: 'FAILED',
  rowsLoaded: null,
  recordsInFile: 100,
  archivedTo: null,
  fileBytes: 5120,
  error: {
    name: 'LoadFailed',
    message: 'relation "stage"."sales_daily" does not exist',
    line: null,
    column: null,
    state: 'CheckLoad',
  },
} as unknown as RunRecord;

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer(
    createApi({
      deps: { rt: { settings: { home: '/tmp/efi-deployed' } }, runner: null } as never,
      token: null,
      allowedHosts: null,
      serial: (fn) => fn(),
      aborts: new Set(),
      log: () => {},
      deployed: {
        settings: resolveRemoteSettings({ 'state-machine-arn': MACHINE_ARN })!,
        client,
        runRow: async (id) => (id === EXEC_NAME ? row : null),
      },
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  sfn.restore();
});

beforeEach(() => {
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: REJECTED_ARN,
        stateMachineArn: MACHINE_ARN,
        name: REJECTED,
        status: 'FAILED',
        startDate: t('05:00'),
        stopDate: t('05:03'),
      },
      {
        executionArn: EXEC_ARN,
        stateMachineArn: MACHINE_ARN,
        name: EXEC_NAME,
        status: 'FAILED',
        startDate: t('00:01'),
        stopDate: t('00:09'),
      },
    ],
  });
  const described = {
    [EXEC_ARN]: { name: EXEC_NAME, status: 'FAILED', error: 'LoadFailed', cause: 'table missing' },
    [REJECTED_ARN]: { name: REJECTED, status: 'FAILED', error: 'FileRejected', cause: 'The file was rejected' },
  } as const;
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => ({
    executionArn,
    stateMachineArn: MACHINE_ARN,
    input: JSON.stringify(INPUT),
    startDate: t('00:01'),
    stopDate: t('00:09'),
    ...described[executionArn as keyof typeof described],
  }));
  sfn.on(GetExecutionHistoryCommand).callsFake(({ executionArn }: { executionArn: string }) => ({
    events: executionArn === EXEC_ARN ? failedAtCheckLoad() : rejectedFile(),
  }));
});

// biome-ignore lint/suspicious/noExplicitAny: the test reads API JSON loosely
const get = async (p: string): Promise<any> => (await fetch(`${base}${p}`)).json();

describe('efi server with a deployed state machine', () => {
  it('names the state machine in /api/health', async () => {
    expect((await get('/api/health')).deployed).toEqual({ stateMachineArn: MACHINE_ARN, region: 'eu-west-1' });
  });

  it('lists the executions from ListExecutions, with the run rows of the config DB where it has them', async () => {
    const { runs, total } = await get('/api/runs');
    expect(total).toBe(2);
    expect(runs).toMatchObject([
      {
        runId: REJECTED,
        status: 'FAILED',
        feed: null,
        file: 'landing/sales/daily_20261124.csv',
        error: { name: 'FileRejected' },
      },
      {
        runId: EXEC_NAME,
        feed: 'sales.daily',
        recordsInFile: 100,
        durationMs: 8000,
        error: { name: 'LoadFailed', state: 'CheckLoad' },
      },
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ stateMachineArn: MACHINE_ARN });
    // feed, file and date range filter what Step Functions cannot.
    expect((await get('/api/runs?feed=sales.daily')).runs.map((r: { runId: string }) => r.runId)).toEqual([EXEC_NAME]);
    expect((await get('/api/runs?since=2026-11-24T09:02:00Z')).runs.map((r: { runId: string }) => r.runId)).toEqual([
      REJECTED,
    ]);
    expect((await get('/api/runs?limit=1&offset=1')).runs.map((r: { runId: string }) => r.runId)).toEqual([EXEC_NAME]);
    await get('/api/runs?status=FAILED');
    expect(sfn.commandCalls(ListExecutionsCommand).at(-1)!.args[0].input).toMatchObject({ statusFilter: 'FAILED' });
  });

  it('shows one execution: its states with durations and retries, the event history and the redrive it allows', async () => {
    const v = await get(`/api/runs/${EXEC_NAME}`);
    expect(v.detail).toMatchObject({ runId: EXEC_NAME, executionStatus: 'FAILED', error: { name: 'LoadFailed' } });
    expect(v.run).toMatchObject({ configId: 'sales.daily' });
    const check = v.visits.find((x: { state: string }) => x.state === 'CheckLoad');
    expect(check).toMatchObject({ status: 'FAILED', retries: 1, error: 'LoadFailed' });
    expect(v.visits.find((x: { state: string }) => x.state === 'FetchConfig').durationMs).toBeGreaterThan(0);
    expect(v.transitions).toContainEqual(['WaitForLoad', 'CheckLoad']);
    expect(v.events[0]).toMatchObject({ seq: 1, type: 'ExecutionStarted' });
    expect(
      v.events.some((e: { type: string; state: string }) => e.type === 'TaskStateEntered' && e.state === 'CheckLoad'),
    ).toBe(true);
    expect(v.redrive).toMatchObject({ ok: true, state: 'CheckLoad' });
    expect(v.location).toMatchObject({
      uri: 's3://efi-data-123456789012/landing/sales/daily_20261124.csv',
      where: 'landing',
      key: null,
    });
  });

  it('offers no redrive for a rejected file, with the reason; the rejection path is coloured as caught', async () => {
    const v = await get(`/api/runs/${REJECTED}`);
    expect(v.redrive.ok).toBe(false);
    expect(v.redrive.reason).toContain('send a corrected file');
    expect(v.visits.find((x: { state: string }) => x.state === 'ValidateFile').status).toBe('CAUGHT');
  });

  it('redrives through RedriveExecution, and answers 409 with the reason when Step Functions would refuse', async () => {
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: t('10:00') });
    const post = (id: string) =>
      fetch(`${base}/api/runs/${id}/redrive`, { method: 'POST', headers: { 'x-efi-client': 't' } });
    const ok = await post(EXEC_NAME);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ runId: EXEC_NAME, redriving: true });
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: EXEC_ARN });
    const refused = await post(REJECTED);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toContain('rejected');
    expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(1);
  });

  it('answers 404 for an execution Step Functions does not know', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    expect((await fetch(`${base}/api/runs/nope`)).status).toBe(404);
  });
});
