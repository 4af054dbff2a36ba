import { describe, expect, it } from 'vitest';
import { clientToken } from '../../functions/lib/steps/load-spec.ts';
import { submitLoad } from '../../functions/lib/steps/submit-load.ts';
import { fileConfig } from '../support/config-builder.ts';
import { BUCKET, ORIGINAL_KEY, PART_KEY, prepared, stepWorld } from '../support/step-fixtures.ts';

describe('submitLoad over in-memory ports', () => {
  it('submits the load spec of the run’s config version with a client token of run and attempt, and records it', async () => {
    const w = await stepWorld();
    const before = w.store.keys(BUCKET);
    const ref = await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 2 }, w);
    expect(ref).toEqual({ statementId: 'stmt-1', status: 'SUBMITTED', attempt: 2 });
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
    await submitLoad({ run: w.run, prepared: prepared(), redriveCount: 0 }, w);
    expect(w.warehouse.statements[0]!.spec!.targets[0]!.target.table).toBe('t_all');
    await submitLoad({ run: { ...w.run, configVersion: 2 }, prepared: prepared(), redriveCount: 1 }, w);
    expect(w.warehouse.statements[1]!.spec!.targets[0]!.target.table).toBe('sales_v2');
  });
});
