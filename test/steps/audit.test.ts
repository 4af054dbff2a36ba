import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditInput, ValidationResult } from '../../functions/lib/contract/payloads.ts';
import { audit, parseCatch } from '../../functions/lib/steps/audit.ts';
import { MemoryRunLog } from '../support/fakes/index.ts';
import { matchedRun } from '../support/step-fixtures.ts';

describe('parseCatch', () => {
  it('reads the Lambda error JSON of a Catch cause, and a plain local cause', () => {
    expect(
      parseCatch({
        Error: 'TrailerMismatch',
        Cause: JSON.stringify({ errorType: 'TrailerMismatch', errorMessage: 'says 10' }),
      }),
    ).toEqual({
      name: 'TrailerMismatch',
      message: 'says 10',
    });
    expect(parseCatch({ Error: 'ZeroRecords', Cause: 'no data' })).toEqual({ name: 'ZeroRecords', message: 'no data' });
  });
});

describe('audit over an in-memory run log', () => {
  let runs: MemoryRunLog;
  const validation: ValidationResult = {
    fileBytes: 30,
    recordsInFile: 2,
    headerLines: 1,
    trailerCount: null,
    lineEnding: 'lf',
    bom: false,
    recordTypes: null,
    unknownRecords: 0,
    blankLines: 0,
    needsPreprocess: true,
  };

  beforeEach(() => {
    runs = new MemoryRunLog();
  });

  it("a redriven run that FINISHED records its transform committed, replacing the failed attempt's false", async () => {
    await runs.register({ ...matchedRun(), size: 30 });
    // As report-failure left it after the transform failed (truth model row 5).
    await runs.update('run-1', { status: 'FAILED', loadCommitted: true, transformCommitted: false });
    await audit(
      {
        status: 'FINISHED',
        run: matchedRun({ hasTransform: true }),
        validation,
        load: { statementId: 's', status: 'FINISHED', attempt: 0, rowsLoaded: 2, rowsRejected: 0 },
        archive: { movedTo: 's3://bucket/archive/x.csv', partsDeleted: 1 },
        redriveCount: 1,
      },
      { runs },
    );
    expect(await runs.get('run-1')).toMatchObject({
      status: 'FINISHED',
      loadCommitted: true,
      transformCommitted: true,
    });
  });

  it('closes a FINISHED run whose counts the warehouse did not report with null counts, never 0', async () => {
    await runs.register({ ...matchedRun(), size: 30 });
    await runs.update('run-1', { rowsLoaded: null, rowsRejected: null });
    const out = await audit(
      {
        status: 'FINISHED',
        run: matchedRun(),
        validation,
        load: { statementId: 's', status: 'FINISHED', attempt: 0, rowsLoaded: null, rowsRejected: null },
        archive: { movedTo: 's3://bucket/archive/x.csv', partsDeleted: 1 },
      },
      { runs },
    );
    expect(out).toMatchObject({ status: 'FINISHED', recordsInFile: 2, rowsLoaded: null, rowsRejected: null });
    expect(await runs.get('run-1')).toMatchObject({ rowsLoaded: null, rowsRejected: null, loadCommitted: true });
  });

  it('closes a FINISHED run with its counts and archive location, and clears an error a redrive fixed', async () => {
    await runs.register({ ...matchedRun(), size: 30 });
    await runs.recordError('run-1', { name: 'LoadFailed', message: 'no table' }, 'CheckLoad');
    const out = await audit(
      {
        status: 'FINISHED',
        run: matchedRun(),
        validation,
        load: { statementId: 's', status: 'FINISHED', attempt: 1, rowsLoaded: 2, rowsRejected: 0 },
        archive: { movedTo: 's3://bucket/archive/x.csv', partsDeleted: 2 },
        redriveCount: 1,
      },
      { runs },
    );
    expect(out).toEqual({
      runId: 'run-1',
      status: 'FINISHED',
      recordsInFile: 2,
      rowsLoaded: 2,
      rowsRejected: 0,
      error: null,
    });
    const row = (await runs.get('run-1'))!;
    expect(row).toMatchObject({
      archivedTo: 's3://bucket/archive/x.csv',
      redriveCount: 1,
      fileBytes: 30,
      configId: 'sales.daily',
    });
    expect(row.finishedAt).not.toBeNull();
  });

  it('registers the run when it has no row yet (upsert by run id)', async () => {
    await audit({ status: 'SKIPPED', run: { ...matchedRun(), skip: true, skipReason: 'dup' } }, { runs });
    expect(await runs.get('run-1')).toMatchObject({ status: 'SKIPPED', bucket: 'bucket' });
  });

  it('records the caught error of a rejection, but keeps the located one the failing state wrote', async () => {
    await runs.register({ ...matchedRun(), size: 30 });
    const rejected = (name: string, message: string): AuditInput => ({
      status: 'FAILED',
      run: matchedRun(),
      error: { Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: message }) },
    });
    await runs.recordError(
      'run-1',
      {
        name: 'RowRejected',
        message: 'at line 3',
        line: 3,
        column: 'amount',
        location: { line: 3, field: 3, fieldName: 'amount' },
      },
      'CheckLoad',
    );
    const out = await audit(rejected('RowRejected', 'caught copy'), { runs });
    expect(out.error).toEqual({
      name: 'RowRejected',
      message: 'at line 3',
      line: 3,
      column: 'amount',
      location: { line: 3, field: 3, fieldName: 'amount' },
    });

    await runs.update('run-1', { clearError: true });
    const again = await audit(rejected('HeaderMismatch', 'bad header'), { runs });
    expect(again.error).toEqual({
      name: 'HeaderMismatch',
      message: 'bad header',
      line: null,
      column: null,
      location: null,
    });
  });

  it('changes nothing when run twice', async () => {
    const input: AuditInput = { status: 'FINISHED', run: matchedRun(), validation };
    await audit(input, { runs });
    const first = await runs.get('run-1');
    await audit(input, { runs });
    expect({ ...(await runs.get('run-1'))!, finishedAt: null }).toEqual({ ...first!, finishedAt: null });
  });
});
