import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { type CliContext, localDeps, UsageError } from '../context.ts';
import { LocalRunner } from '../local/runner.ts';
import { ingestFile, runLandedObject } from './ingest.ts';

export const WATCH_HELP = `Usage: efi watch [DIR] [--interval MS] [--once] [--json]

Play the S3 "Object Created" event for files that appear, one execution per
file, like EventBridge does in AWS.

  DIR            a folder to watch; files are copied to the landing prefix and
                 left where they are. Without DIR, the local landing folder itself
                 (${'$EFI_HOME'}/s3/<bucket>/<landing prefix>) is watched: drop files there.
  --interval MS  poll interval (default 1000); a file is taken once its size is
                 the same on two polls, so half-written files are not read
  --once         process the files present now, then exit
  --json         one JSON result per file`;

export async function watchCommand(argv: string[], ctx: CliContext): Promise<number> {
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

  const rt = localDeps(ctx);
  const store = await rt.store();
  const { bucket, prefixes } = rt.settings;
  const landingDir = store.localPath(bucket, `${prefixes.landing}x`)?.replace(/x$/, '');
  const dir = positionals[0] ? path.resolve(positionals[0]) : landingDir;
  if (!dir) throw new UsageError('efi watch needs DIR when the object store is not a local folder');
  fs.mkdirSync(dir, { recursive: true });
  const inLanding = dir === landingDir;
  const runner = LocalRunner.create(rt);
  if (!ctx.json) ctx.err(`${pc.bold('watching')} ${dir}${values.once ? ' (once)' : ' (Ctrl-C to stop)'}`);

  const seen = new Map<string, string>();
  const sizes = new Map<string, number>();
  let failures = 0;
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  try {
    while (!stop) {
      const ready: string[] = [];
      // Archiving prunes emptied folders, the landing folder included.
      fs.mkdirSync(dir, { recursive: true });
      for (const name of fs.readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        const st = fs.statSync(file, { throwIfNoEntry: false });
        if (!st?.isFile() || name.endsWith('.tmp') || name.startsWith('.')) continue;
        const sig = `${st.size}:${st.mtimeMs}`;
        if (seen.get(file) === sig) continue;
        if (values.once || sizes.get(file) === st.size) ready.push(file);
        sizes.set(file, st.size);
        if (values.once || sizes.get(file) === st.size) seen.set(file, sig);
      }
      for (const file of ready) {
        const result = inLanding
          ? // Dropped straight into the landing folder: already "in S3", just play its event.
            await runLandedObject(
              rt,
              runner,
              ctx,
              file,
              `${prefixes.landing}${path.relative(landingDir!, file).split(path.sep).join('/')}`,
            )
          : await ingestFile(rt, runner, ctx, file, { prefix: '', reload: false });
        if (result.status !== 'FINISHED' && result.status !== 'SKIPPED') failures++;
        if (ctx.json) ctx.out(JSON.stringify(result));
      }
      if (values.once) break;
      await delay(interval);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return failures ? 1 : 0;
}
