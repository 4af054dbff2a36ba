import type { Kysely, Selectable } from 'kysely';
import { KyselyRunLog, runRowError } from '../../functions/lib/adapters/config-db/kysely-run-log.ts';
import type { EfiDatabase, ExecutionEventTable } from '../../functions/lib/adapters/config-db/schema.ts';
import { type FoldEvent, foldExecution, parseJson as parse } from '../history/fold.ts';
import type { HistoryEventRow, RunDetail, RunSummary } from '../model.ts';
import { loadDefinition } from './definition.ts';

/** Local execution history in the shapes the Step Functions backend also returns (cli/model.ts). */

type Db = Kysely<EfiDatabase>;
const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

/** A row of efi.execution_events: one aws-local-stepfunctions event, as the local runner persisted it. */
export type LocalEventRow = Pick<
  Selectable<ExecutionEventTable>,
  'type' | 'state_name' | 'input' | 'output' | 'error' | 'cause' | 'at' | 'redrive_count'
>;

/**
 * The runner's event rows (ordered by seq) in the vocabulary of the one fold
 * (cli/history/fold.ts). Each row carries its redrive count; a change of it
 * is the redrive. aws-local-stepfunctions emits StateFailed for each failed
 * attempt (and for a Fail state), StateRetried before the next attempt,
 * StateCaught then StateExited for a caught error.
 */
export function* localFoldEvents(rows: Iterable<LocalEventRow>): Generator<FoldEvent> {
  let redriveCount = 0;
  for (const r of rows) {
    const at = iso(r.at);
    if (r.redrive_count !== redriveCount) {
      redriveCount = r.redrive_count;
      yield { kind: 'redriven', redriveCount, at };
    }
    const state = r.state_name;
    switch (r.type) {
      case 'StateEntered':
        if (state) yield { kind: 'entered', state, input: parse(r.input), at };
        break;
      case 'StateExited':
        if (state) yield { kind: 'exited', state, output: parse(r.output), at };
        break;
      case 'StateFailed':
        yield { kind: 'attemptFailed', state, error: r.error ?? 'States.TaskFailed', cause: r.cause, at };
        break;
      case 'StateRetried':
        yield { kind: 'attemptStarted', state, at };
        break;
      case 'ExecutionFailed':
        yield { kind: 'executionFailed', error: r.error, cause: r.cause, at };
        break;
      case 'ExecutionAborted':
        yield { kind: 'executionAborted', error: r.error, cause: r.cause, at };
        break;
      case 'ExecutionTimeout':
        yield { kind: 'executionTimedOut', error: r.error, cause: r.cause, at };
        break;
    }
  }
}

/** The Fail states of the definition, so the fold takes a rejection's reason from its caught step. */
/** The definition's Fail states (a rejected file ends in one). */
export function failStates(): ReadonlySet<string> {
  return new Set(
    Object.entries(loadDefinition().States)
      .filter(([, s]) => s.Type === 'Fail')
      .map(([n]) => n),
  );
}

/** Filters of `efi runs`, applied in SQL. */
export interface RunFilter {
  /** A run status (FINISHED, SKIPPED...) or an execution status (SUCCEEDED, TIMED_OUT...). */
  status?: string;
  /** The config id or its interface (feed) name, exactly. */
  feed?: string;
  /** Started at or after / before. */
  since?: Date;
  until?: Date;
  /** A substring of the object key, or a glob (`*`, `?`) matched against the key or its file name. */
  file?: string;
  limit?: number;
}

/** LIKE pattern (escape `\`) for a substring or a glob. */
export function keyPattern(file: string): { pattern: string; glob: boolean } {
  const glob = /[*?]/.test(file);
  const escaped = file.replace(/[\\%_]/g, (c) => `\\${c}`);
  if (!glob) return { pattern: `%${escaped}%`, glob };
  return { pattern: escaped.replace(/\*/g, '%').replace(/\?/g, '_'), glob };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function listLocalRuns(db: Db, opts: RunFilter): Promise<RunSummary[]> {
  let q = db
    .selectFrom('efi.executions as e')
    .leftJoin('efi.runs as r', 'r.run_id', 'e.name')
    .select([
      'e.execution_id',
      'e.name',
      'e.status',
      'e.started_at',
      'e.stopped_at',
      'e.redrive_count',
      'e.error as ex_error',
      'e.cause as ex_cause',
      'r.status as run_status',
      'r.object_key',
      'r.bucket',
      'r.config_id',
      'r.interface_name',
      'r.records_in_file',
      'r.rows_loaded',
      'r.rows_rejected',
      'r.load_committed',
      'r.archived_to',
      'r.skip_reason',
      'r.error_name',
      'r.error_message',
      'r.error_line',
      'r.error_column',
      'r.error_location',
    ])
    .orderBy('e.started_at', 'desc')
    .limit(opts.limit ?? 50);
  if (opts.status) {
    const s = opts.status.toUpperCase();
    // Accept both vocabularies: run statuses (FINISHED, SKIPPED...) and execution statuses (SUCCEEDED, TIMED_OUT...).
    q = q.where((eb) => eb.or([eb('r.status', '=', s as never), eb('e.status', '=', s as never)]));
  }
  if (opts.feed) {
    const f = opts.feed;
    q = q.where((eb) => eb.or([eb('r.config_id', '=', f), eb('r.interface_name', '=', f)]));
  }
  if (opts.since) q = q.where('e.started_at', '>=', opts.since);
  if (opts.until) q = q.where('e.started_at', '<', opts.until);
  if (opts.file) {
    const { pattern, glob } = keyPattern(opts.file);
    q = q.where((eb) =>
      glob
        ? eb.or([
            eb('r.object_key', 'like', pattern),
            eb('r.object_key', 'like', `%/${pattern}`),
            eb('e.name', 'like', pattern),
          ])
        : eb.or([eb('r.object_key', 'like', pattern), eb('e.name', 'like', pattern)]),
    );
  }
  const rows = await q.execute();
  const now = Date.now();
  return rows.map((r) => {
    const started = new Date(r.started_at as unknown as string).getTime();
    const stopped = r.stopped_at ? new Date(r.stopped_at as unknown as string).getTime() : null;
    return {
      runId: r.name,
      executionId: r.execution_id,
      executionStatus: r.status,
      status: r.run_status ?? null,
      file: r.object_key ? `s3://${r.bucket}/${r.object_key}` : null,
      startedAt: iso(r.started_at)!,
      stoppedAt: iso(r.stopped_at),
      redriveCount: Number(r.redrive_count),
      configId: r.config_id ?? null,
      feed: r.interface_name ?? null,
      recordsInFile: num(r.records_in_file),
      rowsLoaded: num(r.rows_loaded),
      rowsRejected: num(r.rows_rejected),
      loadCommitted: r.load_committed ?? null,
      durationMs: (stopped ?? now) - started,
      error:
        runRowError(r) ??
        (r.ex_error && r.status !== 'SUCCEEDED'
          ? { name: r.ex_error, message: r.ex_cause ?? '', line: null, column: null }
          : null),
      archivedTo: r.archived_to ?? null,
      skipReason: r.skip_reason ?? null,
    };
  });
}

/** The execution row for a run name or execution id, or null. */
async function findExecution(db: Db, runId: string) {
  return (
    (await db
      .selectFrom('efi.executions')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', runId), eb('execution_id', '=', runId)]))
      .executeTakeFirst()) ?? null
  );
}

/** The runner's persisted events of one execution, in order (every redrive included). */
export function executionEvents(db: Db, executionId: string): Promise<Selectable<ExecutionEventTable>[]> {
  return db
    .selectFrom('efi.execution_events')
    .selectAll()
    .where('execution_id', '=', executionId)
    .orderBy('seq')
    .execute();
}

/** The stored event history of a run, oldest first (`efi logs`); null when there is no such run. */
export async function localHistory(db: Db, runId: string): Promise<HistoryEventRow[] | null> {
  const ex = await findExecution(db, runId);
  if (!ex) return null;
  const events = await executionEvents(db, ex.execution_id);
  return events.map((e) => ({
    id: e.seq,
    timestamp: iso(e.at)!,
    type: e.type,
    state: e.state_name,
    redriveCount: e.redrive_count,
    input: parse(e.input),
    output: parse(e.output),
    error: e.error,
    cause: e.cause,
  }));
}

export async function showLocalRun(db: Db, runId: string): Promise<RunDetail | null> {
  const ex = await findExecution(db, runId);
  if (!ex) return null;
  const events = await executionEvents(db, ex.execution_id);
  const run = await new KyselyRunLog(db).get(ex.name);
  const { steps: states } = foldExecution(localFoldEvents(events), { failStates: failStates() });
  for (const step of states) step.durationMs = durationOf(step.enteredAt, step.exitedAt);
  return {
    runId: ex.name,
    executionId: ex.execution_id,
    executionStatus: ex.status,
    status: run?.status ?? null,
    file: run ? `s3://${run.bucket}/${run.key}` : null,
    startedAt: iso(ex.started_at)!,
    stoppedAt: iso(ex.stopped_at),
    redriveCount: ex.redrive_count,
    configId: run?.configId ?? null,
    feed: run?.interface ?? null,
    recordsInFile: run?.recordsInFile ?? null,
    rowsLoaded: run?.rowsLoaded ?? null,
    rowsRejected: run?.rowsRejected ?? null,
    loadCommitted: run?.loadCommitted ?? null,
    durationMs: durationOf(iso(ex.started_at), iso(ex.stopped_at) ?? new Date().toISOString()),
    archivedTo: run?.archivedTo ?? null,
    skipReason: run?.skipReason ?? null,
    input: parse(ex.input),
    output: parse(ex.output),
    error: run?.error
      ? {
          name: run.error.name,
          message: run.error.message,
          line: run.error.line ?? null,
          column: run.error.column ?? null,
          location: run.error.location ?? null,
        }
      : ex.error
        ? { name: ex.error, message: ex.cause ?? '', line: null, column: null }
        : null,
    states,
  };
}

export function durationOf(from: string | null, to: string | null): number | null {
  return from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
}
