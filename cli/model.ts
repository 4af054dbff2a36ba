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
  /**
   * What the run row knows (local history, or the config DB): absent when the
   * backend cannot tell (a deployed execution listed without its run row).
   */
  configId?: string | null;
  /** The feed: the config's interface. */
  feed?: string | null;
  recordsInFile?: number | null;
  rowsLoaded?: number | null;
  rowsRejected?: number | null;
  /** Whether the run's load had committed (true also for a FINISHED run); null: not known or no load. */
  loadCommitted?: boolean | null;
  /** Wall time from start to stop (to now while running), in milliseconds. */
  durationMs?: number | null;
  /** The run's error (name, message, line, column), as `show` prints it. */
  error?: SerializedError | null;
  archivedTo?: string | null;
  skipReason?: string | null;
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
  /** exitedAt - enteredAt in milliseconds; null while the state runs. */
  durationMs?: number | null;
}

/** Where the run's file is now, looked up in the object store. */
export interface FileLocation {
  /** `s3://bucket/key` of the object found, or null when it is nowhere the run put it. */
  uri: string | null;
  /** The object's key in its bucket, and its size, when found. */
  key: string | null;
  size: number | null;
  /** landing, archive, rejected, other, or gone. */
  where: 'landing' | 'archive' | 'rejected' | 'other' | 'gone';
  /** Every place looked at, in order. */
  looked: string[];
}

export interface RunDetail extends RunSummary {
  input: unknown;
  output: unknown;
  error: SerializedError | null;
  states: StateStep[];
  /** Filled in by `efi show` (local store) when it can look. */
  location?: FileLocation | null;
}

/** One event of an execution's history, as `efi logs` prints it (like GetExecutionHistory). */
export interface HistoryEventRow {
  id: number;
  timestamp: string;
  type: string;
  state: string | null;
  redriveCount: number;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
}
