import type { SerializedError } from '../../../functions/lib/errors.ts';
import type { FileClaim, NewRun, RunLog, RunPatch, RunRecord } from '../../../functions/lib/ports/run-log.ts';

/**
 * An in-memory RunLog for step unit tests. It passes the RunLog contract
 * suite (test/ports/run-log.contract.ts) that the kysely adapter passes on
 * PGlite and PostgreSQL.
 */
export class MemoryRunLog implements RunLog {
  readonly rows = new Map<string, RunRecord>();
  private readonly claims = new Map<string, string>();

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
      column: err.column ?? null,
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

  async findLoadedContent(c: { configId: string; etag: string; excludeRunId: string }): Promise<RunRecord | null> {
    const found = [...this.rows.values()]
      .filter(
        (r) => r.configId === c.configId && r.etag === c.etag && r.status === 'FINISHED' && r.runId !== c.excludeRunId,
      )
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
    return found ? structuredClone(found) : null;
  }
}

function claimId(c: FileClaim): string {
  return JSON.stringify([c.bucket, c.key, c.etag]);
}
