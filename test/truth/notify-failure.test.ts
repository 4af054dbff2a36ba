import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, sample } from '../e2e/harness.ts';

/**
 * Truth model row 6: a Notify failure after a FINISHED audit. The outcome
 * stays FINISHED (rows once, file archived), the notify error is recorded,
 * and a redrive sends the FINISHED notification once, with status FINISHED.
 */
describe('a Notify failure never changes a loaded, audited FINISHED run (row 6)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite', null);
  });
  afterAll(async () => h?.close());

  it('stays FINISHED with the notify error recorded; the redrive sends FINISHED once and nothing RUNNING', async () => {
    const db = await h.rt.db();
    // The outbox is where local notifications go: take it away so Notify fails.
    await db.schema.withSchema('efi').alterTable('outbox').renameTo('outbox_away').execute();
    const r = await h.ingest(sample('sales_pos_20261121.csv'));
    expect(r.status).toBe('FINISHED');
    expect(r.rowsLoaded).toBe(1200);
    expect(r.archivedTo).toMatch(/archive\//);
    expect(r.notifyError).toMatch(/outbox/);
    const run = await (await h.rt.runs()).get(r.runId);
    expect(run).toMatchObject({ status: 'FINISHED', error: null, loadCommitted: true });
    expect(run!.notifyError).toMatch(/outbox/);
    const ex = await db.selectFrom('efi.executions').selectAll().where('name', '=', r.runId).executeTakeFirstOrThrow();
    expect(ex.status).toBe('FAILED');

    await db.schema.withSchema('efi').alterTable('outbox_away').renameTo('outbox').execute();
    const outcome = await h.runner.redrive(r.runId);
    expect(outcome.status).toBe('SUCCEEDED');
    const after = await (await h.rt.runs()).get(r.runId);
    expect(after).toMatchObject({ status: 'FINISHED', notifyError: null, rowsLoaded: 1200 });
    const sent = await db.selectFrom('efi.outbox').select('status').where('run_id', '=', r.runId).execute();
    expect(sent.map((s) => s.status)).toEqual(['FINISHED']);
    expect(
      await h.query<{ n: number }>(`select count(*)::int as n from stage.pos_sales where efi_run_id = '${r.runId}'`),
    ).toEqual([{ n: 1200 }]);
  });
});
