import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { Deps } from '../../functions/lib/compose.ts';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import { type ErrorLocation, errorLine, formatLocation } from '../../functions/lib/errors.ts';
import type { RunRecord } from '../../functions/lib/ports/run-log.ts';
import type { LocatedRowError } from '../../functions/lib/steps/locate-row-error.ts';
import { type CliContext, colorStatus, localDeps, UsageError } from '../context.ts';
import type { StatementProgressEvent } from '../local/run-statements.ts';
import { type ExecutionOutcome, LocalRunner, type ProgressEvent } from '../local/runner.ts';
import { countText } from '../row-counts.ts';

export const INGEST_HELP = `Usage: efi ingest FILE... [options]

Put each file in the local landing prefix and run the state machine on it,
showing progress state by state, then the outcome.

Options:
  --prefix P   sub-folder under the landing prefix (configs match on the key relative to it)
  --reload     load again content already loaded (or claimed by a failed run), replacing
               that run's rows (see docs/truth-model.md; reloadMode: append to add a copy)
  --json       one JSON object per file on stdout:
               {"file","runId","status","recordsInFile","recordsSkipped","rowsLoaded",
                "rowsRejected","target","targets":[{"target","recordType","rowsLoaded",
                "rowsRejected"}],"archivedTo","fileAt" (where the file is now),"skipReason",
                "error":{"name","message","line","column"}|null,
                "notifyError"? (FINISHED but the notification failed)}
  -h, --help   show this help

Ctrl-C aborts the running execution: its statement is cancelled, the run ends
ABORTED, and efi redrive RUN resumes it.
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
    /** Null when the warehouse did not report it (JSON null, `?` for people). */
    rowsLoaded: number | null;
    rowsRejected: number | null;
    /** Rows rejected within maxErrors (first 10), located in the original file. */
    rejected?: LocatedRowError[];
  }[];
  archivedTo: string | null;
  /** Where the file is now, looked up in the object store (`s3://…`), or null when it is in none of landing, archive, rejected. */
  fileAt: string | null;
  skipReason: string | null;
  error: {
    name: string;
    message: string;
    line: number | null;
    column: number | string | null;
    /** The one location shape (errors.ts ErrorLocation), when the error has one. */
    location?: ErrorLocation;
  } | null;
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
    onAbortable: (a: (reason?: string) => void) => void;
    onStatement: (e: StatementProgressEvent) => void;
  }) => Promise<ExecutionOutcome>,
): Promise<ExecutionOutcome> {
  const entered = new Map<string, number>();
  // A caught state also logs StateExited: it must not print as a success.
  const caught = new Set<string>();
  let abort: ((reason?: string) => void) | null = null;
  const progress = new LoadProgressLine(ctx);
  // Checks that polled (Wait → Check → Choice, again): printed once, when the next state begins.
  const polled = new Set<string>();
  let pendingCheck: string | null = null;
  let lastCheckExit = 0;
  const flushCheck = () => {
    if (!pendingCheck) return;
    const ms = lastCheckExit - (entered.get(pendingCheck) ?? lastCheckExit);
    ctx.err(`  ${ctx.tty ? pc.green('✓') : 'ok'} ${pendingCheck.padEnd(16)} ${pc.dim(`${ms} ms`)}`);
    pendingCheck = null;
  };
  // Node calls a signal listener with the signal's name; efi server calls it with why it stops.
  const onSigint = (signal?: unknown) => {
    const why = typeof signal === 'string' && signal !== 'SIGINT' ? signal : 'Ctrl-C';
    if (abort) {
      progress.clear();
      ctx.err(pc.yellow(`  aborting (${why}): cancelling the running statement...`));
      abort(why);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    return await run({
      onAbortable: (a) => {
        abort = a;
      },
      onStatement: (e) => progress.show(e),
      onProgress: (e) => {
        if (ctx.json || !e.state) return;
        progress.clear();
        if (e.type === 'StateEntered') {
          // A Check polled again (Wait → Check) counts from its first entry: one line per Check, not per poll.
          const polling = /^Check[A-Z]/.test(e.state) && polled.has(e.state);
          if (!polling) entered.set(e.state, e.at);
          if (!/^WaitFor[A-Z]|^Check[A-Z]/.test(e.state)) polled.clear();
          caught.delete(e.state);
        }
        const ms = e.at - (entered.get(e.state) ?? e.at);
        // A caught Check's exit is the rejection path's, not a poll: nothing to print as ok later.
        if (e.type === 'StateExited' && /^Check[A-Z]/.test(e.state) && !caught.has(e.state)) {
          polled.add(e.state);
          pendingCheck = e.state;
          lastCheckExit = e.at;
        }
        const took = pc.dim(`${ms} ms`);
        if (
          e.type === 'StateExited' &&
          !caught.has(e.state) &&
          !/^(Wait|Is|Needs|Has|Load|Transform|Check)[A-Z]|^(Done|Skipped)$/.test(e.state)
        ) {
          flushCheck();
          ctx.err(`  ${ctx.tty ? pc.green('✓') : 'ok'} ${e.state.padEnd(16)} ${took}`);
        } else if (e.type === 'StateFailed') {
          if (pendingCheck === e.state) pendingCheck = null;
          else flushCheck();
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
    flushCheck();
    progress.clear();
    process.off('SIGINT', onSigint);
  }
}

/** How often a progress line is printed when stderr is not a terminal. */
const PROGRESS_LINE_EVERY_MS = 10_000;

/**
 * The progress of a running load on stderr: a live line on a terminal
 * (rewritten in place), otherwise a line every few seconds.
 */
class LoadProgressLine {
  private live = false;
  private lastPrinted = 0;

  constructor(private readonly ctx: CliContext) {}

  show(e: StatementProgressEvent): void {
    if (this.ctx.json || e.status !== 'STARTED' || !e.progress) return;
    // Nothing to say before the first rows arrive (the first COPY chunk is still running).
    if (e.progress.bytesDone === 0 && !this.ctx.tty) return;
    const { bytesDone, bytesTotal, rowsDone } = e.progress;
    const pct = bytesTotal > 0 ? ` (${Math.min(100, Math.floor((bytesDone / bytesTotal) * 100))}%)` : '';
    const what = /Transform/.test(e.state)
      ? 'transform running'
      : `loading ${mb(bytesDone)} of ${mb(bytesTotal)}${pct}`;
    const line = `  … ${what}, ${rowsDone.toLocaleString('en-US')} rows so far`;
    if (this.ctx.tty) {
      process.stderr.write(`\r\x1b[2K${pc.dim(line)}`);
      this.live = true;
    } else if (Date.now() - this.lastPrinted >= PROGRESS_LINE_EVERY_MS) {
      this.lastPrinted = Date.now();
      this.ctx.err(line);
    }
  }

  /** Ends the live line so the next output starts on a clean one. */
  clear(): void {
    if (!this.live) return;
    process.stderr.write('\r\x1b[2K');
    this.live = false;
  }
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export async function describeOutcome(
  rt: Deps,
  ctx: CliContext,
  file: string,
  outcome: ExecutionOutcome,
): Promise<IngestResult> {
  const run = await (await rt.runs()).get(outcome.name);
  const result = toIngestResult(file, outcome, run);
  result.fileAt = run ? await locateFile(rt, run) : null;
  if (!ctx.json) printOutcome(ctx, result);
  return result;
}

/** Where the run's file really is: still in landing, or where Archive/RejectFile moved it. */
async function locateFile(rt: Deps, run: RunRecord): Promise<string | null> {
  const store = await rt.store();
  if (await store.head(run.bucket, run.key)) return store.uri(run.bucket, run.key);
  if (run.archivedTo) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(run.archivedTo);
    if (!m || (await store.head(m[1]!, m[2]!))) return run.archivedTo;
  }
  return null;
}

export function toIngestResult(file: string, outcome: ExecutionOutcome, run: RunRecord | null): IngestResult {
  const targets = (
    (run?.targets ?? []) as {
      target: { schema: string; table: string };
      recordType: string | null;
      rowsLoaded: number | null;
      rowsRejected: number | null;
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
        ...(run.error.location ? { location: run.error.location } : {}),
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
    fileAt: null,
    skipReason: run?.skipReason ?? null,
    error: status === 'FINISHED' || status === 'SKIPPED' ? null : error,
    ...(run?.notifyError ? { notifyError: run.notifyError } : {}),
  };
}

export function printOutcome(ctx: CliContext, r: IngestResult): void {
  const s = colorStatus(ctx, r.status);
  if (r.status === 'FINISHED') {
    const into = r.targets.map((t) => `${countText(t.rowsLoaded)} → ${t.target}`).join(', ');
    const skipped = r.recordsSkipped ? `, ${r.recordsSkipped} skipped (unknown record type)` : '';
    const rejected = r.rowsRejected === 0 ? '' : `, ${countText(r.rowsRejected)} rejected (within maxErrors)`;
    ctx.out(
      `  ${s}  ${countText(r.recordsInFile)} records, ${countText(r.rowsLoaded)} rows loaded (${into})${skipped}${rejected}`,
    );
    for (const t of r.targets) {
      for (const x of t.rejected ?? []) {
        const at = formatLocation({
          ...(x.line !== null ? { line: x.line } : {}),
          ...(x.field != null ? { field: x.field } : {}),
          ...(x.column ? { fieldName: x.column } : {}),
        });
        ctx.out(`    rejected: ${x.table} ${at || 'at an unknown line'}: ${x.reason}`);
      }
    }
    if (r.archivedTo) ctx.out(`  archived to ${r.archivedTo}`);
    if (r.notifyError) ctx.out(`  notification not sent (${r.notifyError}); send it with: efi redrive ${r.runId}`);
  } else if (r.status === 'SKIPPED') {
    ctx.out(`  ${s}  ${r.skipReason ?? ''}`);
  } else {
    // The place as efi show and efi check print it (errorLine: once, after the name).
    const line = r.error?.message ? errorLine(r.error) : `${r.error?.name ?? 'Error'}: no reason was recorded`;
    ctx.out(`  ${s}  ${line}`);
    if (r.fileAt) {
      const landing = !r.archivedTo || r.fileAt !== r.archivedTo;
      ctx.out(
        `  file ${landing ? 'kept in the landing prefix' : 'is'} at ${r.fileAt}; inspect with: efi show ${r.runId}`,
      );
    } else ctx.out(`  the file is no longer in landing, archive or rejected; inspect with: efi show ${r.runId}`);
  }
}

function printSummary(ctx: CliContext, results: IngestResult[]): void {
  const by = new Map<string, number>();
  for (const r of results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  ctx.out(`\n${results.length} file(s): ${[...by].map(([s, n]) => `${n} ${colorStatus(ctx, s)}`).join(', ')}`);
}
