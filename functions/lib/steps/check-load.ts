import type { MatchedRun, PreparedLoad, StatementRef } from '../contract/payloads.ts';
import { formatLocation, LoadFailed, RowRejected, StatementAborted, TransientError } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import type { LoadRowError, StatementStatus, TargetResult, Warehouse } from '../ports/warehouse.ts';
import { type LocatedRowError, locateRowErrorsWithin } from './locate-row-error.ts';
import {
  DESCRIBE_WAIT_MS,
  nextPoll,
  type PollPolicy,
  resubmitAfterRedrive,
  statementOutcome,
  transientResubmit,
} from './statement-poll.ts';
import { assertStillOwnsContent, submitLoad } from './submit-load.ts';

export interface CheckLoadInput {
  run: MatchedRun;
  prepared: PreparedLoad;
  load: StatementRef;
  redriveCount: number;
}

export interface CheckLoadPorts {
  /** Reads the original and the parts to locate a refused row; writes nothing. */
  store: ObjectStore;
  warehouse: Warehouse;
  runs: RunLog;
  configs: ConfigSource;
  /** Pace and ceiling of the Wait/Check loop (default DEFAULT_POLL_POLICY). */
  poll?: PollPolicy;
}

/**
 * CheckLoad: poll the load statement. FINISHED records the counts; FAILED
 * with refused rows is the file's fault (RowRejected, located in the
 * original); any other failure is operational (LoadFailed / StatementAborted)
 * and a redrive resubmits it.
 */
export async function checkLoad(input: CheckLoadInput, ports: CheckLoadPorts): Promise<StatementRef> {
  const st = await ports.warehouse.describe(input.load.statementId, { waitMs: DESCRIBE_WAIT_MS });
  const outcome = statementOutcome(st.status, st.error);
  if (outcome === 'finished') {
    // A redrive resuming here after a --reload took this content over (and replaced these rows):
    // the run must not report FINISHED for rows that are gone.
    if (input.redriveCount > 0) await assertStillOwnsContent(input.run, ports.runs);
    const { maxErrors } = (await ports.configs.get(input.run.configId, input.run.configVersion)).load;
    const targets = rejectedFromCounts(st.targets ?? [], input.prepared, maxErrors);
    const rowsLoaded = sumKnown(targets.map((t) => t.rowsLoaded));
    const rowsRejected = sumKnown(targets.map((t) => t.rowsRejected));
    // Unknown rejections may be there too: the load errors still show which rows were skipped.
    const audited = rowsRejected !== 0 ? await withRejectedRows(ports, input, st.statementId, targets) : targets;
    await ports.runs.update(input.run.runId, { rowsLoaded, rowsRejected, targets: audited });
    return { ...input.load, status: 'FINISHED', targets, rowsLoaded, rowsRejected };
  }
  if (outcome === 'running') {
    return {
      ...input.load,
      status: st.status,
      ...nextPoll(input.load, input.redriveCount, ports.poll, 'load statement'),
    };
  }

  // Rows the warehouse refused are the file's fault: no redrive will fix them.
  if (st.status === 'FAILED') await throwIfRowsRejected(ports, input, st);
  if (resubmitAfterRedrive(input.load, input.redriveCount)) return submitLoad(input, ports);
  if (outcome === 'transient') {
    // Rolled back whole (e.g. Redshift 1023): submit it again, as a submit that threw the same error is retried.
    const next = transientResubmit(input.load, input.redriveCount, st.error, 'load statement');
    if (next instanceof TransientError) throw next;
    return submitLoad(input, ports, next);
  }
  if (st.status === 'ABORTED') {
    throw new StatementAborted(
      `load statement ${st.statementId} was aborted${st.error ? ` (${st.error})` : ''}: it rolled back, nothing of it is committed. Redrive the run to submit it again.`,
    );
  }
  throw new LoadFailed(
    `load statement ${st.statementId} failed: ${st.error ?? 'no reason given'}. Fix the cause (e.g. create the target table or grant access), then redrive: efi redrive ${input.run.runId}`,
  );
}

/**
 * The Data API reports rows inserted, not rows COPY skipped under MAXERROR: rejected = records - loaded.
 * A count it did not report (null) is derived only where it is certain: with maxErrors 0 a FINISHED
 * load inserted every record of the target (COPY fails on the first bad row); with maxErrors > 0
 * loaded and rejected stay unknown (null) rather than a guess (docs/truth-model.md).
 */
export function rejectedFromCounts(
  targets: readonly TargetResult[],
  prepared: PreparedLoad,
  maxErrors: number,
): TargetResult[] {
  return targets.map((t) => {
    const pt = prepared.targets.find((p) => p.recordType === t.recordType);
    if (!pt) return t;
    if (t.rowsLoaded === null) {
      return maxErrors === 0
        ? { ...t, rowsLoaded: pt.records, rowsRejected: 0 }
        : { ...t, rowsLoaded: null, rowsRejected: null };
    }
    return { ...t, rowsRejected: Math.max(t.rowsRejected ?? 0, pt.records - t.rowsLoaded) };
  });
}

/** The sum, or null when any part is unknown. */
function sumKnown(counts: readonly (number | null)[]): number | null {
  let n = 0;
  for (const c of counts) {
    if (c === null) return null;
    n += c;
  }
  return n;
}

/** Rows rejected within maxErrors, kept with the run (first 10 per target, located in the original file). */
const REJECTED_ROWS_KEPT = 10;

async function withRejectedRows(
  ports: CheckLoadPorts,
  input: CheckLoadInput,
  statementId: string,
  targets: TargetResult[],
): Promise<(TargetResult & { rejected?: LocatedRowError[] })[]> {
  const errors = await ports.warehouse.loadErrors(statementId);
  const same = (e: LoadRowError, t: TargetResult) =>
    e.target.schema === t.target.schema && e.target.table === t.target.table;
  const kept = targets.flatMap((t) => errors.filter((e) => same(e, t)).slice(0, REJECTED_ROWS_KEPT));
  const located = await locateRowErrorsWithin(ports, input.run, input.prepared, kept);
  return targets.map((t) => {
    const rejected = located.filter((_, i) => same(kept[i]!, t));
    return rejected.length > 0 ? { ...t, rejected } : t;
  });
}

async function throwIfRowsRejected(ports: CheckLoadPorts, input: CheckLoadInput, st: StatementStatus): Promise<void> {
  const rejected = await rowRejectedOf(
    ports,
    input.run,
    input.prepared,
    await ports.warehouse.loadErrors(st.statementId),
  );
  if (rejected) throw rejected;
}

/**
 * The RowRejected a failed load's row errors make: the first one, located in
 * the original file; null when the warehouse refused no row. Also `efi check`
 * (a dry run of the load), so it names the same cause, place and value.
 */
export async function rowRejectedOf(
  ports: Pick<CheckLoadPorts, 'store' | 'configs'>,
  run: MatchedRun,
  prepared: PreparedLoad,
  errors: readonly LoadRowError[],
): Promise<RowRejected | null> {
  const first = errors[0];
  if (!first) return null;
  const row = (await locateRowErrorsWithin(ports, run, prepared, [first]))[0]!;
  return rowRejected(row, errors.length - 1);
}

/** The file's row the warehouse refused, as the run reports it. */
function rowRejected(
  row: Pick<LocatedRowError, 'table' | 'line' | 'field' | 'column' | 'reason' | 'valueShown'>,
  more = 0,
): RowRejected {
  const at = {
    ...(row.line !== null ? { line: row.line } : {}),
    ...(row.field !== null ? { field: row.field } : {}),
    ...(row.column ? { fieldName: row.column } : {}),
  };
  const where = formatLocation(at);
  const value = row.valueShown !== null ? ` (value ${row.valueShown})` : '';
  const others = more > 0 ? ` (+${more} more)` : '';
  return new RowRejected(
    `${row.table} refused the row at ${where || 'an unknown position'}: ${row.reason}${value}${others}. Nothing was loaded; send a corrected file.`,
    at,
  );
}
