/**
 * Behaviour every RunLog must share: the kysely adapter on PGlite and
 * PostgreSQL (test/adapters/config-db/kysely-run-log.test.ts) and the
 * in-memory fake the step unit tests use (test/support/fakes/memory-run-log.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRun, RunLog } from '../../functions/lib/ports/run-log.ts';

export interface ContractRunLog {
  runs: RunLog;
  cleanup: () => Promise<void>;
}

export function runLogContract(name: string, make: () => Promise<ContractRunLog>, skip = false): void {
  describe.skipIf(skip)(`RunLog contract: ${name}`, () => {
    let ctx: ContractRunLog;
    let runs: RunLog;
    let n = 0;
    // Each case uses its own run ids and claims, so cases never see each other's rows.
    const newRun = (patch: Partial<NewRun> = {}): NewRun => {
      const id = `run-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      return {
        runId: id,
        executionId: `arn:exec:${id}`,
        bucket: 'landing',
        key: `in/${id}.csv`,
        etag: `etag-${id}`,
        size: 42,
        startedAt: '2026-11-24T10:00:00.000Z',
        ...patch,
      };
    };

    beforeAll(async () => {
      ctx = await make();
      runs = ctx.runs;
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    it('registers a run as RUNNING with nothing counted yet, and finds it by run id and by execution', async () => {
      const r = newRun();
      const stored = await runs.register(r);
      expect(stored).toMatchObject({
        runId: r.runId,
        executionId: r.executionId,
        bucket: 'landing',
        key: r.key,
        etag: r.etag,
        fileBytes: 42,
        status: 'RUNNING',
        configId: null,
        interface: null,
        rowsLoaded: null,
        statementIds: [],
        error: null,
        redriveCount: 0,
        notified: null,
        startedAt: '2026-11-24T10:00:00.000Z',
        finishedAt: null,
      });
      expect(await runs.get(r.runId)).toEqual(stored);
      expect(await runs.getByExecution(r.executionId)).toEqual(stored);
      expect(await runs.get('no-such-run')).toBeNull();
      expect(await runs.getByExecution('arn:exec:no-such-run')).toBeNull();
    });

    it('keeps the first registration of a run: a rerun of FetchConfig keeps its start time', async () => {
      const r = newRun();
      await runs.register(r);
      const again = await runs.register({ ...r, startedAt: '2026-11-25T00:00:00.000Z', size: 99 });
      expect(again.startedAt).toBe('2026-11-24T10:00:00.000Z');
      expect(again.fileBytes).toBe(42);
    });

    it('updates only the fields a patch names, and sets the finish time when asked', async () => {
      const r = newRun();
      await runs.register(r);
      await runs.update(r.runId, { configId: 'sales.daily', interface: 'sales', rowsLoaded: 3 });
      await runs.update(r.runId, {
        status: 'FINISHED',
        rowsRejected: 0,
        targets: [{ recordType: null, rowsLoaded: 3 }],
        notified: 'FINISHED:0',
        redriveCount: 1,
        finished: true,
      });
      const got = (await runs.get(r.runId))!;
      expect(got).toMatchObject({
        configId: 'sales.daily',
        interface: 'sales',
        status: 'FINISHED',
        rowsLoaded: 3,
        rowsRejected: 0,
        targets: [{ recordType: null, rowsLoaded: 3 }],
        notified: 'FINISHED:0',
        redriveCount: 1,
      });
      expect(got.finishedAt).not.toBeNull();
    });

    it('records where a state failed (line, column) and clears it on request', async () => {
      const r = newRun();
      await runs.register(r);
      await runs.recordError(
        r.runId,
        { name: 'RowRejected', message: 'bad amount', line: 7, column: 'amount' },
        'CheckLoad',
      );
      expect((await runs.get(r.runId))!.error).toEqual({
        name: 'RowRejected',
        message: 'bad amount',
        line: 7,
        column: 'amount',
        state: 'CheckLoad',
      });
      await runs.recordError(r.runId, { name: 'HeaderMismatch', message: 'x', line: 1, column: 3 }, 'ValidateFile');
      expect((await runs.get(r.runId))!.error).toMatchObject({ name: 'HeaderMismatch', line: 1, column: 3 });
      await runs.update(r.runId, { clearError: true });
      expect((await runs.get(r.runId))!.error).toBeNull();
    });

    it('appends a statement id once', async () => {
      const r = newRun();
      await runs.register(r);
      await runs.addStatementId(r.runId, 'st-1');
      await runs.addStatementId(r.runId, 'st-2');
      await runs.addStatementId(r.runId, 'st-1');
      expect((await runs.get(r.runId))!.statementIds).toEqual(['st-1', 'st-2']);
    });

    it('gives a file claim to the first run that asks; the second learns the owner', async () => {
      const a = newRun();
      const b = newRun();
      const claim = { bucket: 'landing', key: a.key, etag: 'same-bytes' };
      expect(await runs.claimFile({ ...claim, runId: a.runId })).toEqual({ owner: a.runId });
      expect(await runs.claimFile({ ...claim, runId: b.runId })).toEqual({ owner: a.runId });
      // New bytes under the same name are a different claim.
      expect(await runs.claimFile({ ...claim, etag: 'new-bytes', runId: b.runId })).toEqual({ owner: b.runId });
    });

    it('hands a claim over only from its current owner', async () => {
      const [a, b, c] = [newRun(), newRun(), newRun()];
      const claim = { bucket: 'landing', key: a.key, etag: 'e' };
      await runs.claimFile({ ...claim, runId: a.runId });
      expect(await runs.transferClaim({ ...claim, from: a.runId, to: b.runId })).toBe(true);
      expect(await runs.claimFile({ ...claim, runId: c.runId })).toEqual({ owner: b.runId });
      // A takes-over race lost: a no longer owns it.
      expect(await runs.transferClaim({ ...claim, from: a.runId, to: c.runId })).toBe(false);
      expect(await runs.claimFile({ ...claim, runId: c.runId })).toEqual({ owner: b.runId });
    });

    it('finds the latest FINISHED run of the same config and content, never the asking run', async () => {
      const etag = `content-${Math.random().toString(36).slice(2)}`;
      const older = newRun({ etag, startedAt: '2026-11-20T00:00:00.000Z' });
      const newer = newRun({ etag, startedAt: '2026-11-21T00:00:00.000Z' });
      const failed = newRun({ etag, startedAt: '2026-11-22T00:00:00.000Z' });
      const other = newRun({ etag, startedAt: '2026-11-23T00:00:00.000Z' });
      const asking = newRun({ etag });
      for (const r of [older, newer, failed, other, asking]) await runs.register(r);
      for (const r of [older, newer, asking]) await runs.update(r.runId, { configId: 'c.one', status: 'FINISHED' });
      await runs.update(failed.runId, { configId: 'c.one', status: 'FAILED' });
      await runs.update(other.runId, { configId: 'c.two', status: 'FINISHED' });

      const found = await runs.findLoadedContent({ configId: 'c.one', etag, excludeRunId: asking.runId });
      expect(found?.runId).toBe(newer.runId);
      expect(await runs.findLoadedContent({ configId: 'c.three', etag, excludeRunId: asking.runId })).toBeNull();
    });
  });
}
