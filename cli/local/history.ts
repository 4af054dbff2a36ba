import type { Kysely, Selectable } from 'kysely';
import { KyselyRunLog } from '../../functions/lib/adapters/config-db/kysely-run-log.ts';
import type { EfiDatabase, ExecutionEventTable } from '../../functions/lib/adapters/config-db/schema.ts';
import { type FoldEvent, foldExecution, parseJson as parse } from '../history/fold.ts';
import type { RunDetail, RunSummary } from '../model.ts';
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
function failStates(): ReadonlySet<string> {
  return new Set(
    Object.entries(loadDefinition().States)
      .filter(([, s]) => s.Type === 'Fail')
      .map(([n]) => n),
  );
}

export async function listLocalRuns(db: Db, opts: { status?: string; limit?: number }): Promise<RunSummary[]> {
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
      'r.status as run_status',
      'r.object_key',
      'r.bucket',
    ])
    .orderBy('e.started_at', 'desc')
    .limit(opts.limit ?? 50);
  if (opts.status) {
    const s = opts.status.toUpperCase();
    // Accept both vocabularies: run statuses (FINISHED, SKIPPED...) and execution statuses (SUCCEEDED, TIMED_OUT...).
    q = q.where((eb) => eb.or([eb('r.status', '=', s as never), eb('e.status', '=', s as never)]));
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    runId: r.name,
    executionId: r.execution_id,
    executionStatus: r.status,
    status: r.run_status ?? null,
    file: r.object_key ? `s3://${r.bucket}/${r.object_key}` : null,
    startedAt: iso(r.started_at)!,
    stoppedAt: iso(r.stopped_at),
    redriveCount: Number(r.redrive_count),
  }));
}

export async function showLocalRun(db: Db, runId: string): Promise<RunDetail | null> {
  const ex = await db
    .selectFrom('efi.executions')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', runId), eb('execution_id', '=', runId)]))
    .executeTakeFirst();
  if (!ex) return null;
  const events = await db
    .selectFrom('efi.execution_events')
    .selectAll()
    .where('execution_id', '=', ex.execution_id)
    .orderBy('seq')
    .execute();
  const run = await new KyselyRunLog(db).get(ex.name);
  const { steps: states } = foldExecution(localFoldEvents(events), { failStates: failStates() });
  return {
    runId: ex.name,
    executionId: ex.execution_id,
    executionStatus: ex.status,
    status: run?.status ?? null,
    file: run ? `s3://${run.bucket}/${run.key}` : null,
    startedAt: iso(ex.started_at)!,
    stoppedAt: iso(ex.stopped_at),
    redriveCount: ex.redrive_count,
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
