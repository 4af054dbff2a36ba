import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { applyConfigs } from '../../functions/lib/adapters/config-db/config-repository.ts';
import { loadConfigFiles } from '../../functions/lib/config/load-yaml.ts';
import { errorNameAndPlace } from '../../functions/lib/errors.ts';
import { assertIdentifier } from '../../functions/lib/sql/identifiers.ts';
import { type CliContext, colorStatus, localDeps, table } from '../context.ts';
import { LocalRunner } from '../local/runner.ts';
import { rowsLoadedCell } from '../row-counts.ts';
import { type IngestResult, ingestFile } from './ingest.ts';

export const SAMPLES_DIR = fileURLToPath(new URL('../../samples', import.meta.url));

export const DEMO_HELP = `Usage: efi demo [--json]

The quick start: apply the sample configs (samples/configs), create the sample
target tables (samples/warehouse.sql) and ingest every file in samples/files
end to end through the state machine, then show where the rows went.
Four samples are bad on purpose (a trailer count mismatch, an impossible date,
an unknown record type, a file named gzip that is not): they end FAILED with
the reason, line and column, nothing of them is loaded, and the files are kept.

Exit status: 0 when every sample ended as expected (samples/expected.json).`;

export async function demoCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    ctx.out(DEMO_HELP);
    return 0;
  }

  const rt = localDeps(ctx);
  const say = (s: string) => {
    if (!ctx.json) ctx.err(s);
  };
  say(pc.bold(`efi demo: state in ${ctx.settings.home}`));

  const loaded = await loadConfigFiles([path.join(SAMPLES_DIR, 'configs')]);
  const configs = loaded.configs;
  const applied = await applyConfigs(await rt.db(), configs, {
    source: 'samples/configs',
    interfaces: loaded.interfaces,
  });
  say(
    `config: ${configs.length} file configs from samples/configs (${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged)`,
  );

  const wh = await rt.warehouse();
  await wh.query(fs.readFileSync(path.join(SAMPLES_DIR, 'warehouse.sql'), 'utf8'));
  say('warehouse: sample target tables ready (samples/warehouse.sql)\n');

  const expected = JSON.parse(fs.readFileSync(path.join(SAMPLES_DIR, 'expected.json'), 'utf8')) as Record<
    string,
    string
  >;
  const files = fs
    .readdirSync(path.join(SAMPLES_DIR, 'files'))
    .filter((f) => !f.startsWith('.'))
    .sort();
  const runner = LocalRunner.create(rt);
  const results: IngestResult[] = [];
  for (const f of files) {
    const r = await ingestFile(rt, runner, { ...ctx, out: say }, path.join(SAMPLES_DIR, 'files', f), {
      prefix: '',
      reload: false,
    });
    results.push(r);
    say('');
  }

  const asExpected = (r: IngestResult) => {
    const want = expected[path.basename(r.file)];
    // A second demo run finds the good files already loaded: skipping them is the right outcome.
    return !want || r.status === want || (want === 'FINISHED' && r.status === 'SKIPPED');
  };
  // Where the rows went: every user table of the local warehouse, transform targets included.
  const listed = await wh.query(
    "select table_schema as s, table_name as t from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema', 'efi', 'efi_wh', 'orchestration') order by 1, 2",
  );
  const tables: string[] = [];
  const counts: Record<string, number> = {};
  for (const row of listed.rows) {
    const schema = assertIdentifier(String(row['s']));
    const name = assertIdentifier(String(row['t']));
    const r = await wh.query(`select count(*)::int as n from "${schema}"."${name}"`);
    tables.push(`${schema}.${name}`);
    counts[`${schema}.${name}`] = Number(r.rows[0]?.['n'] ?? 0);
  }

  if (ctx.json) {
    ctx.out(JSON.stringify({ results, tables: counts, asExpected: results.every(asExpected) }, null, 2));
  } else {
    ctx.out(
      table(
        results.map((r) => [
          path.basename(r.file),
          colorStatus(ctx, r.status),
          rowsLoadedCell(r),
          r.status === 'FINISHED'
            ? (r.target ?? '')
            : r.status === 'SKIPPED'
              ? 'already loaded'
              : r.error
                ? errorNameAndPlace(r.error)
                : '',
          r.runId,
        ]),
        ['FILE', 'STATUS', 'ROWS', 'TARGET / REASON', 'RUN'],
      ),
    );
    ctx.out(`\nrows now in the local warehouse: ${tables.map((t) => `${t} ${counts[t]}`).join(', ')}`);
    const failed = results.find((r) => r.status === 'FAILED');
    ctx.out(
      pc.dim(
        [
          '',
          'next:',
          '  npx efi runs                                   list runs',
          failed ? `  npx efi show ${failed.runId}   why a run failed, state by state` : null,
          `  npx efi sql "select * from ${tables.find((t) => t.startsWith('stage.')) ?? tables[0]} limit 5"`,
          '  npx efi ingest path/to/your_file.csv           after efi config apply your.yaml',
        ]
          .filter(Boolean)
          .join('\n'),
      ),
    );
  }
  const ok = results.every(asExpected);
  if (!ok && !ctx.json) ctx.err(pc.red('some samples did not end as samples/expected.json says'));
  return ok ? 0 : 1;
}
