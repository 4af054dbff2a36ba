import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import type { ExecutionStatus, RunDetail } from '../model.ts';
import { remoteError } from './errors.ts';
import { foldHistory, parseJson, runError } from './history.ts';

/** DescribeExecution + the whole history (paged), folded into the shape `efi show` prints. */
export async function showRemoteRun(client: SFNClient, executionArn: string): Promise<RunDetail> {
  return (await showRemoteRunWithHistory(client, executionArn)).detail;
}

/** As showRemoteRun, also handing back the raw history (efi server's console shows both). */
export async function showRemoteRunWithHistory(
  client: SFNClient,
  executionArn: string,
): Promise<{ detail: RunDetail; events: HistoryEvent[] }> {
  let ex: DescribeExecutionCommandOutput;
  try {
    ex = await client.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    throw remoteError(e, `DescribeExecution ${executionArn}`);
  }
  const events = await executionHistory(client, executionArn);
  const folded = foldHistory(events);
  const executionStatus = (ex.status ?? 'RUNNING') as ExecutionStatus;
  const input = parseJson(ex.input);
  const output = parseJson(ex.output);
  const detail: RunDetail = {
    runId: ex.name ?? executionArn.slice(executionArn.lastIndexOf(':') + 1),
    executionId: ex.executionArn ?? executionArn,
    executionStatus,
    status: runStatus(executionStatus, output),
    file: fileOf(input),
    startedAt: (ex.startDate ?? new Date(0)).toISOString(),
    stoppedAt: ex.stopDate ? ex.stopDate.toISOString() : null,
    redriveCount: ex.redriveCount ?? 0,
    input,
    output,
    error: runError(executionStatus, folded, { error: ex.error, cause: ex.cause }),
    states: folded.steps,
  };
  return { detail, events };
}

export async function executionHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          includeExecutionData: true,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } catch (e) {
      throw remoteError(e, `GetExecutionHistory ${executionArn}`);
    }
  } while (nextToken);
  return events;
}

/**
 * The run status the audit records, as far as the execution shows it: a
 * succeeded execution's output carries the Audit state's result (FINISHED or
 * SKIPPED); an unsuccessful one is FAILED or ABORTED.
 */
export function runStatus(executionStatus: ExecutionStatus, output: unknown): string | null {
  switch (executionStatus) {
    case 'SUCCEEDED': {
      const audited = (output as { audit?: { status?: unknown } } | null)?.audit?.status;
      return typeof audited === 'string' ? audited : null;
    }
    case 'FAILED':
    case 'TIMED_OUT':
      return 'FAILED';
    case 'ABORTED':
      return 'ABORTED';
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'RUNNING';
  }
}

/** `s3://bucket/key` of the file an execution was started for (its EventBridge input). */
export function fileOf(input: unknown): string | null {
  const detail = (input as Partial<ExecutionInput> | null)?.detail;
  const bucket = detail?.bucket?.name;
  const key = detail?.object?.key;
  return typeof bucket === 'string' && typeof key === 'string' ? `s3://${bucket}/${key}` : null;
}
