import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../functions/lib/contract/payloads.ts';
import type { StatusNotification } from '../../functions/lib/ports/notifier.ts';
import type { ContentClaim, ContentClaimRow, RunLog, RunPatch, RunRecord } from '../../functions/lib/ports/run-log.ts';
import { audit } from '../../functions/lib/steps/audit.ts';
import { notifyState } from '../../functions/lib/steps/notify.ts';

/**
 * A redrive resuming at Audit or Notify after a later --reload took the content
 * over (and its load replaced this run's rows) must not report FINISHED
 * (docs/truth-model.md row 11). Archive is held by the e2e content-claims suite.
 */

/** The run row and the content claims in memory: what Audit and Notify read and write of the RunLog port. */
class MemoryRunLog implements Pick<RunLog, 'get' | 'register' | 'update' | 'recordError' | 'contentClaim'> {
  claims = new Map<string, ContentClaimRow>();
  constructor(public run: RunRecord) {}
  async register(): Promise<RunRecord> {
    return this.run;
  }
  async get(): Promise<RunRecord> {
    return this.run;
  }
  async update(_: string, p: RunPatch): Promise<void> {
    const { finished, clearError, ...rest } = p;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    this.run = { ...this.run, ...(defined as Partial<RunRecord>) };
    if (clearError) this.run.error = null;
  }
  async recordError(): Promise<void> {}
  async contentClaim(c: ContentClaim): Promise<ContentClaimRow | null> {
    return this.claims.get(`${c.configId}|${c.etag}|${c.sizeBytes}`) ?? null;
  }
  claim(etag: string, owner: string, replaces: string[] = []) {
    this.claims.set(`sales.pos|${etag}|100`, { owner, replaces });
  }
}

const run: RunContext = {
  runId: 'run-1',
  executionId: 'x:run-1',
  bucket: 'b',
  key: 'landing/pos_1.csv',
  etag: 'etag-1',
  size: 100,
  configId: 'sales.pos',
  configVersion: 1,
  interface: 'sales',
  hasTransform: false,
  skip: false,
  skipReason: null,
  startedAt: '2026-12-01T10:00:00.000Z',
};

function row(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'run-1',
    executionId: 'x:run-1',
    configId: 'sales.pos',
    interface: 'sales',
    bucket: 'b',
    key: 'landing/pos_1.csv',
    etag: 'etag-1',
    fileBytes: 100,
    status: 'RUNNING',
    recordsInFile: 3,
    recordsSkipped: 0,
    rowsLoaded: 3,
    rowsRejected: 0,
    targets: null,
    statementIds: ['load-1'],
    archivedTo: null,
    skipReason: null,
    error: null,
    redriveCount: 1,
    notified: null,
    loadStatementId: 'load-1',
    transformStatementId: null,
    loadCommitted: true,
    transformCommitted: null,
    notifyError: null,
    contentSha256: 'abc',
    startedAt: run.startedAt,
    finishedAt: null,
    ...patch,
  };
}

const load = { statementId: 'load-1', status: 'FINISHED' as const, attempt: 0, rowsLoaded: 3, rowsRejected: 0 };

describe('a redrive after a later --reload replaced the run’s rows', () => {
  it('Audit refuses FINISHED with RunSuperseded naming the run that took the content (by ETag)', async () => {
    const runs = new MemoryRunLog(row());
    runs.claim('etag-1', 'run-2', ['run-1']);
    await expect(
      audit({ status: 'FINISHED', run, load, redriveCount: 1 }, { runs: runs as unknown as RunLog }),
    ).rejects.toMatchObject({ name: 'RunSuperseded', message: expect.stringContaining('superseded by run run-2') });
    expect(runs.run.status).toBe('RUNNING');
  });

  it('Audit refuses it too when the content was taken by its hash (another ETag), and closes FINISHED while the run owns both', async () => {
    const runs = new MemoryRunLog(row());
    runs.claim('etag-1', 'run-1');
    runs.claim('sha256:abc', 'run-3', ['run-1']);
    await expect(
      audit({ status: 'FINISHED', run, load, redriveCount: 1 }, { runs: runs as unknown as RunLog }),
    ).rejects.toMatchObject({ name: 'RunSuperseded', message: expect.stringContaining('run run-3') });
    runs.claim('sha256:abc', 'run-1');
    await audit({ status: 'FINISHED', run, load, redriveCount: 1 }, { runs: runs as unknown as RunLog });
    expect(runs.run.status).toBe('FINISHED');
  });

  it('Notify sends no FINISHED on a redrive once the rows are another run’s; the first pass is not held up', async () => {
    const sent: StatusNotification[] = [];
    const notifier = { publish: async (n: StatusNotification) => void sent.push(n) };
    const runs = new MemoryRunLog(row({ status: 'FINISHED', finishedAt: '2026-12-01T10:01:00.000Z' }));
    runs.claim('sha256:abc', 'run-3', ['run-1']);
    await expect(
      notifyState({ run, redriveCount: 1 }, { runs: runs as unknown as RunLog, notifier }),
    ).rejects.toMatchObject({ name: 'RunSuperseded' });
    expect(sent).toHaveLength(0);
    runs.claim('sha256:abc', 'run-1');
    await notifyState({ run, redriveCount: 1 }, { runs: runs as unknown as RunLog, notifier });
    expect(sent.map((n) => n.status)).toEqual(['FINISHED']);
  });
});
