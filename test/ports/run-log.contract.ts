/**
 * Behaviour every RunLog must share: the kysely adapter on PGlite and
 * PostgreSQL (test/adapters/config-db/kysely-run-log.test.ts) and the
 * in-memory fake the step unit tests use (test/support/fakes/memory-fakes.test.ts).
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
        loadStatementId: null,
        transformStatementId: null,
        loadCommitted: null,
        transformCommitted: null,
        notifyError: null,
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
        loadStatementId: 'st-load',
        loadCommitted: true,
        notifyError: 'sns down',
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
        loadStatementId: 'st-load',
        loadCommitted: true,
        transformStatementId: null,
        transformCommitted: null,
        notifyError: 'sns down',
      });
      expect(got.finishedAt).not.toBeNull();
    });

    it('records where a state failed (line, column, location) and clears it on request', async () => {
      const r = newRun();
      await runs.register(r);
      await runs.recordError(
        r.runId,
        {
          name: 'RowRejected',
          message: 'bad amount',
          line: 7,
          column: 'amount',
          location: { line: 7, field: 3, fieldName: 'amount' },
        },
        'CheckLoad',
      );
      expect((await runs.get(r.runId))!.error).toEqual({
        name: 'RowRejected',
        message: 'bad amount',
        line: 7,
        column: 'amount',
        location: { line: 7, field: 3, fieldName: 'amount' },
        state: 'CheckLoad',
      });
      await runs.recordError(r.runId, { name: 'HeaderMismatch', message: 'x', line: 1, column: 3 }, 'ValidateFile');
      expect((await runs.get(r.runId))!.error).toMatchObject({
        name: 'HeaderMismatch',
        line: 1,
        column: 3,
        location: null,
      });
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

    // Each content case claims its own bytes (a fresh ETag), so the cases never share a claim.
    const newContent = () => ({
      configId: 'c.one',
      etag: `content-${++n}-${Math.random().toString(36).slice(2)}`,
      sizeBytes: 42,
    });

    it('gives a content claim to the first run that asks; later runs learn the owner and what it replaces', async () => {
      const [a, b] = [newRun(), newRun()];
      for (const r of [a, b]) await runs.register(r);
      const content = newContent();
      expect(await runs.contentOwner(content)).toBeNull();
      expect(await runs.claimContent({ ...content, runId: a.runId })).toEqual({ owner: a.runId, replaces: [] });
      expect(await runs.claimContent({ ...content, runId: b.runId })).toEqual({ owner: a.runId, replaces: [] });
      expect(await runs.contentOwner(content)).toBe(a.runId);
      // The same ETag under another config, or with another size, is other content.
      expect(await runs.claimContent({ ...content, configId: 'c.two', runId: b.runId })).toEqual({
        owner: b.runId,
        replaces: [],
      });
      expect(await runs.claimContent({ ...content, sizeBytes: 43, runId: b.runId })).toEqual({
        owner: b.runId,
        replaces: [],
      });
    });

    it('hands a content claim over only from its owner in the expected status, recording what the new owner replaces', async () => {
      const [a, b, c] = [newRun(), newRun(), newRun()];
      for (const r of [a, b, c]) await runs.register(r);
      const content = newContent();
      await runs.claimContent({ ...content, runId: a.runId });
      await runs.update(a.runId, { status: 'FINISHED' });
      // a is FINISHED, not FAILED: a take-over that expected FAILED loses.
      expect(
        await runs.transferContent({ ...content, from: a.runId, fromStatus: 'FAILED', to: b.runId, replaces: [] }),
      ).toBe(false);
      expect(
        await runs.transferContent({
          ...content,
          from: a.runId,
          fromStatus: 'FINISHED',
          to: b.runId,
          replaces: [a.runId],
        }),
      ).toBe(true);
      expect(await runs.claimContent({ ...content, runId: c.runId })).toEqual({ owner: b.runId, replaces: [a.runId] });
      expect(await runs.contentOwner(content)).toBe(b.runId);
      // a no longer owns it: a second take-over from a loses.
      expect(
        await runs.transferContent({ ...content, from: a.runId, fromStatus: 'FINISHED', to: c.runId, replaces: [] }),
      ).toBe(false);
      // Nobody claimed this content: nothing to hand over.
      expect(
        await runs.transferContent({
          ...newContent(),
          from: a.runId,
          fromStatus: 'FINISHED',
          to: c.runId,
          replaces: [],
        }),
      ).toBe(false);
    });

    it('refuses a take-over once a redrive set the owner RUNNING again', async () => {
      const [a, b] = [newRun(), newRun()];
      for (const r of [a, b]) await runs.register(r);
      const content = newContent();
      await runs.claimContent({ ...content, runId: a.runId });
      await runs.update(a.runId, { status: 'FAILED' });
      await runs.update(a.runId, { status: 'RUNNING' });
      expect(
        await runs.transferContent({
          ...content,
          from: a.runId,
          fromStatus: 'FAILED',
          to: b.runId,
          replaces: [a.runId],
        }),
      ).toBe(false);
      expect(await runs.contentOwner(content)).toBe(a.runId);
    });
  });
}
