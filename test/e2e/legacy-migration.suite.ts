import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importLegacyConfigs, type LegacyImportReport } from '../../cli/legacy/legacy-import.ts';
import { loadConfigFiles } from '../../functions/lib/config/load-yaml.ts';
import { type Backend, createHarness, type Harness } from './harness.ts';

/**
 * The drop-in migration, end to end: the original framework's config tables
 * (its DDL, rows for its two sample feeds) are imported with
 * `efi config import-legacy`, files of those feeds are ingested, and the
 * original's stage → core/error transform runs to FINISHED, with file_name
 * set and bad dates routed to the error table. The legacy config database is
 * a PostgreSQL server (it is RDS in the original); efi runs on `backend`.
 */

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'legacy');
const LEGACY_DDL = path.join(import.meta.dirname, '..', 'cli', 'legacy', 'fixtures', 'legacy', 'ddl.sql');
/** The same rows as the original's scripts would build them: DDLs/ (one file per table) and DMLs/. */
const LEGACY_SCRIPTS = path.join(import.meta.dirname, '..', 'cli', 'legacy', 'fixtures', 'legacy-sql');

/** The original's own sample file: row 1 has pa_eff_dt 20093232 (no such date). */
const PA_FLAVOR_SAMPLE =
  '00002025204|B|1|20093232|20790606|20100101|20790606\n00002025202|B|1|20090101|20790606|20100101|20790606';

/** A cost report in the layout of the original's sample (18 columns, m/d/Y dates); row 2 has fy_bgn_dt 13/7/2013. */
function costReport(): Buffer {
  const rows = [
    '101234,2,010001,1234567890,1,07/01/2013,06/30/2014,11/25/2014,N,N,5,10101,4,11/20/2014,F,,N,11/25/2014',
    '101235,2,010005,1234567891,1,13/7/2013,06/30/2014,11/25/2014,N,N,5,10101,4,11/20/2014,F,,N,11/25/2014',
    '101236,1,010006,1234567892,2,07/01/2013,06/30/2014,,Y,N,5,10101,4,11/20/2014,L,,N,11/25/2014',
  ];
  return gzipSync(`${rows.join('\n')}\n`);
}

export function legacyMigrationSuite(backend: Backend, pgUrl: string): void {
  describe(`migration from the original framework on ${backend}`, () => {
    let h: Harness;
    let tmp: string;
    let legacyUrl: string;
    let report: LegacyImportReport;
    const adminUrl = pgUrl;
    const legacyDb = `efi_legacy_${Math.random().toString(36).slice(2, 10)}`;

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-legacy-e2e-'));
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${legacyDb}`);
      await admin.end();
      const u = new URL(adminUrl);
      u.pathname = `/${legacyDb}`;
      legacyUrl = u.toString();
      const legacy = new pg.Client({ connectionString: legacyUrl });
      await legacy.connect();
      await legacy.query(fs.readFileSync(LEGACY_DDL, 'utf8'));
      await legacy.query(fs.readFileSync(path.join(FIXTURES, 'config-rows.sql'), 'utf8'));
      await legacy.end();

      report = await importLegacyConfigs({ url: legacyUrl, outDir: path.join(tmp, 'configs') });
      h = await createHarness(backend, backend === 'postgres' ? pgUrl : null);
      await h.query(fs.readFileSync(path.join(FIXTURES, 'warehouse.sql'), 'utf8'));
      const loaded = await loadConfigFiles([path.join(tmp, 'configs')]);
      await h.apply(loaded.configs);
    });
    afterAll(async () => {
      await h?.close();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${legacyDb} WITH (FORCE)`);
      await admin.end();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const file = (name: string, body: string | Buffer) => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, body);
      return p;
    };

    it('imports both sample feeds without review, listing what differs from the original', () => {
      expect(report.configs.map((c) => [c.sid, c.status, c.configId])).toEqual([
        [4, 'mapped', 'ndc_x_pa_type.dc_x_pa_flavor'],
        [5, 'deleted', null],
        [6, 'mapped', 'hospital_cost_report.hospital_cost_report'],
      ]);
      expect(report.complete).toBe(true);
    });

    it('loads the original sample PA_FLAVOR file: file_name stamped, the bad date in the error table, the good row in core', async () => {
      const r = await h.ingest(file('PROD_20151015_150510973_PA_FLAVOR_527.txt', PA_FLAVOR_SAMPLE));
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
      expect(await h.query('SELECT DISTINCT file_name FROM rdsftetl.dc_x_pa_flavor')).toEqual([
        { file_name: 'PROD_20151015_150510973_PA_FLAVOR_527.txt' },
      ]);
      expect(await h.query('SELECT ndc, pa_eff_dt, file_name FROM rdsftetl.dc_x_pa_flavor_error')).toEqual([
        { ndc: '00002025204', pa_eff_dt: '20093232', file_name: 'PROD_20151015_150510973_PA_FLAVOR_527.txt' },
      ]);
      expect(
        await h.query(
          "SELECT ndc, to_char(pa_eff_dt, 'YYYY-MM-DD') AS eff, file_name FROM rdsftcore.dc_x_pa_flavor ORDER BY ndc",
        ),
      ).toEqual([{ ndc: '00002025202', eff: '2009-01-01', file_name: 'PROD_20151015_150510973_PA_FLAVOR_527.txt' }]);
    });

    it('runs the transform of a second file of the same feed in the same process (its own session: tmp_ tables are gone)', async () => {
      const r = await h.ingest(
        file('PROD_20151016_150510973_PA_FLAVOR_527.txt', '00002025299|C|0|20110101|20790606|20110101|20790606\n'),
      );
      expect(r.error).toBeNull();
      expect(r.status).toBe('FINISHED');
      // The original's transform reprocesses every stage row in its fixed 2020-2030 window, the first file's too.
      expect(await h.query("SELECT ndc, file_name FROM rdsftcore.dc_x_pa_flavor WHERE ndc = '00002025299'")).toEqual([
        { ndc: '00002025299', file_name: 'PROD_20151016_150510973_PA_FLAVOR_527.txt' },
      ]);
    });

    it("loads a gzip cost report: empty fields load '' (no EMPTYASNULL), 13/7/2013 goes to the error table", async () => {
      const r = await h.ingest(file('hosp10_2014_RPT_558.csv.gz', costReport()));
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 3 });
      expect(await h.query("SELECT count(*)::int AS n FROM rdsftetl.hospital_cost_report WHERE npr_dt = ''")).toEqual([
        { n: 3 },
      ]);
      expect(await h.query('SELECT prvdr_num, fy_bgn_dt, file_name FROM rdsftetl.hospital_cost_report_error')).toEqual([
        { prvdr_num: '010005', fy_bgn_dt: '13/7/2013', file_name: 'hosp10_2014_RPT_558.csv.gz' },
      ]);
      expect(
        await h.query(
          "SELECT prvdr_num, to_char(fy_bgn_dt, 'YYYY-MM-DD') AS bgn, proc_dt, file_name FROM rdsftcore.hospital_cost_report ORDER BY prvdr_num",
        ),
      ).toEqual([
        { prvdr_num: '010001', bgn: '2013-07-01', proc_dt: expect.anything(), file_name: 'hosp10_2014_RPT_558.csv.gz' },
        { prvdr_num: '010006', bgn: '2013-07-01', proc_dt: null, file_name: 'hosp10_2014_RPT_558.csv.gz' },
      ]);
    });

    it('binds the run values to :run_id, :source_file and :loaded_at in the transform', async () => {
      await h.query('CREATE TABLE rdsftetl.param_log (run_id text, source_file text, loaded_at timestamp)');
      const [c] = (await loadConfigFiles([path.join(tmp, 'configs')])).configs.filter(
        (x) => x.id === 'ndc_x_pa_type.dc_x_pa_flavor',
      );
      await h.apply([
        { ...c!, transform: { sql: 'INSERT INTO rdsftetl.param_log VALUES (:run_id, :source_file, :loaded_at)' } },
      ]);
      const r = await h.ingest(
        file('PROD_20151017_150510973_PA_FLAVOR_527.txt', '00002025300|C|0|20110101|20790606|20110101|20790606\n'),
      );
      expect(r.error).toBeNull();
      const logged = await h.query<{ run_id: string; source_file: string; t: boolean }>(
        'SELECT run_id, source_file, loaded_at IS NOT NULL AS t FROM rdsftetl.param_log',
      );
      expect(logged).toEqual([
        {
          run_id: r.runId,
          source_file: expect.stringMatching(/\/PROD_20151017_150510973_PA_FLAVOR_527\.txt$/),
          t: true,
        },
      ]);
      await h.apply([c!]);
    });

    it('escape_char set (REMOVEQUOTES): a delimiter inside surrounding quotes is data, through ValidateFile and the load', async () => {
      const [c] = (await loadConfigFiles([path.join(tmp, 'configs')])).configs.filter(
        (x) => x.id === 'ndc_x_pa_type.dc_x_pa_flavor',
      );
      // What import-legacy writes for a row with escape_char set: quote: null and load.removeQuotes.
      await h.apply([{ ...c!, load: { ...c!.load, removeQuotes: true }, transform: null }]);
      const r = await h.ingest(
        file('PROD_20151018_150510973_PA_FLAVOR_527.txt', '"0000|202530"|"C"|0|20110101|20790606|20110101|20790606\n'),
      );
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 1 });
      expect(
        await h.query(
          "SELECT ndc, pa_type FROM rdsftetl.dc_x_pa_flavor WHERE file_name = 'PROD_20151018_150510973_PA_FLAVOR_527.txt'",
        ),
      ).toEqual([{ ndc: '0000|202530', pa_type: 'C' }]);
      await h.apply([c!]);
    });

    it('shows the runs in the shape of the original ext_file_audit', async () => {
      const rows = await (await h.rt.db())
        .selectFrom('efi.ext_file_audit' as never)
        .select([
          'ext_interface_cid',
          'tgt_schema_name',
          'tgt_table_name',
          'file_process_status',
          'file_prcsd_flag',
          'merge_query',
        ] as never[])
        .orderBy('ext_file_audit_sid' as never)
        .execute();
      const audit = rows as Record<string, unknown>[];
      expect(audit.map((r) => [Number(r['ext_interface_cid']), r['tgt_table_name'], r['file_prcsd_flag']])).toEqual([
        [527, 'dc_x_pa_flavor', 'Y'],
        [527, 'dc_x_pa_flavor', 'Y'],
        [558, 'hospital_cost_report', 'Y'],
        [527, 'dc_x_pa_flavor', 'Y'],
        [527, 'dc_x_pa_flavor', 'Y'],
      ]);
      expect(audit.every((r) => r['file_process_status'] === 'FINISHED' && r['tgt_schema_name'] === 'rdsftetl')).toBe(
        true,
      );
      expect(String((rows[2] as { merge_query: string }).merge_query)).toContain('execute_sql_from_table');
    });
  });
}

/**
 * The migration with only the original's SQL scripts (`import-legacy --sql`),
 * no legacy database: PGlite for the scripts and for efi, so no server is needed.
 */
export function legacyScriptsMigrationSuite(): void {
  describe("migration from the original framework's SQL scripts on pglite", () => {
    let h: Harness;
    let tmp: string;
    let report: LegacyImportReport;

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-legacy-sql-e2e-'));
      report = await importLegacyConfigs({ sql: [LEGACY_SCRIPTS], outDir: path.join(tmp, 'configs') });
      h = await createHarness('pglite', null);
      await h.query(fs.readFileSync(path.join(FIXTURES, 'warehouse.sql'), 'utf8'));
      await h.apply((await loadConfigFiles([path.join(tmp, 'configs')])).configs);
    });
    afterAll(async () => {
      await h?.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('imports the scripts and loads the original sample PA_FLAVOR file to FINISHED', async () => {
      expect(report.complete).toBe(true);
      expect(report.configs.map((c) => [c.sid, c.status])).toEqual([
        [4, 'mapped'],
        [5, 'deleted'],
        [6, 'mapped'],
      ]);
      const p = path.join(tmp, 'PROD_20151015_150510973_PA_FLAVOR_527.txt');
      fs.writeFileSync(p, PA_FLAVOR_SAMPLE);
      const r = await h.ingest(p);
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
      expect(await h.query('SELECT ndc FROM rdsftcore.dc_x_pa_flavor')).toEqual([{ ndc: '00002025202' }]);
    });
  });
}
