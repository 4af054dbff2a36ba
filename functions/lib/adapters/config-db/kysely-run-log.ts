import { type Kysely, sql } from 'kysely';
import type { ErrorLocation, SerializedError } from '../../errors.ts';
import type { RunStatus } from '../../ports/notifier.ts';
import type {
  ContentClaim,
  ContentClaimRow,
  FileClaim,
  NewRun,
  RunLog,
  RunPatch,
  RunRecord,
} from '../../ports/run-log.ts';
import type { EfiDatabase } from './schema.ts';

type Db = Kysely<EfiDatabase>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** `runs.error_column` is text: a column number, a column name, or null. */
export function errorColumn(v: string | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** An error as a run row stores it: every member present (null when unknown). */
export interface RunRowError extends SerializedError {
  line: number | null;
  column: number | string | null;
  location: ErrorLocation | null;
}

/** A run row's recorded error (the `error_*` columns), or null: the one reading for the run log, `efi runs` and the console. */
export function runRowError(r: {
  error_name: string | null;
  error_message: string | null;
  error_line: unknown;
  error_column: string | null;
  error_location: unknown;
}): RunRowError | null {
  if (!r.error_name) return null;
  return {
    name: r.error_name,
    message: r.error_message ?? '',
    line: num(r.error_line),
    column: errorColumn(r.error_column),
    location: (r.error_location as ErrorLocation | null) ?? null,
  };
}

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
    error: r.error_name ? { ...runRowError(r)!, state: r.error_state } : null,
    redriveCount: Number(r.redrive_count ?? 0),
    notified: r.notified,
    loadStatementId: r.load_statement_id ?? null,
    transformStatementId: r.transform_statement_id ?? null,
    loadCommitted: r.load_committed ?? null,
    transformCommitted: r.transform_committed ?? null,
    notifyError: r.notify_error ?? null,
    contentSha256: r.content_sha256 ?? null,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
  };
}

/**
 * The run log in the config/audit database (`efi.runs`, `efi.file_claims`, `efi.content_claims`).
 * Every write is an idempotent upsert or a guarded update, because any state
 * may run twice.
 */
export class KyselyRunLog implements RunLog {
  constructor(private readonly db: Db) {}

  async register(run: NewRun): Promise<RunRecord> {
    await this.db
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
    return (await this.get(run.runId))!;
  }

  async get(runId: string): Promise<RunRecord | null> {
    const r = await this.db.selectFrom('efi.runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return r ? toRunRecord(r) : null;
  }

  async getByExecution(executionId: string): Promise<RunRecord | null> {
    const r = await this.db
      .selectFrom('efi.runs')
      .selectAll()
      .where('execution_id', '=', executionId)
      .executeTakeFirst();
    return r ? toRunRecord(r) : null;
  }

  async update(runId: string, p: RunPatch): Promise<void> {
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
    if (p.loadStatementId !== undefined) set['load_statement_id'] = p.loadStatementId;
    if (p.transformStatementId !== undefined) set['transform_statement_id'] = p.transformStatementId;
    if (p.loadCommitted !== undefined) set['load_committed'] = p.loadCommitted;
    if (p.transformCommitted !== undefined) set['transform_committed'] = p.transformCommitted;
    if (p.notifyError !== undefined) set['notify_error'] = p.notifyError;
    if (p.contentSha256 !== undefined) set['content_sha256'] = p.contentSha256;
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
    await this.db.updateTable('efi.runs').set(set).where('run_id', '=', runId).execute();
  }

  async recordError(runId: string, err: SerializedError, state: string): Promise<void> {
    await this.db
      .updateTable('efi.runs')
      .set({
        error_name: err.name,
        error_message: err.message.slice(0, 4000),
        error_line: err.line ?? null,
        error_column: err.column === null || err.column === undefined ? null : String(err.column),
        error_location: err.location ? JSON.stringify(err.location) : null,
        error_state: state,
        updated_at: sql`now()`,
      })
      .where('run_id', '=', runId)
      .execute();
  }

  async addStatementId(runId: string, statementId: string): Promise<void> {
    const run = await this.get(runId);
    if (!run || run.statementIds.includes(statementId)) return;
    await this.db
      .updateTable('efi.runs')
      .set({ statement_ids: JSON.stringify([...run.statementIds, statementId]) as never, updated_at: sql`now()` })
      .where('run_id', '=', runId)
      .execute();
  }

  async claimFile(c: FileClaim & { runId: string }): Promise<{ owner: string }> {
    await this.db
      .insertInto('efi.file_claims')
      .values({ bucket: c.bucket, object_key: c.key, etag: c.etag, run_id: c.runId })
      .onConflict((oc) => oc.columns(['bucket', 'object_key', 'etag']).doNothing())
      .execute();
    const row = await this.db
      .selectFrom('efi.file_claims')
      .select('run_id')
      .where('bucket', '=', c.bucket)
      .where('object_key', '=', c.key)
      .where('etag', '=', c.etag)
      .executeTakeFirstOrThrow();
    return { owner: row.run_id };
  }

  async transferClaim(c: FileClaim & { from: string; to: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('efi.file_claims')
      .set({ run_id: c.to })
      .where('bucket', '=', c.bucket)
      .where('object_key', '=', c.key)
      .where('etag', '=', c.etag)
      .where('run_id', '=', c.from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async claimContent(c: ContentClaim & { runId: string }): Promise<ContentClaimRow> {
    await this.db
      .insertInto('efi.content_claims')
      .values({ config_id: c.configId, etag: c.etag, size_bytes: c.sizeBytes, run_id: c.runId, replaces: '[]' })
      .onConflict((oc) => oc.columns(['config_id', 'etag', 'size_bytes']).doNothing())
      .execute();
    const row = await this.contentRow(c);
    if (!row) throw new Error(`content claim for ${c.configId} ${c.etag} vanished`);
    return row;
  }

  async transferContent(
    c: ContentClaim & { from: string; fromStatus: RunStatus; to: string; replaces: string[] },
  ): Promise<boolean> {
    // One statement: the owner check and the owner's status check see the same snapshot, so a
    // redrive that set the owner RUNNING again (before its own ownership check) makes this fail.
    const r = await this.db
      .updateTable('efi.content_claims')
      .set({ run_id: c.to, replaces: JSON.stringify(c.replaces), claimed_at: sql`now()` })
      .where('config_id', '=', c.configId)
      .where('etag', '=', c.etag)
      .where('size_bytes', '=', c.sizeBytes)
      .where('run_id', '=', c.from)
      .where((eb) =>
        eb.exists(
          eb.selectFrom('efi.runs').select('run_id').where('run_id', '=', c.from).where('status', '=', c.fromStatus),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async contentOwner(c: ContentClaim): Promise<string | null> {
    return (await this.contentRow(c))?.owner ?? null;
  }

  async contentClaim(c: ContentClaim): Promise<ContentClaimRow | null> {
    return this.contentRow(c);
  }

  private async contentRow(c: ContentClaim): Promise<ContentClaimRow | null> {
    const row = await this.db
      .selectFrom('efi.content_claims')
      .select(['run_id', 'replaces'])
      .where('config_id', '=', c.configId)
      .where('etag', '=', c.etag)
      .where('size_bytes', '=', c.sizeBytes)
      .executeTakeFirst();
    if (!row) return null;
    const replaces = typeof row.replaces === 'string' ? JSON.parse(row.replaces) : row.replaces;
    return { owner: row.run_id, replaces: Array.isArray(replaces) ? replaces : [] };
  }
}
