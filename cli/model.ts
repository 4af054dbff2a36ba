/**
 * Shapes the CLI prints (and emits with --json), shared by the local runner
 * and the deployed (Step Functions) backend so both look the same.
 */
import type { SerializedError } from '../functions/lib/errors.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT' | 'PENDING_REDRIVE';

export interface RunSummary {
  /** Local: the run id (= execution name). AWS: the execution name. */
  runId: string;
  executionId: string;
  executionStatus: ExecutionStatus;
  /** The audit status when known (FINISHED, FAILED, ABORTED, SKIPPED, RUNNING). */
  status: string | null;
  file: string | null;
  startedAt: string;
  stoppedAt: string | null;
  redriveCount: number;
}

export interface StateStep {
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CAUGHT' | 'RUNNING' | 'RETRIED';
  enteredAt: string | null;
  exitedAt: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  /** Which attempt (RedriveCount) this step belongs to. */
  redriveCount: number;
  /** Task attempts within this step: 1, plus one per retry. */
  attempts: number;
}

export interface RunDetail extends RunSummary {
  input: unknown;
  output: unknown;
  error: SerializedError | null;
  states: StateStep[];
}
