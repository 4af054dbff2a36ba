import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import type { Deps } from '../../functions/lib/compose.ts';
import { type CliContext, localDeps, UsageError } from '../context.ts';
import { LocalRunner } from '../local/runner.ts';
import { type IngestResult, ingestFile, runLandedObject } from './ingest.ts';
import { type WatchSummary, watchLoop } from './watch-folder.ts';

export const WATCH_HELP = `Usage: efi watch [DIR] [--interval MS] [--once] [--json]

Play the S3 "Object Created" event for files that appear, one execution per
file, like EventBridge does in AWS.

  DIR            a folder to watch; files are copied to the landing prefix and
                 left where they are. Without DIR, the local landing folder itself
                 (${'$EFI_HOME'}/s3/<bucket>/<landing prefix>) is watched: drop files there.
  --interval MS  poll interval (default 1000); a file is taken once its size is
                 the same on two polls, so half-written files are not read
  --once         process the files present now, then exit
  --json         one JSON result per file

Symbolic links in the folder are refused with a message naming the link
(never followed). A file that fails or is rejected does not stop the watch.
Ctrl-C aborts the run in progress and stops; SIGTERM finishes it and stops;
both print a summary. Exit status 1 when any file failed or was refused.`;

/**
 * What efi server hands a watch it runs (`efi server --watch DIR`, or `efi
 * watch` from a client): its runtime and runner, its queue of writes (one file
 * at a time among everything else it runs), and the signal that stops the
 * watch (server stop, or the client hanging up) instead of this process's signals.
 */
export interface ServedWatch {
  rt: Deps;
  runner: LocalRunner;
  around: <T>(fn: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
}

export type WatchContext = CliContext & { servedWatch?: ServedWatch };

export async function watchCommand(argv: string[], ctx: WatchContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      interval: { type: 'string', default: '1000' },
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(WATCH_HELP);
    return 0;
  }
  const interval = Number(values.interval);
  if (!Number.isInteger(interval) || interval < 50)
    throw new UsageError(`--interval ${values.interval}: expected whole milliseconds >= 50`);
  if (positionals.length > 1) throw new UsageError('efi watch takes at most one DIR');

  const served = ctx.servedWatch;
  const rt = served?.rt ?? localDeps(ctx);
  const store = await rt.store();
  const { bucket, prefixes } = rt.settings;
  const landingDir = store.localPath(bucket, `${prefixes.landing}x`)?.replace(/x$/, '');
  const dir = positionals[0] ? path.resolve(positionals[0]) : landingDir;
  if (!dir) throw new UsageError('efi watch needs DIR when the object store is not a local folder');
  fs.mkdirSync(dir, { recursive: true });
  const inLanding = dir === landingDir;
  const runner = served?.runner ?? LocalRunner.create(rt);
  const around = served?.around ?? (<T>(fn: () => Promise<T>) => fn());
  if (!ctx.json) ctx.err(`${pc.bold('watching')} ${dir}${values.once ? ' (once)' : ' (Ctrl-C to stop)'}`);

  const stop = new AbortController();
  // Ctrl-C also aborts the run in progress (runWithProgress); SIGTERM lets it finish. Either way the loop ends.
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted && !ctx.json) ctx.err(pc.yellow(`  ${sig}: stopping after the current file...`));
    stop.abort();
  };
  const onServedStop = () => onSignal('SIGTERM');
  if (served) {
    if (served.signal.aborted) stop.abort();
    served.signal.addEventListener('abort', onServedStop);
  } else {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let summary: WatchSummary<IngestResult>;
  try {
    summary = await watchLoop<IngestResult>({
      dir,
      once: values.once,
      signal: stop.signal,
      nextPoll: (signal) => delay(interval, undefined, { signal }).catch(() => undefined),
      take: async (file) => {
        const result = await around(() =>
          inLanding
            ? // Dropped straight into the landing folder: already "in S3", just play its event.
              runLandedObject(
                rt,
                runner,
                ctx,
                file,
                `${prefixes.landing}${path.relative(landingDir!, file).split(path.sep).join('/')}`,
              )
            : ingestFile(rt, runner, ctx, file, { prefix: '', reload: false }),
        );
        if (ctx.json) ctx.out(JSON.stringify(result));
        return result;
      },
      failed: (r) => r.status !== 'FINISHED' && r.status !== 'SKIPPED',
      onRefused: (r) => {
        if (ctx.json)
          ctx.out(
            JSON.stringify({ file: r.file, status: 'REFUSED', error: { name: 'SymlinkRefused', message: r.reason } }),
          );
        else ctx.err(`  ${pc.red('refused')} ${r.reason}`);
      },
      onError: (file, e) => {
        const message = `${(e as Error).name ?? 'Error'}: ${(e as Error).message ?? String(e)}`;
        if (ctx.json) ctx.out(JSON.stringify({ file, status: 'ERROR', error: { name: (e as Error).name, message } }));
        else ctx.err(`  ${pc.red('error')} ${path.basename(file)}: ${message} (watching goes on)`);
      },
    });
  } finally {
    served?.signal.removeEventListener('abort', onServedStop);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!ctx.json) ctx.err(watchSummaryLine(summary));
  return summary.failed || summary.errors || summary.refused ? 1 : 0;
}

/** "watch stopped: 3 file(s): 2 FINISHED, 1 FAILED; 1 refused" */
export function watchSummaryLine(s: WatchSummary<IngestResult>): string {
  const by = new Map<string, number>();
  for (const r of s.results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  const parts = [...by].map(([status, n]) => `${n} ${status}`);
  if (s.errors) parts.push(`${s.errors} error(s)`);
  if (s.refused) parts.push(`${s.refused} refused`);
  return `watch stopped: ${s.results.length} file(s) taken${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
