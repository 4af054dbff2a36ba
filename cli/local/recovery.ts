import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { EfiDatabase, ExecutionTable } from '../../functions/lib/adapters/config-db/schema.ts';
import type { Deps } from '../../functions/lib/compose.ts';
import { foldExecution } from '../history/fold.ts';
import { PROCESS_DIED, resumePoint } from '../history/redrive-rule.ts';
import { type AslDefinition, loadDefinition, substitutePlaceholders } from './definition.ts';
import type { Handler } from './handlers.ts';
import { localFoldEvents } from './history.ts';

/**
 * Runs whose process died. An execution row says which process runs it
 * (host, pid, a token made once per process, a heartbeat the runner renews):
 * a RUNNING execution whose owner is gone is marked FAILED `ProcessDied` at
 * the state that was running, and its run is audited FAILED and notified
 * through report-failure's handler, as the status-change event does in AWS.
 * `efi redrive` then resumes it there. Checked when a runner starts work and
 * by `efi runs` / `efi show`.
 */

/** This process, as execution rows name their owner. */
export const PROCESS_OWNER = {
  host: os.hostname(),
  pid: process.pid,
  token: randomBytes(8).toString('hex'),
} as const;

export interface OwnerRow {
  owner_host: string | null;
  owner_pid: number | null;
  owner_token: string | null;
  heartbeat_at: Date | string | null;
  started_at: Date | string;
}

/** How often a running execution's heartbeat is renewed, and how old one may be before its owner counts as dead. */
export function heartbeatTimings(env = process.env): { everyMs: number; staleMs: number } {
  const everyMs = Number(env['EFI_HEARTBEAT_MS'] ?? 10_000);
  return { everyMs, staleMs: Number(env['EFI_HEARTBEAT_STALE_MS'] ?? everyMs * 6) };
}

/**
 * Whether the process that owns an execution is gone. Same host: its pid is
 * not alive, or it is this pid under another token (a restarted container
 * reusing the pid), or its heartbeat is far too old (a reused pid). Other
 * host (a PostgreSQL config DB shared between machines): its heartbeat is stale.
 */
export function ownerIsDead(
  row: OwnerRow,
  now: number,
  me: { host: string; pid: number; token: string } = PROCESS_OWNER,
  pidAlive: (pid: number) => boolean = isPidAlive,
  staleMs = heartbeatTimings().staleMs,
): boolean {
  if (row.owner_token === me.token) return false;
  const beat = new Date((row.heartbeat_at ?? row.started_at) as string).getTime();
  const stale = now - beat > staleMs;
  if (row.owner_pid === null || row.owner_host === null) return stale;
  if (row.owner_host !== me.host) return stale;
  if (row.owner_pid === me.pid) return true;
  return !pidAlive(row.owner_pid) || now - beat > staleMs * 10;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Db = Kysely<EfiDatabase>;

/** Marks one execution whose owner died FAILED ProcessDied (once: guarded on its owner token) and reports it. */
async function markDied(
  db: Db,
  ex: Selectable<ExecutionTable>,
  definition: AslDefinition,
  reportFailure: Handler,
): Promise<boolean> {
  const events = await db
    .selectFrom('efi.execution_events')
    .selectAll()
    .where('execution_id', '=', ex.execution_id)
    .where('redrive_count', '=', ex.redrive_count)
    .orderBy('seq')
    .execute();
  const { steps } = foldExecution(localFoldEvents(events));
  const at = resumePoint(steps, definition, ex.input)?.state ?? 'its last state';
  const who = ex.owner_pid ? `process ${ex.owner_pid} on ${ex.owner_host}` : 'the process running this execution';
  const cause = `the process running this execution died in state ${at} (${who}); redrive it to resume there: efi redrive ${ex.name}`;
  const claimed = await db
    .updateTable('efi.executions')
    .set({ status: 'FAILED', error: PROCESS_DIED, cause, stopped_at: new Date() })
    .where('execution_id', '=', ex.execution_id)
    .where('status', '=', 'RUNNING')
    .where((eb) => (ex.owner_token === null ? eb('owner_token', 'is', null) : eb('owner_token', '=', ex.owner_token)))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return false;
  const maxSeq = await db
    .selectFrom('efi.execution_events')
    .select(sql<number>`coalesce(max(seq), 0)`.as('m'))
    .where('execution_id', '=', ex.execution_id)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('efi.execution_events')
    .values({
      execution_id: ex.execution_id,
      seq: Number(maxSeq.m) + 1,
      redrive_count: ex.redrive_count,
      type: 'ExecutionFailed',
      state_name: null,
      input: null,
      output: null,
      error: PROCESS_DIED,
      cause,
      at: new Date(),
    })
    .execute();
  // The execution is redrivable now; a report that fails (warehouse down) must not stop this process's own work.
  const { localStatusChangeEvent } = await import('./status-change.ts');
  await reportFailure(
    localStatusChangeEvent({
      executionArn: ex.execution_id,
      name: ex.name,
      status: 'FAILED',
      input: ex.input,
      error: PROCESS_DIED,
      cause,
      startDate: new Date(ex.started_at),
      stopDate: new Date(),
      redriveCount: ex.redrive_count,
    }),
  ).catch((e: unknown) => {
    console.error(`efi: run ${ex.name}: its process died; reporting it failed: ${(e as Error).message}`);
  });
  return true;
}

/**
 * Finds RUNNING executions whose process died and makes each redrivable
 * (FAILED ProcessDied at the state that was running, audited and notified
 * once). Returns the names of the executions it recovered.
 */
export async function recoverDeadExecutions(
  rt: Deps,
  definition: AslDefinition | (() => AslDefinition),
  opts: { reportFailure?: Handler; now?: number } = {},
): Promise<string[]> {
  const db = await rt.db();
  const running = await db.selectFrom('efi.executions').selectAll().where('status', '=', 'RUNNING').execute();
  const now = opts.now ?? Date.now();
  const dead = running.filter((ex) => ownerIsDead(ex, now));
  if (dead.length === 0) return [];
  // Only now: the handlers (every Lambda's code, zod) and the definition are what efi runs / efi show
  // would otherwise load for nothing on each call.
  const reportFailure = opts.reportFailure ?? (await import('./handlers.ts')).createReportFailureHandler(rt);
  const def = typeof definition === 'function' ? definition() : definition;
  const recovered: string[] = [];
  for (const ex of dead) if (await markDied(db, ex, def, reportFailure)) recovered.push(ex.name);
  return recovered;
}

/** Renews the heartbeat of this process's running executions until stopped. */
export function startHeartbeat(db: Db, executionId: string, everyMs = heartbeatTimings().everyMs): () => void {
  const timer = setInterval(() => {
    db.updateTable('efi.executions')
      .set({ heartbeat_at: new Date() })
      .where('execution_id', '=', executionId)
      .where('owner_token', '=', PROCESS_OWNER.token)
      .execute()
      .catch(() => undefined);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** `efi runs` / `efi show`: recover dead processes' runs before listing, so no dead run shows as RUNNING. */
export async function recoverDeadRuns(rt: Deps): Promise<string[]> {
  return recoverDeadExecutions(rt, () => substitutePlaceholders(loadDefinition()));
}
