/**
 * The state contract: what each state receives and returns, declared once as
 * zod schemas; every type is `z.infer` of its schema, so a handler's parsed
 * input is the step's input with no cast in between. Payloads are small JSON
 * (never file contents): Step Functions caps them at 256 KB.
 * docs/architecture.md documents the same shapes; keep them in step.
 *
 * zod/mini (tree-shakable) keeps every Lambda bundle small; the YAML config
 * schema, which only the CLI uses, is on full zod.
 *
 * May import: errors, ports (types only). Nothing above it.
 */
import * as z from 'zod/mini';
import { InvalidStateInput, type SerializedError } from '../errors.ts';
import type { RunStatus } from '../ports/notifier.ts';

const text = () => z.string().check(z.minLength(1));
const count = () => z.int().check(z.nonnegative());

/** EventBridge "Object Created" detail (the part the pipeline reads). */
export const s3ObjectCreatedDetailSchema = z.object({
  bucket: z.object({ name: text() }),
  object: z.object({
    // S3 event keys are URL-encoded in notifications; EventBridge delivers them decoded.
    key: text(),
    size: z.optional(count()),
    etag: z.optional(z.string()),
    sequencer: z.optional(z.string()),
  }),
  reason: z.optional(z.string()),
});
export type S3ObjectCreatedDetail = z.infer<typeof s3ObjectCreatedDetailSchema>;

/** Execution input: the EventBridge event, plus optional operator options. */
export const executionInputSchema = z.object({
  'detail-type': z.optional(z.string()),
  source: z.optional(z.string()),
  time: z.optional(z.string()),
  detail: s3ObjectCreatedDetailSchema,
  /** Operator options (local `efi ingest --reload`, or a manual StartExecution). */
  efi: z.optional(z.object({ reload: z.optional(z.boolean()) })),
});
export type ExecutionInput = z.infer<typeof executionInputSchema>;

/** FetchConfig's input: the execution input plus the context fields the ASL passes. */
export const fetchConfigInputSchema = z.object({
  input: executionInputSchema,
  executionId: text(),
  executionName: text(),
  startTime: text(),
});
export type FetchConfigEvent = z.infer<typeof fetchConfigInputSchema>;

/**
 * FetchConfig → `$.run`. `configId`/`configVersion` are null only for a run
 * that never matched a config (a skipped duplicate event); every later state
 * of a matched run reads the config version it started with.
 */
export const runContextSchema = z.object({
  runId: text(),
  executionId: text(),
  bucket: text(),
  key: text(),
  etag: z.string(),
  size: count(),
  configId: z.nullable(z.string()),
  configVersion: z.nullable(z.int().check(z.positive())),
  interface: z.nullable(z.string()),
  hasTransform: z.boolean(),
  /** True when this execution must not load (duplicate event, content already loaded). */
  skip: z.boolean(),
  skipReason: z.nullable(z.string()),
  /** A skipped run whose content is already loaded: its copy is moved out of landing (ArchiveDuplicate). */
  archiveDuplicate: z.optional(z.boolean()),
  /** Run ids whose rows this run's load replaces (a `--reload` of content already loaded); absent = none. */
  replaceRunIds: z.optional(z.array(z.string())),
  /** `--reload` or `duplicates: reload`: ValidateFile's claim by content hash decides with the same policy. */
  reload: z.optional(z.boolean()),
  startedAt: z.string(),
});
export type RunContext = z.infer<typeof runContextSchema>;

/** A run matched to a config: what every state between FetchConfig and Archive receives. */
export const matchedRunSchema = z.extend(runContextSchema, {
  configId: text(),
  configVersion: z.int().check(z.positive()),
});
export type MatchedRun = z.infer<typeof matchedRunSchema>;

/** ValidateFile → `$.validation`. */
export const validationSchema = z.object({
  fileBytes: count(),
  /** Data records (header, trailer and ignored blank lines excluded). */
  recordsInFile: count(),
  headerLines: count(),
  trailerCount: z.nullable(z.int()),
  lineEnding: z.enum(['lf', 'crlf', 'none']),
  bom: z.boolean(),
  /** Records per record type, for split files. */
  recordTypes: z.nullable(z.record(z.string(), z.number())),
  unknownRecords: count(),
  blankLines: count(),
  /** False when the original can be loaded as is (UseOriginalFile instead of Preprocess). */
  needsPreprocess: z.boolean(),
  /** SHA-256 of the file's bytes as stored (null when the pass did not see every byte). */
  contentSha256: z.optional(z.nullable(z.string())),
  /** Another run owns the same bytes (claimed by hash): this run must not load (IsSameContent → skip path). */
  skip: z.optional(z.boolean()),
  /** That run loaded them already: this copy is archived (ArchiveDuplicate). */
  archiveDuplicate: z.optional(z.boolean()),
  /**
   * Present when the original's bytes from `dataStart` on (past a BOM and the
   * header lines) are the records as COPY reads them: a local warehouse loads
   * them in place, without Preprocess. `cuts` are record-aligned offsets about
   * 16 MiB apart (ValidateFile's scan found them) where the load may slice.
   */
  inPlace: z.optional(z.object({ dataStart: count(), cuts: z.array(count()) })),
});
export type ValidationResult = z.infer<typeof validationSchema>;

/** Same shape as the warehouse port's LoadPart. */
export const loadPartSchema = z.object({
  bucket: text(),
  key: text(),
  compression: z.enum(['gzip', 'none']),
  /** Uncompressed bytes. */
  bytes: count(),
  records: count(),
  /** Ordinal (1-based, among this target's records) of the part's first record. */
  firstRecord: z.int().check(z.positive()),
  /** Byte offset of the part's first record in the object (a part read in place from the original); 0 when absent. */
  start: z.optional(count()),
  /** Record-aligned offsets in the object, between start and start + bytes, where a loader may slice the part. */
  cuts: z.optional(z.array(count())),
});

/** Same shape as the warehouse port's LoadFormat. */
export const loadFormatSchema = z.object({
  layout: z.enum(['delimited', 'fixed_width']),
  delimiter: z.string(),
  quote: z.nullable(z.string()),
  escape: z.nullable(z.string()),
});

const objectRefSchema = z.object({ bucket: text(), key: text() });

/**
 * Preprocess / UseOriginalFile → `$.prepared`, per target: counts, bytes and
 * where the part list and the COPY manifest are in S3. The parts themselves
 * are not in state (~200 bytes each would cap a file at ~1,300 parts within
 * 256 KiB); SubmitLoad and CheckLoad read them with `readParts`.
 */
const preparedTargetShape = z.object({
  recordType: z.nullable(z.string()),
  records: count(),
  /** Number of parts (0: nothing of this type in the file, nothing to load). */
  partCount: count(),
  /** Uncompressed bytes over all parts. */
  bytes: count(),
  /** efi's part list (`{ parts: LoadPart[] }`, see steps/processing.ts); null when partCount is 0 or in a legacy payload. */
  partList: z.nullable(objectRefSchema),
  /** Legacy payloads (before the part list moved to S3) carried every part here; read, never written. */
  parts: z.optional(z.array(loadPartSchema)),
  /** The target's COPY manifest; null when partCount is 0 (or in payloads from before every target had one). */
  manifest: z.nullable(objectRefSchema),
  /**
   * Format of the parts as Preprocess wrote them; differs from the config's
   * when a multi-character delimiter was rewritten to CSV (',' and '"').
   * Loaders use this instead of config.format when present.
   */
  format: z.optional(loadFormatSchema),
});

/** An in-flight payload from before the part list moved to S3 (inline `parts`, no partCount) still parses: a redrive of an old execution works. */
function upgradeLegacyTarget(t: unknown): unknown {
  if (!t || typeof t !== 'object') return t;
  const o = t as { parts?: unknown; partCount?: unknown };
  if (o.partCount !== undefined || !Array.isArray(o.parts)) return t;
  const parts = o.parts as { bytes?: unknown }[];
  const bytes = parts.reduce((n, p) => n + (typeof p?.bytes === 'number' ? p.bytes : 0), 0);
  return { ...o, partCount: parts.length, bytes, partList: null };
}

export const preparedTargetSchema = z.pipe(z.transform(upgradeLegacyTarget), preparedTargetShape);
export type PreparedTarget = z.output<typeof preparedTargetShape>;

export const preparedLoadSchema = z.object({
  targets: z.array(preparedTargetSchema),
  /** Prefix holding every object this run wrote (`processing/<runId>/`), deleted by Archive. */
  processingPrefix: z.nullable(z.string()),
  skippedRecords: count(),
});
export type PreparedLoad = z.infer<typeof preparedLoadSchema>;

const statementStateSchema = z.enum(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'FAILED', 'ABORTED']);

/** Same shape as the warehouse port's TargetResult. */
export const targetResultSchema = z.object({
  target: z.object({ schema: z.string(), table: z.string() }),
  recordType: z.nullable(z.string()),
  /** null: the warehouse did not report it and it cannot be derived (docs/truth-model.md, unknown row counts). */
  rowsLoaded: z.nullable(count()),
  rowsRejected: z.nullable(count()),
});

/** SubmitLoad / CheckLoad / SubmitTransform / CheckTransform → `$.load` / `$.transform`. */
export const statementRefSchema = z.object({
  statementId: text(),
  status: statementStateSchema,
  /** RedriveCount the statement was submitted under: a redrive resubmits a statement that failed earlier. */
  attempt: count(),
  targets: z.optional(z.array(targetResultSchema)),
  rowsLoaded: z.optional(z.nullable(count())),
  rowsRejected: z.optional(z.nullable(count())),
  /** Polls of a running statement so far under `pollsUnder` (the RedriveCount they were counted in); a redrive starts a new count. */
  polls: z.optional(count()),
  pollsUnder: z.optional(count()),
  /** Seconds the Wait before the next Check waits (`SecondsPath`): backs off from the poll count (steps/statement-poll.ts). */
  nextWaitSeconds: z.optional(count()),
  /** Resubmits after a transient statement failure under `retriesUnder` (a RedriveCount); this statement is the last of them. */
  retries: z.optional(count()),
  retriesUnder: z.optional(count()),
});
export type StatementRef = z.infer<typeof statementRefSchema>;

/** Archive / RejectFile → `$.archive`. */
export const archiveResultSchema = z.object({ movedTo: z.string(), partsDeleted: count() });
export type ArchiveResult = z.infer<typeof archiveResultSchema>;

/** Step Functions Catch output: { Error, Cause }. */
export const catchErrorSchema = z.looseObject({ Error: z.string(), Cause: z.optional(z.string()) });
export type CatchError = z.infer<typeof catchErrorSchema>;

/** `$$.Execution.RedriveCount` (0 when a caller leaves it out). */
export const redriveCountSchema = z._default(count(), 0);

/** Audit input: everything known about the run, plus the status to record. */
export const auditInputSchema = z.object({
  status: z.enum(['FINISHED', 'FAILED', 'ABORTED', 'SKIPPED']),
  run: runContextSchema,
  validation: z.optional(validationSchema),
  load: z.optional(statementRefSchema),
  archive: z.optional(archiveResultSchema),
  error: z.optional(catchErrorSchema),
  redriveCount: z.optional(count()),
});
export type AuditInput = z.infer<typeof auditInputSchema>;

/** Audit → `$.audit` (an output only: nothing parses it). */
export interface AuditResult {
  runId: string;
  status: RunStatus;
  recordsInFile: number | null;
  rowsLoaded: number | null;
  rowsRejected: number | null;
  error: SerializedError | null;
}

/**
 * Parses a state's input at the boundary, so a definition/handler mismatch
 * fails with a precise InvalidStateInput instead of an undefined deep inside.
 */
export function parseInput<T extends z.ZodMiniType>(state: string, schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`)
      .join('; ');
    throw new InvalidStateInput(`${state}: state input does not match the state contract: ${issues}`);
  }
  return r.data;
}
