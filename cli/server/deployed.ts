import { DescribeExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { errorKindOf } from '../../functions/lib/errors.ts';
import type { RunRecord } from '../../functions/lib/ports/run-log.ts';
import type { FileLocation, RunDetail, RunSummary } from '../model.ts';
import { remoteError } from '../remote/errors.ts';
import { parseJson } from '../remote/history.ts';
import { redriveRemote } from '../remote/redrive.ts';
import { listRemoteRuns } from '../remote/runs.ts';
import { executionArnFor, type RemoteSettings } from '../remote/settings.ts';
import { fileOf, runStatus, showRemoteRunWithHistory } from '../remote/show.ts';
import { rowsLine, rowsLoadedCell } from '../row-counts.ts';
import {
  type ExecutionEvent,
  errorPlaceOf,
  type Redrivable,
  type RunFilter,
  type RunRow,
  type RunView,
  type StateVisit,
} from './queries.ts';

/**
 * The console's pages for a deployed state machine (`efi server
 * --state-machine-arn ARN`): the same JSON shapes as the local history
 * (queries.ts), read through Step Functions with cli/remote (ListExecutions,
 * DescribeExecution, GetExecutionHistory, RedriveExecution), and the run rows
 * from the config DB where it has them (the server's EFI_CONFIG_DB).
 */

export interface DeployedBackend {
  settings: RemoteSettings;
  client: SFNClient;
  /** The run row of an execution name, or null (a config DB without it, or none reachable). */
  runRow: (runId: string) => Promise<RunRecord | null>;
}

/** Executions looked at per list request at most (ListExecutions is newest first, 1,000 a page). */
const WINDOW = 1000;

/**
 * ListExecutions, newest first, with `status`, `since` and `until` applied to
 * the listing and `feed`/`file` to the page's run rows and inputs (Step
 * Functions cannot filter on them). `total` counts what the listing window
 * matched before the feed/file filter.
 */
export async function listDeployedRuns(b: DeployedBackend, f: RunFilter): Promise<{ runs: RunRow[]; total: number }> {
  const limit = Math.min(f.limit ?? 25, 500);
  const offset = f.offset ?? 0;
  const since = f.since ? Date.parse(f.since) : null;
  let until = f.until ? Date.parse(f.until) : null;
  if (until !== null && /^\d{4}-\d{2}-\d{2}$/.test(f.until!)) until += 86_400_000;
  const listed = await listRemoteRuns(b.client, b.settings.stateMachineArn, {
    ...(f.status && f.status !== 'FINISHED' && f.status !== 'SKIPPED' ? { status: f.status } : {}),
    ...(f.status === 'FINISHED' || f.status === 'SKIPPED' ? { status: 'SUCCEEDED' } : {}),
    max: WINDOW,
  });
  const inRange = listed.filter((r) => {
    const t = Date.parse(r.startedAt);
    return (since === null || t >= since) && (until === null || t < until);
  });
  const filtered = f.feed || f.file || f.status === 'FINISHED' || f.status === 'SKIPPED';
  // Without row filters, describe only the page; with them, describe until the page is full.
  const rows: RunRow[] = [];
  let skipped = 0;
  for (let i = filtered ? 0 : offset; i < inRange.length && rows.length < limit; i += 5) {
    const batch = await Promise.all(inRange.slice(i, i + 5).map((r) => describeRow(b, r)));
    for (const row of batch) {
      if (rows.length >= limit || !matches(row, f)) continue;
      if (filtered && skipped < offset) skipped++;
      else rows.push(row);
    }
  }
  return { runs: rows, total: filtered ? offset + rows.length : inRange.length };
}

async function describe(client: SFNClient, executionArn: string) {
  try {
    return await client.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    throw remoteError(e, `DescribeExecution ${executionArn}`);
  }
}

function matches(r: RunRow, f: RunFilter): boolean {
  if (f.feed && r.feed !== f.feed && r.interface !== f.feed) return false;
  if (f.file && !(r.file ?? '').toLowerCase().includes(f.file.toLowerCase())) return false;
  if ((f.status === 'FINISHED' || f.status === 'SKIPPED') && r.status !== f.status) return false;
  return true;
}

async function describeRow(b: DeployedBackend, s: RunSummary): Promise<RunRow> {
  const [ex, run] = await Promise.all([describe(b.client, s.executionId), b.runRow(s.runId).catch(() => null)]);
  const output = parseJson(ex.output);
  const file = fileOf(parseJson(ex.input));
  const started = Date.parse(s.startedAt);
  const stopped = s.stoppedAt ? Date.parse(s.stoppedAt) : null;
  const status = run?.status ?? runStatus(s.executionStatus, output) ?? s.executionStatus;
  return {
    runId: s.runId,
    executionId: s.executionId,
    executionStatus: s.executionStatus,
    status,
    feed: run?.configId ?? null,
    interface: run?.interface ?? null,
    file: run?.key ?? (file ? file.replace(/^s3:\/\/[^/]+\//, '') : null),
    rowsLoaded: run?.rowsLoaded ?? null,
    rowsRejected: run?.rowsRejected ?? null,
    recordsInFile: run?.recordsInFile ?? null,
    loadCommitted: run?.loadCommitted ?? null,
    rowsShown: rowsLoadedCell({ ...run, status }),
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    durationMs: (stopped ?? Date.now()) - started,
    redriveCount: s.redriveCount,
    error: run?.error
      ? {
          name: run.error.name,
          message: run.error.message,
          line: run.error.line ?? null,
          column: run.error.column ?? null,
          location: run.error.location ?? null,
          state: run.error.state ?? null,
        }
      : ex.error
        ? { name: ex.error, message: ex.cause ?? '', line: null, column: null, location: null, state: null }
        : null,
  };
}

/** One deployed execution in the console's run view shape; null when Step Functions does not know it. */
export async function getDeployedRunView(b: DeployedBackend, id: string): Promise<RunView | null> {
  const arn = executionArnFor(b.settings, id);
  let got: { detail: RunDetail; events: HistoryEvent[] };
  try {
    got = await showRemoteRunWithHistory(b.client, arn);
  } catch (e) {
    if ((e as Error).name === 'RunNotFound') return null;
    throw e;
  }
  const { detail } = got;
  const run = await b.runRow(detail.runId).catch(() => null);
  const visits = visitsOf(detail);
  return {
    detail,
    run,
    events: eventsOf(got.events),
    visits,
    transitions: transitionsOf(visits),
    redrive: deployedRedrivable(detail),
    location: locationOf(detail, run),
    offendingRecord: null,
    errorPlace: errorPlaceOf(detail),
    rowsShown: run ? rowsLine(run) : null,
  };
}

/** RedriveExecution through cli/remote (which refuses, saying why, what Step Functions would refuse). */
export async function redriveDeployed(b: DeployedBackend, id: string): Promise<{ runId: string; redriveDate: string }> {
  const arn = executionArnFor(b.settings, id);
  const r = await redriveRemote(b.client, arn);
  return { runId: arn.slice(arn.lastIndexOf(':') + 1), redriveDate: r.redriveDate };
}

/** The folded steps as the graph's visits (a retried attempt is a retry of the same visit). */
export function visitsOf(detail: RunDetail): StateVisit[] {
  return detail.states.map((s) => ({
    state: s.name,
    redriveCount: s.redriveCount,
    status: s.status === 'RETRIED' ? 'FAILED' : s.status,
    enteredAt: s.enteredAt ?? detail.startedAt,
    exitedAt: s.exitedAt,
    durationMs: s.durationMs ?? (s.enteredAt && s.exitedAt ? Date.parse(s.exitedAt) - Date.parse(s.enteredAt) : null),
    retries: Math.max(0, s.attempts - 1),
    input: s.input,
    output: s.output,
    error: s.error,
    cause: s.cause,
  }));
}

function transitionsOf(visits: StateVisit[]): [string, string][] {
  const seen = new Set<string>();
  for (let i = 1; i < visits.length; i++) {
    const a = visits[i - 1]!;
    const b = visits[i]!;
    if (a.redriveCount === b.redriveCount) seen.add(`${a.state}\u0000${b.state}`);
  }
  return [...seen].map((t) => t.split('\u0000') as [string, string]);
}

/** GetExecutionHistory events in the console's event-table vocabulary. */
export function eventsOf(events: HistoryEvent[]): ExecutionEvent[] {
  let redriveCount = 0;
  return events.map((e) => {
    if (e.type === 'ExecutionRedriven')
      redriveCount = e.executionRedrivenEventDetails?.redriveCount ?? redriveCount + 1;
    let state: string | null = null;
    let input: unknown = null;
    let output: unknown = null;
    let error: string | null = null;
    let cause: string | null = null;
    for (const [k, v] of Object.entries(e)) {
      if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
      const d = v as { name?: string; input?: string; output?: string; error?: string; cause?: string };
      if (k.startsWith('state')) state = d.name ?? null;
      if (d.input !== undefined) input = parseJson(d.input);
      if (d.output !== undefined) output = parseJson(d.output);
      error = d.error ?? error;
      cause = d.cause ?? cause;
    }
    return {
      seq: e.id ?? 0,
      redriveCount,
      type: e.type ?? '',
      state,
      input,
      output,
      error,
      cause,
      at: (e.timestamp ?? new Date(0)).toISOString(),
    };
  });
}

/** What the console says before the button is pressed; RedriveExecution has the last word (409 with its reason). */
export function deployedRedrivable(detail: RunDetail): Redrivable {
  const s = detail.executionStatus;
  if (s === 'SUCCEEDED') return { ok: false, reason: 'the run succeeded', state: null };
  if (s === 'RUNNING' || s === 'PENDING_REDRIVE') return { ok: false, reason: `the run is ${s}`, state: null };
  const last = detail.states.at(-1) ?? null;
  const errorName = detail.error?.name ?? null;
  if (last?.name === 'FileRejected' || (errorName && errorKindOf(errorName) === 'rejected')) {
    return {
      ok: false,
      reason: `the file was rejected for its content (${errorName ?? last?.name}); a redrive would reject it again: send a corrected file`,
      state: last?.name ?? null,
    };
  }
  const failed = [...detail.states].reverse().find((x) => x.status === 'FAILED' || x.status === 'RUNNING');
  const at = failed?.name ?? last?.name ?? null;
  return { ok: true, reason: at ? `RedriveExecution resumes at ${at}` : 'RedriveExecution', state: at };
}

/** Where the file is, as far as the run row and the execution input tell (the console does not read S3). */
function locationOf(detail: RunDetail, run: RunRecord | null): FileLocation {
  const uri = run?.archivedTo ?? detail.file;
  if (!uri) return { uri: null, key: null, where: 'gone', size: null, looked: [] };
  const key = uri.replace(/^s3:\/\/[^/]+\//, '');
  const where = (['landing', 'archive', 'rejected'] as const).find((p) => key.startsWith(`${p}/`));
  // key null: no download link (GET /api/object reads the local store, not the bucket); nothing was looked up.
  return { uri, key: null, where: where ?? 'other', size: run?.fileBytes ?? null, looked: [] };
}
