import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { TextQueryResult, Warehouse } from '../../functions/lib/ports/warehouse.ts';
import { type CliContext, localDeps, table, UsageError } from '../context.ts';

export const SQL_HELP = `Usage: efi sql "QUERY" [--json | --csv]
       efi sql --file FILE.sql

Run SQL on the local warehouse (PGlite by default, EFI_WAREHOUSE=postgres://...
otherwise), e.g. to look at loaded rows or create target tables. Values print
as the warehouse renders them (DATE 2026-11-05, TIMESTAMP as stored, NUMERIC
with its scale); columns keep their order and duplicate names.

  --file F   run the statements in F (e.g. your DDL); the last result prints
  --json     {"columns": [...], "rows": [[...], ...]}, values as text or null
  --csv      RFC 4180 CSV with a header line; NULL is an empty field, '' is ""`;

export async function sqlCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f' },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(SQL_HELP);
    return 0;
  }
  const json = values.json || ctx.json;
  if (json && values.csv) throw new UsageError('efi sql: choose one of --json and --csv');
  if (ctx.settings.warehouse.kind === 'redshift') {
    throw new UsageError('efi sql queries the local warehouse; for Redshift use the query editor or the Data API');
  }
  const text = values.file ? fs.readFileSync(values.file, 'utf8') : positionals.join(' ');
  if (!text.trim()) throw new UsageError('efi sql needs a QUERY or --file FILE (see efi sql --help)');
  const wh = await localDeps(ctx).warehouse();
  try {
    const r = await queryText(wh, text);
    ctx.out(renderResult(r, json ? 'json' : values.csv ? 'csv' : 'table'));
    return 0;
  } catch (e) {
    ctx.err(`efi sql: ${(e as Error).message}`);
    return 1;
  }
}

/** The warehouse's text rendering; a warehouse without it falls back to its typed rows. */
async function queryText(wh: Warehouse, sql: string): Promise<TextQueryResult> {
  if (wh.queryText) return wh.queryText(sql);
  const r = await wh.query(sql);
  return {
    columns: r.columns.map((name) => ({ name, type: 0 })),
    rows: r.rows.map((row) => r.columns.map((c) => (row[c] == null ? null : String(row[c])))),
  };
}

/** One result as a table (with a row count), JSON or CSV. */
export function renderResult(r: TextQueryResult, as: 'table' | 'json' | 'csv'): string {
  const names = r.columns.map((c) => c.name);
  if (as === 'json') return JSON.stringify({ columns: names, rows: r.rows }, null, 2);
  if (as === 'csv') {
    if (names.length === 0) return '';
    return [names, ...r.rows].map((row) => row.map(csvField).join(',')).join('\n');
  }
  if (names.length === 0) return 'ok';
  return `${table(
    r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : v))),
    names,
  )}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`;
}

function csvField(v: string | null): string {
  if (v === null) return '';
  if (v === '' || /[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}
