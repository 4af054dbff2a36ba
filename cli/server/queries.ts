import path from 'node:path';
import { Readable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import { KyselyRunLog, type RunRowError, runRowError } from '../../functions/lib/adapters/config-db/kysely-run-log.ts';
import type { EfiDatabase } from '../../functions/lib/adapters/config-db/schema.ts';
import type { Deps } from '../../functions/lib/compose.ts';
import { formatLocation, locationOfError } from '../../functions/lib/errors.ts';
import type { RunRecord } from '../../functions/lib/ports/run-log.ts';
import { type IngestResult, runLandedObject } from '../commands/ingest.ts';
import type { CliContext } from '../context.ts';
import { foldExecution } from '../history/fold.ts';
import { type RedriveDecision, redriveDecision } from '../history/redrive-rule.ts';
import { type AslDefinition, loadDefinition } from '../local/definition.ts';
import {
  durationOf,
  executionEvents,
  failStates,
  type LocalEventRow,
  localFoldEvents,
  showLocalRun,
} from '../local/history.ts';
import { locateRunFile } from '../local/location.ts';
import type { ExecutionOutcome, LocalRunner, RunOpts } from '../local/runner.ts';
import type { FileLocation, RunDetail } from '../model.ts';
import { rowsLine, rowsLoadedCell } from '../row-counts.ts';

/**
 * Everything efi server reads or starts, in one place: the DB tables
 * (efi.executions, efi.execution_events, efi.runs, efi.file_configs), the
 * object store and the local runner. The HTTP layer (api.ts) only shapes
 * requests and responses; when the runner, the runtime or the history fold
 * change shape, this is the file to adapt.
 */

type Db = Kysely<EfiDatabase>;

export interface ServerDeps {
  rt: Deps;
  runner: LocalRunner;
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const parse = (v: unknown) => {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

// ------------------------------------------------------------------ runs list

export interface RunFilter {
  feed?: string;
  status?: string;
  /** ISO date or date-time; `until` as a bare date includes that whole day. */
  since?: string;
  until?: string;
  /** Part of the file name (case-insensitive). */
  file?: string;
  limit?: number;
  offset?: number;
}

export interface RunRow {
  runId: string;
  executionId: string;
  executionStatus: string;
  status: string;
  feed: string | null;
  interface: string | null;
  file: string | null;
  /** Null when not known (JSON null; the console shows `?` when the load committed). */
  rowsLoaded: number | null;
  rowsRejected: number | null;
  recordsInFile: number | null;
  /** Whether the run's load had committed (a FINISHED run's always had); null: not known or no load. */
  loadCommitted: boolean | null;
  /** The rows-loaded cell as the CLI shows it (cli/row-counts.ts): `?` for an unknown count, never 0. */
  rowsShown: string;
  startedAt: string;
  stoppedAt: string | null;
  durationMs: number | null;
  redriveCount: number;
  error: (RunRowError & { state: string | null }) | null;
}

export async function listRuns(db: Db, f: RunFilter): Promise<{ runs: RunRow[]; total: number }> {
  let q = db.selectFrom('efi.executions as e').leftJoin('efi.runs as r', 'r.run_id', 'e.name');
  if (f.status) {
    const s = f.status.toUpperCase();
    q = q.where((eb) => eb.or([eb('r.status', '=', s as never), eb('e.status', '=', s as never)]));
  }
  if (f.feed) q = q.where((eb) => eb.or([eb('r.config_id', '=', f.feed!), eb('r.interface_name', '=', f.feed!)]));
  if (f.file) q = q.where(sql<boolean>`r.object_key ilike ${`%${f.file.replace(/[%_\\]/g, '\\$&')}%`}`);
  if (f.since) q = q.where('e.started_at', '>=', new Date(f.since));
  // An exclusive bound: a bare date was made the next midnight by parseUntil.
  if (f.until) q = q.where('e.started_at', '<', new Date(f.until));
  const total = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .select([
      'e.execution_id',
      'e.name',
      'e.status as exec_status',
      'e.started_at',
      'e.stopped_at',
      'e.redrive_count',
      'e.error as exec_error',
      'e.cause as exec_cause',
      'r.status as run_status',
      'r.config_id',
      'r.interface_name',
      'r.object_key',
      'r.rows_loaded',
      'r.rows_rejected',
      'r.records_in_file',
      'r.load_committed',
      'r.error_name',
      'r.error_message',
      'r.error_line',
      'r.error_column',
      'r.error_location',
      'r.error_state',
    ])
    .orderBy('e.started_at', 'desc')
    .limit(Math.min(f.limit ?? 25, 500))
    .offset(f.offset ?? 0)
    .execute();
  return {
    total: Number(total.n),
    runs: rows.map((r) => {
      const started = new Date(r.started_at as unknown as string);
      const stopped = r.stopped_at ? new Date(r.stopped_at as unknown as string) : null;
      return {
        runId: r.name,
        executionId: r.execution_id,
        executionStatus: r.exec_status,
        status: r.run_status ?? auditStatus(r.exec_status),
        feed: r.config_id ?? null,
        interface: r.interface_name ?? null,
        file: r.object_key ?? null,
        rowsLoaded: num(r.rows_loaded),
        rowsRejected: num(r.rows_rejected),
        recordsInFile: num(r.records_in_file),
        loadCommitted: r.load_committed ?? null,
        rowsShown: rowsLoadedCell({
          status: r.run_status ?? null,
          rowsLoaded: num(r.rows_loaded),
          loadCommitted: r.load_committed ?? null,
        }),
        startedAt: started.toISOString(),
        stoppedAt: stopped?.toISOString() ?? null,
        durationMs: (stopped ?? new Date()).getTime() - started.getTime(),
        redriveCount: Number(r.redrive_count),
        error: r.error_name
          ? { ...runRowError(r)!, state: r.error_state ?? null }
          : r.exec_error
            ? { name: r.exec_error, message: r.exec_cause ?? '', line: null, column: null, location: null, state: null }
            : null,
      };
    }),
  };
}

function auditStatus(executionStatus: string): string {
  return executionStatus === 'SUCCEEDED' ? 'FINISHED' : executionStatus === 'TIMED_OUT' ? 'FAILED' : executionStatus;
}

// ------------------------------------------------------------------ one run

export interface ExecutionEvent {
  seq: number;
  redriveCount: number;
  type: string;
  state: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  at: string;
}

export async function listEvents(db: Db, executionId: string): Promise<ExecutionEvent[]> {
  const rows = await executionEvents(db, executionId);
  return rows.map((e) => ({
    seq: e.seq,
    redriveCount: e.redrive_count,
    type: e.type,
    state: e.state_name,
    input: parse(e.input),
    output: parse(e.output),
    error: e.error,
    cause: e.cause,
    at: iso(e.at)!,
  }));
}

/** One visit of a state in a run (a state entered again, by a redrive or a wait loop, is a new visit). */
export interface StateVisit {
  state: string;
  redriveCount: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  enteredAt: string;
  exitedAt: string | null;
  durationMs: number | null;
  retries: number;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
}

/**
 * The console's view of the one history fold (cli/history/fold.ts): each step
 * as a visit, plus the transitions taken (consecutive states of one attempt).
 */
export function foldVisits(events: ExecutionEvent[]): { visits: StateVisit[]; transitions: [string, string][] } {
  const { steps } = foldExecution(localFoldEvents(events.map(toEventRow)), { failStates: failStates() });
  const visits = steps.map(
    (s): StateVisit => ({
      state: s.name,
      redriveCount: s.redriveCount,
      status: s.status === 'RETRIED' ? 'RUNNING' : s.status,
      enteredAt: s.enteredAt ?? '',
      exitedAt: s.exitedAt,
      durationMs: durationOf(s.enteredAt, s.exitedAt),
      retries: s.attempts - 1,
      input: s.input,
      output: s.output,
      error: s.error,
      cause: s.cause,
    }),
  );
  const transitions = new Set<string>();
  for (let i = 1; i < steps.length; i++) {
    const [prev, next] = [steps[i - 1]!, steps[i]!];
    if (prev.redriveCount === next.redriveCount) transitions.add(`${prev.name}\u0000${next.name}`);
  }
  return {
    visits,
    transitions: [...transitions].map((t) => t.split('\u0000') as [string, string]),
  };
}

/** An event as the runner persisted it (the row shape the local fold reads). */
function toEventRow(e: ExecutionEvent): LocalEventRow {
  return {
    type: e.type,
    state_name: e.state,
    input: e.input as LocalEventRow['input'],
    output: e.output as LocalEventRow['output'],
    error: e.error,
    cause: e.cause,
    at: e.at as unknown as LocalEventRow['at'],
    redrive_count: e.redriveCount,
  };
}

/** What the console tells of a redrive before the button is pressed (the input it would resume with stays server-side). */
export type Redrivable = Omit<RedriveDecision, 'input'>;

/** The runner's redrive rule (cli/history/redrive-rule.ts), told before pressing the button. */
export function redrivable(
  executionStatus: string,
  events: ExecutionEvent[],
  redriveCount: number,
  def: AslDefinition,
  executionInput: unknown = null,
): Redrivable {
  const latest = events.filter((e) => e.redriveCount === redriveCount);
  // The execution's error is its latest attempt's ExecutionFailed event (ProcessDied when its process died).
  const error = latest.findLast((e) => e.type === 'ExecutionFailed')?.error ?? null;
  const history = foldExecution(localFoldEvents(latest.map(toEventRow)));
  const { ok, reason, state } = redriveDecision(
    { status: executionStatus, error, input: executionInput, history },
    def,
  );
  return { ok, reason, state };
}

/** Where the run's file is now (the same lookup as `efi show`). */
export async function locateFile(rt: Deps, run: RunRecord | null): Promise<FileLocation> {
  if (!run) return { uri: null, key: null, size: null, where: 'gone', looked: [] };
  const store = await rt.store();
  return locateRunFile(store, rt.settings.prefixes, {
    file: store.uri(run.bucket, run.key),
    archivedTo: run.archivedTo,
  });
}

/** The offending record's text (first 500 characters), read from where the file is now; null when unknown. */
export async function offendingRecord(rt: Deps, loc: FileLocation, line: number | null): Promise<string | null> {
  if (!loc.key || !line || line < 1 || line > 5_000_000) return null;
  if (/\.(gz|bz2|zst|zip)$/i.test(loc.key)) return null;
  const stream = await (await rt.store()).get(rt.settings.bucket, loc.key);
  let current = 1;
  let text = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (current === line) text += chunk.subarray(start, nl < 0 ? chunk.length : nl).toString('utf8');
        if (nl < 0) break;
        if (current === line) return bound(text);
        current++;
        start = nl + 1;
      }
      if (text.length > 500) return bound(text);
    }
    return current === line ? bound(text) : null;
  } finally {
    (stream as Readable).destroy?.();
  }
}

const bound = (s: string) => (s.length > 500 ? `${s.slice(0, 500)}…` : s).replace(/\r$/, '');

export interface RunView {
  detail: RunDetail;
  run: RunRecord | null;
  events: ExecutionEvent[];
  visits: StateVisit[];
  transitions: [string, string][];
  redrive: Redrivable;
  location: FileLocation;
  offendingRecord: string | null;
  /** The error's place as every reader shows it (`line 57, field 5 (created_on)`), or null. */
  errorPlace: string | null;
  /** The run's rows as `efi show` says them (cli/row-counts.ts `rowsLine`), or null when it has none. */
  rowsShown: string | null;
}

/** The formatted place of a run's error: the page shows it as the CLI does, without a formatter of its own. */
export function errorPlaceOf(detail: RunDetail): string | null {
  return detail.error ? formatLocation(locationOfError(detail.error)) || null : null;
}

export async function getRunView(deps: ServerDeps, id: string): Promise<RunView | null> {
  const db = await deps.rt.db();
  const detail = await showLocalRun(db, id);
  if (!detail) return null;
  const run = await new KyselyRunLog(db).get(detail.runId);
  const events = await listEvents(db, detail.executionId);
  const { visits, transitions } = foldVisits(events);
  const location = await locateFile(deps.rt, run);
  return {
    detail,
    run,
    events,
    visits,
    transitions,
    redrive: redrivable(detail.executionStatus, events, detail.redriveCount, definition(), detail.input),
    location,
    offendingRecord: await offendingRecord(deps.rt, location, run?.error?.line ?? null).catch(() => null),
    errorPlace: errorPlaceOf(detail),
    rowsShown: run ? rowsLine(run) : null,
  };
}

let cachedDefinition: AslDefinition | null = null;
/** statemachine/efi.asl.json as deployed (placeholders left in). */
export function definition(): AslDefinition {
  cachedDefinition ??= loadDefinition();
  return cachedDefinition;
}

// ------------------------------------------------------------------ actions

/** Starts a redrive; resolves once it has begun, with the finished outcome as a second promise. */
export function startRedrive(deps: ServerDeps, id: string, opts: RunOpts = {}): { done: Promise<ExecutionOutcome> } {
  return { done: deps.runner.redrive(id, opts) };
}

/**
 * Puts an uploaded file in the landing prefix and runs it, through the same
 * function `efi ingest` uses. Resolves `runId` as soon as the run has a name.
 */
export function startIngest(
  deps: ServerDeps,
  ctx: CliContext,
  name: string,
  body: Readable | Buffer,
  opts: { prefix: string; reload: boolean; onAbortable?: (a: (reason?: string) => void) => void },
): { runId: Promise<string>; done: Promise<IngestResult> } {
  let named: (n: string) => void = () => {};
  const runId = new Promise<string>((res) => {
    named = res;
  });
  // A runner that tells the run's name as it starts; everything else is the real runner.
  const runner = {
    start: (input: never, o: RunOpts & { name?: string }) => {
      if (o.name) named(o.name);
      return deps.runner.start(input, {
        ...o,
        onAbortable: (a) => {
          o.onAbortable?.(a);
          opts.onAbortable?.(a);
        },
      });
    },
  } as unknown as LocalRunner;
  const key = `${deps.rt.settings.prefixes.landing}${opts.prefix}${path.posix.basename(name)}`;
  const done = (async () => {
    await (await deps.rt.store()).put(deps.rt.settings.bucket, key, body);
    return runLandedObject(deps.rt, runner, ctx, name, key, opts.reload);
  })();
  done.catch(() => named(''));
  return { runId, done };
}

export async function runSql(rt: Deps, text: string): Promise<{ columns: string[]; rows: unknown[] }> {
  const r = await (await rt.warehouse()).query(text);
  return { columns: r.columns, rows: r.rows };
}

export async function openObject(rt: Deps, key: string): Promise<{ stream: Readable; size: number } | null> {
  const store = await rt.store();
  const head = await store.head(rt.settings.bucket, key);
  if (!head) return null;
  const s = await store.get(rt.settings.bucket, key);
  return { stream: s instanceof Readable ? s : Readable.from(s), size: head.size };
}

// ------------------------------------------------------------------ feeds

export interface FeedView {
  id: string;
  interface: string;
  active: boolean;
  match: { kind: string; pattern: string };
  version: number;
  updatedAt: string | null;
  spec: unknown;
  lastFile: string | null;
  lastStatus: string | null;
  lastRunId: string | null;
  lastAt: string | null;
  runs30d: number;
  failed30d: number;
  failureRate: number | null;
  /**
   * Rows loaded per UTC day, last 14 days with runs: `rows` sums the known counts, `unknownRuns`
   * counts the FINISHED runs whose count is not known (so `rows` is then a lower bound).
   */
  rowsPerDay: { day: string; rows: number; unknownRuns: number }[];
}

export async function listFeeds(db: Db): Promise<FeedView[]> {
  const configs = await db.selectFrom('efi.file_configs').selectAll().orderBy('id').execute();
  const last = await sql<{ config_id: string; run_id: string; object_key: string; status: string; started_at: Date }>`
    select distinct on (config_id) config_id, run_id, object_key, status, started_at
    from efi.runs where config_id is not null order by config_id, started_at desc`.execute(db);
  const stats = await sql<{ config_id: string; total: number; failed: number }>`
    select config_id, count(*) as total,
           count(*) filter (where status in ('FAILED', 'ABORTED')) as failed
    from efi.runs where config_id is not null and started_at > now() - interval '30 days'
    group by config_id`.execute(db);
  const perDay = await sql<{ config_id: string; day: string; rows: number; unknown_runs: number }>`
    select config_id, to_char(date_trunc('day', started_at), 'YYYY-MM-DD') as day, coalesce(sum(rows_loaded), 0) as rows,
           count(*) filter (where rows_loaded is null) as unknown_runs
    from efi.runs where config_id is not null and status = 'FINISHED' and started_at > now() - interval '14 days'
    group by 1, 2 order by 2`.execute(db);
  return configs.map((c) => {
    const l = last.rows.find((r) => r.config_id === c.id);
    const s = stats.rows.find((r) => r.config_id === c.id);
    const total = Number(s?.total ?? 0);
    const failed = Number(s?.failed ?? 0);
    return {
      id: c.id,
      interface: c.interface_name,
      active: c.active,
      match: { kind: c.match_kind, pattern: c.match_pattern },
      version: Number(c.version),
      updatedAt: iso(c.updated_at),
      spec: c.spec,
      lastFile: l?.object_key ?? null,
      lastStatus: l?.status ?? null,
      lastRunId: l?.run_id ?? null,
      lastAt: iso(l?.started_at),
      runs30d: total,
      failed30d: failed,
      failureRate: total ? failed / total : null,
      rowsPerDay: perDay.rows
        .filter((r) => r.config_id === c.id)
        .map((r) => ({ day: r.day, rows: Number(r.rows), unknownRuns: Number(r.unknown_runs) })),
    };
  });
}
