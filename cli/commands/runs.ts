import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { Deps } from '../../functions/lib/compose.ts';
import type { RunContext } from '../../functions/lib/contract/payloads.ts';
import { errorLine, errorNameAndPlace } from '../../functions/lib/errors.ts';
import { type CliContext, colorStatus, localDeps, table, UsageError } from '../context.ts';
import { listLocalRuns, showLocalRun } from '../local/history.ts';
import { locateRunFile } from '../local/location.ts';
import { recoverDeadRuns } from '../local/recovery.ts';
import type { RunDetail, RunSummary, StateStep } from '../model.ts';
import { rowsLine, rowsLoadedCell } from '../row-counts.ts';
import { formatDuration, parseCount, parseRunStatus, parseUntil, parseWhen } from './run-filters.ts';

export const RUNS_HELP = `Usage: efi runs [filters] [--limit N] [--json]

List runs, newest first, with feed, status, start, duration, rows loaded,
file and error (local history; with --state-machine-arn or
EFI_STATE_MACHINE_ARN, the deployed state machine's executions, using the
usual AWS credentials).

Filters (combine freely):
  --status S   FINISHED, FAILED, ABORTED, SKIPPED, RUNNING (or SUCCEEDED, TIMED_OUT)
  --feed F     a config id (sales.pos_daily) or its interface (sales)
  --since T    started at or after T: an ISO date/time (2026-12-01, 2026-12-01T10:00Z; no zone = UTC)
               or an age (30m, 2h, 3d, 1w)
  --until T    started before T (same forms; a bare date includes that day)
  --file P     the file's key contains P, or matches the glob P (*, ?) on its key or name
  --limit N    at most N runs (default 50)
  --json       a JSON array; each run has runId, executionId, executionStatus, status,
               file, startedAt, stoppedAt, redriveCount, configId, feed, recordsInFile,
               rowsLoaded, rowsRejected (null: not known; the table shows ?), loadCommitted,
               durationMs, error {name,message,line,column}, archivedTo, skipReason`;

export const SHOW_HELP = `Usage: efi show RUN [--full] [--state NAME] [--json]

Show one run: its feed, file and where the file is now (landing, archive/... or
rejected/..., looked up in the object store), status, error with line and
column, and every state in order with how long it took and what it added,
grouped by attempt (the original run, then each redrive), like the Step
Functions console.

  --full        print every state's whole input, output, error and cause (no truncation)
  --state NAME  only that state (every attempt of it), in full
  --json        the run as JSON (states with durationMs, input, output, error, cause)

With --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN): a deployed execution.
The raw event history: efi logs RUN.`;

export const REDRIVE_HELP = `Usage: efi redrive RUN [--json] [--state-machine-arn ARN] [--region REGION]

Resume a FAILED, ABORTED or TIMED_OUT run at the state that failed, as Step
Functions' redrive does, once you have fixed the cause (missing table,
permissions; a missing config for a run that failed at FetchConfig). A run
keeps the config version it matched: after fixing a matched config, ingest the
file again with --reload (efi redrive says so when the config changed).
Rejected files cannot be redriven: send a corrected file.
With --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN): RedriveExecution on
the deployed state machine (RUN is an execution name or ARN; the usual AWS
credentials; --region must match the ARN's). It returns once Step Functions
accepted the redrive: follow the run with efi show RUN.`;

const REMOTE_OPTIONS = {
  'state-machine-arn': { type: 'string' },
  region: { type: 'string' },
} as const;

/**
 * The deployed state machine when --state-machine-arn / EFI_STATE_MACHINE_ARN is set; else null (local).
 * The Step Functions client (and the AWS SDK) is loaded only then: local runs and show never load it.
 */
async function remote(values: { 'state-machine-arn'?: string | undefined; region?: string | undefined }) {
  if (!values['state-machine-arn'] && !process.env['EFI_STATE_MACHINE_ARN']) return null;
  const r = await import('../remote/index.ts');
  const settings = r.resolveRemoteSettings(values);
  return settings ? { r, settings, client: r.sfnClient(settings) } : null;
}

/** The local history once the runs of dead processes are marked (cli/local/recovery.ts): none shows RUNNING forever. */
async function recovered(rt: Deps) {
  await recoverDeadRuns(rt);
  return rt.db();
}

export async function runsCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      feed: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      file: { type: 'string' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      ...REMOTE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(RUNS_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`efi runs takes no arguments, got ${positionals.join(' ')} (filter with --file, --feed...)`);
  const status = values.status === undefined ? undefined : parseRunStatus('--status', values.status);
  const limit = parseCount('--limit', values.limit);
  const now = new Date();
  const since = values.since === undefined ? undefined : parseWhen('--since', values.since, now);
  const until = values.until === undefined ? undefined : parseUntil('--until', values.until, now);
  if (since && until && since >= until)
    throw new UsageError(`--since ${values.since} is not before --until ${values.until}: no run can match`);
  for (const [flag, v] of [
    ['--feed', values.feed],
    ['--file', values.file],
  ] as const) {
    if (v !== undefined && v.trim() === '') throw new UsageError(`${flag} needs a value`);
  }
  const filter = {
    ...(status ? { status } : {}),
    ...(values.feed ? { feed: values.feed } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(values.file ? { file: values.file } : {}),
    limit,
  };
  const aws = await remote(values);
  let runs: RunSummary[];
  if (aws) {
    if (filter.feed)
      throw new UsageError('--feed needs the local history: deployed executions do not carry their feed');
    runs = await aws.r.listRemoteRuns(aws.client, aws.settings.stateMachineArn, {
      ...(status ? { status: status as never } : {}),
      max: limit,
      details: true,
    });
    runs = runs.filter(
      (r) =>
        (!since || new Date(r.startedAt) >= since) &&
        (!until || new Date(r.startedAt) < until) &&
        (!filter.file || matchesFile(r.file, filter.file)),
    );
  } else runs = await listLocalRuns(await recovered(localDeps(ctx)), filter);
  printRuns(ctx, runs, Object.keys(filter).length > 1);
  return 0;
}

/** The same rule as the local SQL filter (cli/local/history.ts keyPattern), for remote lists. */
function matchesFile(file: string | null, p: string): boolean {
  if (!file) return false;
  const key = file.replace(/^s3:\/\/[^/]+\//, '');
  if (!/[*?]/.test(p)) return key.includes(p);
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(key) || re.test(key.slice(key.lastIndexOf('/') + 1));
}

export function printRuns(ctx: CliContext, runs: RunSummary[], filtered = false): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(runs, null, 2));
    return;
  }
  if (runs.length === 0) {
    ctx.out(filtered ? 'no runs match these filters' : 'no runs yet: try efi ingest FILE (or npm run demo)');
    return;
  }
  ctx.out(
    table(
      runs.map((r) => [
        r.runId,
        colorStatus(ctx, r.status ?? r.executionStatus),
        r.feed ?? '',
        r.startedAt.replace('T', ' ').replace(/\..*/, ''),
        formatDuration(r.durationMs),
        rowsLoadedCell(r),
        r.redriveCount ? String(r.redriveCount) : '',
        (r.file ?? '').replace(/^s3:\/\/[^/]+\//, ''),
        r.error ? clip(errorNameAndPlace(r.error), 60) : '',
      ]),
      ['RUN', 'STATUS', 'FEED', 'STARTED (UTC)', 'TOOK', 'ROWS', 'REDRIVES', 'FILE', 'ERROR'],
    ),
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export async function showCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...REMOTE_OPTIONS,
    },
  });
  if (values.help) {
    ctx.out(SHOW_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('efi show needs exactly one RUN (see efi runs)');
  if (values.state !== undefined && values.state.trim() === '') throw new UsageError('--state needs a state name');
  const aws = await remote(values);
  let detail: RunDetail | null;
  if (aws) {
    try {
      detail = await aws.r.showRemoteRun(aws.client, aws.r.executionArnFor(aws.settings, positionals[0]!));
    } catch (e) {
      if ((e as Error).name !== 'RemoteRunNotFound') throw e;
      detail = null;
    }
  } else {
    const rt = localDeps(ctx);
    detail = await showLocalRun(await recovered(rt), positionals[0]!);
    if (detail) detail.location = await locateRunFile(await rt.store(), ctx.settings.prefixes, detail);
  }
  if (!detail) {
    ctx.err(`no run ${positionals[0]}; list them with: efi runs`);
    return 1;
  }
  if (values.state !== undefined) {
    const steps = detail.states.filter((s) => s.name === values.state);
    if (steps.length === 0) {
      const names = [...new Set(detail.states.map((s) => s.name))];
      throw new UsageError(
        `run ${detail.runId} has no state ${JSON.stringify(values.state)}; its states: ${names.join(', ')}`,
      );
    }
    if (ctx.json) ctx.out(JSON.stringify(steps, null, 2));
    else for (const s of steps) printStep(ctx, s);
    return 0;
  }
  printDetail(ctx, detail, { full: values.full });
  return 0;
}

export function printDetail(ctx: CliContext, d: RunDetail, opts: { full?: boolean } = {}): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(d, null, 2));
    return;
  }
  ctx.out(
    `${pc.bold(`run ${d.runId}`)}  ${colorStatus(ctx, d.status ?? d.executionStatus)} (execution ${d.executionStatus})`,
  );
  if (d.feed || d.configId) ctx.out(`feed      ${d.feed ?? '-'}${d.configId ? ` (config ${d.configId})` : ''}`);
  ctx.out(`file      ${d.file ?? '-'}`);
  if (d.location) {
    const l = d.location;
    ctx.out(
      l.uri
        ? `now at    ${l.uri === d.file ? 'the same key' : l.uri} (${l.where})`
        : `now at    nowhere the run put it (looked at ${l.looked.join(', ') || 'nothing'})`,
    );
  }
  ctx.out(
    `started   ${d.startedAt}${d.stoppedAt ? `, stopped ${d.stoppedAt}` : ''}${d.durationMs != null ? `, took ${formatDuration(d.durationMs)}` : ''}${d.redriveCount ? `, redriven ${d.redriveCount}x` : ''}`,
  );
  const rows = rowsLine(d);
  if (rows) ctx.out(`rows      ${rows}`);
  if (d.skipReason) ctx.out(`skipped   ${d.skipReason}`);
  if (d.error) {
    ctx.out(`error     ${errorLine(d.error)}`);
  }
  const limit = opts.full ? Number.POSITIVE_INFINITY : 100;
  const attempts = [...new Set(d.states.map((s) => s.redriveCount))].sort((a, b) => a - b);
  for (const attempt of attempts) {
    const steps = d.states.filter((s) => s.redriveCount === attempt);
    ctx.out('');
    if (attempts.length > 1 || attempt > 0) {
      const first = steps[0]?.enteredAt?.replace('T', ' ').replace(/\..*/, '') ?? '';
      const label = attempt === 0 ? 'original run' : `redrive ${attempt}, resumed at ${steps[0]?.name ?? '?'}`;
      ctx.out(pc.bold(`${label}${first ? ` (${first} UTC)` : ''}`));
    }
    ctx.out(
      table(
        steps.map((s) => [
          s.name,
          colorStatus(ctx, s.status),
          formatDuration(s.durationMs),
          s.error ? clipText(`${s.error}: ${s.cause ?? ''}`, limit) : summarise(added(s.input, s.output), limit),
        ]),
        ['STATE', 'STATUS', 'TOOK', 'OUTPUT / ERROR'],
      ),
    );
  }
  if (opts.full) for (const s of d.states) printStep(ctx, s);
  else
    ctx.out(pc.dim('\nwhole inputs and outputs: efi show RUN --full (or --state NAME, --json); events: efi logs RUN'));
}

/** One state in full: what a click on a state shows in the console. */
function printStep(ctx: CliContext, s: StateStep): void {
  const attempt = s.redriveCount ? `, redrive ${s.redriveCount}` : '';
  ctx.out('');
  ctx.out(
    pc.bold(
      `${s.name}  ${colorStatus(ctx, s.status)}${attempt}${s.durationMs != null ? `, ${formatDuration(s.durationMs)}` : ''}`,
    ),
  );
  ctx.out(`entered ${s.enteredAt ?? '-'}, exited ${s.exitedAt ?? '-'}`);
  ctx.out(`input:\n${pretty(s.input)}`);
  ctx.out(`output:\n${pretty(s.output)}`);
  if (s.error) ctx.out(`error: ${s.error}`);
  if (s.cause) ctx.out(`cause:\n${pretty(parseMaybe(s.cause))}`);
}

function pretty(v: unknown): string {
  if (v === null || v === undefined) return '  (none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function parseMaybe(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** What a state added to the state data (its ResultPath), so each row shows that state's own result. */
function added(input: unknown, output: unknown): unknown {
  if (!input || !output || typeof input !== 'object' || typeof output !== 'object' || Array.isArray(output))
    return output;
  const before = input as Record<string, unknown>;
  const changed = Object.entries(output as Record<string, unknown>).filter(
    ([k, v]) => JSON.stringify(before[k]) !== JSON.stringify(v),
  );
  return changed.length === 0 ? null : Object.fromEntries(changed);
}

function summarise(v: unknown, limit: number): string {
  if (v === null || v === undefined) return '';
  return clipText(JSON.stringify(v), limit);
}

function clipText(s: string, limit: number): string {
  return s.length > limit ? `${s.slice(0, limit - 3)}...` : s;
}

export async function redriveCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...REMOTE_OPTIONS,
    },
  });
  if (values.help) {
    ctx.out(REDRIVE_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError('efi redrive needs exactly one RUN (see efi runs --status FAILED)');
  // With a state machine ARN the run is a deployed execution: never fall back to local history.
  const aws = await remote(values);
  if (aws) return redriveDeployed(ctx, aws, positionals[0]!);
  // The runner (aws-local-stepfunctions, every handler) only for a redrive, not for runs and show.
  const [{ LocalRunner, RedriveRefused }, { describeOutcome, runWithProgress }] = await Promise.all([
    import('../local/runner.ts'),
    import('./ingest.ts'),
  ]);
  const rt = localDeps(ctx);
  const runner = LocalRunner.create(rt);
  try {
    if (!ctx.json) ctx.err(`${pc.bold('redrive')} run ${positionals[0]}`);
    const note = await configAppliedSince(rt, positionals[0]!);
    if (note) ctx.err(pc.yellow(note));
    const outcome = await runWithProgress(ctx, (o) => runner.redrive(positionals[0]!, o));
    const run = await showLocalRun(await rt.db(), outcome.name);
    const result = await describeOutcome(rt, ctx, run?.file ?? '', outcome);
    if (ctx.json) ctx.out(JSON.stringify(result));
    return result.status === 'FINISHED' ? 0 : 1;
  } catch (e) {
    if (e instanceof RedriveRefused) {
      ctx.err(e.message);
      return 1;
    }
    throw e;
  }
}

/**
 * Every state of a run reads the config version FetchConfig matched, and a
 * redrive resumes after FetchConfig, so a config fixed and applied since does
 * not reach it: the operator who fixed the config is told, and how to load
 * under the new version. Null when the version is still the active one.
 */
async function configAppliedSince(rt: Deps, runId: string): Promise<string | null> {
  const run = await showLocalRun(await rt.db(), runId);
  const matched = (run?.states.find((s) => s.name === 'FetchConfig')?.output as { run?: Partial<RunContext> } | null)
    ?.run;
  if (!matched?.configId || typeof matched.configVersion !== 'number') return null;
  const active = (await (await rt.configs()).listActive()).find((c) => c.config.id === matched.configId);
  if (!active || active.version === matched.configVersion) return null;
  return (
    `note: run ${runId} matched config ${matched.configId} version ${matched.configVersion}; version ${active.version} is active now. ` +
    `A redrive keeps version ${matched.configVersion} (every state of a run reads the version it matched), so a fix made in the config does not reach it: ` +
    `to load the file under version ${active.version}, ingest it again: efi ingest FILE --reload`
  );
}

/** RedriveExecution on the deployed state machine; refusals are one line and exit 1, like the local ones. */
async function redriveDeployed(
  ctx: CliContext,
  aws: NonNullable<Awaited<ReturnType<typeof remote>>>,
  run: string,
): Promise<number> {
  const executionArn = aws.r.executionArnFor(aws.settings, run);
  try {
    if (!ctx.json) ctx.err(`${pc.bold('redrive')} ${executionArn}`);
    const { redriveDate } = await aws.r.redriveRemote(aws.client, executionArn);
    if (ctx.json) ctx.out(JSON.stringify({ runId: run, executionArn, redriven: true, redriveDate }));
    else ctx.out(`  redriven at ${redriveDate}; follow it with: efi show ${run}`);
    return 0;
  } catch (e) {
    if (e instanceof aws.r.RemoteRedriveRefused) {
      if (ctx.json) ctx.out(JSON.stringify({ runId: run, executionArn, redriven: false, reason: e.message }));
      else ctx.err(e.message);
      return 1;
    }
    throw e;
  }
}
