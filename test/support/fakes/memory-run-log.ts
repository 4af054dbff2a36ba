import type { SerializedError } from '../../../functions/lib/errors.ts';
import type { RunStatus } from '../../../functions/lib/ports/notifier.ts';
import type {
  ContentClaim,
  ContentClaimRow,
  FileClaim,
  NewRun,
  RunLog,
  RunPatch,
  RunRecord,
} from '../../../functions/lib/ports/run-log.ts';

/**
 * An in-memory RunLog for step unit tests. It passes the RunLog contract
 * suite (test/ports/run-log.contract.ts) that the kysely adapter passes on
 * PGlite and PostgreSQL.
 */
export class MemoryRunLog implements RunLog {
  readonly rows = new Map<string, RunRecord>();
  private readonly claims = new Map<string, string>();
  /** Content claims by (config, ETag, size), as `efi.content_claims` keys them. */
  private readonly contents = new Map<string, ContentClaimRow>();

  async register(run: NewRun): Promise<RunRecord> {
    if (!this.rows.has(run.runId)) {
      this.rows.set(run.runId, {
        runId: run.runId,
        executionId: run.executionId,
        configId: null,
        interface: null,
        bucket: run.bucket,
        key: run.key,
        etag: run.etag,
        fileBytes: run.size,
        contentSha256: null,
        status: 'RUNNING',
        recordsInFile: null,
        recordsSkipped: null,
        rowsLoaded: null,
        rowsRejected: null,
        targets: null,
        statementIds: [],
        archivedTo: null,
        skipReason: null,
        error: null,
        redriveCount: 0,
        notified: null,
        loadStatementId: null,
        transformStatementId: null,
        loadCommitted: null,
        transformCommitted: null,
        notifyError: null,
        startedAt: new Date(run.startedAt).toISOString(),
        finishedAt: null,
      });
    }
    return structuredClone(this.rows.get(run.runId)!);
  }

  async get(runId: string): Promise<RunRecord | null> {
    const r = this.rows.get(runId);
    return r ? structuredClone(r) : null;
  }

  async getByExecution(executionId: string): Promise<RunRecord | null> {
    const r = [...this.rows.values()].find((x) => x.executionId === executionId);
    return r ? structuredClone(r) : null;
  }

  async update(runId: string, p: RunPatch): Promise<void> {
    const r = this.rows.get(runId);
    if (!r) return;
    const { finished, clearError, ...fields } = p;
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      (r as unknown as Record<string, unknown>)[k] = structuredClone(v);
    }
    if (finished) r.finishedAt = new Date().toISOString();
    if (clearError) r.error = null;
  }

  async recordError(runId: string, err: SerializedError, state: string): Promise<void> {
    const r = this.rows.get(runId);
    if (!r) return;
    r.error = {
      name: err.name,
      message: err.message.slice(0, 4000),
      line: err.line ?? null,
      // error_column is text in the database: a digit string reads back as a number.
      column: typeof err.column === 'string' && /^\d+$/.test(err.column) ? Number(err.column) : (err.column ?? null),
      location: err.location ?? null,
      state,
    };
  }

  async addStatementId(runId: string, statementId: string): Promise<void> {
    const r = this.rows.get(runId);
    if (r && !r.statementIds.includes(statementId)) r.statementIds.push(statementId);
  }

  async claimFile(c: FileClaim & { runId: string }): Promise<{ owner: string }> {
    const id = claimId(c);
    if (!this.claims.has(id)) this.claims.set(id, c.runId);
    return { owner: this.claims.get(id)! };
  }

  async transferClaim(c: FileClaim & { from: string; to: string }): Promise<boolean> {
    const id = claimId(c);
    if (this.claims.get(id) !== c.from) return false;
    this.claims.set(id, c.to);
    return true;
  }

  async claimContent(c: ContentClaim & { runId: string }): Promise<ContentClaimRow> {
    const id = contentId(c);
    if (!this.contents.has(id)) this.contents.set(id, { owner: c.runId, replaces: [] });
    return structuredClone(this.contents.get(id)!);
  }

  async transferContent(
    c: ContentClaim & { from: string; fromStatus: RunStatus; to: string; replaces: string[] },
  ): Promise<boolean> {
    const id = contentId(c);
    // As the adapter's one guarded UPDATE: only while `from` owns it and its run row has `fromStatus`.
    if (this.contents.get(id)?.owner !== c.from || this.rows.get(c.from)?.status !== c.fromStatus) return false;
    this.contents.set(id, { owner: c.to, replaces: [...c.replaces] });
    return true;
  }

  async contentOwner(c: ContentClaim): Promise<string | null> {
    return this.contents.get(contentId(c))?.owner ?? null;
  }

  async contentClaim(c: ContentClaim): Promise<ContentClaimRow | null> {
    const row = this.contents.get(contentId(c));
    return row ? structuredClone(row) : null;
  }
}

function claimId(c: FileClaim): string {
  return JSON.stringify([c.bucket, c.key, c.etag]);
}

function contentId(c: ContentClaim): string {
  return JSON.stringify([c.configId, c.etag, c.sizeBytes]);
}
