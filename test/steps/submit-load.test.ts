import { describe, expect, it } from 'vitest';
import { ContentClaimLost } from '../../functions/lib/errors.ts';
import { clientToken } from '../../functions/lib/steps/load-spec.ts';
import { submitLoad } from '../../functions/lib/steps/submit-load.ts';
import { caught, fileConfig } from '../support/config-builder.ts';
import { BUCKET, ORIGINAL_KEY, PART_KEY, prepared, stepWorld } from '../support/step-fixtures.ts';

describe('submitLoad over in-memory ports', () => {
  it('submits the load spec of the run’s config version with a client token of run and attempt, and records it', async () => {
    const w = await stepWorld();
    const before = w.store.keys(BUCKET);
    const ref = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 2 }, w);
    // A fresh poll budget for the attempt (F15: Wait/Check back off from 5 s).
    expect(ref).toEqual({
      statementId: 'stmt-1',
      status: 'SUBMITTED',
      attempt: 2,
      polls: 0,
      pollsUnder: 2,
      nextWaitSeconds: 5,
    });
    const st = w.warehouse.statements[0]!;
    expect(st.clientToken).toBe(clientToken('run-1', 'load', 2));
    expect(st.spec).toMatchObject({
      runId: 'run-1',
      sourceFile: `s3://${BUCKET}/${ORIGINAL_KEY}`,
      targets: [{ target: { schema: 'stage', table: 't_all' }, parts: [{ key: PART_KEY }] }],
    });
    expect((await w.runs.get('run-1'))!.statementIds).toEqual(['stmt-1']);
    // SubmitLoad only submits: it writes no object.
    expect(w.store.keys(BUCKET)).toEqual(before);
  });

  it('returns the statement already running when retried with the same attempt', async () => {
    const w = await stepWorld();
    const a = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 0 }, w);
    const b = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 0 }, w);
    expect(b.statementId).toBe(a.statementId);
    expect(w.warehouse.statements).toHaveLength(1);
    expect((await w.runs.get('run-1'))!.statementIds).toEqual([a.statementId]);
  });

  it('loads into the table of the config version the run was matched to', async () => {
    const w = await stepWorld();
    const moved = fileConfig({ id: 'sales.daily', interface: 'sales' });
    moved.records = [{ ...moved.records[0]!, target: { schema: 'stage', table: 'sales_v2' } }];
    w.configs.apply(moved);
    const first = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 0 }, w);
    expect(w.warehouse.statements[0]!.spec!.targets[0]!.target.table).toBe('t_all');
    // The first load failed; a run matched to version 2 (redriven) loads into version 2's table.
    w.warehouse.fail(first.statementId, 'relation "stage.t_all" does not exist');
    await submitLoad({ run: { ...w.run, configVersion: 2 }, prepared: prepared(), redriveCount: 1 }, w);
    expect(w.warehouse.statements[1]!.spec!.targets[0]!.target.table).toBe('sales_v2');
  });

  it('re-run under a new redrive count, returns the earlier load when it committed or still runs; submits again when it failed', async () => {
    const w = await stepWorld();
    const a = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 0 }, w);
    w.warehouse.progress(a.statementId, 'STARTED');
    expect(await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 1 }, w)).toEqual({
      statementId: a.statementId,
      status: 'STARTED',
      attempt: 1,
      polls: 0,
      pollsUnder: 1,
      nextWaitSeconds: 5,
    });
    w.warehouse.finish(a.statementId);
    expect(await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 2 }, w)).toEqual({
      statementId: a.statementId,
      status: 'FINISHED',
      attempt: 2,
      polls: 0,
      pollsUnder: 2,
      nextWaitSeconds: 5,
    });
    expect(w.warehouse.statements).toHaveLength(1);
    w.warehouse.fail(a.statementId, 'boom');
    const b = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 3 }, w);
    expect(b).toEqual({
      statementId: 'stmt-2',
      status: 'SUBMITTED',
      attempt: 3,
      polls: 0,
      pollsUnder: 3,
      nextWaitSeconds: 5,
    });
    expect((await w.runs.get('run-1'))!.loadStatementId).toBe('stmt-2');
  });

  it('submits nothing for content another run took over (a --reload of the same bytes): ContentClaimLost', async () => {
    const w = await stepWorld();
    await w.runs.claimContent({ configId: w.run.configId, etag: w.run.etag, sizeBytes: w.run.size, runId: 'run-0' });
    const err = await caught(() => submitLoad({ run: w.run, prepared: prepared(), redriveCount: 1 }, w));
    expect(err).toBeInstanceOf(ContentClaimLost);
    expect(err.message).toContain('run run-0 took it over');
    expect(w.warehouse.statements).toEqual([]);
  });
});
