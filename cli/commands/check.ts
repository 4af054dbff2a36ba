import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { PostgresWarehouse } from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { matchConfig } from '../../functions/lib/config/match.ts';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import { EfiError, errorLine } from '../../functions/lib/errors.ts';
import { type CliContext, localDeps, UsageError } from '../context.ts';
import { type CheckOutcome, checkFile } from '../local/check-file.ts';
import { singleFileStore } from '../local/file-store.ts';
import { parseCount } from './run-filters.ts';

export const CHECK_HELP = `Usage: efi check FILE [--records N] [--prefix P] [--config PATH] [--json]

Check a file against its config as a run would, without moving it or keeping
anything: match its name to a config, validate the whole file (size,
extension, compression, encoding, header, trailer count, record types,
fixed widths), then dry-run the real load of the first N data records in the
local warehouse (the run's Preprocess into memory, the same COPY with the
load options, in a transaction that is always rolled back). Errors carry the
same name, line and column as a real run's.

  --records N    data records to load in the dry run (default 1000; the whole file is validated)
  --prefix P     sub-folder under the landing prefix the file would land in (as efi ingest --prefix)
  --config PATH  match against these YAML configs (files or folders) instead of the applied ones
  --json         {"file","key","configId","ok","validation","recordsChecked","typedTargets",
                  "error":{"name","message","line","column"}|null,"warnings":[...]}

Exit status: 0 the file would load, 1 it would be rejected (or a run would fail), 2 usage error.`;

export async function checkCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      records: { type: 'string', default: '1000' },
      prefix: { type: 'string', default: '' },
      config: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(CHECK_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('efi check needs exactly one FILE');
  const file = positionals[0]!;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) throw new UsageError(`${file} is not a readable file`);
  const records = parseCount('--records', values.records);
  const prefix = values.prefix;
  if (prefix.startsWith('/') || prefix.split('/').includes('..'))
    throw new UsageError(`--prefix ${prefix}: must be a relative folder without '..'`);
  const landing = `${ctx.settings.prefixes.landing}${prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix}`;
  const key = `${landing}${path.basename(file)}`;
  const bucket = ctx.settings.bucket;

  const rt = localDeps(ctx);
  let configs: FileConfig[];
  if (values.config) {
    const { readConfigFiles, formatIssue } = await import('../../functions/lib/config/load-yaml.ts');
    const parsed = await readConfigFiles(values.config);
    const issues = parsed.flatMap((f) => f.issues);
    if (issues.length > 0) {
      for (const i of issues) ctx.err(formatIssue(i));
      ctx.err('efi check: fix the config problems above first');
      return 1;
    }
    configs = parsed.flatMap((f) => f.configs);
  } else configs = (await (await rt.configs()).listActive()).map((v) => v.config);

  let config: FileConfig;
  try {
    config = matchConfig(key, configs, { landingPrefix: ctx.settings.prefixes.landing });
  } catch (e) {
    if (!(e instanceof EfiError)) throw e;
    const error = { name: e.name, message: e.message, line: null, column: null };
    if (ctx.json) ctx.out(JSON.stringify({ file, key, configId: null, ok: false, error }, null, 2));
    else ctx.out(`${pc.red('NO MATCH')}  ${e.name}: ${e.message}`);
    return 1;
  }
  // The dry run needs the local warehouse's load; against Redshift only validation and Preprocess run.
  const wh = ctx.settings.warehouse.kind === 'redshift' ? null : await rt.warehouse();
  const outcome = await checkFile(singleFileStore(path.resolve(file), bucket, key), {
    bucket,
    key,
    config,
    records,
    warehouse: wh instanceof PostgresWarehouse ? wh : null,
  });
  if (ctx.json) ctx.out(JSON.stringify({ file, key, configId: config.id, ...outcome }, null, 2));
  else print(ctx, file, key, config, outcome);
  return outcome.ok ? 0 : 1;
}

function print(ctx: CliContext, file: string, key: string, config: FileConfig, o: CheckOutcome): void {
  ctx.out(`file      ${file} (would land as ${key})`);
  ctx.out(`config    ${config.id} (interface ${config.interface})`);
  const v = o.validation;
  if (v) {
    ctx.out(
      `valid     ${v.recordsInFile} data records, ${v.headerLines} header line(s)${v.trailerCount !== null ? `, trailer count ${v.trailerCount}` : ''}, ${v.lineEnding} line ends${v.unknownRecords ? `, ${v.unknownRecords} of unknown types skipped` : ''}`,
    );
    ctx.out(
      `parsed    ${o.recordsChecked} record(s)${o.typedTargets.length ? `, values checked against ${o.typedTargets.join(', ')}` : ', column types not checked'}`,
    );
  }
  for (const w of o.warnings) ctx.out(`${pc.yellow('warning')}   ${w}`);
  if (o.error) {
    ctx.out(`${pc.red('REJECTED')}  ${errorLine(o.error)}`);
  } else if (o.ok) ctx.out(`${pc.green('OK')}        a run would load it`);
  else ctx.out(`${pc.red('WOULD FAIL')}  see the warnings above`);
}
