import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { loadOptionSupported } from '../../../cli/legacy/legacy-copy.ts';
import type { LegacyImportReport } from '../../../cli/legacy/legacy-import.ts';
import { parseConfigYaml, readConfigFiles } from '../../../functions/lib/config/load-yaml.ts';
import { matcherFor } from '../../../functions/lib/config/match.ts';
import type { FileConfig } from '../../../functions/lib/config/model.ts';
import { loadSettings } from '../../../functions/lib/settings.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

/**
 * `efi config import-legacy` against the real throwaway PostgreSQL: the
 * original framework's DDL and realistic rows, imported, then every
 * generated file read back with the parser `efi config apply` uses.
 */

const pgUrl = inject('pgUrl');
const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'legacy');
const DDL = fs.readFileSync(path.join(FIXTURES, 'ddl.sql'), 'utf8');
const ROWS = fs.readFileSync(path.join(FIXTURES, 'rows.sql'), 'utf8');
const PASSWORD = 'n0t-in-any-output';

const inSchema = (sql: string, schema: string) => sql.replace(/rdscnfg/gi, schema);

let db: { url: string; drop: () => Promise<void> };
let url: string;
let tmp: string;

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const settings = loadSettings({ EFI_HOME: tmp });
  const code = await configCommand(argv, { settings, json: false, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(!pgUrl)('efi config import-legacy (real PostgreSQL)', () => {
  let report: LegacyImportReport;
  let outDir: string;
  const configs = new Map<string, FileConfig>();
  const texts = new Map<string, string>();

  beforeAll(async () => {
    db = await createFreshDatabase(pgUrl!, 'efi_legacy');
    // Trust auth ignores the password: it is there to prove no output repeats it.
    const u = new URL(db.url);
    u.password = PASSWORD;
    url = u.toString();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-legacy-'));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(DDL);
      await c.query(ROWS);
      await c.query(inSchema(DDL, 'legacy_clean'));
      await c.query(inSchema(ROWS, 'legacy_clean'));
      await c.query('DELETE FROM legacy_clean.ext_file_config_dtl WHERE ext_file_config_sid NOT IN (4, 5, 6)');
      await c.query('DELETE FROM legacy_clean.ext_file_config WHERE ext_file_config_sid NOT IN (4, 5, 6)');
    } finally {
      await c.end();
    }

    outDir = path.join(tmp, 'legacy-configs');
    const r = await run(['import-legacy', '--from', url, '--out', outDir, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    report = JSON.parse(r.out) as LegacyImportReport;
    for (const f of report.files) {
      const text = fs.readFileSync(f.path, 'utf8');
      texts.set(path.basename(f.path), text);
      for (const cfg of parseConfigYaml(text, f.path)) configs.set(cfg.id, cfg);
    }
  });

  afterAll(async () => {
    await db?.drop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const entry = (sid: number) => {
    const e = report.configs.find((c) => c.sid === sid);
    if (!e) throw new Error(`no report line for sid ${sid}`);
    return e;
  };
  const config = (id: string) => {
    const c = configs.get(id);
    if (!c) throw new Error(`no generated config ${id}; have ${[...configs.keys()].join(', ')}`);
    return c;
  };

  it('reports every legacy row with its outcome', () => {
    expect(report.configs.map((c) => [c.sid, c.status, c.configId])).toEqual([
      [4, 'mapped', 'ndc_x_pa_type.dc_x_pa_flavor'],
      [5, 'deleted', null],
      [6, 'mapped', 'hospital_cost_report.hospital_cost_report'],
      [7, 'mapped', 'hospital_cost_report.hospital_cost_report_alpha'],
      [10, 'mapped', 'provider_master.provider_master'],
      [20, 'mapped', 'claims_multi.claims_raw'],
      [21, 'mapped', 'claims_multi.claim_header'],
      [22, 'mapped', 'claims_multi.claim_line'],
      [25, 'review', 'remit_advice.remit_raw'],
      // escape_char → load.removeQuotes: nothing left to review.
      [30, 'mapped', 'member_elig.member_elig'],
      [40, 'mapped', 'old_pharmacy_feed.pharmacy_claims'],
      [50, 'deleted', null],
      [60, 'skipped', null],
      [70, 'review', 'acme_hosp.acme_admissions'],
      [71, 'review', 'acme_hosp.acme_discharges'],
      [72, 'skipped', null],
    ]);
    expect(report.summary).toEqual({ mapped: 9, review: 3, skipped: 2, deleted: 2 });
    expect(report.complete).toBe(false);
    expect(entry(60).reasons.join()).toContain('efi cannot read LZO-compressed files');
    expect(entry(72).reasons.join()).toContain('tgt_table_name "Acme Transfers" is not a valid identifier');
    expect(entry(5).reasons).toEqual(['oprtnl_flag D (deleted): not imported']);
    expect(entry(50).reasons.join()).toContain('RETIRED_LAB_RESULTS has oprtnl_flag D');
    expect(entry(25).reasons.join()).toContain('per-type targets must be filled in');
    // escape_char → load.removeQuotes, as the original did: nothing left to review.
    expect(entry(30).reasons).toEqual([]);
    expect(texts.get('member_elig.yaml')).toContain('removeQuotes: true');
    expect(entry(70).reasons.join()).toContain('names 2 tokens ("ACME", "HOSP")');
    expect(entry(71).reasons.join()).toContain('contains no "."');
  });

  it('writes one file per interface that has configs, all valid together', async () => {
    expect([...texts.keys()].sort()).toEqual([
      'acme_hosp.yaml',
      'claims_multi.yaml',
      'hospital_cost_report.yaml',
      'member_elig.yaml',
      'ndc_x_pa_type.yaml',
      'old_pharmacy_feed.yaml',
      'provider_master.yaml',
      'remit_advice.yaml',
    ]);
    const checked = await readConfigFiles([outDir]);
    expect(checked.flatMap((f) => f.issues)).toEqual([]);
    expect(checked.reduce((n, f) => n + f.configs.length, 0)).toBe(12);
  });

  it('pipe file with header, trailer_pstn 1:10 and a CALL query', () => {
    const c = config('ndc_x_pa_type.dc_x_pa_flavor');
    expect(c.interface).toBe('ndc_x_pa_type');
    expect(c.active).toBe(true);
    expect(c.match).toEqual({ kind: 'token', pattern: '527' });
    expect(c.format).toEqual({
      layout: 'delimited',
      delimiter: '|',
      quote: null,
      escape: null,
      encoding: 'utf-8',
      compression: 'none',
      extensions: ['txt'],
    });
    expect(c.header).toEqual({ lines: 1, columns: null });
    expect(c.trailer).toEqual({ count: { kind: 'position', from: 1, to: 9 } });
    expect(c.split).toBeNull();
    expect(c.records).toEqual([
      {
        recordType: null,
        target: { schema: 'rdsftetl', table: 'dc_x_pa_flavor' },
        columns: [{ name: 'ndc' }, { name: 'pa_type' }, { name: 'flavor_cd' }],
        // The original's file_name: the object's base name.
        lineage: { sourceFile: 'file_name', sourceFileAs: 'basename', runId: null, loadedAt: null },
      },
    ]);
    expect(c.transform).toEqual({
      sql: "call rdsftorchestration.execute_sql_from_table('rdsftcore','dc_x_pa_flavor','2020-01-01 17:49:29','2030-01-01 17:49:29')",
    });
    expect(matcherFor(c.match)('in/NDC_X_PA_TYPE_20240101_527.txt')).toBe(true);
    expect(matcherFor(c.match)('in/NDC_X_PA_TYPE_20240101_528.txt')).toBe(false);
  });

  it('gzip and an inactive bzip2 config', () => {
    const gz = config('hospital_cost_report.hospital_cost_report');
    expect(gz.match).toEqual({ kind: 'token', pattern: '558' });
    expect(gz.format.compression).toBe('gzip');
    expect(gz.format.extensions).toEqual(['gz']);
    expect(gz.format.delimiter).toBe(',');
    expect(gz.header.lines).toBe(0);
    expect(gz.trailer).toBeNull();
    expect(gz.records[0]!.columns.map((x) => x.name)).toEqual([
      'rpt_rec_num',
      'prvdr_ctrl_type_cd',
      'prvdr_num',
      'npi',
      'fy_bgn_dt',
    ]);
    expect(gz.transform?.sql).toBe(
      "call rdsftetl.prc_process_etl_subgroup('external_file_hospital_cost_report','NC',1)",
    );
    const bz = config('hospital_cost_report.hospital_cost_report_alpha');
    expect(bz.active).toBe(false);
    expect(bz.format.compression).toBe('bzip2');
    expect(bz.match.pattern).toBe('559');
    expect(entry(7).active).toBe(false);
  });

  it('fixed width: widths in column_order_sqnc order, inactive columns left out, trailer 3:12 → 3..11', () => {
    const c = config('provider_master.provider_master');
    expect(c.format.layout).toBe('fixed_width');
    expect(c.format.extensions).toEqual(['dat']);
    expect(c.match).toEqual({ kind: 'token', pattern: '601' });
    expect(c.records[0]!.columns).toEqual([
      { name: 'prvdr_id', width: 10 },
      { name: 'prvdr_type_cd', width: 2 },
      { name: 'prvdr_name', width: 30 },
      { name: 'eff_dt', width: 8 },
    ]);
    expect(c.trailer).toEqual({ count: { kind: 'position', from: 3, to: 11 } });
    expect(texts.get('provider_master.yaml')).toContain('the legacy match compared only the token "601"');
  });

  it('split file: each record type takes the target and columns of the config with token <token>-<type>', () => {
    const c = config('claims_multi.claims_raw');
    // The original dropped lines of unlisted types; the import keeps that and says so.
    expect(c.split).toEqual({ prefixLength: 2, onUnknown: 'skip' });
    expect(entry(20).differences.join()).toContain('onUnknown: skip drops lines');
    expect(c.header.lines).toBe(1);
    expect(
      c.records.map((r) => [r.recordType, `${r.target.schema}.${r.target.table}`, r.columns.map((x) => x.name)]),
    ).toEqual([
      ['01', 'rdsftetl.claim_header', ['rec_type', 'claim_id', 'member_id']],
      ['02', 'rdsftetl.claim_line', ['rec_type', 'claim_id', 'line_no', 'paid_amt']],
    ]);
    expect(config('claims_multi.claim_header').match.pattern).toBe('700-01');
    // The original's name for the part of type 01 matches that config.
    expect(matcherFor(config('claims_multi.claim_header').match)('NDC-20240101120000_700-01.txt')).toBe(true);
  });

  it('split file without per-type configs: same target for every type, marked for review', () => {
    const c = config('remit_advice.remit_raw');
    expect(c.records.map((r) => [r.recordType, r.target.table, r.columns.map((x) => x.name)])).toEqual([
      ['10', 'remit_raw', ['rec_type', 'payload']],
      ['20', 'remit_raw', ['rec_type', 'payload']],
    ]);
    expect(texts.get('remit_advice.yaml')).toMatch(/# REVIEW: per-type targets must be filled in/);
  });

  it('backslash-t delimiter, escape char (REMOVEQUOTES, never ESCAPE) and CALL query', () => {
    const c = config('member_elig.member_elig');
    expect(c.format.delimiter).toBe('\t');
    expect(c.format.escape).toBeNull();
    // REMOVEQUOTES; CSV quoting until the schema has load.removeQuotes.
    expect(c.format.quote).toBe(loadOptionSupported('removeQuotes', true) ? null : '"');
    expect(c.header.lines).toBe(1);
    expect(c.transform?.sql).toBe(
      "call rdsftorchestration.execute_sql_from_table('rdsftcore','member_elig','2020-01-01 17:49:29','2030-01-01 17:49:29')",
    );
    expect(texts.get('member_elig.yaml')).toContain('legacy delimiter "\\\\t" is the text of an escape');
  });

  it('an inactive interface is imported inactive, its csv config with quotes as data (the original had no CSV option)', () => {
    expect(texts.get('old_pharmacy_feed.yaml')).toMatch(/^active: false$/m);
    expect(entry(40).active).toBe(false);
    const c = config('old_pharmacy_feed.pharmacy_claims');
    expect(c.format.quote).toBeNull();
    expect(c.format.extensions).toEqual(['csv']);
  });

  it('a file_prefix with two tokens becomes an anchored regex with a REVIEW comment', () => {
    const c = config('acme_hosp.acme_admissions');
    expect(c.match.kind).toBe('regex');
    const m = matcherFor(c.match);
    expect(m('in/EXTRACT_20240101_ACME.txt')).toBe(true);
    expect(m('HOSP.txt')).toBe(true);
    expect(m('in/EXTRACT_20240101_ACMEX.txt')).toBe(false);
    expect(m('in/ACME_20240101_527.txt')).toBe(false);
    expect(m('ACME/x_527.txt')).toBe(false);
    expect(texts.get('acme_hosp.yaml')).toMatch(/# REVIEW: file_prefix "ACME\.HOSP\." names 2 tokens/);
  });

  it('a file_prefix the LIKE could never match is imported inactive with its likely token', () => {
    const c = config('acme_hosp.acme_discharges');
    expect(c.active).toBe(false);
    expect(c.match).toEqual({ kind: 'token', pattern: '845' });
  });

  it('headers name the source without its password', () => {
    const header = texts.get('ndc_x_pa_type.yaml')!.split('\ninterface:')[0]!;
    expect(header).toContain('# Generated by `efi config import-legacy` at ');
    expect(header).toContain('rdscnfg.ext_interface ext_interface_cid 527 ("NDC_X_PA_TYPE")');
    expect(header).toContain('rdscnfg.ext_file_config ext_file_config_sid 4,');
    for (const t of texts.values()) expect(t).not.toContain(PASSWORD);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
    expect(report.source).toContain(':***@');
  });

  it('prints a table for people and exits 1 when anything needs a look', async () => {
    const r = await run(['import-legacy', '--from', url, '--out', path.join(tmp, 'people')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^60\s+PBM_REBATES\s+skipped$/m);
    expect(r.out).toMatch(/^4\s+NDC_X_PA_TYPE\s+mapped\s+ndc_x_pa_type\.dc_x_pa_flavor$/m);
    expect(r.out).toMatch(
      /^7\s+HOSPITAL_COST_REPORT\s+mapped\s+hospital_cost_report\.hospital_cost_report_alpha \(inactive\)$/m,
    );
    expect(r.err).toContain('9 mapped, 3 to review, 2 skipped, 2 deleted');
    // Each deliberate difference is its own line under the row it concerns.
    expect(r.out).toMatch(/^\s+~ differs from the original: onUnknown: skip drops lines/m);
  });

  it('exits 0 when every live row maps (deleted rows do not count); --schema folds case like PostgreSQL', async () => {
    const out = path.join(tmp, 'clean');
    const r = await run(['import-legacy', '--from', url, '--schema', 'LEGACY_CLEAN', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as LegacyImportReport;
    expect(rep.schema).toBe('legacy_clean');
    expect(rep.summary).toEqual({ mapped: 2, review: 0, skipped: 0, deleted: 1 });
    expect(fs.readdirSync(out).sort()).toEqual(['hospital_cost_report.yaml', 'ndc_x_pa_type.yaml']);
  });

  it('a schema without the tables says which schema has them', async () => {
    const r = await run(['import-legacy', '--from', url, '--schema', 'public', '--out', path.join(tmp, 'none')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'schema public has no table ext_interface, no table ext_file_config, no table ext_file_config_dtl: pass --schema',
    );
    expect(r.err).toContain('ext_file_config exists in schema legacy_clean, rdscnfg');
    expect(fs.existsSync(path.join(tmp, 'none'))).toBe(false);
  });

  it("a schema with only some of the tables, or tables without the original's columns, says what to add", async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(inSchema(DDL, 'legacy_partial'));
      await c.query('DROP TABLE legacy_partial.ext_file_config_dtl');
      await c.query(inSchema(DDL, 'legacy_old'));
      await c.query('ALTER TABLE legacy_old.ext_file_config DROP COLUMN escape_char, DROP COLUMN trailer_pstn');
      const partial = await run([
        'import-legacy',
        '--from',
        url,
        '--schema',
        'legacy_partial',
        '--out',
        path.join(tmp, 'p'),
      ]);
      expect(partial.code).toBe(1);
      // --schema would not help here: the schema is right, a table is missing.
      expect(partial.err).toContain(
        "schema legacy_partial has ext_interface, ext_file_config but no table ext_file_config_dtl: create it with the original's DDL (RDS SQLs/DDLs/rdscnfg.ext_file_config_dtl.sql) and import again",
      );
      const old = await run(['import-legacy', '--from', url, '--schema', 'legacy_old', '--out', path.join(tmp, 'o')]);
      expect(old.code).toBe(1);
      expect(old.err).toContain(
        `legacy_old.ext_file_config lacks columns escape_char, trailer_pstn, which the original's DDL (RDS SQLs/DDLs/rdscnfg.ext_file_config.sql) has: add them (ALTER TABLE "legacy_old"."ext_file_config" ADD COLUMN escape_char varchar(50), ADD COLUMN trailer_pstn varchar(50)) and import again`,
      );
      expect(old.err).not.toContain(PASSWORD);
      expect(fs.existsSync(path.join(tmp, 'p'))).toBe(false);
      expect(fs.existsSync(path.join(tmp, 'o'))).toBe(false);
    } finally {
      await c.query('DROP SCHEMA legacy_partial CASCADE; DROP SCHEMA legacy_old CASCADE');
      await c.end();
    }
  });

  it('a user who may not read a table is told what to GRANT, not that the table is missing', async () => {
    const role = `efi_reader_${Math.random().toString(36).slice(2, 8)}`;
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      await c.query(`GRANT USAGE ON SCHEMA legacy_clean TO ${role}`);
      await c.query(`GRANT SELECT ON legacy_clean.ext_interface, legacy_clean.ext_file_config TO ${role}`);
      const u = new URL(url);
      u.username = role;
      const r = await run([
        'import-legacy',
        '--from',
        u.toString(),
        '--schema',
        'legacy_clean',
        '--out',
        path.join(tmp, 'g'),
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `may not read legacy_clean.ext_file_config_dtl: GRANT SELECT ON "legacy_clean"."ext_file_config_dtl" TO that user (import-legacy only reads)`,
      );
      expect(r.err).not.toContain('no table');
      expect(r.err).not.toContain(PASSWORD);
      await c.query(`REVOKE USAGE ON SCHEMA legacy_clean FROM ${role}`);
      const noSchema = await run([
        'import-legacy',
        '--from',
        u.toString(),
        '--schema',
        'legacy_clean',
        '--out',
        path.join(tmp, 'g'),
      ]);
      expect(noSchema.err).toContain(
        'may not read schema legacy_clean: GRANT USAGE ON SCHEMA "legacy_clean" TO that user; GRANT SELECT ON "legacy_clean"."ext_file_config_dtl" TO that user',
      );
    } finally {
      await c.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await c.end();
    }
  });

  it('a schema created quoted ("LegacyQuoted") is reached with --schema as it is spelled', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(inSchema(DDL, '"LegacyQuoted"'));
      await c.query(inSchema(ROWS, '"LegacyQuoted"'));
      const none = await run([
        'import-legacy',
        '--from',
        url,
        '--out',
        path.join(tmp, 'q0'),
        '--schema',
        'legacyquoted',
      ]);
      expect(none.err).toContain('ext_file_config exists in schema LegacyQuoted');
      const r = await run([
        'import-legacy',
        '--from',
        url,
        '--schema',
        'LegacyQuoted',
        '--out',
        path.join(tmp, 'q'),
        '--json',
      ]);
      const rep = JSON.parse(r.out) as LegacyImportReport;
      expect(rep.schema).toBe('LegacyQuoted');
      expect(rep.configs.map((x) => [x.sid, x.status])).toEqual(report.configs.map((x) => [x.sid, x.status]));
    } finally {
      await c.query('DROP SCHEMA "LegacyQuoted" CASCADE');
      await c.end();
    }
  });

  it('the SQL suggested for a schema created quoted ("LegacyOld") quotes it, so it reaches that schema', async () => {
    const role = `efi_reader_${Math.random().toString(36).slice(2, 8)}`;
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(inSchema(DDL, '"LegacyOld"'));
      await c.query('ALTER TABLE "LegacyOld".ext_file_config DROP COLUMN escape_char');
      const old = await run(['import-legacy', '--from', url, '--schema', 'LegacyOld', '--out', path.join(tmp, 'qo')]);
      expect(old.code).toBe(1);
      expect(old.err).toContain('(ALTER TABLE "LegacyOld"."ext_file_config" ADD COLUMN escape_char varchar(50))');
      await c.query(`CREATE ROLE ${role} LOGIN`);
      const u = new URL(url);
      u.username = role;
      const r = await run([
        'import-legacy',
        '--from',
        u.toString(),
        '--schema',
        'LegacyOld',
        '--out',
        path.join(tmp, 'qg'),
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('GRANT USAGE ON SCHEMA "LegacyOld" TO that user');
      expect(r.err).toMatch(/GRANT SELECT ON "LegacyOld"\."ext_[a-z_]+"(, "LegacyOld"\."ext_[a-z_]+"){2} TO that user/);
    } finally {
      await c.query(`DROP SCHEMA "LegacyOld" CASCADE; DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`);
      await c.end();
    }
  });

  it('a config row without ext_interface_cid is reported with a JSON null cid and as "cid NULL" in text', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(inSchema(DDL, 'legacy_nullcid'));
      await c.query(inSchema(ROWS, 'legacy_nullcid'));
      // Only a table without the original's NOT NULL can hold such a row.
      await c.query('ALTER TABLE legacy_nullcid.ext_file_config ALTER COLUMN ext_interface_cid DROP NOT NULL');
      const { rows } = await c.query<{ sid: number }>(
        `UPDATE legacy_nullcid.ext_file_config SET ext_interface_cid = NULL
          WHERE ext_file_config_sid = (SELECT min(ext_file_config_sid) FROM legacy_nullcid.ext_file_config)
          RETURNING ext_file_config_sid::int AS sid`,
      );
      const sid = rows[0]!.sid;
      const json = await run([
        'import-legacy',
        '--from',
        url,
        '--schema',
        'legacy_nullcid',
        '--out',
        path.join(tmp, 'nc'),
        '--json',
      ]);
      const rep = JSON.parse(json.out) as LegacyImportReport;
      const line = rep.configs.find((x) => x.sid === sid)!;
      expect(line.status).toBe('skipped');
      expect(line.interfaceCid).toBeNull();
      const text = await run([
        'import-legacy',
        '--from',
        url,
        '--schema',
        'legacy_nullcid',
        '--out',
        path.join(tmp, 'nc2'),
      ]);
      expect(text.out).toMatch(new RegExp(`^${sid} +\\(cid NULL\\) +skipped`, 'm'));
    } finally {
      await c.query('DROP SCHEMA legacy_nullcid CASCADE');
      await c.end();
    }
  });

  it('an empty ext_file_config is nothing to import: exit 1, saying where to look', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(inSchema(DDL, 'legacy_empty'));
      const r = await run(['import-legacy', '--from', url, '--schema', 'legacy_empty', '--out', path.join(tmp, 'e')]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        'nothing to import: legacy_empty.ext_file_config has no rows: check that --from names the legacy config database and --schema its schema',
      );
    } finally {
      await c.query('DROP SCHEMA legacy_empty CASCADE');
      await c.end();
    }
  });

  it('a connection failure names the server, never the password', async () => {
    const u = new URL(url);
    u.port = '1';
    const r = await run(['import-legacy', '--from', u.toString(), '--out', path.join(tmp, 'x')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot connect to the legacy config database postgres://postgres:***@127.0.0.1:1/');
    expect(r.err).not.toContain(PASSWORD);
  });
});

describe('efi config import-legacy: usage', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-legacy-usage-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.each([
    [['import-legacy'], 'import-legacy needs --from POSTGRES_URL'],
    [['import-legacy', '--from', 'mysql://x/y'], '--from must be a PostgreSQL URL'],
    [['import-legacy', '--from', 'postgres://h/d', '--schema', 'a;b'], '--schema "a;b" is not a schema name'],
    [['import-legacy', '--from', 'postgres://h/d', 'extra'], 'import-legacy takes no arguments'],
    [['import-legacy', '--bogus'], "Unknown option '--bogus'"],
  ])('exits 2: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('has help', async () => {
    const r = await run(['import-legacy', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: efi config import-legacy \(--from POSTGRES_URL \| --sql PATH\.\.\.\)/);
  });
});
