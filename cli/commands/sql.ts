import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { type CliContext, localDeps, table, UsageError } from '../context.ts';

export const SQL_HELP = `Usage: efi sql "QUERY" [--json]
       efi sql --file FILE.sql

Run SQL on the local warehouse (PGlite by default, EFI_WAREHOUSE=postgres://...
otherwise), e.g. to look at loaded rows or create target tables.

  --file F   run the statements in F (e.g. your DDL)
  --json     rows as a JSON array`;

export async function sqlCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(SQL_HELP);
    return 0;
  }
  if (ctx.settings.warehouse.kind === 'redshift') {
    throw new UsageError('efi sql queries the local warehouse; for Redshift use the query editor or the Data API');
  }
  const text = values.file ? fs.readFileSync(values.file, 'utf8') : positionals.join(' ');
  if (!text.trim()) throw new UsageError('efi sql needs a QUERY or --file FILE (see efi sql --help)');
  const wh = await localDeps(ctx).warehouse();
  try {
    const r = await wh.query(text);
    if (ctx.json) ctx.out(JSON.stringify(r.rows, null, 2));
    else if (r.columns.length === 0) ctx.out('ok');
    else {
      ctx.out(
        table(
          r.rows.map((row) => r.columns.map((c) => fmt(row[c]))),
          r.columns,
        ),
      );
      ctx.out(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
    }
    return 0;
  } catch (e) {
    ctx.err(`efi sql: ${(e as Error).message}`);
    return 1;
  }
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
