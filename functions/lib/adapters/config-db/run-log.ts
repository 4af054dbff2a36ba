import { type Kysely, sql } from 'kysely';
import type { SerializedError } from '../../errors.ts';
import type { RunStatus } from '../../ports/notifier.ts';
import type { EfiDatabase } from './schema.ts';

/**
 * The run row: one per execution, its whole lifecycle. Every write here is an
 * idempotent upsert or a guarded update, because any state may run twice.
 */

type Db = Kysely<EfiDatabase>;
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
  notified: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

// biome-ignore lint/suspicious/noExplicitAny: row shape comes from the driver
export function toRunRecord(r: any): RunRecord {
  return {
    runId: r.run_id,
    executionId: r.execution_id,
    configId: r.config_id,
    interface: r.interface_name,
    bucket: r.bucket,
    key: r.object_key,
    etag: r.etag,
    fileBytes: num(r.file_bytes),
    status: r.status,
    recordsInFile: num(r.records_in_file),
    recordsSkipped: num(r.records_skipped),
    rowsLoaded: num(r.rows_loaded),
    rowsRejected: num(r.rows_rejected),
    targets: r.targets ?? null,
    statementIds: r.statement_ids ?? [],
    archivedTo: r.archived_to,
    skipReason: r.skip_reason,
    error: r.error_name
      ? {
          name: r.error_name,
          message: r.error_message ?? '',
          line: num(r.error_line),
          column:
            r.error_column === null ? null : /^\d+$/.test(r.error_column) ? Number(r.error_column) : r.error_column,
          state: r.error_state,
        }
      : null,
    redriveCount: Number(r.redrive_count ?? 0),
    notified: r.notified,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
  };
}

export async function registerRun(
  db: Db,
  run: {
    runId: string;
    executionId: string;
    bucket: string;
    key: string;
    etag: string | null;
    size: number | null;
    startedAt: string;
  },
): Promise<RunRecord> {
  await db
    .insertInto('efi.runs')
    .values({
      run_id: run.runId,
      execution_id: run.executionId,
      config_id: null,
      interface_name: null,
      bucket: run.bucket,
      object_key: run.key,
      etag: run.etag,
      file_bytes: run.size,
      status: 'RUNNING',
      records_in_file: null,
      rows_loaded: null,
      rows_rejected: null,
      targets: JSON.stringify(null) as never,
      statement_ids: JSON.stringify([]) as never,
      archived_to: null,
      skip_reason: null,
      error_name: null,
      error_message: null,
      error_line: null,
      error_column: null,
      error_state: null,
      notified: null,
      started_at: run.startedAt,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
  return (await getRun(db, run.runId))!;
}

export async function getRun(db: Db, runId: string): Promise<RunRecord | null> {
  const r = await db.selectFrom('efi.runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  return r ? toRunRecord(r) : null;
}

export async function getRunByExecution(db: Db, executionId: string): Promise<RunRecord | null> {
  const r = await db.selectFrom('efi.runs').selectAll().where('execution_id', '=', executionId).executeTakeFirst();
  return r ? toRunRecord(r) : null;
}

export async function listRuns(db: Db, opts: { status?: string; limit?: number } = {}): Promise<RunRecord[]> {
  let q = db
    .selectFrom('efi.runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .limit(opts.limit ?? 50);
  if (opts.status) q = q.where('status', '=', opts.status as RunStatus);
  return (await q.execute()).map(toRunRecord);
}

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
  finished?: boolean;
  clearError?: boolean;
}

export async function updateRun(db: Db, runId: string, p: RunPatch): Promise<void> {
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  if (p.configId !== undefined) set['config_id'] = p.configId;
  if (p.interface !== undefined) set['interface_name'] = p.interface;
  if (p.status !== undefined) set['status'] = p.status;
  if (p.fileBytes !== undefined) set['file_bytes'] = p.fileBytes;
  if (p.recordsInFile !== undefined) set['records_in_file'] = p.recordsInFile;
  if (p.recordsSkipped !== undefined) set['records_skipped'] = p.recordsSkipped;
  if (p.rowsLoaded !== undefined) set['rows_loaded'] = p.rowsLoaded;
  if (p.rowsRejected !== undefined) set['rows_rejected'] = p.rowsRejected;
  if (p.targets !== undefined) set['targets'] = JSON.stringify(p.targets);
  if (p.archivedTo !== undefined) set['archived_to'] = p.archivedTo;
  if (p.skipReason !== undefined) set['skip_reason'] = p.skipReason;
  if (p.redriveCount !== undefined) set['redrive_count'] = p.redriveCount;
  if (p.notified !== undefined) set['notified'] = p.notified;
  if (p.finished) set['finished_at'] = sql`now()`;
  if (p.clearError) {
    Object.assign(set, {
      error_name: null,
      error_message: null,
      error_line: null,
      error_column: null,
      error_state: null,
    });
  }
  await db.updateTable('efi.runs').set(set).where('run_id', '=', runId).execute();
}

/** Records where and why a state failed, so the audit can say line and column even though Step Functions only carries name and message. */
export async function recordRunError(db: Db, runId: string, err: SerializedError, state: string): Promise<void> {
  await db
    .updateTable('efi.runs')
    .set({
      error_name: err.name,
      error_message: err.message.slice(0, 4000),
      error_line: err.line ?? null,
      error_column: err.column === null || err.column === undefined ? null : String(err.column),
      error_state: state,
      updated_at: sql`now()`,
    })
    .where('run_id', '=', runId)
    .execute();
}

export async function addStatementId(db: Db, runId: string, statementId: string): Promise<void> {
  const run = await getRun(db, runId);
  if (!run || run.statementIds.includes(statementId)) return;
  await db
    .updateTable('efi.runs')
    .set({ statement_ids: JSON.stringify([...run.statementIds, statementId]) as never, updated_at: sql`now()` })
    .where('run_id', '=', runId)
    .execute();
}

/**
 * Claims a file's content for a run. S3 delivers events at least once, so two
 * executions may see the same object: the claim row decides which one loads.
 * Returns the run that owns the claim (this one, or the earlier one).
 */
export async function claimFile(
  db: Db,
  c: { bucket: string; key: string; etag: string; runId: string },
): Promise<{ owner: string }> {
  await db
    .insertInto('efi.file_claims')
    .values({ bucket: c.bucket, object_key: c.key, etag: c.etag, run_id: c.runId })
    .onConflict((oc) => oc.columns(['bucket', 'object_key', 'etag']).doNothing())
    .execute();
  const row = await db
    .selectFrom('efi.file_claims')
    .select('run_id')
    .where('bucket', '=', c.bucket)
    .where('object_key', '=', c.key)
    .where('etag', '=', c.etag)
    .executeTakeFirstOrThrow();
  return { owner: row.run_id };
}

/** Hands a claim from a finished run to a reload run (operator or config said reload). */
export async function transferClaim(
  db: Db,
  c: { bucket: string; key: string; etag: string; from: string; to: string },
): Promise<boolean> {
  const r = await db
    .updateTable('efi.file_claims')
    .set({ run_id: c.to })
    .where('bucket', '=', c.bucket)
    .where('object_key', '=', c.key)
    .where('etag', '=', c.etag)
    .where('run_id', '=', c.from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A FINISHED run of the same config with the same content (re-upload under any name). */
export async function findLoadedContent(
  db: Db,
  c: { configId: string; etag: string; excludeRunId: string },
): Promise<RunRecord | null> {
  const r = await db
    .selectFrom('efi.runs')
    .selectAll()
    .where('config_id', '=', c.configId)
    .where('etag', '=', c.etag)
    .where('status', '=', 'FINISHED')
    .where('run_id', '!=', c.excludeRunId)
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  return r ? toRunRecord(r) : null;
}
