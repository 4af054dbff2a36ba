/**
 * The state contract: what each state receives and returns. Payloads are small
 * JSON (never file contents): Step Functions caps them at 256 KB.
 * docs/architecture.md documents the same shapes; keep them in step.
 */
import type { FileConfig } from '../config/model.ts';
import type { SerializedError } from '../errors.ts';
import type { RunStatus } from '../ports/notifier.ts';
import type { LoadFormat, LoadPart, StatementState, TargetResult } from '../ports/warehouse.ts';

/** EventBridge "Object Created" detail (the part the pipeline reads). */
export interface S3ObjectCreatedDetail {
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string; sequencer?: string };
  reason?: string;
}

/** Execution input: the EventBridge event, plus optional operator options. */
export interface ExecutionInput {
  'detail-type'?: string;
  source?: string;
  time?: string;
  detail: S3ObjectCreatedDetail;
  /** Operator options (local `efi ingest --reload`, or a manual StartExecution). */
  efi?: { reload?: boolean };
}

/** FetchConfig → `$.run`. */
export interface RunContext {
  runId: string;
  executionId: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  configId: string | null;
  interface: string | null;
  hasTransform: boolean;
  /** True when this execution must not load (duplicate event, content already loaded). */
  skip: boolean;
  skipReason: string | null;
  /** A skipped run whose content is already loaded: its copy is moved out of landing (ArchiveDuplicate). */
  archiveDuplicate?: boolean;
  startedAt: string;
}

/** ValidateFile → `$.validation`. */
export interface ValidationResult {
  fileBytes: number;
  /** Data records (header, trailer and ignored blank lines excluded). */
  recordsInFile: number;
  headerLines: number;
  trailerCount: number | null;
  lineEnding: 'lf' | 'crlf' | 'none';
  bom: boolean;
  /** Records per record type, for split files. */
  recordTypes: Record<string, number> | null;
  unknownRecords: number;
  blankLines: number;
  /** False when the original can be loaded as is (Preprocess is skipped). */
  needsPreprocess: boolean;
}

/** Preprocess → `$.prepared`: parts per target, plus where the manifests are. */
export interface PreparedTarget {
  recordType: string | null;
  records: number;
  parts: LoadPart[];
  manifest: { bucket: string; key: string } | null;
  /**
   * Format of the parts as Preprocess wrote them; differs from the config's
   * when a multi-character delimiter was rewritten to CSV (',' and '"').
   * Loaders use this instead of config.format when present.
   */
  format?: LoadFormat;
}

export interface PreparedLoad {
  targets: PreparedTarget[];
  /** Prefix holding every part of this run (`processing/<runId>/`), deleted by Archive. */
  processingPrefix: string | null;
  skippedRecords: number;
}

/** SubmitLoad / CheckLoad / SubmitTransform / CheckTransform → `$.load` / `$.transform`. */
export interface StatementRef {
  statementId: string;
  status: StatementState;
  /** RedriveCount the statement was submitted under: a redrive resubmits a statement that failed earlier. */
  attempt: number;
  targets?: TargetResult[];
  rowsLoaded?: number;
  rowsRejected?: number;
}

/** Archive / Reject → `$.archive`. */
export interface ArchiveResult {
  movedTo: string;
  partsDeleted: number;
}

/** Audit input: everything known about the run, plus the status to record. */
export interface AuditInput {
  status: RunStatus;
  run: RunContext;
  validation?: ValidationResult;
  load?: StatementRef;
  transform?: StatementRef;
  archive?: ArchiveResult;
  /** Step Functions Catch output: { Error, Cause }. */
  error?: { Error: string; Cause?: string };
  redriveCount?: number;
}

export interface AuditResult {
  runId: string;
  status: RunStatus;
  recordsInFile: number | null;
  rowsLoaded: number | null;
  rowsRejected: number | null;
  error: SerializedError | null;
}

/** Shape the local runner and handlers share for config look-ups. */
export type ConfigLookup = (configId: string) => Promise<FileConfig>;
