import { parseArgs } from 'node:util';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type CliContext, localDeps, table, UsageError } from '../context.ts';
import { localHistory } from '../local/history.ts';
import type { HistoryEventRow } from '../model.ts';

export const LOGS_HELP = `Usage: efi logs RUN [--reverse] [--json]

Print a run's event history, one event per line, like
aws stepfunctions get-execution-history: id, timestamp, type, state and
details (the error and cause, or what the state received or returned).
Redrive attempts follow the original run's events.

  --reverse   newest event first
  --json      {"events":[{"id","timestamp","type","state","redriveCount","input","output","error","cause"}]}

With --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN): GetExecutionHistory of a deployed execution.`;

export async function logsCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      reverse: { type: 'boolean', default: false },
      'state-machine-arn': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(LOGS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('efi logs needs exactly one RUN (see efi runs)');
  const runId = positionals[0]!;
  const r = await import('../remote/index.ts');
  const aws = r.resolveRemoteSettings(values);
  let events: HistoryEventRow[] | null;
  if (aws) {
    const { executionHistory } = await import('../remote/show.ts');
    try {
      events = (await executionHistory(r.sfnClient(aws), r.executionArnFor(aws, runId))).map(fromSfn);
    } catch (e) {
      if ((e as Error).name !== 'RemoteRunNotFound') throw e;
      events = null;
    }
  } else events = await localHistory(await localDeps(ctx).db(), runId);
  if (!events) {
    ctx.err(`no run ${runId}; list them with: efi runs`);
    return 1;
  }
  if (values.reverse) events.reverse();
  if (ctx.json) {
    ctx.out(JSON.stringify({ events }, null, 2));
    return 0;
  }
  ctx.out(
    table(
      events.map((e) => [
        String(e.id),
        e.timestamp.replace('T', ' ').replace('Z', ''),
        e.type,
        e.state ?? '',
        e.redriveCount ? String(e.redriveCount) : '',
        details(e),
      ]),
      ['ID', 'TIMESTAMP (UTC)', 'TYPE', 'STATE', 'REDRIVE', 'DETAILS'],
    ),
  );
  return 0;
}

function details(e: HistoryEventRow): string {
  if (e.error || e.cause) return clip(`${e.error ?? ''}${e.cause ? `: ${e.cause}` : ''}`);
  const v = e.output ?? e.input;
  return v === null || v === undefined ? '' : clip(JSON.stringify(v));
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 120 ? `${one.slice(0, 119)}…` : one;
}

/** A Step Functions history event in the same row shape as the local history. */
function fromSfn(e: HistoryEvent): HistoryEventRow {
  let state: string | null = null;
  let input: unknown = null;
  let output: unknown = null;
  let error: string | null = null;
  let cause: string | null = null;
  let redriveCount = 0;
  for (const [k, v] of Object.entries(e)) {
    if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
    const d = v as { name?: string; input?: string; output?: string; error?: string; cause?: string };
    state = d.name ?? state;
    input = d.input !== undefined ? parse(d.input) : input;
    output = d.output !== undefined ? parse(d.output) : output;
    error = d.error ?? error;
    cause = d.cause ?? cause;
    if (k === 'executionRedrivenEventDetails') redriveCount = (v as { redriveCount?: number }).redriveCount ?? 0;
  }
  return {
    id: e.id ?? 0,
    timestamp: (e.timestamp ?? new Date(0)).toISOString(),
    type: e.type ?? '',
    state,
    redriveCount,
    input,
    output,
    error,
    cause,
  };
}

function parse(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
