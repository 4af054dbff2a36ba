import type { Kysely } from 'kysely';
import { getRun } from '../../functions/lib/adapters/config-db/run-log.ts';
import type { EfiDatabase } from '../../functions/lib/adapters/config-db/schema.ts';
import type { HistoryEventRow, RunDetail, RunSummary, StateStep } from '../model.ts';

/** Local execution history in the shapes the Step Functions backend also returns (cli/model.ts). */

type Db = Kysely<EfiDatabase>;
const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
const parse = (v: unknown) => {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

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
      'r.archived_to',
      'r.skip_reason',
      'r.error_name',
      'r.error_message',
      'r.error_line',
      'r.error_column',
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
      durationMs: (stopped ?? now) - started,
      error: r.error_name
        ? {
            name: r.error_name,
            message: r.error_message ?? '',
            line: num(r.error_line),
            column:
              r.error_column === null ? null : /^\d+$/.test(r.error_column) ? Number(r.error_column) : r.error_column,
          }
        : r.ex_error && r.status !== 'SUCCEEDED'
          ? { name: r.ex_error, message: r.ex_cause ?? '', line: null, column: null }
          : null,
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

/** The stored event history of a run, oldest first (`efi logs`); null when there is no such run. */
export async function localHistory(db: Db, runId: string): Promise<HistoryEventRow[] | null> {
  const ex = await findExecution(db, runId);
  if (!ex) return null;
  const events = await db
    .selectFrom('efi.execution_events')
    .selectAll()
    .where('execution_id', '=', ex.execution_id)
    .orderBy('seq')
    .execute();
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
  const events = await db
    .selectFrom('efi.execution_events')
    .selectAll()
    .where('execution_id', '=', ex.execution_id)
    .orderBy('seq')
    .execute();
  const run = await getRun(db, ex.name);
  const states: StateStep[] = [];
  const open = new Map<string, StateStep>();
  for (const e of events) {
    if (!e.state_name) continue;
    if (e.type === 'StateEntered') {
      const step: StateStep = {
        name: e.state_name,
        status: 'RUNNING',
        enteredAt: iso(e.at),
        exitedAt: null,
        input: parse(e.input),
        output: null,
        error: null,
        cause: null,
        redriveCount: e.redrive_count,
      };
      states.push(step);
      open.set(e.state_name, step);
      continue;
    }
    const step = open.get(e.state_name);
    if (!step) continue;
    if (e.type === 'StateExited') {
      step.status = 'SUCCEEDED';
      step.output = parse(e.output);
      step.exitedAt = iso(e.at);
      open.delete(e.state_name);
    } else if (e.type === 'StateFailed') {
      step.status = 'FAILED';
      step.error = e.error;
      step.cause = e.cause;
      step.exitedAt = iso(e.at);
    } else if (e.type === 'StateCaught') {
      step.status = 'CAUGHT';
      step.error = step.error ?? e.error;
      step.exitedAt = iso(e.at);
      open.delete(e.state_name);
    } else if (e.type === 'StateRetried') {
      step.status = 'RETRIED';
    }
  }
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
        }
      : ex.error
        ? { name: ex.error, message: ex.cause ?? '', line: null, column: null }
        : null,
    states,
  };
}

function durationOf(from: string | null, to: string | null): number | null {
  return from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
}
