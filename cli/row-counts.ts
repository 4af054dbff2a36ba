import { errorKindOf } from '../functions/lib/errors.ts';

/**
 * How people read a run's row counts, in the CLI and (sent ready-made by the server) the web
 * console. A count the run record does not know is null (the warehouse did not report it:
 * docs/truth-model.md, "Row counts on Redshift") and reads `?`, never 0; JSON keeps it null.
 */

/** What a count the run record does not know reads as. */
export const UNKNOWN_COUNT = '?';

/** What the rules read of a run (RunSummary, the server's RunRow and the run record all have these). */
export interface RunCounts {
  status?: string | null;
  recordsInFile?: number | null;
  rowsLoaded?: number | null;
  rowsRejected?: number | null;
  /** Whether the run's load had committed; null: not known, or no load. */
  loadCommitted?: boolean | null;
  error?: { name: string } | null;
}

/** A count as people read it: the number, or `?` when it is not known. */
export function countText(n: number | null | undefined): string {
  return n === null || n === undefined ? UNKNOWN_COUNT : String(n);
}

/**
 * Rows loaded as far as the record knows: the count; 0 when nothing of the run can be in the
 * warehouse (its load did not commit, or its file was rejected: the load never ran or rolled
 * back whole); null when rows are there but not counted, or nothing is known.
 */
function knownRowsLoaded(r: RunCounts): number | null {
  if (r.rowsLoaded !== null && r.rowsLoaded !== undefined) return r.rowsLoaded;
  if (committed(r)) return null;
  const rejected = r.status === 'FAILED' && r.error != null && errorKindOf(r.error.name) === 'rejected';
  return r.loadCommitted === false || rejected ? 0 : null;
}

function committed(r: RunCounts): boolean {
  return r.status === 'FINISHED' || r.loadCommitted === true;
}

/** A run's rows loaded in a list: the count, `?` when its load committed uncounted, else nothing. */
export function rowsLoadedCell(r: RunCounts): string {
  if (r.rowsLoaded !== null && r.rowsLoaded !== undefined) return String(r.rowsLoaded);
  return committed(r) ? UNKNOWN_COUNT : '';
}

/**
 * `1200 records in the file, 1190 loaded, 10 rejected`; `? loaded` when the load committed
 * uncounted; `0 loaded` when nothing of the run can be in the warehouse. Null when the run
 * has no counts at all.
 */
export function rowsLine(r: RunCounts): string | null {
  const loaded = knownRowsLoaded(r);
  if (r.recordsInFile == null && loaded === null && !committed(r)) return null;
  const records = `${countText(r.recordsInFile)} records in the file`;
  if (loaded === null && !committed(r)) return records;
  const rejected =
    r.rowsRejected === 0 || (loaded === 0 && r.rowsRejected == null) ? '' : `, ${countText(r.rowsRejected)} rejected`;
  return `${records}, ${countText(loaded)} loaded${rejected}`;
}
