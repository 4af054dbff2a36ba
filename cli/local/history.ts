import type { Kysely } from 'kysely';
import { KyselyRunLog } from '../../functions/lib/adapters/config-db/kysely-run-log.ts';
import type { EfiDatabase } from '../../functions/lib/adapters/config-db/schema.ts';
import type { RunDetail, RunSummary, StateStep } from '../model.ts';

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
        }
      : ex.error
        ? { name: ex.error, message: ex.cause ?? '', line: null, column: null }
        : null,
    states,
  };
}
