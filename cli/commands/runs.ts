import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { Deps } from '../../functions/lib/compose.ts';
import { type CliContext, colorStatus, localDeps, table, UsageError } from '../context.ts';
import { listLocalRuns, showLocalRun } from '../local/history.ts';
import { recoverDeadRuns } from '../local/recovery.ts';
import { LocalRunner, RedriveRefused } from '../local/runner.ts';
import type { RunDetail, RunSummary } from '../model.ts';
import { describeOutcome, runWithProgress } from './ingest.ts';

export const RUNS_HELP = `Usage: efi runs [--status S] [--limit N] [--json]

List runs, newest first (local history; with --state-machine-arn or
EFI_STATE_MACHINE_ARN, the deployed state machine's executions, using the
usual AWS credentials).

  --status S   FINISHED, FAILED, ABORTED, SKIPPED, RUNNING (or SUCCEEDED, TIMED_OUT)
  --limit N    at most N runs (default 50)
  --json       a JSON array`;

export const SHOW_HELP = `Usage: efi show RUN [--json]

Show one run: its file, status, error (with line and column), and every state
in order with its input, output and error, like the Step Functions console.
With --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN): a deployed execution.`;

export const REDRIVE_HELP = `Usage: efi redrive RUN [--json]

Resume a FAILED, ABORTED or TIMED_OUT run at the state that failed, as Step
Functions' redrive does, once you have fixed the cause (missing table, config,
permissions). Rejected files cannot be redriven: send a corrected file.
With --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN): RedriveExecution on
the deployed state machine.`;

const REMOTE_OPTIONS = {
  'state-machine-arn': { type: 'string' },
  region: { type: 'string' },
} as const;

/** The deployed state machine when --state-machine-arn / EFI_STATE_MACHINE_ARN is set; else null (local). */
async function remote(values: { 'state-machine-arn'?: string | undefined; region?: string | undefined }) {
  const r = await import('../remote/index.ts');
  const settings = r.resolveRemoteSettings(values);
  return settings ? { r, settings, client: r.sfnClient(settings) } : null;
}

/** The local history once the runs of dead processes are marked (cli/local/recovery.ts): none shows RUNNING forever. */
async function recovered(rt: Deps) {
  await recoverDeadRuns(rt);
  return rt.db();
}

const STATUSES = ['FINISHED', 'FAILED', 'ABORTED', 'SKIPPED', 'RUNNING', 'SUCCEEDED', 'TIMED_OUT'];

export async function runsCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      status: { type: 'string' },
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
  const status = values.status?.toUpperCase();
  if (status && !STATUSES.includes(status))
    throw new UsageError(`--status ${values.status}: expected one of ${STATUSES.join(', ')}`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit ${values.limit}: expected a positive whole number`);
  const aws = await remote(values);
  const runs = aws
    ? await aws.r.listRemoteRuns(aws.client, aws.settings.stateMachineArn, {
        ...(status ? { status: status as never } : {}),
        max: limit,
        details: true,
      })
    : await listLocalRuns(await recovered(localDeps(ctx)), { ...(status ? { status } : {}), limit });
  printRuns(ctx, runs);
  return 0;
}

export function printRuns(ctx: CliContext, runs: RunSummary[]): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(runs, null, 2));
    return;
  }
  if (runs.length === 0) {
    ctx.out('no runs yet: try efi ingest FILE (or npm run demo)');
    return;
  }
  ctx.out(
    table(
      runs.map((r) => [
        r.runId,
        colorStatus(ctx, r.status ?? r.executionStatus),
        r.startedAt.replace('T', ' ').replace(/\..*/, ''),
        r.redriveCount ? String(r.redriveCount) : '',
        r.file ?? '',
      ]),
      ['RUN', 'STATUS', 'STARTED (UTC)', 'REDRIVES', 'FILE'],
    ),
  );
}

export async function showCommand(argv: string[], ctx: CliContext): Promise<number> {
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
    ctx.out(SHOW_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('efi show needs exactly one RUN (see efi runs)');
  const aws = await remote(values);
  let detail: RunDetail | null;
  if (aws) {
    try {
      detail = await aws.r.showRemoteRun(aws.client, aws.r.executionArnFor(aws.settings, positionals[0]!));
    } catch (e) {
      if ((e as Error).name !== 'RemoteRunNotFound') throw e;
      detail = null;
    }
  } else detail = await showLocalRun(await recovered(localDeps(ctx)), positionals[0]!);
  if (!detail) {
    ctx.err(`no run ${positionals[0]}; list them with: efi runs`);
    return 1;
  }
  printDetail(ctx, detail);
  return 0;
}

export function printDetail(ctx: CliContext, d: RunDetail): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(d, null, 2));
    return;
  }
  ctx.out(
    `${pc.bold(`run ${d.runId}`)}  ${colorStatus(ctx, d.status ?? d.executionStatus)} (execution ${d.executionStatus})`,
  );
  ctx.out(`file      ${d.file ?? '-'}`);
  ctx.out(
    `started   ${d.startedAt}${d.stoppedAt ? `, stopped ${d.stoppedAt}` : ''}${d.redriveCount ? `, redriven ${d.redriveCount}x` : ''}`,
  );
  if (d.error) {
    const where = [d.error.line ? `line ${d.error.line}` : null, d.error.column ? `column ${d.error.column}` : null]
      .filter(Boolean)
      .join(', ');
    ctx.out(`error     ${d.error.name}${where ? ` at ${where}` : ''}: ${d.error.message}`);
  }
  ctx.out('');
  ctx.out(
    table(
      d.states.map((s) => [
        s.redriveCount ? `${s.name} (redrive ${s.redriveCount})` : s.name,
        colorStatus(ctx, s.status),
        s.error ? `${s.error}: ${(s.cause ?? '').slice(0, 100)}` : summarise(added(s.input, s.output)),
      ]),
      ['STATE', 'STATUS', 'OUTPUT / ERROR'],
    ),
  );
  ctx.out(pc.dim('\nfull inputs and outputs: efi show --json'));
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

function summarise(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

export async function redriveCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    ctx.out(REDRIVE_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError('efi redrive needs exactly one RUN (see efi runs --status FAILED)');
  const rt = localDeps(ctx);
  const runner = LocalRunner.create(rt);
  try {
    if (!ctx.json) ctx.err(`${pc.bold('redrive')} run ${positionals[0]}`);
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
