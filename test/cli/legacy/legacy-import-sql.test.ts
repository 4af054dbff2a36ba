import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import type { LegacyImportReport } from '../../../cli/legacy/legacy-import.ts';
import { MAX_SQL_SCRIPT_BYTES } from '../../../cli/legacy/legacy-scripts.ts';
import { readConfigFiles } from '../../../functions/lib/config/load-yaml.ts';
import { loadSettings } from '../../../functions/lib/settings.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

/**
 * `efi config import-legacy --sql PATH...`: the original framework's SQL
 * scripts (one DDL file per table without CREATE SCHEMA, DML files of its two
 * sample feeds), given in an order that breaks their foreign keys, run in a
 * throwaway PGlite and imported exactly as --from imports the same rows.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SCRIPTS = path.join(import.meta.dirname, 'fixtures', 'legacy-sql');
const DDLS = path.join(SCRIPTS, 'DDLs');
const DMLS = path.join(SCRIPTS, 'DMLs');
const pgUrl = inject('pgUrl');

let tmp: string;
let scratch: string;
const savedTmpdir = process.env['TMPDIR'];

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const settings = loadSettings({ EFI_HOME: path.join(tmp, 'home') });
  const code = await configCommand(argv, { settings, json: false, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** What the import leaves in the temporary folder: the throwaway databases must all be gone. */
const leftovers = () => fs.readdirSync(scratch).filter((f) => f.startsWith('efi-legacy-sql-'));

/** The YAML without its provenance header (time and source differ between two imports of the same rows). */
const body = (text: string) => text.slice(text.indexOf('# rdscnfg.ext_interface'));

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-legacy-sql-test-'));
  // The import's own temporary folders go here (os.tmpdir() reads TMPDIR), so the test sees only its own.
  scratch = path.join(tmp, 'scratch');
  fs.mkdirSync(scratch);
  process.env['TMPDIR'] = scratch;
});

afterAll(() => {
  if (savedTmpdir === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('efi config import-legacy --sql', () => {
  let report: LegacyImportReport;
  let outDir: string;

  beforeAll(async () => {
    outDir = path.join(tmp, 'from-scripts');
    // DML before DDL, and within DDLs/ the files sort before the tables they reference.
    const r = await run(['import-legacy', '--sql', DMLS, '--sql', DDLS, '--out', outDir, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.out) as LegacyImportReport;
  });

  it('runs the scripts whatever the order given and imports both sample feeds', async () => {
    expect(report.configs.map((c) => [c.sid, c.status, c.configId])).toEqual([
      [4, 'mapped', 'ndc_x_pa_type.dc_x_pa_flavor'],
      [5, 'deleted', null],
      [6, 'mapped', 'hospital_cost_report.hospital_cost_report'],
    ]);
    expect(report.summary).toEqual({ mapped: 2, review: 0, skipped: 0, deleted: 1 });
    expect(report.complete).toBe(true);
    expect(report.schema).toBe('rdscnfg');
    expect(report.source).toBe(`SQL scripts ${DMLS}, ${DDLS}`);
    const checked = await readConfigFiles([outDir]);
    expect(checked.flatMap((f) => f.issues)).toEqual([]);
    expect(checked.flatMap((f) => f.configs.map((c) => c.records[0]!.columns.length))).toEqual([18, 7]);
  });

  it('removes its throwaway database', () => {
    expect(leftovers()).toEqual([]);
  });

  it.skipIf(!pgUrl)('reports and writes the same as --from on a PostgreSQL holding the same rows', async () => {
    const db = await createFreshDatabase(pgUrl!, 'efi_legacy_sql');
    try {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        // On a server the scripts run as the original's README has it: schema first, files in foreign-key order.
        await c.query('CREATE SCHEMA rdscnfg');
        for (const f of [
          'rdscnfg.ext_interface.sql',
          'rdscnfg.ext_file_config.sql',
          'rdscnfg.ext_file_config_dtl.sql',
        ]) {
          await c.query(fs.readFileSync(path.join(DDLS, f), 'utf8'));
        }
        for (const f of ['rdscnfg.x_pa_type.sql', 'rdscnfg.dc_x_pa_flavor_2019.sql', 'rdscnfg.cost_report.sql']) {
          await c.query(fs.readFileSync(path.join(DMLS, f), 'utf8'));
        }
      } finally {
        await c.end();
      }
      const fromOut = path.join(tmp, 'from-db');
      const r = await run(['import-legacy', '--from', db.url, '--out', fromOut, '--json']);
      expect(r.code).toBe(0);
      const fromDb = JSON.parse(r.out) as LegacyImportReport;
      expect(report.configs).toEqual(fromDb.configs);
      expect(report.summary).toEqual(fromDb.summary);
      expect(report.files.map((f) => [path.basename(f.path), f.configs])).toEqual(
        fromDb.files.map((f) => [path.basename(f.path), f.configs]),
      );
      for (const f of fromDb.files) {
        const name = path.basename(f.path);
        expect(body(fs.readFileSync(path.join(outDir, name), 'utf8'))).toBe(body(fs.readFileSync(f.path, 'utf8')));
      }
    } finally {
      await db.drop();
    }
  });

  it('runs a plain pg_dump: its CREATE SCHEMA, owners and grants, COPY FROM stdin data and psql meta-commands', async () => {
    const dump = write(
      'dump/rdscnfg.sql',
      [
        '\\restrict k3y',
        "SET client_encoding = 'UTF8';",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        'CREATE SCHEMA rdscnfg;',
        'ALTER SCHEMA rdscnfg OWNER TO rds_admin;',
        'CREATE TABLE rdscnfg.ext_interface (ext_interface_cid numeric(30) NOT NULL, interface_name varchar(200) NOT NULL,',
        '    interface_desc varchar(4000), oprtnl_flag varchar(1) DEFAULT $$A$$ NOT NULL);',
        'ALTER TABLE rdscnfg.ext_interface OWNER TO rds_admin;',
        fs
          .readFileSync(path.join(DDLS, 'rdscnfg.ext_file_config.sql'), 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith('ALTER TABLE') && !l.startsWith('DROP'))
          .join('\n'),
        fs
          .readFileSync(path.join(DDLS, 'rdscnfg.ext_file_config_dtl.sql'), 'utf8')
          .replace(/^ALTER[^\n]*FOREIGN[^\n]*$/m, ''),
        'COPY rdscnfg.ext_interface (ext_interface_cid, interface_name, interface_desc, oprtnl_flag) FROM stdin;',
        '900\tDUMPED_FEED\t\\N\tA',
        '\\.',
        'COPY rdscnfg.ext_file_config (ext_file_config_sid, ext_interface_cid, tgt_schema_name, tgt_table_name, file_prefix, file_format, file_type, delimiter, header_flag, trailer_flag, query, split_file_flag, split_prefix, escape_char, trailer_pstn, oprtnl_flag) FROM stdin;',
        '90\t900\trdsftetl\tdumped\t900.\ttxt\ttxt\t|\tN\tN\t\\N\tN\t\\N\t\\N\t\\N\tA',
        '\\.',
        'COPY rdscnfg.ext_file_config_dtl (ext_file_config_dtl_sid, ext_file_config_sid, column_name, column_width_fixed, column_order_sqnc, oprtnl_flag) FROM stdin;',
        '1\t90\tid\t\\N\t1\tA',
        '2\t90\tname\t\\N\t2\tA',
        '\\.',
        'GRANT USAGE ON SCHEMA rdscnfg TO etl_reader;',
        '\\unrestrict k3y',
      ].join('\n'),
    );
    const r = await run(['import-legacy', '--sql', dump, '--out', path.join(tmp, 'dump-out'), '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as LegacyImportReport;
    expect(rep.configs.map((c) => [c.sid, c.status, c.configId])).toEqual([[90, 'mapped', 'dumped_feed.dumped']]);
    expect(fs.readFileSync(path.join(tmp, 'dump-out', 'dumped_feed.yaml'), 'utf8')).toMatch(
      /columns:\n\s+- id\n\s+- name\n/,
    );
  });

  it('a statement that fails names the file and the line, exits 1 and leaves no database behind', async () => {
    const dir = path.join(tmp, 'broken');
    fs.cpSync(DDLS, dir, { recursive: true });
    write(
      'broken/rdscnfg.feed.sql',
      "-- a typo in the second statement\nINSERT INTO rdscnfg.ext_interface VALUES (1, 'A', 'A', 'A');\n\nINSERT INTO rdscnfg.ext_interface\n  VALUS (2, 'B', 'B', 'A');\n",
    );
    const out = path.join(tmp, 'broken-out');
    const r = await run(['import-legacy', '--sql', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`running the legacy SQL scripts failed: ${path.join(dir, 'rdscnfg.feed.sql')}:5: `);
    expect(r.err).toContain('syntax error at or near "VALUS" (SQLSTATE 42601)');
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a file that needs a table no file creates is reported after the retries, with its real error', async () => {
    const only = path.join(DDLS, 'rdscnfg.ext_file_config_dtl.sql');
    const r = await run(['import-legacy', '--sql', only, '--out', path.join(tmp, 'lonely')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('this file fails whatever the order (each was retried after the others)');
    expect(r.err).toContain('No script creates what is missing: give the DDL files too');
    expect(r.err).toMatch(
      /rdscnfg\.ext_file_config_dtl\.sql:18: relation "rdscnfg\.ext_file_config" does not exist \(SQLSTATE 42P01\) in: ALTER TABLE RDSCNFG\.EXT_FILE_CONFIG_DTL ADD CONSTRAINT/,
    );
    expect(leftovers()).toEqual([]);
  });

  it('one file of the DDLs concatenated in name order says where it creates the table it needs first', async () => {
    const names = fs.readdirSync(DDLS).sort();
    const all = write('concatenated/all.sql', names.map((n) => fs.readFileSync(path.join(DDLS, n), 'utf8')).join('\n'));
    const r = await run(['import-legacy', '--sql', all, '--out', path.join(tmp, 'concatenated-out')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /all\.sql:\d+: relation "rdscnfg\.ext_interface" does not exist \(SQLSTATE 42P01\) in: ALTER TABLE RDSCNFG\.EXT_FILE_AUDIT/,
    );
    expect(r.err).toMatch(
      /all\.sql creates rdscnfg\.ext_interface itself, at line \d+, after line \d+ needs it: the statements of a file run in the order written, so move that CREATE TABLE \(and its ALTER TABLE\) first, or give the original's separate DDL files/,
    );
    // The file does create it: the hint for scripts that do not would be wrong here.
    expect(r.err).not.toContain('No script creates what is missing');
    expect(leftovers()).toEqual([]);
  });

  it('the whole repository (its Redshift scripts too) says to give only the RDS scripts', async () => {
    const repo = path.join(tmp, 'repo');
    fs.cpSync(SCRIPTS, path.join(repo, 'RDS SQLs'), { recursive: true });
    write(
      'repo/Redshift SQLs/DDLs/stage.sql',
      'CREATE SCHEMA stage;\nCREATE TABLE stage.feed (\n  a varchar(10) ENCODE lzo\n) DISTSTYLE AUTO;\n',
    );
    const r = await run(['import-legacy', '--sql', repo, '--out', path.join(tmp, 'repo-out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('stage.sql:3: syntax error at or near "ENCODE" (SQLSTATE 42601)');
    expect(r.err).toContain(
      "This is a Redshift script (the warehouse's tables), not one of the config database's: give --sql only the original's RDS SQLs folder",
    );
    expect(leftovers()).toEqual([]);
  });

  it('a row that refers to an interface no script inserts names the key and says what to give', async () => {
    const feed = write(
      'dangling/feed.sql',
      "INSERT INTO rdscnfg.ext_file_config (ext_file_config_sid, ext_interface_cid, tgt_schema_name, tgt_table_name, file_prefix, file_format, file_type, delimiter, header_flag, trailer_flag, split_file_flag, oprtnl_flag)\nVALUES (77, 999, 'stage', 'x', '77.', 'txt', 'txt', '|', 'N', 'N', 'N', 'A');\n",
    );
    const r = await run(['import-legacy', '--sql', DDLS, '--sql', feed, '--out', path.join(tmp, 'dangling-out')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'feed.sql:1: insert or update on table "ext_file_config" violates foreign key constraint "xfk1_ext_file_config" (SQLSTATE 23503); Key (ext_interface_cid)=(999) is not present in table "ext_interface". in: INSERT INTO',
    );
    expect(r.err).toContain('No script inserts the row a foreign key refers to (the Key above)');
  });

  it('the DDL files alone are nothing to import: exit 1, asking for the INSERT scripts', async () => {
    const r = await run(['import-legacy', '--sql', DDLS, '--out', path.join(tmp, 'ddl-only')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'nothing to import: the scripts insert no rows into rdscnfg.ext_file_config: give --sql the INSERT scripts of your feeds too (the original keeps them in RDS SQLs/DMLs)',
    );
  });

  it('scripts that create only some of the tables name the DDL file that is missing', async () => {
    const r = await run([
      'import-legacy',
      '--sql',
      path.join(DDLS, 'rdscnfg.ext_interface.sql'),
      '--sql',
      path.join(DDLS, 'rdscnfg.ext_file_config.sql'),
      '--out',
      path.join(tmp, 'no-dtl'),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "schema rdscnfg has ext_interface, ext_file_config but no table ext_file_config_dtl: no script given to --sql creates it: give the original's DDL for it too (RDS SQLs/DDLs/rdscnfg.ext_file_config_dtl.sql)",
    );
  });
});

describe('efi config import-legacy --sql: inputs', () => {
  it.each([
    [['--sql', 'no/such/dir'], '--sql no/such/dir: no such file or folder'],
    [['--from', 'postgres://h/d', '--sql', 'x'], '--from and --sql are exclusive'],
    [[], 'import-legacy needs --from POSTGRES_URL (the legacy config database) or --sql PATH'],
    [['--sql'], "Option '--sql <value>' argument missing"],
  ])('exits 2: %j', async (args, message) => {
    const r = await run(['import-legacy', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 for a folder without .sql files', async () => {
    const dir = path.dirname(write('no-sql/readme.txt', 'not sql'));
    const r = await run(['import-legacy', '--sql', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--sql ${dir}: the folder has no *.sql files (its subfolders included)`);
  });

  it('exits 2 for a script over the size limit, before reading it', async () => {
    const big = write('big/huge.sql', '');
    // Sparse: the size is what is checked, nothing is written to disk.
    fs.truncateSync(big, MAX_SQL_SCRIPT_BYTES + 1);
    const r = await run(['import-legacy', '--sql', path.dirname(big)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `--sql ${big}: 50.0 MB is over the 50.0 MB limit for one SQL script (scripts are read whole)`,
    );
  });

  it('exits 2 for a pg_dump archive and for text that is not UTF-8', async () => {
    const archive = write('archive.sql', 'PGDMP\u0001\u000e\u0000binary');
    let r = await run(['import-legacy', '--sql', archive]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('a pg_dump archive (custom format), not SQL text: write it as SQL with pg_restore -f');
    const latin1 = path.join(tmp, 'latin1.sql');
    fs.writeFileSync(latin1, Buffer.from([0x53, 0x45, 0x4c, 0xe9]));
    r = await run(['import-legacy', '--sql', latin1]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--sql ${latin1}: not UTF-8 text`);
  });

  it('has help naming --sql', async () => {
    const r = await run(['import-legacy', '--help']);
    expect(r.out).toContain('--sql PATH');
  });
});

describe('the compiled CLI: efi config import-legacy --sql DIR --out DIR --json', () => {
  it('imports the scripts and prints the JSON report', () => {
    const out = path.join(tmp, 'bin-out');
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/efi.js'), 'config', 'import-legacy', '--sql', SCRIPTS, '--out', out, '--json'],
      { cwd: ROOT, env: { ...process.env, EFI_HOME: path.join(tmp, 'bin-home') }, encoding: 'utf8' },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout) as LegacyImportReport;
    expect(rep.summary).toEqual({ mapped: 2, review: 0, skipped: 0, deleted: 1 });
    expect(fs.readdirSync(out).sort()).toEqual(['hospital_cost_report.yaml', 'ndc_x_pa_type.yaml']);
    expect(leftovers()).toEqual([]);
  });

  it('Ctrl-C while the scripts run removes the throwaway database and ends as SIGINT would', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/efi.js'), 'config', 'import-legacy', '--sql', SCRIPTS, '--out', path.join(tmp, 'int')],
      { cwd: ROOT, env: { ...process.env, EFI_HOME: path.join(tmp, 'int-home') }, stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // The data folder appears after the import has set up its clean-up: interrupt then.
    const started = () => leftovers().some((d) => fs.existsSync(path.join(scratch, d, 'pgdata')));
    await new Promise<void>((resolve) => {
      const watcher = fs.watch(scratch, { recursive: true }, () => {
        if (started()) {
          watcher.close();
          resolve();
        }
      });
      if (started()) {
        watcher.close();
        resolve();
      }
    });
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(leftovers()).toEqual([]);
    expect(fs.existsSync(path.join(tmp, 'int'))).toBe(false);
  });
});
