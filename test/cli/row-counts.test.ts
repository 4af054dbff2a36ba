import { describe, expect, it } from 'vitest';
import { type IngestResult, printOutcome } from '../../cli/commands/ingest.ts';
import { printDetail, printRuns } from '../../cli/commands/runs.ts';
import type { CliContext } from '../../cli/context.ts';
import type { RunDetail, RunSummary } from '../../cli/model.ts';
import { rowsLine } from '../../cli/row-counts.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

/** A CLI context that keeps what a command prints. */
function capture(json = false): { ctx: CliContext; printed: string[] } {
  const printed: string[] = [];
  const ctx: CliContext = {
    settings: loadSettings({}),
    json,
    tty: false,
    out: (s) => printed.push(s),
    err: (s) => printed.push(s),
  };
  return { ctx, printed };
}

const FINISHED_UNKNOWN: RunSummary = {
  runId: 'run-unknown',
  executionId: 'x:run-unknown',
  executionStatus: 'SUCCEEDED',
  status: 'FINISHED',
  file: 's3://b/landing/a.csv',
  startedAt: '2026-12-01T10:00:00.000Z',
  stoppedAt: '2026-12-01T10:00:05.000Z',
  redriveCount: 0,
  feed: 'sales',
  recordsInFile: 1200,
  rowsLoaded: null,
  rowsRejected: null,
  loadCommitted: true,
  durationMs: 5000,
  error: null,
};

function detail(patch: Partial<RunDetail>): RunDetail {
  return { ...FINISHED_UNKNOWN, input: {}, output: {}, error: null, states: [], ...patch };
}

describe('row counts the run record does not know (Redshift ResultRows -1 under maxErrors > 0)', () => {
  it('efi runs shows ? in ROWS for a finished run with an unknown count, and nothing for a run that loaded nothing', () => {
    const { ctx, printed } = capture();
    const rejected: RunSummary = {
      ...FINISHED_UNKNOWN,
      runId: 'run-rejected',
      status: 'FAILED',
      loadCommitted: null,
      rowsLoaded: null,
    };
    printRuns(ctx, [FINISHED_UNKNOWN, rejected]);
    const [header, unknown, nothing] = printed[0]!.split('\n');
    const rowsAt = header!.indexOf('ROWS');
    expect(unknown!.slice(rowsAt, rowsAt + 4).trim()).toBe('?');
    expect(nothing!.slice(rowsAt, rowsAt + 4).trim()).toBe('');
  });

  it('efi runs --json keeps an unknown count null', () => {
    const { ctx, printed } = capture(true);
    printRuns(ctx, [FINISHED_UNKNOWN]);
    expect(JSON.parse(printed[0]!)[0]).toMatchObject({ rowsLoaded: null, rowsRejected: null, loadCommitted: true });
  });

  it('efi show says ? loaded and ? rejected, never 0 loaded', () => {
    const { ctx, printed } = capture();
    printDetail(ctx, detail({}));
    const rows = printed.find((l) => l.startsWith('rows'));
    expect(rows).toBe('rows      1200 records in the file, ? loaded, ? rejected');
  });

  it('efi show says 0 loaded only when nothing of the run can be in the warehouse; known counts as they are', () => {
    const failed = { status: 'FAILED', recordsInFile: 5, rowsLoaded: null, rowsRejected: null, loadCommitted: null };
    expect(rowsLine({ ...failed, loadCommitted: false })).toBe('5 records in the file, 0 loaded');
    // A rejected file: its load never ran, or rolled back whole.
    expect(rowsLine({ ...failed, error: { name: 'RowRejected' } })).toBe('5 records in the file, 0 loaded');
    // Still running at the poll ceiling: it may yet commit, so no count rather than 0.
    expect(rowsLine({ ...failed, error: { name: 'StatementStillRunning' } })).toBe('5 records in the file');
    expect(rowsLine({ ...failed, loadCommitted: true })).toBe('5 records in the file, ? loaded, ? rejected');
    const finished = { status: 'FINISHED', recordsInFile: 5, loadCommitted: true };
    expect(rowsLine({ ...finished, rowsLoaded: 4, rowsRejected: 1 })).toBe(
      '5 records in the file, 4 loaded, 1 rejected',
    );
    expect(rowsLine({ ...finished, rowsLoaded: 5, rowsRejected: 0 })).toBe('5 records in the file, 5 loaded');
  });

  it('efi show --json keeps the unknown counts null', () => {
    const { ctx, printed } = capture(true);
    printDetail(ctx, detail({}));
    expect(JSON.parse(printed[0]!)).toMatchObject({ rowsLoaded: null, rowsRejected: null });
  });

  it('efi ingest prints ? rows loaded, per target too, for a finished run with unknown counts', () => {
    const { ctx, printed } = capture();
    const r: IngestResult = {
      file: 'a.csv',
      runId: 'run-unknown',
      status: 'FINISHED',
      recordsInFile: 1200,
      recordsSkipped: null,
      rowsLoaded: null,
      rowsRejected: null,
      target: 'stage.sales',
      targets: [{ target: 'stage.sales', recordType: null, rowsLoaded: null, rowsRejected: null }],
      archivedTo: null,
      fileAt: null,
      skipReason: null,
      error: null,
    };
    printOutcome(ctx, r);
    expect(printed[0]).toBe('  FINISHED  1200 records, ? rows loaded (? → stage.sales), ? rejected (within maxErrors)');
  });
});
