import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMarker, renderLoadStatements } from '../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { DEFAULT_LOAD_OPTIONS, type LoadOptions, REDSHIFT_LOAD_OPTIONS } from '../../functions/lib/config/model.ts';
import type { LoadFormat, LoadSpec, LoadTargetSpec } from '../../functions/lib/ports/warehouse.ts';
import { buildLoadSpec } from '../../functions/lib/steps/load-spec.ts';
import { preprocess } from '../../functions/lib/steps/preprocess.ts';
import { withParts } from '../../functions/lib/steps/processing.ts';
import { validateFile } from '../../functions/lib/steps/validate-file.ts';
import { fileConfig, layout } from '../support/config-builder.ts';
import { type OpenLeg, useWarehouseLeg } from '../support/warehouse-leg.ts';

/**
 * The COPY fidelity contract (docs/copy-fidelity.md): each case loads the same
 * bytes through both renderings, asserting the Redshift COPY that efi renders
 * for the target and the rows (or the failure) the local warehouse produces,
 * which are what the Redshift documentation says COPY does with those bytes.
 * Cases marked "docs" are the documentation's own examples.
 */

const BUCKET = 'landing';
const TEXT: LoadFormat = { layout: 'delimited', delimiter: '|', quote: null, escape: null };
const CSV: LoadFormat = { layout: 'delimited', delimiter: ',', quote: '"', escape: null };
const NO_LINEAGE = { sourceFile: null, runId: null, loadedAt: null };

export function defineFidelitySuite(legName: string, open: OpenLeg): void {
  describe(`COPY fidelity on ${legName}`, () => {
    const leg = useWarehouseLeg('fid', open);
    const { schema } = leg;
    let n = 0;

    interface Case {
      ddl: string;
      columns: string[];
      bytes: string | Buffer;
      format?: Partial<LoadFormat>;
      options?: Partial<LoadOptions>;
      /** Options start from Redshift's own defaults (`defaults: redshift`) instead of efi's. */
      redshiftDefaults?: boolean;
      widths?: number[];
    }

    /** Loads a case; returns the Redshift COPY efi renders for it, the load's outcome and the rows (ordered by the first column). */
    async function run(c: Case) {
      const table = `t${++n}`;
      await leg.wh.query(`CREATE TABLE ${schema}.${table} (${c.ddl})`);
      const bytes = Buffer.isBuffer(c.bytes) ? c.bytes : Buffer.from(c.bytes);
      const key = `fid/${table}.txt`;
      await leg.store.put(BUCKET, key, bytes);
      const t: LoadTargetSpec = {
        recordType: null,
        target: { schema, table },
        columns: c.columns.map((name, i) => (c.widths ? { name, width: c.widths[i]! } : { name })),
        lineage: NO_LINEAGE,
        format: { ...(c.redshiftDefaults ? TEXT : CSV), ...c.format },
        options: { ...(c.redshiftDefaults ? REDSHIFT_LOAD_OPTIONS : DEFAULT_LOAD_OPTIONS), ...c.options },
        parts: [{ bucket: BUCKET, key, compression: 'none', bytes: bytes.length, records: 1, firstRecord: 1 }],
        // Redshift loads every target through a manifest (a bare key would be a prefix); the local load ignores it.
        manifest: { bucket: BUCKET, key: `processing/${table}/manifest.json` },
      };
      const spec: LoadSpec = { runId: randomUUID(), sourceFile: `s3://${BUCKET}/${key}`, targets: [t] };
      const sql = renderLoadStatements(spec, { iamRoleArn: 'arn:aws:iam::123456789012:role/efi-copy' });
      const copy = sql.find((q) => parseMarker(q)?.step === 'copy')!;
      const stage = sql.find((q) => parseMarker(q)?.step === 'stage')!;
      const { statementId } = await leg.wh.submitLoad(spec, randomUUID());
      const status = await leg.wh.describe(statementId, { waitMs: 60_000 });
      const errors = await leg.wh.loadErrors(statementId);
      const first = c.ddl.split(/\s/)[0];
      const rows = (await leg.wh.query(`SELECT * FROM ${schema}.${table} ORDER BY ${first}`)).rows;
      return { copy, stage, status, errors, rows };
    }

    /**
     * Loads `bytes` as the product does a file whose delimiter COPY cannot take: ValidateFile,
     * Preprocess (its rewrite to CSV), then the load spec of the prepared parts; returns the
     * Redshift COPY rendered for it, the load's status and the rows (ordered by the first column).
     */
    async function runPreprocessed(c: { ddl: string; columns: string[]; bytes: string; format: Partial<LoadFormat> }) {
      const table = `t${++n}`;
      await leg.wh.query(`CREATE TABLE ${schema}.${table} (${c.ddl})`);
      const key = `fid/${table}.txt`;
      const bytes = Buffer.from(c.bytes);
      await leg.store.put(BUCKET, key, bytes);
      const config = fileConfig({
        records: [{ ...layout(null, c.columns), target: { schema, table }, lineage: NO_LINEAGE }],
        format: { ...TEXT, ...c.format },
        load: REDSHIFT_LOAD_OPTIONS,
      });
      const run = { runId: randomUUID(), bucket: BUCKET, key };
      const validation = await validateFile(leg.store, { ...run, size: bytes.length }, config);
      const prepared = await preprocess(leg.store, run, config, validation, { processingPrefix: 'processing/' });
      const spec = buildLoadSpec(
        config,
        { runId: run.runId, sourceFile: `s3://${BUCKET}/${key}` },
        { ...prepared, targets: await withParts(leg.store, prepared.targets) },
      );
      const sql = renderLoadStatements(spec, { iamRoleArn: 'arn:aws:iam::123456789012:role/efi-copy' });
      const copy = sql.find((q) => parseMarker(q)?.step === 'copy')!;
      const { statementId } = await leg.wh.submitLoad(spec, randomUUID());
      const status = await leg.wh.describe(statementId, { waitMs: 60_000 });
      const first = c.ddl.split(/\s/)[0];
      const rows = (await leg.wh.query(`SELECT * FROM ${schema}.${table} ORDER BY ${first}`)).rows;
      return { copy, status, rows };
    }

    it('docs (venue_noseats.txt): a trailing delimiter on every line loads; the left-out column gets its DEFAULT', async () => {
      const r = await run({
        ddl: `venueid smallint not null, venuename varchar(100) not null, venuecity varchar(30), venuestate char(2), venueseats integer not null default '1000'`,
        columns: ['venueid', 'venuename', 'venuecity', 'venuestate'],
        bytes: '1|Toyota Park|Bridgeview|IL|\n2|Columbus Crew Stadium|Columbus|OH|\n3|RFK Stadium|Washington|DC|\n',
        redshiftDefaults: true,
      });
      expect(r.copy).toContain(`DELIMITER AS '|'`);
      expect(r.copy).not.toContain('CSV');
      expect(r.stage).toContain('INCLUDING DEFAULTS');
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { venueid: 1, venuename: 'Toyota Park', venuecity: 'Bridgeview', venuestate: 'IL', venueseats: 1000 },
        { venueid: 2, venuename: 'Columbus Crew Stadium', venuecity: 'Columbus', venuestate: 'OH', venueseats: 1000 },
        { venueid: 3, venuename: 'RFK Stadium', venuecity: 'Washington', venuestate: 'DC', venueseats: 1000 },
      ]);
    });

    it('docs (category_csv.txt): CSV fields with embedded quotes and commas; the same with QUOTE AS %', async () => {
      const cat = 'catid smallint, catgroup varchar(10), catname varchar(10), catdesc varchar(50)';
      const columns = ['catid', 'catgroup', 'catname', 'catdesc'];
      const expected = [
        { catid: 12, catgroup: 'Shows', catname: 'Musicals', catdesc: 'Musical theatre' },
        { catid: 13, catgroup: 'Shows', catname: 'Plays', catdesc: 'All "non-musical" theatre' },
        { catid: 14, catgroup: 'Shows', catname: 'Opera', catdesc: 'All opera, light, and "rock" opera' },
        {
          catid: 15,
          catgroup: 'Concerts',
          catname: 'Classical',
          catdesc: 'All symphony, concerto, and choir concerts',
        },
      ];
      const csv = await run({
        ddl: cat,
        columns,
        bytes:
          '12,Shows,Musicals,Musical theatre\n13,Shows,Plays,"All ""non-musical"" theatre"\n14,Shows,Opera,"All opera, light, and ""rock"" opera"\n15,Concerts,Classical,"All symphony, concerto, and choir concerts"\n',
        redshiftDefaults: true,
        format: { delimiter: ',', quote: '"' },
      });
      expect(csv.copy).toContain('CSV');
      expect(csv.rows).toEqual(expected);
      const percent = await run({
        ddl: cat,
        columns,
        bytes:
          '12,Shows,Musicals,Musical theatre\n13,Shows,Plays,%All "non-musical" theatre%\n14,Shows,Opera,%All opera, light, and "rock" opera%\n15,Concerts,Classical,%All symphony, concerto, and choir concerts%\n',
        redshiftDefaults: true,
        format: { delimiter: ',', quote: '%' },
      });
      expect(percent.copy).toContain(`QUOTE AS '%'`);
      expect(percent.rows).toEqual(expected);
    });

    it('docs (CSV): white space between the delimiters and the quote characters is ignored; a tab delimiter is not white space', async () => {
      const expected = [
        { id: 1, v: 'abc', w: 'x' },
        { id: 2, v: 'd', w: 'e' },
        { id: 3, v: 'f ,g', w: ' h ' },
      ];
      const bytes = '1, "abc" ,x\n2,"d" ,\t"e"\t\n3,  "f ,g"  , h \n';
      // text columns: the part goes to COPY untransformed; varchar(n): through the pass-through checks.
      for (const ddl of ['id int, v text, w text', 'id int, v varchar(10), w varchar(10)']) {
        const r = await run({
          ddl,
          columns: ['id', 'v', 'w'],
          bytes,
          redshiftDefaults: true,
          format: { delimiter: ',', quote: '"' },
        });
        expect(r.copy).toContain('CSV');
        expect(r.status.status).toBe('FINISHED');
        expect(r.rows).toEqual(expected);
      }
      const tab = await run({
        ddl: 'id int, v text, w text',
        columns: ['id', 'v', 'w'],
        bytes: '1\t "a" \tb\n2\t"c"\t "d"\n',
        redshiftDefaults: true,
        format: { delimiter: '\t', quote: '"' },
      });
      expect(tab.rows).toEqual([
        { id: 1, v: 'a', w: 'b' },
        { id: 2, v: 'c', w: 'd' },
      ]);
    });

    it('docs (redshiftinfo.txt, time.txt, DATEFORMAT and TIMEFORMAT strings): the examples load as documented', async () => {
      const escaped = await run({
        ddl: 'infoid int, tableinfo varchar(50)',
        columns: ['infoid', 'tableinfo'],
        bytes: '1|public\\|event\\|dwuser\n2|public\\|sales\\|dwuser\n',
        redshiftDefaults: true,
        format: { escape: '\\' },
      });
      expect(escaped.rows).toEqual([
        { infoid: 1, tableinfo: 'public|event|dwuser' },
        { infoid: 2, tableinfo: 'public|sales|dwuser' },
      ]);
      const text = async (column: string) =>
        (await leg.wh.query(`SELECT ${column}::text AS v FROM ${schema}.t${n} ORDER BY 1`)).rows.map((r) => r['v']);
      await run({
        ddl: 'c1 timestamp',
        columns: ['c1'],
        bytes: '2009-01-12 14:15:57.119568\n',
        redshiftDefaults: true,
        options: { timeFormat: 'YYYY-MM-DD HH:MI:SS' },
      });
      expect(await text('c1')).toEqual(['2009-01-12 14:15:57.119568']);
      for (const [dateFormat, value] of [
        ['MM/DD/YYYY', '03/31/2003'],
        ['MON DD, YYYY', 'March 31, 2003'],
        ['MON-DD-YYYY', 'Mar-31-2003'],
      ] as const) {
        await run({
          ddl: 'd date',
          columns: ['d'],
          bytes: `${value}\n`,
          redshiftDefaults: true,
          options: { dateFormat },
        });
        expect(await text('d')).toEqual(['2003-03-31']);
      }
      await run({
        ddl: 't timestamp',
        columns: ['t'],
        bytes: '03.31.2003 18:45:05\n03.31.2003 18:45:05.123456\n',
        redshiftDefaults: true,
        options: { timeFormat: 'MM.DD.YYYY HH:MI:SS' },
      });
      expect(await text('t')).toEqual(['2003-03-31 18:45:05', '2003-03-31 18:45:05.123456']);
    });

    it('a line with two extra empty fields is still rejected (only one trailing delimiter is ignored)', async () => {
      const r = await run({
        ddl: 'id int, name text',
        columns: ['id', 'name'],
        bytes: '1|a||\n',
        redshiftDefaults: true,
      });
      expect(r.status.status).toBe('FAILED');
      expect(r.errors[0]!.reason).toMatch(/extra data after/);
    });

    it("\\N is NULL by default in text mode (Redshift's default NULL AS), empty text stays '' without EMPTYASNULL", async () => {
      const r = await run({
        ddl: 'id int, name text, qty int',
        columns: ['id', 'name', 'qty'],
        bytes: '1|\\N|\\N\n2||\n3|x|7\n',
        redshiftDefaults: true,
      });
      expect(r.copy).not.toContain('NULL AS');
      expect(r.copy).not.toContain('EMPTYASNULL');
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 1, name: null, qty: null },
        { id: 2, name: '', qty: null },
        { id: 3, name: 'x', qty: 7 },
      ]);
    });

    it('\\N is NULL with efi defaults in CSV mode too, next to EMPTYASNULL', async () => {
      const r = await run({ ddl: 'id int, name text', columns: ['id', 'name'], bytes: '1,\\N\n2,\n3,ok\n' });
      expect(r.copy).toContain('EMPTYASNULL');
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 1, name: null },
        { id: 2, name: null },
        { id: 3, name: 'ok' },
      ]);
    });

    it('TIMEFORMAT is strict: a value that does not match the format fails the row', async () => {
      const r = await run({
        ddl: 'id int, at timestamp',
        columns: ['id', 'at'],
        bytes: '1|2008-01-25 14:30:00\n2|01/25/2008 14:30:00\n',
        redshiftDefaults: true,
        options: { timeFormat: 'YYYY-MM-DD HH:MI:SS' },
      });
      expect(r.copy).toContain(`TIMEFORMAT AS 'YYYY-MM-DD HH:MI:SS'`);
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ lineInPart: 2, column: 'at', rawValue: '01/25/2008 14:30:00' }]);
      expect(r.rows).toEqual([]);
    });

    it("no DATEFORMAT means 'YYYY-MM-DD' strictly; 'auto' reads other formats", async () => {
      const strict = await run({
        ddl: 'id int, d date',
        columns: ['id', 'd'],
        bytes: '1|12/31/2023\n',
        redshiftDefaults: true,
      });
      expect(strict.copy).not.toContain('DATEFORMAT');
      expect(strict.status.status).toBe('FAILED');
      const auto = await run({
        ddl: 'id int, d date',
        columns: ['id', 'd'],
        bytes: '1|12/31/2023\n2|2024-02-01\n',
        redshiftDefaults: true,
        options: { dateFormat: 'auto' },
      });
      expect(auto.copy).toContain(`DATEFORMAT AS 'auto'`);
      expect(auto.status.status).toBe('FINISHED');
      const days = (await leg.wh.query(`SELECT d::text AS d FROM ${schema}.t${n} ORDER BY id`)).rows;
      expect(days).toEqual([{ d: '2023-12-31' }, { d: '2024-02-01' }]);
    });

    it('docs (ACCEPTANYDATE): a value that does not match DATEFORMAT loads NULL instead of failing', async () => {
      const r = await run({
        ddl: 'id int, d date',
        columns: ['id', 'd'],
        bytes: '1|00/00/00\n2|2024-02-01\n',
        redshiftDefaults: true,
        options: { dateFormat: 'YYYY-MM-DD', acceptAnyDate: true },
      });
      expect(r.copy).toContain('ACCEPTANYDATE');
      expect(r.status.status).toBe('FINISHED');
      const text = (await leg.wh.query(`SELECT id, d::text AS d FROM ${schema}.t${n} ORDER BY id`)).rows;
      expect(text).toEqual([
        { id: 1, d: null },
        { id: 2, d: '2024-02-01' },
      ]);
    });

    it("ACCEPTANYDATE with 'auto' (the original framework's options): 13/7/2013 loads NULL", async () => {
      const r = await run({
        ddl: 'id int, at timestamp',
        columns: ['id', 'at'],
        bytes: '1|13/7/2013\n2|7/13/2013\n',
        redshiftDefaults: true,
        options: { timeFormat: 'auto', acceptAnyDate: true },
      });
      expect(r.status.status).toBe('FINISHED');
      const text = (await leg.wh.query(`SELECT id, at::text AS at FROM ${schema}.t${n} ORDER BY id`)).rows;
      expect(text).toEqual([
        { id: 1, at: null },
        { id: 2, at: '2013-07-13 00:00:00' },
      ]);
    });

    it("docs (Using automatic recognition): ACCEPTANYDATE with 'auto' loads every documented format as 'auto' alone does; only what no format reads is NULL", async () => {
      const documented = [
        'J2451187',
        'Jan-08-95 BC',
        '19960108 040809',
        '960108 040809',
        '1996.008',
        '1996-01-08 04:05:06.789',
        '17 Dec 07:37:16 1997 PST',
        '12/17/1997 07:37:16.00 PST',
        '1997-12-17 07:37:16-08',
        '12.17.1997 07:37:16.00 PST',
        '2019-02-11T05:09:12.195Z',
        'J2345678 04:05:06.789',
        '03/31/2003',
        'March 31, 2003',
        'Jan-01-1999',
        '03.31.2003 18:45:05.123456',
        '03.04.2003',
      ];
      const load = async (values: string[], acceptAnyDate: boolean) => {
        await run({
          ddl: 'id int, d date, t timestamp, z timestamptz',
          columns: ['id', 'd', 't', 'z'],
          bytes: values.map((v, i) => `${i + 1}|${v}|${v}|${v}\n`).join(''),
          redshiftDefaults: true,
          options: { dateFormat: 'auto', timeFormat: 'auto', acceptAnyDate },
        });
        return (
          await leg.wh.query(
            `SELECT id, d::text AS d, t::text AS t, (z AT TIME ZONE 'UTC')::text AS z FROM ${schema}.t${n} ORDER BY id`,
          )
        ).rows;
      };
      const native = await load(documented, false);
      expect(native).toHaveLength(documented.length);
      expect(native[0]).toEqual({ id: 1, d: '1999-01-08', t: '1999-01-08 00:00:00', z: '1999-01-08 00:00:00' });
      expect(await load(documented, true)).toEqual(native);
      // What no format reads (the docs' 00/00/00, a day-first date) is NULL under ACCEPTANYDATE.
      const junk = await load(['00/00/00 00:00:00', '17.12.1997', '13/7/2013'], true);
      expect(junk.map((r) => [r['d'], r['t'], r['z']])).toEqual([
        [null, null, null],
        [null, null, null],
        [null, null, null],
      ]);
    });

    it('FIXEDWIDTH widths count bytes: a 2-byte character takes two of its column', async () => {
      const r = await run({
        ddl: 'id int, name varchar(10), city varchar(10)',
        columns: ['id', 'name', 'city'],
        // 'Zoë' is 4 bytes in a 5-byte column; 'Köln' fills its 5 bytes.
        bytes: '001Zoë Köln\n002Ann  Oslo \n',
        widths: [3, 5, 5],
        format: { layout: 'fixed_width', delimiter: '', quote: null },
        redshiftDefaults: true,
      });
      expect(r.copy).toContain(`FIXEDWIDTH 'id:3,name:5,city:5'`);
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 1, name: 'Zoë', city: 'Köln' },
        { id: 2, name: 'Ann', city: 'Oslo' },
      ]);
    });

    it('VARCHAR(n) counts bytes: a 3-character, 4-byte value fails varchar(3); TRUNCATECOLUMNS cuts it to 3 bytes', async () => {
      const fails = await run({
        ddl: 'id int, name varchar(3)',
        columns: ['id', 'name'],
        bytes: '1|Zoë\n',
        redshiftDefaults: true,
      });
      expect(fails.status.status).toBe('FAILED');
      expect(fails.errors[0]!.reason).toMatch(/bytes/);
      const cut = await run({
        ddl: 'id int, name varchar(3)',
        columns: ['id', 'name'],
        bytes: '1|Zoë\n',
        redshiftDefaults: true,
        options: { truncateColumns: true },
      });
      expect(cut.copy).toContain('TRUNCATECOLUMNS');
      expect(cut.rows).toEqual([{ id: 1, name: 'Zo' }]);
    });

    it('docs (Multibyte character load errors): CHAR takes single-byte characters only, a multibyte one fails the row (1220)', async () => {
      for (const c of [
        { bytes: '1|Zoë\n', redshiftDefaults: true },
        { bytes: '1|Zoë\n', redshiftDefaults: true, options: { truncateColumns: true } },
        // efi defaults (CSV, no rewrite): the pass-through checks see it.
        { bytes: '1,ab\n2,Zoë\n' },
      ] as const) {
        const r = await run({ ddl: 'id int, code char(4)', columns: ['id', 'code'], ...c });
        expect(r.status.status).toBe('FAILED');
        expect(r.errors[0]!).toMatchObject({ column: 'code', rawValue: 'Zoë' });
        expect(r.errors[0]!.reason).toMatch(/Multibyte character not supported for CHAR .*Invalid char: c3 ab/);
      }
      const ascii = await run({ ddl: 'id int, code char(4)', columns: ['id', 'code'], bytes: '1,ab\n' });
      expect(ascii.status.status).toBe('FINISHED');
    });

    it('docs (Multibyte character load errors): noncharacters (U+FFFF, U+FDD0) load as they are, ACCEPTINVCHARS replaces them', async () => {
      const bytes = '1|a\uffffb\n2|\ufdd0\n';
      const plain = await run({ ddl: 'id int, v varchar(20)', columns: ['id', 'v'], bytes, redshiftDefaults: true });
      expect(plain.rows).toEqual([
        { id: 1, v: 'a\uffffb' },
        { id: 2, v: '\ufdd0' },
      ]);
      const replaced = await run({
        ddl: 'id int, v varchar(20)',
        columns: ['id', 'v'],
        bytes,
        redshiftDefaults: true,
        options: { acceptInvalidChars: '^' },
      });
      expect(replaced.copy).toContain(`ACCEPTINVCHARS AS '^'`);
      // Byte for byte, as ACCEPTINVCHARS replaces an invalid character ("a string of equal length").
      expect(replaced.rows).toEqual([
        { id: 1, v: 'a^^^b' },
        { id: 2, v: '^^^' },
      ]);
    });

    it("docs (Boolean type): Redshift's BOOLEAN literals load; 'on', 'off' and prefixes PostgreSQL reads fail the row", async () => {
      const ok = await run({
        ddl: 'id int, b boolean',
        columns: ['id', 'b'],
        bytes: '1,TRUE\n2,t\n3,true\n4,y\n5,yes\n6,1\n7,FALSE\n8,f\n9,false\n10,n\n11,no\n12,0\n13,\n',
      });
      expect(ok.status.status).toBe('FINISHED');
      expect(ok.rows.map((r) => r['b'])).toEqual([
        true,
        true,
        true,
        true,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
        false,
        null,
      ]);
      for (const bad of ['on', 'off', 'tr', 'fals']) {
        const r = await run({ ddl: 'id int, b boolean', columns: ['id', 'b'], bytes: `1,t\n2,${bad}\n` });
        expect(r.status.status).toBe('FAILED');
        expect(r.errors[0]!).toMatchObject({ lineInPart: 2, column: 'b', rawValue: bad });
        expect(r.errors[0]!.reason).toMatch(/not a Redshift BOOLEAN literal/);
      }
    });

    it('docs (ROUNDEC): 20.259 into DECIMAL(8,2) is truncated to 20.25 by default, rounded to 20.26 with ROUNDEC', async () => {
      const plain = await run({
        ddl: 'id int, price decimal(8,2)',
        columns: ['id', 'price'],
        bytes: '1|20.259\n',
        redshiftDefaults: true,
      });
      expect(plain.copy).not.toContain('ROUNDEC');
      const text = async () => (await leg.wh.query(`SELECT price::text AS p FROM ${schema}.t${n}`)).rows[0]!['p'];
      expect(await text()).toBe('20.25');
      const rounded = await run({
        ddl: 'id int, price decimal(8,2)',
        columns: ['id', 'price'],
        bytes: '1|20.259\n',
        redshiftDefaults: true,
        options: { roundDecimals: true },
      });
      expect(rounded.copy).toContain('ROUNDEC');
      expect(await text()).toBe('20.26');
    });

    it('docs (FILLRECORD): missing trailing columns load NULL (EMPTYASNULL) or empty strings (without)', async () => {
      const r = await run({
        ddl: 'a varchar(10), b varchar(10), c varchar(10), d varchar(10)',
        columns: ['a', 'b', 'c', 'd'],
        bytes: 'apple|orange|banana|mango\napple|orange\n',
        redshiftDefaults: true,
        options: { fillRecord: true, emptyAsNull: true },
      });
      expect(r.copy).toContain('FILLRECORD');
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toHaveLength(2);
      expect(r.rows).toEqual(
        expect.arrayContaining([
          { a: 'apple', b: 'orange', c: null, d: null },
          { a: 'apple', b: 'orange', c: 'banana', d: 'mango' },
        ]),
      );
      const empty = await run({
        ddl: 'a varchar(10), b varchar(10), n int',
        columns: ['a', 'b', 'n'],
        bytes: 'x\n',
        redshiftDefaults: true,
        options: { fillRecord: true },
      });
      expect(empty.rows).toEqual([{ a: 'x', b: '', n: null }]);
    });

    it('REMOVEQUOTES: surrounding quotes go, delimiters inside them stay; an unclosed quote fails the row', async () => {
      const r = await run({
        ddl: 'id int, name text',
        columns: ['id', 'name'],
        bytes: `1|"The delimiter is a pipe (|) character"\n2|'Black'\n3|Blue'\n`,
        redshiftDefaults: true,
        options: { removeQuotes: true },
      });
      expect(r.copy).toContain('REMOVEQUOTES');
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 1, name: 'The delimiter is a pipe (|) character' },
        { id: 2, name: 'Black' },
        { id: 3, name: "Blue'" },
      ]);
      const bad = await run({
        ddl: 'id int, name text',
        columns: ['id', 'name'],
        bytes: `1|'Blue\n`,
        redshiftDefaults: true,
        options: { removeQuotes: true },
      });
      expect(bad.status.status).toBe('FAILED');
      expect(bad.errors[0]!.reason).toMatch(/never closed/);
    });

    it('TRIMBLANKS removes trailing white space from VARCHAR values', async () => {
      const r = await run({
        ddl: 'id int, name varchar(3)',
        columns: ['id', 'name'],
        bytes: '1|abc   \n',
        redshiftDefaults: true,
        options: { trimBlanks: true },
      });
      expect(r.copy).toContain('TRIMBLANKS');
      expect(r.rows).toEqual([{ id: 1, name: 'abc' }]);
    });

    it('docs (ESCAPE): a backslash makes the next character data; \\\\N is NULL as \\N is', async () => {
      const r = await run({
        ddl: 'id int, v text',
        columns: ['id', 'v'],
        bytes: '2|A\\\\B\\\\C\n3|A \\| B \\| C\n4|\\N\n5|\\\\N\n',
        redshiftDefaults: true,
        format: { escape: '\\' },
      });
      expect(r.copy).toContain(`DELIMITER AS '|' ESCAPE`);
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 2, v: 'A\\B\\C' },
        { id: 3, v: 'A | B | C' },
        { id: 4, v: null },
        { id: 5, v: null },
      ]);
    });

    it('docs (nlTest2.txt, "Preparing files for COPY with the ESCAPE option"): an escaped line feed is data in the value', async () => {
      const r = await run({
        ddl: 'c1 varchar(100), c2 int',
        columns: ['c1', 'c2'],
        bytes:
          '<xml start>\\\n<newline characters provide>\\\n<line breaks at the end of each>\\\n<line in content>\\\n</xml>|1000\n<xml>\\\n</xml>|2000\n',
        redshiftDefaults: true,
        format: { escape: '\\' },
      });
      expect(r.copy).toContain(`DELIMITER AS '|' ESCAPE`);
      expect(r.status.status).toBe('FINISHED');
      const rows = (await leg.wh.query(`SELECT c1, c2 FROM ${schema}.t${n} ORDER BY c2`)).rows;
      expect(rows).toEqual([
        {
          c1: '<xml start>\n<newline characters provide>\n<line breaks at the end of each>\n<line in content>\n</xml>',
          c2: 1000,
        },
        { c1: '<xml>\n</xml>', c2: 2000 },
      ]);
    });

    it('ESCAPE with a multi-character delimiter (rewritten to CSV by Preprocess): an escaped delimiter and an escaped line feed are data, \\\\N and \\N are NULL, as with a one-character delimiter', async () => {
      const ddl = 'id int, v varchar(20), w varchar(20)';
      const columns = ['id', 'v', 'w'];
      // What Redshift's documented ESCAPE gives: the character after the backslash is data (the
      // first character of the delimiter too, so no delimiter starts there), an escaped line feed
      // is a line feed in the value, and NULL AS \N matches the field as written and unescaped.
      const expected = [
        { id: 1, v: 'a~|~b', w: 'x\ny' },
        { id: 2, v: null, w: null },
        { id: 3, v: 'c\\d', w: 'e' },
      ];
      const multi = await runPreprocessed({
        ddl,
        columns,
        bytes: '1~|~a\\~|~b~|~x\\\ny\n2~|~\\\\N~|~\\N\n3~|~c\\\\d~|~e\n',
        format: { delimiter: '~|~', escape: '\\' },
      });
      // Redshift loads Preprocess's CSV, with neither ESCAPE nor the delimiter left to read.
      expect(multi.copy).toContain('CSV');
      expect(multi.copy).not.toContain('ESCAPE');
      expect(multi.status.status).toBe('FINISHED');
      expect(multi.rows).toEqual(expected);
      // The same records with a one-character delimiter, which COPY reads with ESCAPE itself.
      const single = await run({
        ddl,
        columns,
        bytes: '1|a\\|b|x\\\ny\n2|\\\\N|\\N\n3|c\\\\d|e\n',
        redshiftDefaults: true,
        format: { escape: '\\' },
      });
      expect(single.copy).toContain(`DELIMITER AS '|' ESCAPE`);
      expect(single.rows).toEqual([{ ...expected[0], v: 'a|b' }, ...expected.slice(1)]);
    });

    it('ESCAPE: a refused row after an escaped line feed is named by its own first line; MAXERROR skips that row only', async () => {
      const bytes = 'a\\\nb|1\nc\\\nd|x\ne|3\n';
      const failed = await run({
        ddl: 'v varchar(20), id int',
        columns: ['v', 'id'],
        bytes,
        redshiftDefaults: true,
        format: { escape: '\\' },
      });
      expect(failed.status.status).toBe('FAILED');
      expect(failed.errors).toMatchObject([{ lineInPart: 3, column: 'id', rawValue: 'x' }]);
      const skipped = await run({
        ddl: 'v varchar(20), id int',
        columns: ['v', 'id'],
        bytes,
        redshiftDefaults: true,
        format: { escape: '\\' },
        options: { maxErrors: 1 },
      });
      expect(skipped.status.status).toBe('FINISHED');
      expect(skipped.errors).toMatchObject([{ lineInPart: 3, rawValue: 'x' }]);
      expect((await leg.wh.query(`SELECT v, id FROM ${schema}.t${n} ORDER BY id`)).rows).toEqual([
        { v: 'a\nb', id: 1 },
        { v: 'e', id: 3 },
      ]);
    });

    it('docs (venue_fw.txt): a record that ends inside its last fixed-width column loads what is there', async () => {
      const r = await run({
        ddl: 'venueid smallint, venuename varchar(100), venuecity varchar(30), venuestate char(2), venueseats integer',
        columns: ['venueid', 'venuename', 'venuecity', 'venuestate', 'venueseats'],
        // The docs' lines: "IL0" leaves venueseats (6 bytes) with one; only the last line fills it.
        bytes:
          '1  Toyota Park              Bridgeview  IL0\n2  Columbus Crew Stadium    Columbus    OH0\n3  RFK Stadium              Washington  DC0\n4  CommunityAmerica BallparkKansas City KS0\n5  Gillette Stadium         Foxborough  MA68756\n',
        widths: [3, 25, 12, 2, 6],
        format: { layout: 'fixed_width', delimiter: '', quote: null },
        redshiftDefaults: true,
      });
      expect(r.copy).toContain(`FIXEDWIDTH 'venueid:3,venuename:25,venuecity:12,venuestate:2,venueseats:6'`);
      expect(r.status.status).toBe('FINISHED');
      expect(
        r.rows.map((v) => [v['venueid'], v['venuename'], v['venuecity'], v['venuestate'], v['venueseats']]),
      ).toEqual([
        [1, 'Toyota Park', 'Bridgeview', 'IL', 0],
        [2, 'Columbus Crew Stadium', 'Columbus', 'OH', 0],
        [3, 'RFK Stadium', 'Washington', 'DC', 0],
        [4, 'CommunityAmerica Ballpark', 'Kansas City', 'KS', 0],
        [5, 'Gillette Stadium', 'Foxborough', 'MA', 68756],
      ]);
      // A record that stops before its last column starts is still refused.
      const cut = await run({
        ddl: 'id int, a varchar(5), b varchar(5)',
        columns: ['id', 'a', 'b'],
        bytes: '001abc\n',
        widths: [3, 5, 5],
        format: { layout: 'fixed_width', delimiter: '', quote: null },
        redshiftDefaults: true,
      });
      expect(cut.status.status).toBe('FAILED');
      expect(cut.errors[0]!.reason).toMatch(/ends inside column a/);
    });

    it("docs (TIMEFORMAT): without TIMEFORMAT a TIMESTAMPTZ value may end in its UTC offset ('YYYY-MM-DD HH:MI:SSOF', e.g. -8:00)", async () => {
      const r = await run({
        ddl: 'id int, t timestamptz',
        columns: ['id', 't'],
        bytes: '1|2003-03-31 18:45:05-8:00\n2|2003-03-31 18:45:05+05:30\n3|2003-03-31 18:45:05.5-08\n',
        redshiftDefaults: true,
      });
      expect(r.copy).not.toContain('TIMEFORMAT');
      expect(r.status.status).toBe('FINISHED');
      const utc = (await leg.wh.query(`SELECT (t AT TIME ZONE 'UTC')::text AS t FROM ${schema}.t${n} ORDER BY id`))
        .rows;
      expect(utc).toEqual([{ t: '2003-04-01 02:45:05' }, { t: '2003-03-31 13:15:05' }, { t: '2003-04-01 02:45:05.5' }]);
      // A TIMESTAMP (no time zone) column keeps the strict 'YYYY-MM-DD HH:MI:SS'.
      const plain = await run({
        ddl: 'id int, t timestamp',
        columns: ['id', 't'],
        bytes: '1|2003-03-31 18:45:05-8:00\n',
        redshiftDefaults: true,
      });
      expect(plain.status.status).toBe('FAILED');
    });

    it('a TIMESTAMPTZ value without an offset is UTC, as in a Redshift session, whatever the local time zone', async () => {
      // The legs run their sessions in America/New_York (test/support/warehouse-leg.ts).
      const r = await run({
        ddl: 'id int, t timestamptz, p timestamp',
        columns: ['id', 't', 'p'],
        bytes: '1|2003-03-31 18:45:05|2003-03-31 18:45:05\n2|2003-07-01 00:00:00.25|2003-07-01 00:00:00\n',
        redshiftDefaults: true,
      });
      expect(r.status.status).toBe('FINISHED');
      const utc = await leg.wh.query(
        `SELECT (t AT TIME ZONE 'UTC')::text AS t, p::text AS p FROM ${schema}.t${n} ORDER BY id`,
      );
      expect(utc.rows).toEqual([
        { t: '2003-03-31 18:45:05', p: '2003-03-31 18:45:05' },
        { t: '2003-07-01 00:00:00.25', p: '2003-07-01 00:00:00' },
      ]);
    });

    it('a transform runs in UTC too, as a Redshift session does', async () => {
      const table = `t${++n}`;
      await leg.wh.query(`CREATE TABLE ${schema}.${table} (zone text, local_noon text)`);
      const sql = `INSERT INTO ${schema}.${table} SELECT current_setting('TimeZone'), ('2003-07-01 12:00:00'::timestamptz AT TIME ZONE 'UTC')::text`;
      const { statementId } = await leg.wh.submitSql(sql, randomUUID());
      expect((await leg.wh.describe(statementId, { waitMs: 60_000 })).status).toBe('FINISHED');
      const rows = (await leg.wh.query(`SELECT * FROM ${schema}.${table}`)).rows;
      expect(rows).toEqual([{ zone: 'UTC', local_noon: '2003-07-01 12:00:00' }]);
    });

    it('docs (DATEFORMAT): time parts in the date format are read and ignored', async () => {
      const r = await run({
        ddl: 'id int, d date',
        columns: ['id', 'd'],
        bytes: '1|2008-01-25 14:30:00\n',
        redshiftDefaults: true,
        options: { dateFormat: 'YYYY-MM-DD HH:MI:SS' },
      });
      expect(r.copy).toContain(`DATEFORMAT AS 'YYYY-MM-DD HH:MI:SS'`);
      expect(r.status.status).toBe('FINISHED');
      const days = (await leg.wh.query(`SELECT d::text AS d FROM ${schema}.t${n}`)).rows;
      expect(days).toEqual([{ d: '2008-01-25' }]);
    });

    it("no column list: the table's columns load in table order (lineage columns are efi's)", async () => {
      const table = `t${++n}`;
      await leg.wh.query(
        `CREATE TABLE ${schema}.${table} (id int, name text, efi_source_file text, efi_run_id text, efi_loaded_at timestamptz)`,
      );
      const key = `fid/${table}.txt`;
      const bytes = Buffer.from('1|a\n2|b\n');
      await leg.store.put(BUCKET, key, bytes);
      const t: LoadTargetSpec = {
        recordType: null,
        target: { schema, table },
        columns: [],
        lineage: { sourceFile: 'efi_source_file', runId: 'efi_run_id', loadedAt: 'efi_loaded_at' },
        format: TEXT,
        options: REDSHIFT_LOAD_OPTIONS,
        parts: [{ bucket: BUCKET, key, compression: 'none', bytes: bytes.length, records: 2, firstRecord: 1 }],
        manifest: null,
      };
      expect(await leg.wh.tableColumns({ schema, table })).toEqual([
        'id',
        'name',
        'efi_source_file',
        'efi_run_id',
        'efi_loaded_at',
      ]);
      const { statementId } = await leg.wh.submitLoad(
        { runId: randomUUID(), sourceFile: `s3://${BUCKET}/${key}`, targets: [t] },
        randomUUID(),
      );
      expect((await leg.wh.describe(statementId, { waitMs: 60_000 })).status).toBe('FINISHED');
      expect((await leg.wh.query(`SELECT id, name FROM ${schema}.${table} ORDER BY id`)).rows).toEqual([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ]);
    });

    /** Loads `1\n2\n` into column id of a new table of `columnsDdl`, with `lineage`: the load's status and the rows there. */
    const loadTwoRows = async (columnsDdl: string, lineage: LoadTargetSpec['lineage']) => {
      const table = `t${++n}`;
      await leg.wh.query(`CREATE TABLE ${schema}.${table} (${columnsDdl})`);
      const key = `fid/${table}.txt`;
      const bytes = Buffer.from('1\n2\n');
      await leg.store.put(BUCKET, key, bytes);
      const t: LoadTargetSpec = {
        recordType: null,
        target: { schema, table },
        columns: [{ name: 'id' }],
        lineage,
        format: TEXT,
        options: REDSHIFT_LOAD_OPTIONS,
        parts: [{ bucket: BUCKET, key, compression: 'none', bytes: bytes.length, records: 2, firstRecord: 1 }],
        manifest: null,
      };
      const { statementId } = await leg.wh.submitLoad(
        { runId: randomUUID(), sourceFile: `s3://${BUCKET}/${key}`, targets: [t] },
        randomUUID(),
      );
      const status = await leg.wh.describe(statementId, { waitMs: 60_000 });
      const rows = (await leg.wh.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0]!['n'];
      return { status, rows };
    };

    it('a target without its lineage columns is refused before anything runs, naming each column and the fix', async () => {
      // Redshift fails such a load too (the INSERT from stage names the column); locally the first
      // statement to meet it was the DELETE of an earlier attempt's rows, whose message said nothing of lineage.
      const { status, rows } = await loadTwoRows('id int, efi_loaded_at timestamp', {
        sourceFile: 'efi_source_file',
        runId: 'efi_run_id',
        loadedAt: 'efi_loaded_at',
      });
      expect(status.status).toBe('FAILED');
      expect(status.error).toMatch(
        /has no column efi_source_file \(lineage sourceFile\), efi_run_id \(lineage runId\): add .*ALTER TABLE .* ADD COLUMN "efi_source_file" varchar\(1024\), ADD COLUMN "efi_run_id" varchar\(64\).*lineage: false/,
      );
      expect(rows).toBe(0);
    });

    it('a lineage column NOT NULL without a DEFAULT is refused, as every Redshift load of it fails (staging LIKE the target)', async () => {
      const load = (lineageDdl: string) =>
        loadTwoRows(`id int, efi_run_id text ${lineageDdl}`, { sourceFile: null, runId: 'efi_run_id', loadedAt: null });
      const strict = await load('NOT NULL');
      expect(strict.status.status).toBe('FAILED');
      expect(strict.status.error).toMatch(/efi_run_id .* is NOT NULL without a DEFAULT: on Redshift every load/);
      expect(strict.rows).toBe(0);
      // With a DEFAULT the staged rows get it, then the INSERT sets the run id: Redshift loads, and so does the local load.
      expect((await load("NOT NULL DEFAULT 'none'")).status.status).toBe('FINISHED');
      expect((await load('')).status.status).toBe('FINISHED');
      // Another NOT NULL column without atthasdef (an identity), its name not a plain identifier: no concern of this rule.
      expect((await load(', "RowId" int GENERATED ALWAYS AS IDENTITY')).status).toMatchObject({
        status: 'FINISHED',
        error: null,
      });
    });

    it('docs (Numeric types): a NUMERIC column without precision is DECIMAL(18,0) on Redshift, so its load is refused with the reason; a column the file does not load is no concern', async () => {
      const bare = await run({
        ddl: 'id int, amount numeric',
        columns: ['id', 'amount'],
        bytes: '1|12.789\n',
        redshiftDefaults: true,
      });
      expect(bare.status.status).toBe('FAILED');
      expect(bare.status.error).toMatch(
        /amount .* NUMERIC without precision and scale: Redshift makes it DECIMAL\(18,0\)/,
      );
      expect(bare.rows).toEqual([]);
      const declared = await run({
        ddl: 'id int, amount numeric(18,0)',
        columns: ['id', 'amount'],
        bytes: '1|12.789\n',
        redshiftDefaults: true,
      });
      expect(declared.rows).toEqual([{ id: 1, amount: '12' }]);
      const unloaded = await run({
        ddl: 'id int, extra numeric',
        columns: ['id'],
        bytes: '1\n',
        redshiftDefaults: true,
      });
      expect(unloaded.status.status).toBe('FINISHED');
    });

    it('docs (Integer and floating-point literals, load error 1207, Preparing your input data): numbers are decimal; 0x1F, 0o17, 0b101, 1_000 and hexadecimal floats fail the row', async () => {
      for (const [ddl, value] of [
        ['int4', '0x1F'],
        ['int8', '-0o17'],
        ['int2', '0b101'],
        ['int4', '1_000'],
        ['numeric(10,2)', '1_000.5'],
        ['numeric(10,2)', '0x1F'],
        ['float8', '0x1F'],
        ['float4', '0x1p3'],
      ] as const) {
        const r = await run({
          ddl: `id int, a ${ddl}, t text`,
          columns: ['id', 'a', 't'],
          bytes: `1|7|x\n2|${value}|y\n`,
          redshiftDefaults: true,
        });
        expect(r.status.status, `${value} into ${ddl}`).toBe('FAILED');
        expect(r.errors[0], `${value} into ${ddl}`).toMatchObject({ lineInPart: 2, column: 'a' });
        expect(r.rows).toEqual([]);
      }
      // Text that only looks like such a number loads as it is (the part goes through the rewrite).
      const text = await run({
        ddl: 'id int, t text',
        columns: ['id', 't'],
        bytes: '1|file_2024_01\n2|0xdeadbeef\n3|+17\n',
        redshiftDefaults: true,
      });
      expect(text.rows).toEqual([
        { id: 1, t: 'file_2024_01' },
        { id: 2, t: '0xdeadbeef' },
        { id: 3, t: '+17' },
      ]);
    });

    it('docs (Character types): a value longer than VARCHAR(n)/CHAR(n) by blanks only is cut to n bytes; other excess fails the row', async () => {
      const expected = [
        { id: 1, v: 'ab ', c: 'ab ' },
        { id: 2, v: '\u00e9 ', c: 'x  ' },
      ];
      // Redshift's defaults (text mode) and efi's (CSV), which take different local paths.
      for (const redshiftDefaults of [true, false]) {
        const d = redshiftDefaults ? '|' : ',';
        const r = await run({
          ddl: 'id int, v varchar(3), c char(3)',
          columns: ['id', 'v', 'c'],
          bytes: `1${d}ab    ${d}ab     \n2${d}\u00e9    ${d}x\n`,
          redshiftDefaults,
        });
        expect(r.status.status).toBe('FINISHED');
        expect(r.rows).toEqual(expected);
      }
      const over = await run({
        ddl: 'id int, v varchar(3)',
        columns: ['id', 'v'],
        bytes: '1|abcd \n',
        redshiftDefaults: true,
      });
      expect(over.status.status).toBe('FAILED');
      expect(over.errors[0]).toMatchObject({ column: 'v' });
    });

    it('docs (Character types): TEXT and VARCHAR without a length are VARCHAR(256) on Redshift: 256 bytes load, 257 fail the row, TRUNCATECOLUMNS cuts to 256', async () => {
      const fits = 'a'.repeat(256);
      const long = 'b'.repeat(257);
      for (const ddl of ['id int, v text', 'id int, v varchar']) {
        for (const redshiftDefaults of [true, false]) {
          const d = redshiftDefaults ? '|' : ',';
          const ok = await run({ ddl, columns: ['id', 'v'], bytes: `1${d}${fits}\n`, redshiftDefaults });
          expect(ok.rows, ddl).toEqual([{ id: 1, v: fits }]);
          const failed = await run({ ddl, columns: ['id', 'v'], bytes: `1${d}x\n2${d}${long}\n`, redshiftDefaults });
          expect(failed.status.status, ddl).toBe('FAILED');
          expect(failed.errors[0], ddl).toMatchObject({ lineInPart: 2, column: 'v' });
          expect(failed.errors[0]!.reason).toMatch(/without a length VARCHAR\(256\)/);
          expect(failed.rows).toEqual([]);
        }
      }
      const cut = await run({
        ddl: 'id int, v text',
        columns: ['id', 'v'],
        bytes: `1|${long}\n`,
        redshiftDefaults: true,
        options: { truncateColumns: true },
      });
      expect(cut.rows).toEqual([{ id: 1, v: 'b'.repeat(256) }]);
    });

    it('docs (Numeric types): a DECIMAL(19,s) holds at most 9223372036854775807 without the point; more fails the row (PostgreSQL takes 19 nines)', async () => {
      const load = async (ddl: string, value: string, options: Partial<LoadOptions> = {}) =>
        run({ ddl: `id int, a ${ddl}`, columns: ['id', 'a'], bytes: `1|${value}\n`, redshiftDefaults: true, options });
      for (const [ddl, value, loaded, options] of [
        ['decimal(19,0)', '9223372036854775807', '9223372036854775807', {}],
        ['decimal(19,0)', '-9223372036854775807', '-9223372036854775807', {}],
        ['decimal(19,18)', '9.2233720368547758079', '9.223372036854775807', {}],
        ['decimal(19,18)', '9.2233720368547758065', '9.223372036854775807', { roundDecimals: true }],
        ['decimal(20,0)', '99999999999999999999', '99999999999999999999', {}],
      ] as const) {
        const r = await load(ddl, value, options);
        expect(r.rows, `${value} into ${ddl}`).toEqual([{ id: 1, a: loaded }]);
      }
      for (const [ddl, value, options] of [
        ['decimal(19,0)', '9223372036854775808', {}],
        ['decimal(19,0)', '9999999999999999999', {}],
        ['decimal(19,0)', '-9223372036854775808', {}],
        ['decimal(19,18)', '9.223372036854775808', {}],
        ['decimal(19,18)', '9.2233720368547758075', { roundDecimals: true }],
      ] as const) {
        const r = await load(ddl, value, options);
        expect(r.status.status, `${value} into ${ddl}`).toBe('FAILED');
        expect(r.errors[0]!.reason, `${value} into ${ddl}`).toMatch(/overflows DECIMAL\(19,\d+\)/);
      }
    });

    it('blank and empty fields of non-string columns load NULL (Redshift), text keeps them', async () => {
      const r = await run({
        ddl: 'id int, n int, s text',
        columns: ['id', 'n', 's'],
        bytes: '1|  |  \n2||\n',
        redshiftDefaults: true,
      });
      expect(r.status.status).toBe('FINISHED');
      expect(r.rows).toEqual([
        { id: 1, n: null, s: '  ' },
        { id: 2, n: null, s: '' },
      ]);
    });
  });
}
