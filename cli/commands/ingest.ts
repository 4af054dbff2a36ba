import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { Deps } from '../../functions/lib/compose.ts';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import type { RunRecord } from '../../functions/lib/ports/run-log.ts';
import type { LocatedRowError } from '../../functions/lib/steps/locate-row-error.ts';
import { type CliContext, colorStatus, localDeps, UsageError } from '../context.ts';
import { type ExecutionOutcome, LocalRunner, type ProgressEvent } from '../local/runner.ts';

export const INGEST_HELP = `Usage: efi ingest FILE... [options]

Put each file in the local landing prefix and run the state machine on it,
showing progress state by state, then the outcome.

Options:
  --prefix P   sub-folder under the landing prefix (configs match on the key relative to it)
  --reload     load even if the same content was loaded before
  --json       one JSON object per file on stdout:
               {"file","runId","status","recordsInFile","rowsLoaded","rowsRejected",
                "target","archivedTo","error":{"name","message","line","column"}|null,
                "notifyError"? (FINISHED but the notification failed)}
  -h, --help   show this help

Exit status: 0 when every file FINISHED or was SKIPPED, 1 otherwise, 2 on usage errors.`;

export interface IngestResult {
  file: string;
  runId: string;
  status: string;
  recordsInFile: number | null;
  /** Records of unknown types skipped on purpose (config `split.onUnknown: skip`). */
  recordsSkipped: number | null;
  rowsLoaded: number | null;
  rowsRejected: number | null;
  target: string | null;
  targets: {
    target: string;
    recordType: string | null;
    rowsLoaded: number;
    rowsRejected: number;
    /** Rows rejected within maxErrors (first 10), located in the original file. */
    rejected?: LocatedRowError[];
  }[];
  archivedTo: string | null;
  skipReason: string | null;
  error: { name: string; message: string; line: number | null; column: number | string | null } | null;
  /** A FINISHED run whose notification could not be sent (the outcome stands; `efi redrive` sends it). */
  notifyError?: string;
}

export async function ingestCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      prefix: { type: 'string', default: '' },
      reload: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(INGEST_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('efi ingest needs at least one FILE (see efi ingest --help)');
  const prefix = normalisePrefix(values.prefix);
  for (const f of positionals) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (!st?.isFile()) throw new UsageError(`${f} is not a readable file`);
  }

  const rt = localDeps(ctx);
  const runner = LocalRunner.create(rt);
  const results: IngestResult[] = [];
  for (const file of positionals) {
    const result = await ingestFile(rt, runner, ctx, file, { prefix, reload: values.reload });
    results.push(result);
    if (ctx.json) ctx.out(JSON.stringify(result));
  }
  if (!ctx.json && results.length > 1) printSummary(ctx, results);
  return results.every((r) => r.status === 'FINISHED' || r.status === 'SKIPPED') ? 0 : 1;
}

function normalisePrefix(p: string): string {
  if (!p) return '';
  if (p.startsWith('/') || p.split('/').includes('..'))
    throw new UsageError(`--prefix ${p}: must be a relative folder without '..'`);
  return p.endsWith('/') ? p : `${p}/`;
}

export async function ingestFile(
  rt: Deps,
  runner: LocalRunner,
  ctx: CliContext,
  file: string,
  opts: { prefix: string; reload: boolean },
): Promise<IngestResult> {
  const store = await rt.store();
  const { bucket, prefixes } = rt.settings;
  const key = `${prefixes.landing}${opts.prefix}${path.basename(file)}`;
  await store.put(bucket, key, fs.createReadStream(file));
  return runLandedObject(rt, runner, ctx, file, key, opts.reload);
}

/** Plays the S3 "Object Created" event for an object already in the landing prefix, as EventBridge does. */
export async function runLandedObject(
  rt: Deps,
  runner: LocalRunner,
  ctx: CliContext,
  file: string,
  key: string,
  reload = false,
): Promise<IngestResult> {
  const { bucket } = rt.settings;
  const head = await (await rt.store()).head(bucket, key);
  if (!head) throw new Error(`s3://${bucket}/${key} disappeared before its run started`);
  const input: ExecutionInput = {
    'detail-type': 'Object Created',
    source: 'aws.s3',
    time: new Date().toISOString(),
    detail: { bucket: { name: bucket }, object: { key, size: head.size, etag: head.etag }, reason: 'PutObject' },
    ...(reload ? { efi: { reload: true } } : {}),
  };
  const name = LocalRunner.newExecutionName();
  if (!ctx.json) ctx.err(`${pc.bold(path.basename(file))} → run ${name}`);
  const outcome = await runWithProgress(ctx, (o) => runner.start(input, { ...o, name }));
  return describeOutcome(rt, ctx, file, outcome);
}

/** Runs an execution with live progress on stderr and Ctrl-C mapped to an abort. */
export async function runWithProgress(
  ctx: CliContext,
  run: (o: {
    onProgress: (e: ProgressEvent) => void;
    onAbortable: (a: () => void) => void;
  }) => Promise<ExecutionOutcome>,
): Promise<ExecutionOutcome> {
  const entered = new Map<string, number>();
  // A caught state also logs StateExited: it must not print as a success.
  const caught = new Set<string>();
  let abort: (() => void) | null = null;
  const onSigint = () => {
    if (abort) {
      ctx.err(pc.yellow('  aborting (Ctrl-C)...'));
      abort();
    }
  };
  process.on('SIGINT', onSigint);
  try {
    return await run({
      onAbortable: (a) => {
        abort = a;
      },
      onProgress: (e) => {
        if (ctx.json || !e.state) return;
        if (e.type === 'StateEntered') {
          entered.set(e.state, e.at);
          caught.delete(e.state);
        }
        const ms = e.at - (entered.get(e.state) ?? e.at);
        const took = pc.dim(`${ms} ms`);
        if (
          e.type === 'StateExited' &&
          !caught.has(e.state) &&
          !/^(Wait|Is|Needs|Has|Load|Transform)[A-Z]|^(Done|Skipped)$/.test(e.state)
        ) {
          ctx.err(`  ${ctx.tty ? pc.green('✓') : 'ok'} ${e.state.padEnd(16)} ${took}`);
        } else if (e.type === 'StateFailed') {
          ctx.err(`  ${ctx.tty ? pc.red('✗') : 'FAILED'} ${e.state.padEnd(16)} ${e.error}: ${e.cause ?? ''}`);
        } else if (e.type === 'StateCaught') {
          caught.add(e.state);
          ctx.err(`  ${ctx.tty ? pc.yellow('↳') : 'caught'} ${e.state.padEnd(16)} ${e.error ?? ''} → rejection path`);
        } else if (e.type === 'StateRetried') {
          ctx.err(`  ${pc.yellow('↻')} ${e.state.padEnd(16)} retrying after a transient error`);
        }
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function describeOutcome(
  rt: Deps,
  ctx: CliContext,
  file: string,
  outcome: ExecutionOutcome,
): Promise<IngestResult> {
  const run = await (await rt.runs()).get(outcome.name);
  const result = toIngestResult(file, outcome, run);
  if (!ctx.json) printOutcome(ctx, result);
  return result;
}

export function toIngestResult(file: string, outcome: ExecutionOutcome, run: RunRecord | null): IngestResult {
  const targets = (
    (run?.targets ?? []) as {
      target: { schema: string; table: string };
      recordType: string | null;
      rowsLoaded: number;
      rowsRejected: number;
      rejected?: LocatedRowError[];
    }[]
  ).map((t) => ({
    target: `${t.target.schema}.${t.target.table}`,
    recordType: t.recordType,
    rowsLoaded: t.rowsLoaded,
    rowsRejected: t.rowsRejected,
    ...(t.rejected ? { rejected: t.rejected } : {}),
  }));
  const status =
    run?.status && run.status !== 'RUNNING'
      ? run.status
      : outcome.status === 'SUCCEEDED'
        ? 'FINISHED'
        : outcome.status === 'ABORTED'
          ? 'ABORTED'
          : 'FAILED';
  const error = run?.error
    ? {
        name: run.error.name,
        message: run.error.message,
        line: run.error.line ?? null,
        column: run.error.column ?? null,
      }
    : outcome.error
      ? { name: outcome.error, message: outcome.cause ?? '', line: null, column: null }
      : null;
  return {
    file,
    runId: outcome.name,
    status,
    recordsInFile: run?.recordsInFile ?? null,
    recordsSkipped: run?.recordsSkipped ?? null,
    rowsLoaded: run?.rowsLoaded ?? null,
    rowsRejected: run?.rowsRejected ?? null,
    target: targets.length ? targets.map((t) => t.target).join(',') : null,
    targets,
    archivedTo: run?.archivedTo ?? null,
    skipReason: run?.skipReason ?? null,
    error: status === 'FINISHED' || status === 'SKIPPED' ? null : error,
    ...(run?.notifyError ? { notifyError: run.notifyError } : {}),
  };
}

function printOutcome(ctx: CliContext, r: IngestResult): void {
  const s = colorStatus(ctx, r.status);
  if (r.status === 'FINISHED') {
    const into = r.targets.map((t) => `${t.rowsLoaded} → ${t.target}`).join(', ');
    const skipped = r.recordsSkipped ? `, ${r.recordsSkipped} skipped (unknown record type)` : '';
    const rejected = r.rowsRejected ? `, ${r.rowsRejected} rejected (within maxErrors)` : '';
    ctx.out(
      `  ${s}  ${r.recordsInFile ?? '?'} records, ${r.rowsLoaded ?? 0} rows loaded (${into})${skipped}${rejected}`,
    );
    for (const t of r.targets) {
      for (const x of t.rejected ?? []) {
        ctx.out(`    rejected: ${x.table} line ${x.line ?? '?'}${x.column ? `, column ${x.column}` : ''}: ${x.reason}`);
      }
    }
    if (r.archivedTo) ctx.out(`  archived to ${r.archivedTo}`);
    if (r.notifyError) ctx.out(`  notification not sent (${r.notifyError}); send it with: efi redrive ${r.runId}`);
  } else if (r.status === 'SKIPPED') {
    ctx.out(`  ${s}  ${r.skipReason ?? ''}`);
  } else {
    const message = r.error?.message ?? '';
    // Most messages already say where; add the location only when they do not.
    const where =
      r.error?.line && !message.includes(`line ${r.error.line}`)
        ? ` at line ${r.error.line}${r.error.column ? `, column ${r.error.column}` : ''}`
        : '';
    ctx.out(`  ${s}  ${r.error?.name ?? 'Error'}${where}: ${message}`);
    if (r.archivedTo) ctx.out(`  file kept at ${r.archivedTo}`);
    else ctx.out(`  file kept in the landing prefix; inspect with: efi show ${r.runId}`);
  }
}

function printSummary(ctx: CliContext, results: IngestResult[]): void {
  const by = new Map<string, number>();
  for (const r of results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  ctx.out(`\n${results.length} file(s): ${[...by].map(([s, n]) => `${n} ${colorStatus(ctx, s)}`).join(', ')}`);
}
