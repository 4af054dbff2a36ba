import type { SerializedError } from '../errors.ts';
import type { RunStatus } from './notifier.ts';

/**
 * Run log port: the run row (one per execution, its whole lifecycle) and the
 * claim on a file's content that decides which of two executions loads it.
 * Every write is an idempotent upsert or a guarded update, because any state
 * may run twice. The config/audit database implements it (adapters/config-db).
 */
export interface RunLog {
  /** Inserts the run row if it is not there yet; returns the row as stored (a rerun keeps its first start time). */
  register(run: NewRun): Promise<RunRecord>;
  get(runId: string): Promise<RunRecord | null>;
  getByExecution(executionId: string): Promise<RunRecord | null>;
  update(runId: string, patch: RunPatch): Promise<void>;
  /** Records where and why a state failed (Step Functions carries only error name and message, not line/column). */
  recordError(runId: string, err: SerializedError, state: string): Promise<void>;
  /** Appends a Data API statement id (once). */
  addStatementId(runId: string, statementId: string): Promise<void>;
  /**
   * Claims a file's content for a run. S3 delivers events at least once, so two
   * executions may see the same object: the claim decides which one loads.
   * Returns the run that owns the claim (this one, or the earlier one).
   */
  claimFile(claim: FileClaim & { runId: string }): Promise<{ owner: string }>;
  /** Hands a claim from `from` to `to`; false when `from` no longer owns it. */
  transferClaim(claim: FileClaim & { from: string; to: string }): Promise<boolean>;
  /**
   * Claims a content (config + ETag + size, whatever the file's name) for a run,
   * atomically: of several runs of the same bytes at once exactly one becomes the
   * owner. Returns the owner (this run, or the earlier one) and the run ids whose
   * rows the owner's load replaces (a `--reload`).
   */
  claimContent(claim: ContentClaim & { runId: string }): Promise<ContentClaimRow>;
  /**
   * Hands a content claim from `from` to `to`, atomically and only while `from`
   * still owns it with status `fromStatus` (a redrive that set it RUNNING again
   * wins over a take-over); false otherwise.
   */
  transferContent(
    claim: ContentClaim & { from: string; fromStatus: RunStatus; to: string; replaces: string[] },
  ): Promise<boolean>;
  /** The run owning a content claim, or null when nobody claimed it. */
  contentOwner(claim: ContentClaim): Promise<string | null>;
  /** The claim itself (owner and the runs its load replaces), or null when nobody claimed it. */
  contentClaim(claim: ContentClaim): Promise<ContentClaimRow | null>;
}

/**
 * The key of a content claim: config, identity and size. The identity is the
 * ETag (FetchConfig, known without reading the file) or `sha256:<hex>` of the
 * bytes (ValidateFile, the same whatever the upload's part size); see
 * docs/truth-model.md and `contentKeys`.
 */
export interface ContentClaim {
  configId: string;
  /** An ETag, or `sha256:<hex>` (contentHashKey). */
  etag: string;
  sizeBytes: number;
}

export interface ContentClaimRow {
  owner: string;
  /** Run ids whose rows the owner's load deletes first (empty unless a replacing reload). */
  replaces: string[];
}

export interface FileClaim {
  bucket: string;
  key: string;
  etag: string;
}

export interface NewRun {
  runId: string;
  executionId: string;
  bucket: string;
  key: string;
  etag: string | null;
  size: number | null;
  startedAt: string;
}

export interface RunRecord {
  runId: string;
  executionId: string;
  configId: string | null;
  interface: string | null;
  bucket: string;
  key: string;
  etag: string | null;
  fileBytes: number | null;
  status: RunStatus;
  recordsInFile: number | null;
  recordsSkipped: number | null;
  rowsLoaded: number | null;
  rowsRejected: number | null;
  targets: unknown[] | null;
  statementIds: string[];
  archivedTo: string | null;
  skipReason: string | null;
  error: (SerializedError & { state: string | null }) | null;
  redriveCount: number;
  /** `<status>:<redrive count>` of the last notification sent (notify once per status and attempt). */
  notified: string | null;
  /** The latest load / transform statement submitted (a redriven submit reads it before submitting again). */
  loadStatementId: string | null;
  transformStatementId: string | null;
  /** Whether the load / transform had committed when the run stopped (null: not known, or not asked yet). */
  loadCommitted: boolean | null;
  transformCommitted: boolean | null;
  /** Why the last notification could not be sent (it never changes a FINISHED outcome). */
  notifyError: string | null;
  /** SHA-256 of the file's bytes, once ValidateFile read them: the key of the run's content claim by hash. */
  contentSha256: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** Fields to change; undefined leaves a field as it is. */
export interface RunPatch {
  configId?: string | null;
  interface?: string | null;
  status?: RunStatus;
  fileBytes?: number | null;
  recordsInFile?: number | null;
  recordsSkipped?: number | null;
  rowsLoaded?: number | null;
  rowsRejected?: number | null;
  targets?: unknown[] | null;
  archivedTo?: string | null;
  skipReason?: string | null;
  redriveCount?: number;
  notified?: string | null;
  loadStatementId?: string | null;
  transformStatementId?: string | null;
  loadCommitted?: boolean | null;
  transformCommitted?: boolean | null;
  notifyError?: string | null;
  contentSha256?: string | null;
  /** Sets finished_at to now. */
  finished?: boolean;
  clearError?: boolean;
}
