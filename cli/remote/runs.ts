import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
  type ExecutionStatus as SfnExecutionStatus,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, RunSummary } from '../model.ts';
import { remoteError } from './errors.ts';
import { parseJson } from './history.ts';
import { fileOf, runStatus } from './show.ts';

export interface ListRemoteRunsOptions {
  /**
   * An execution status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
   * PENDING_REDRIVE) or a run status: FINISHED and SKIPPED both list
   * SUCCEEDED executions (Step Functions cannot tell them apart without
   * reading each execution; use `details`).
   */
  status?: string;
  /** At most this many runs, newest first (default 50). */
  max?: number;
  /** Also DescribeExecution each run to fill in its file and audit status (one call per run). */
  details?: boolean;
}

const EXECUTION_STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);
const RUN_TO_EXECUTION: Record<string, SfnExecutionStatus> = { FINISHED: 'SUCCEEDED', SKIPPED: 'SUCCEEDED' };

/** ListExecutions, paged, as the RunSummary rows `efi runs` prints. */
export async function listRemoteRuns(
  client: SFNClient,
  stateMachineArn: string,
  opts: ListRemoteRunsOptions = {},
): Promise<RunSummary[]> {
  const max = opts.max ?? 50;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive whole number, got ${max}`);
  const wanted = opts.status?.toUpperCase();
  let statusFilter: SfnExecutionStatus | undefined;
  if (wanted) {
    statusFilter = EXECUTION_STATUSES.has(wanted) ? (wanted as SfnExecutionStatus) : RUN_TO_EXECUTION[wanted];
    if (!statusFilter) {
      throw new RangeError(
        `status ${opts.status}: expected one of FINISHED, SKIPPED, ${[...EXECUTION_STATUSES].join(', ')}`,
      );
    }
  }

  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await client.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: Math.min(max - items.length, 1000),
          ...(statusFilter ? { statusFilter } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      items.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } catch (e) {
      throw remoteError(e, `ListExecutions ${stateMachineArn}`);
    }
  } while (nextToken && items.length < max);

  let runs = items.slice(0, max).map(summary);
  if (opts.details) runs = await withDetails(client, runs);
  // With details the audit status is known, so FINISHED and SKIPPED can be told apart.
  if (opts.details && wanted && RUN_TO_EXECUTION[wanted]) runs = runs.filter((r) => r.status === wanted);
  return runs;
}

function summary(x: ExecutionListItem): RunSummary {
  const executionStatus = (x.status ?? 'RUNNING') as ExecutionStatus;
  return {
    runId: x.name ?? '',
    executionId: x.executionArn ?? '',
    executionStatus,
    // A succeeded execution may be FINISHED or SKIPPED: unknown without its output.
    status: executionStatus === 'SUCCEEDED' ? null : runStatus(executionStatus, null),
    file: null,
    startedAt: (x.startDate ?? new Date(0)).toISOString(),
    stoppedAt: x.stopDate ? x.stopDate.toISOString() : null,
    redriveCount: x.redriveCount ?? 0,
  };
}

/** DescribeExecution per run, a few at a time (the API allows bursts of about 50 per second). */
async function withDetails(client: SFNClient, runs: RunSummary[]): Promise<RunSummary[]> {
  const out = [...runs];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < out.length) {
      const i = next++;
      const r = out[i]!;
      try {
        const ex = await client.send(new DescribeExecutionCommand({ executionArn: r.executionId }));
        out[i] = {
          ...r,
          status: runStatus(r.executionStatus, parseJson(ex.output)),
          file: fileOf(parseJson(ex.input)),
        };
      } catch (e) {
        throw remoteError(e, `DescribeExecution ${r.executionId}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(5, out.length) }, worker));
  return out;
}
