import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { TextQueryResult, Warehouse } from '../../functions/lib/ports/warehouse.ts';
import type { Settings } from '../../functions/lib/settings.ts';
import { lineAndColumnOfPosition } from '../../functions/lib/sql/error-position.ts';
import { type CliContext, localDeps, table, UsageError } from '../context.ts';
import { redactUrl } from '../redact-url.ts';

export const SQL_HELP = `Usage: efi sql "QUERY" [--json | --csv]
       efi sql --file FILE.sql

Run SQL on the local warehouse (PGlite by default, EFI_WAREHOUSE=postgres://...
otherwise), e.g. to look at loaded rows or create target tables. Values print
as Redshift renders them (DATE 2026-11-05, TIMESTAMP as stored, TIMESTAMPTZ in
UTC, NUMERIC with its scale), whatever the server's own TimeZone or DateStyle;
columns keep their order and duplicate names. An error prints one line (with
its SQLSTATE, line and column) and exits 1.

  --file F   run the statements in F (e.g. your DDL); the last result prints
  --json     {"columns": [...], "rows": [[...], ...]}, values as text or null
  --csv      CSV with RFC 4180 quoting and a header line, LF line ends (as psql
             --csv); NULL is an empty field, '' is ""`;

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
  const text = values.file ? readSqlFile(values.file) : positionals.join(' ');
  if (!text.trim()) throw new UsageError('efi sql needs a QUERY or --file FILE (see efi sql --help)');
  try {
    const wh = await localDeps(ctx).warehouse();
    const r = await queryText(wh, text);
    ctx.out(renderResult(r, json ? 'json' : values.csv ? 'csv' : 'table'));
    return 0;
  } catch (e) {
    ctx.err(`efi sql: ${sqlErrorLine(e, text, ctx.settings.warehouse)}`);
    return 1;
  }
}

function readSqlFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * One line for a failed query: the warehouse's message, where in the SQL, and
 * what to do next; a driver's stack would hide the one thing the user needs.
 *
 * @example sqlErrorLine(syntaxError, 'selec 1', pglite) // 'syntax error at or near "selec" (line 1, column 1; SQLSTATE 42601): fix the SQL and run it again'
 */
export function sqlErrorLine(e: unknown, sql: string, warehouse: Settings['warehouse']): string {
  const err = e as { code?: unknown; message?: unknown; position?: unknown };
  const message = String(err.message ?? e).split('\n')[0];
  const code = typeof err.code === 'string' ? err.code : '';
  if (SQLSTATE.test(code)) {
    const at = Number(err.position);
    const where = Number.isInteger(at) && at > 0 ? `${lineAndColumn(sql, at)}; ` : '';
    return `${message} (${where}SQLSTATE ${code}): ${nextStepFor(code)}`;
  }
  if (warehouse.kind === 'postgres') {
    // Connection errors (ECONNREFUSED, ENOTFOUND, 28P01 is above): the server, not the SQL.
    return `cannot reach the warehouse at EFI_WAREHOUSE=${redactUrl(warehouse.url)}: ${message}: start that server or fix EFI_WAREHOUSE (unset it to use the embedded PGlite)`;
  }
  return `${message}: the embedded warehouse in EFI_HOME could not run the query`;
}

/**
 * A SQLSTATE by its class (PostgreSQL Appendix A: 00-58, 72, F0, HV, P0, XX), so a
 * Node socket error's five-letter code (EPIPE, EPERM) is not taken for one.
 */
const SQLSTATE = /^(?:[0-5][0-9A-Z]|72|F0|HV|P0|XX)[0-9A-Z]{3}$/;

function nextStepFor(code: string): string {
  if (code === '42P01' || code === '3F000') {
    return `list the tables with efi sql "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"`;
  }
  if (code === '42703') return 'list the columns with efi sql "SELECT * FROM the_table LIMIT 0"';
  if (code.startsWith('08') || code.startsWith('57') || code.startsWith('28') || code === '3D000') {
    return 'check that the warehouse server runs and EFI_WAREHOUSE is right';
  }
  return 'fix the SQL and run it again';
}

/** A 1-based character offset (PostgreSQL's error position) as "line L, column C". */
function lineAndColumn(sql: string, position: number): string {
  const { line, column } = lineAndColumnOfPosition(sql, position);
  return `line ${line}, column ${column}`;
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
