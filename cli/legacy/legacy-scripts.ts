import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { ConfigInvalid } from '../../functions/lib/errors.ts';
import { quoteIdent } from '../../functions/lib/sql/identifiers.ts';
import { type LegacyTables, readLegacyTablesWith } from './legacy-rows.ts';
import { lineOfPosition, type ScriptStatement, splitSqlScript, statementKind } from './sql-script.ts';

/**
 * `efi config import-legacy --sql PATH...`: the original framework's SQL
 * scripts (its `RDS SQLs/DDLs` and `DMLs`, or a plain `pg_dump`) are run in a
 * throwaway embedded PostgreSQL (PGlite) in a temporary folder, and the config
 * tables are read from it by the same reader `--from` uses.
 *
 * Running the user's own SQL text is the point here: it goes only into a
 * database created for this run and removed afterwards, never into efi's
 * config database or a warehouse.
 */

/** A path given to --sql that cannot be used: a usage error (exit 2), raised before anything runs. */
export class LegacySqlInputInvalid extends Error {
  override name = 'LegacySqlInputInvalid';
}

/**
 * Largest script read. Scripts are read whole (statements are split in
 * memory), which is fine for config DDL/DML and dumps of config tables, which
 * are kilobytes; 50 MB leaves room for a dump with history without letting a
 * wrong path (a data file, a disk image) exhaust memory.
 */
export const MAX_SQL_SCRIPT_BYTES = 50 * 1024 * 1024;

export interface SqlScriptFile {
  /** The path as the user wrote it (a folder's files joined to it), for messages. */
  display: string;
  /** Absolute, symlinks resolved: the same file given twice runs once. */
  real: string;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** *.sql files under a folder, subfolders included (the original keeps DDLs/ and DMLs/ side by side), sorted by path. */
async function sqlFilesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.sql'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * The files --sql names, validated: every path exists, every folder has
 * *.sql files, no file is over MAX_SQL_SCRIPT_BYTES. Throws
 * LegacySqlInputInvalid naming the path.
 */
export async function collectSqlScripts(paths: readonly string[]): Promise<SqlScriptFile[]> {
  if (paths.length === 0) throw new LegacySqlInputInvalid('--sql needs a PATH: a .sql file or a folder of them');
  const files: SqlScriptFile[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    if (given.trim() === '') throw new LegacySqlInputInvalid('--sql got an empty path');
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(given);
    } catch {
      throw new LegacySqlInputInvalid(`--sql ${given}: no such file or folder`);
    }
    let found: string[];
    if (st.isDirectory()) {
      found = await sqlFilesUnder(given);
      if (found.length === 0) {
        throw new LegacySqlInputInvalid(`--sql ${given}: the folder has no *.sql files (its subfolders included)`);
      }
    } else if (st.isFile()) found = [given];
    else throw new LegacySqlInputInvalid(`--sql ${given}: not a file or a folder`);
    for (const f of found) {
      const size = (await fs.stat(f)).size;
      if (size > MAX_SQL_SCRIPT_BYTES) {
        throw new LegacySqlInputInvalid(
          `--sql ${f}: ${mb(size)} is over the ${mb(MAX_SQL_SCRIPT_BYTES)} limit for one SQL script (scripts are read whole): load it into PostgreSQL and use --from`,
        );
      }
      const real = await fs.realpath(f);
      if (seen.has(real)) continue;
      seen.add(real);
      files.push({ display: f, real });
    }
  }
  return files;
}

interface LoadedScript {
  file: SqlScriptFile;
  statements: ScriptStatement[];
  kind: 'ddl' | 'dml';
}

async function loadScript(file: SqlScriptFile): Promise<LoadedScript> {
  const bytes = await fs.readFile(file.real);
  // pg_dump -Fc / -Fd archives start with PGDMP: binary, only pg_restore reads them.
  if (bytes.subarray(0, 5).toString('latin1') === 'PGDMP') {
    throw new LegacySqlInputInvalid(
      `--sql ${file.display}: a pg_dump archive (custom format), not SQL text: write it as SQL with pg_restore -f dump.sql ${file.display}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new LegacySqlInputInvalid(`--sql ${file.display}: not UTF-8 text`);
  }
  const { statements } = splitSqlScript(text.replace(/^\uFEFF/, ''));
  const kind = statements.some((s) => statementKind(s.text) === 'ddl') ? 'ddl' : 'dml';
  return { file, statements, kind };
}

/** SQLSTATEs that mean "something another file creates is not there yet": retry the file after the others. */
const NOT_YET = new Set([
  '42P01', // undefined_table: a FOREIGN KEY to, or an INSERT into, a table of a later file
  '3F000', // invalid_schema_name: the schema is created by a later file
  '23503', // foreign_key_violation: rows referring to rows of a later file
]);

interface ScriptFailure {
  file: SqlScriptFile;
  line: number;
  statement: string;
  code: string | undefined;
  message: string;
  /** PostgreSQL's DETAIL: which key a foreign key missed (`Key (ext_interface_cid)=(999) is not present ...`). */
  detail: string | undefined;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

function describeFailure(f: ScriptFailure): string {
  const stmt = f.statement.replace(/\s+/g, ' ').trim();
  const detail = f.detail ? `; ${clip(f.detail.replace(/\s+/g, ' ').trim(), 160)}` : '';
  return `${f.file.display}:${f.line}: ${f.message}${f.code ? ` (SQLSTATE ${f.code})` : ''}${detail} in: ${clip(stmt, 80)}`;
}

/**
 * When a file needs a table it creates itself further down (the original's
 * per-table DDL files concatenated in name order: ext_file_audit's FOREIGN KEY
 * comes before CREATE TABLE ext_interface), retrying the whole file cannot
 * help, since its statements always run in file order. Says where the table is
 * created and what to do; null when the file does not create it.
 */
function createdLaterInFile(script: LoadedScript, failure: ScriptFailure): string | null {
  if (failure.code !== '42P01') return null;
  const name = /relation "([^"]+)" does not exist/.exec(failure.message)?.[1];
  if (!name) return null;
  const table = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  const schema = name.includes('.') ? name.slice(0, name.lastIndexOf('.')).toLowerCase() : null;
  const creates = script.statements.find((st) => {
    const m =
      /^\s*create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?(?:"?([\w$]+)"?\s*\.\s*)?"?([\w$]+)"?/i.exec(
        st.text,
      );
    if (!m || m[2]!.toLowerCase() !== table) return false;
    return schema === null || m[1] === undefined || m[1].toLowerCase() === schema;
  });
  if (!creates || creates.line <= failure.line) return null;
  return `${script.file.display} creates ${name} itself, at line ${creates.line}, after line ${failure.line} needs it: the statements of a file run in the order written, so move that CREATE TABLE (and its ALTER TABLE) first, or give the original's separate DDL files (RDS SQLs/DDLs), which import-legacy orders itself`;
}

/** Clauses only Redshift has: a statement with one is the warehouse's DDL, not the RDS config database's. */
const REDSHIFT_ONLY = /\b(ENCODE\s+\w+|DISTSTYLE|DISTKEY|SORTKEY|INTERLEAVED|LANGUAGE\s+plpythonu)\b/i;

/**
 * The original's repository keeps its Redshift objects (`Redshift SQLs/`:
 * ENCODE, DISTSTYLE, plpythonu) beside the RDS config scripts; `--sql` on the
 * whole repository runs them too and they fail in PostgreSQL. Says so.
 */
function redshiftHint(failure: ScriptFailure): string {
  if (!REDSHIFT_ONLY.test(failure.statement)) return '';
  return "\nThis is a Redshift script (the warehouse's tables), not one of the config database's: give --sql only the original's RDS SQLs folder (its DDLs and DMLs), not the whole repository or its Redshift SQLs.";
}

/** Runs one file in a transaction of its own, so a file that fails leaves nothing behind and can be run again. */
async function runScript(db: PGlite, script: LoadedScript): Promise<ScriptFailure | null> {
  await db.exec('BEGIN');
  for (const stmt of script.statements) {
    const kind = statementKind(stmt.text);
    // The file's own BEGIN/COMMIT would end ours; grants and owners name roles this database does not have.
    if (kind === 'transaction' || kind === 'privilege') continue;
    try {
      if (stmt.copyData !== undefined) {
        // COPY FROM STDIN kills PGlite: the same rows go in as a blob (pg_dump's data is COPY text format).
        const text = stmt.text.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/blob'");
        await db.query(text, [], { blob: new Blob([stmt.copyData]) });
      } else {
        await db.exec(stmt.text);
      }
    } catch (e) {
      const err = e as Error & { code?: string; position?: string | number; detail?: string };
      await db.exec('ROLLBACK');
      const position = Number(err.position);
      return {
        file: script.file,
        line: Number.isInteger(position) && position > 0 ? lineOfPosition(stmt, position) : stmt.line,
        statement: stmt.text,
        code: err.code,
        message: err.message,
        detail: err.detail,
      };
    }
  }
  await db.exec('COMMIT');
  return null;
}

/**
 * Runs the scripts DDL first, then DML, each file in the order given; a file
 * failing because something of a later file is missing (NOT_YET) is run again
 * after the others, in rounds, until a round makes no progress. Every round
 * completes a file or ends the loop, so there are at most as many rounds as
 * files.
 */
async function runScripts(db: PGlite, scripts: LoadedScript[]): Promise<void> {
  for (const kind of ['ddl', 'dml'] as const) {
    let pending = scripts.filter((s) => s.kind === kind);
    while (pending.length > 0) {
      const failed: { script: LoadedScript; failure: ScriptFailure }[] = [];
      for (const script of pending) {
        const failure = await runScript(db, script);
        if (!failure) continue;
        if (!failure.code || !NOT_YET.has(failure.code)) {
          throw new ConfigInvalid(
            `running the legacy SQL scripts failed: ${describeFailure(failure)}${redshiftHint(failure)}`,
          );
        }
        failed.push({ script, failure });
      }
      if (failed.length === pending.length) {
        const lines = failed.map((f) => `  ${describeFailure(f.failure)}`).join('\n');
        const late = failed.map((f) => createdLaterInFile(f.script, f.failure)).filter((h) => h !== null);
        const missing =
          late.length === 0 && failed.some((f) => f.failure.code === '42P01' || f.failure.code === '3F000');
        const dangling = failed.some((f) => f.failure.code === '23503');
        throw new ConfigInvalid(
          `running the legacy SQL scripts failed: ${failed.length === 1 ? 'this file fails' : 'these files fail'} whatever the order (each was retried after the others):\n${lines}${late.map((h) => `\n${h}`).join('')}${missing ? '\nNo script creates what is missing: give the DDL files too (the original keeps them in RDS SQLs/DDLs).' : ''}${dangling ? '\nNo script inserts the row a foreign key refers to (the Key above): give the script that inserts it (an ext_interface row for ext_file_config, an ext_file_config row for ext_file_config_dtl), or correct the id.' : ''}`,
        );
      }
      pending = failed.map((f) => f.script);
    }
  }
}

/** Whether a statement names `schema.` (unquoted in any case, or quoted as it folds) / creates the schema itself. */
function schemaUse(scripts: LoadedScript[], schema: string): { referred: boolean; created: boolean } {
  const name = schema.replace(/\$/g, '\\$');
  const refers = new RegExp(`(^|[^A-Za-z0-9_$"])("${name}"|${name})\\s*\\.`, 'i');
  const creates = new RegExp(`^\\s*create\\s+schema\\s+(if\\s+not\\s+exists\\s+)?("${name}"|${name})(\\s|$)`, 'i');
  let referred = false;
  let created = false;
  for (const s of scripts) {
    for (const st of s.statements) {
      if (!referred && refers.test(st.text)) referred = true;
      if (!created && creates.test(st.text)) created = true;
    }
  }
  return { referred, created };
}

/**
 * Runs the scripts in a throwaway PGlite and reads the legacy tables from it.
 * The temporary folder is removed afterwards, also when a script fails.
 */
export async function readLegacyTablesFromScripts(
  files: readonly SqlScriptFile[],
  schema: string,
  /** --schema as typed, which reaches a schema the scripts create quoted ("RDSCNFG"). */
  schemaAsGiven: string = schema,
): Promise<LegacyTables> {
  const scripts: LoadedScript[] = [];
  for (const f of files) scripts.push(await loadScript(f));

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-legacy-sql-'));
  // Ctrl-C (or a kill) must not leave the database behind either: remove it, then end as the signal would have.
  const onSignal = (signal: NodeJS.Signals) => {
    fsSync.rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Loaded here, not at the top: --from and the other config commands never start PGlite.
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  let db: PGlite | undefined;
  try {
    db = await PGlite.create({ dataDir: path.join(tmp, 'pgdata') });
    // The original's DDL has no CREATE SCHEMA (it was made by hand on RDS): make it when the scripts need it.
    const use = schemaUse(scripts, schema);
    if (use.referred && !use.created)
      await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema, 'legacy schema')}`);
    await runScripts(db, scripts);
    return await readLegacyTablesWith(createPgConfig(db), schemaAsGiven, {
      label: `the database the SQL scripts built`,
      scrub: (m) => m,
      createHint: (scripts) => `no script given to --sql creates it: give the original's DDL for it too (${scripts})`,
    });
  } finally {
    await db?.close().catch(() => {});
    await fs.rm(tmp, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The scripts as the YAML headers and the report name them. */
export function describeSqlSource(paths: readonly string[]): string {
  return `SQL scripts ${paths.join(', ')}`;
}
