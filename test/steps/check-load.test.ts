import { describe, expect, it } from 'vitest';
import { LoadFailed, RowRejected, StatementAborted } from '../../functions/lib/errors.ts';
import { checkLoad } from '../../functions/lib/steps/check-load.ts';
import { clientToken } from '../../functions/lib/steps/load-spec.ts';
import { resubmitAfterRedrive, statementOutcome } from '../../functions/lib/steps/statement-poll.ts';
import { submitLoad } from '../../functions/lib/steps/submit-load.ts';
import { caught } from '../support/config-builder.ts';
import { PART_KEY, prepared, SALES_CONFIG, stepWorld } from '../support/step-fixtures.ts';

const TARGET = { schema: 'stage', table: 't_all' };

describe('statementOutcome', () => {
  it('reads FINISHED as finished, FAILED and ABORTED as failed, anything else as still running', () => {
    expect(statementOutcome('FINISHED')).toBe('finished');
    expect(statementOutcome('FAILED')).toBe('failed');
    expect(statementOutcome('ABORTED')).toBe('failed');
    for (const s of ['SUBMITTED', 'PICKED', 'STARTED'] as const) expect(statementOutcome(s)).toBe('running');
  });
});

describe('resubmitAfterRedrive', () => {
  it('resubmits only a statement submitted under an earlier attempt than the current redrive count', () => {
    expect(resubmitAfterRedrive({ attempt: 0 }, 1)).toBe(true);
    expect(resubmitAfterRedrive({ attempt: 1 }, 1)).toBe(false);
    expect(resubmitAfterRedrive({ attempt: 0 }, 0)).toBe(false);
  });
});

describe('checkLoad over in-memory ports', () => {
  async function submitted(redriveCount = 0) {
    const world = await stepWorld();
    const load = await submitLoad({ run: world.run, prepared: prepared(), redriveCount }, world);
    return { ...world, load, ports: world };
  }

  it('keeps waiting while the statement runs', async () => {
    const { ports, run, load, warehouse } = await submitted();
    warehouse.progress(load.statementId, 'STARTED');
    // One poll spent; the next Wait doubles (F15).
    expect(await checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports)).toEqual({
      ...load,
      status: 'STARTED',
      polls: 1,
      nextWaitSeconds: 10,
    });
  });

  it('records the counts on FINISHED', async () => {
    const { ports, run, load, warehouse, runs } = await submitted();
    warehouse.finish(load.statementId, [{ target: TARGET, recordType: null, rowsLoaded: 2, rowsRejected: 0 }]);
    const done = await checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: 2, rowsRejected: 0 });
    expect(await runs.get(run.runId)).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
  });

  it('with maxErrors 0, an unknown count (Data API ResultRows -1) is every record of the target: COPY fails otherwise', async () => {
    const { ports, run, load, warehouse, runs } = await submitted();
    warehouse.finish(load.statementId, [{ target: TARGET, recordType: null, rowsLoaded: null, rowsRejected: 0 }]);
    const done = await checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: 2, rowsRejected: 0 });
    expect(done.targets).toEqual([{ target: TARGET, recordType: null, rowsLoaded: 2, rowsRejected: 0 }]);
    expect(await runs.get(run.runId)).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
  });

  it('with maxErrors > 0, an unknown count stays unknown (null), never records + 1 rejected', async () => {
    const world = await stepWorld({ ...SALES_CONFIG, load: { ...SALES_CONFIG.load, maxErrors: 5 } });
    const load = await submitLoad({ run: world.run, prepared: prepared(), redriveCount: 0 }, world);
    world.warehouse.finish(load.statementId, [{ target: TARGET, recordType: null, rowsLoaded: null, rowsRejected: 0 }]);
    const done = await checkLoad({ run: world.run, prepared: prepared(), load, redriveCount: 0 }, world);
    expect(done).toMatchObject({ status: 'FINISHED', rowsLoaded: null, rowsRejected: null });
    expect(done.targets).toEqual([{ target: TARGET, recordType: null, rowsLoaded: null, rowsRejected: null }]);
    expect(await world.runs.get(world.run.runId)).toMatchObject({ rowsLoaded: null, rowsRejected: null });
  });

  it('counts rows skipped under maxErrors as rejected and keeps them located in the original', async () => {
    const { ports, run, load, warehouse, runs } = await submitted();
    warehouse.finish(load.statementId, [{ target: TARGET, recordType: null, rowsLoaded: 1, rowsRejected: 0 }]);
    warehouse.statement(load.statementId).rowErrors = [
      { target: TARGET, partKey: PART_KEY, lineInPart: 2, column: 'amount', reason: 'invalid numeric', rawValue: 'x' },
    ];
    const done = await checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports);
    expect(done).toMatchObject({ rowsLoaded: 1, rowsRejected: 1 });
    expect((await runs.get(run.runId))!.targets).toEqual([
      {
        target: TARGET,
        recordType: null,
        rowsLoaded: 1,
        rowsRejected: 1,
        rejected: [
          {
            table: 'stage.t_all',
            line: 3,
            field: 3,
            column: 'amount',
            reason: 'invalid numeric',
            rawValue: 'x',
            valueShown: '"x"',
          },
        ],
      },
    ]);
  });

  it('rejects the file when the warehouse refused a row, at its line in the original (header counted)', async () => {
    const { ports, run, load, warehouse } = await submitted();
    warehouse.fail(load.statementId, 'COPY failed', [
      { target: TARGET, partKey: PART_KEY, lineInPart: 2, column: 'amount', reason: 'invalid numeric', rawValue: 'x' },
    ]);
    const err = await caught(() => checkLoad({ run, prepared: prepared(), load, redriveCount: 1 }, ports));
    expect(err).toBeInstanceOf(RowRejected);
    expect(err).toMatchObject({ location: { line: 3, field: 3, fieldName: 'amount' } });
    expect(err.message).toBe(
      'stage.t_all refused the row at line 3, field 3 (amount): invalid numeric (value "x"). Nothing was loaded; send a corrected file.',
    );
    // A refused row is the file's fault: even after a redrive, nothing is resubmitted.
    expect(warehouse.statements).toHaveLength(1);
  });

  it('fails operationally (LoadFailed) on a failure without refused rows, naming the redrive', async () => {
    const { ports, run, load, warehouse } = await submitted();
    warehouse.fail(load.statementId, 'relation "stage.t_all" does not exist');
    const err = await caught(() => checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports));
    expect(err).toBeInstanceOf(LoadFailed);
    expect(err.message).toContain('relation "stage.t_all" does not exist');
    expect(err.message).toContain('efi redrive run-1');
  });

  it('fails with StatementAborted when the statement was aborted', async () => {
    const { ports, run, load, warehouse } = await submitted();
    warehouse.abort(load.statementId, 'cancelled by operator');
    const err = await caught(() => checkLoad({ run, prepared: prepared(), load, redriveCount: 0 }, ports));
    expect(err).toBeInstanceOf(StatementAborted);
    expect(err.message).toBe(
      'load statement stmt-1 was aborted (cancelled by operator): it rolled back, nothing of it is committed. Redrive the run to submit it again.',
    );
  });

  it('after a redrive, resubmits a load that failed under the earlier attempt, with a new client token', async () => {
    const { ports, run, load, warehouse, runs } = await submitted(0);
    warehouse.fail(load.statementId, 'relation "stage.t_all" does not exist');
    const again = await checkLoad({ run, prepared: prepared(), load, redriveCount: 1 }, ports);
    expect(again).toMatchObject({ status: 'SUBMITTED', attempt: 1 });
    expect(again.statementId).not.toBe(load.statementId);
    expect(warehouse.statements.map((s) => s.clientToken)).toEqual([
      clientToken('run-1', 'load', 0),
      clientToken('run-1', 'load', 1),
    ]);
    expect((await runs.get(run.runId))!.statementIds).toEqual([load.statementId, again.statementId]);
  });

  it('after a redrive, resubmits an aborted load too', async () => {
    const { ports, run, load, warehouse } = await submitted(0);
    warehouse.abort(load.statementId);
    expect(await checkLoad({ run, prepared: prepared(), load, redriveCount: 1 }, ports)).toMatchObject({
      status: 'SUBMITTED',
      attempt: 1,
    });
  });
});
