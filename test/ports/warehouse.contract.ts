import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseMarker, renderLoadStatements } from '../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { DEFAULT_LINEAGE, DEFAULT_LOAD_OPTIONS, type LoadOptions } from '../../functions/lib/config/model.ts';
import { ConfigInvalid, InvalidStateInput } from '../../functions/lib/errors.ts';
import type { LoadFormat, LoadPart, LoadSpec, LoadTargetSpec } from '../../functions/lib/ports/warehouse.ts';
import { type OpenLeg, useWarehouseLeg } from '../support/warehouse-leg.ts';

/**
 * The warehouse behaviour every leg (PGlite, a PostgreSQL server) must show.
 * Each leg's test file opens its warehouse and calls this; nothing is mocked.
 */

const BUCKET = 'landing';
const CSV: LoadFormat = { layout: 'delimited', delimiter: ',', quote: '"', escape: null };

export function defineWarehouseSuite(legName: string, open: OpenLeg): void {
  describe(`PostgresWarehouse on ${legName}`, () => {
    const leg = useWarehouseLeg('wh', open);
    const { schema } = leg;
    let tableNo = 0;

    /** A fresh table with the default lineage columns; returns its name. */
    async function table(columnsDdl: string, lineage = true): Promise<string> {
      const name = `t${++tableNo}`;
      const lineageDdl = lineage
        ? ', efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamptz'
        : '';
      await leg.wh.query(`CREATE TABLE ${schema}.${name} (${columnsDdl}${lineageDdl})`);
      return name;
    }

    async function part(
      key: string,
      content: string | Buffer,
      compression: 'gzip' | 'none' = 'none',
    ): Promise<LoadPart> {
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
      await leg.store.put(BUCKET, key, compression === 'gzip' ? gzipSync(bytes) : bytes);
      const records = bytes.toString('latin1').split('\n').filter(Boolean).length;
      return { bucket: BUCKET, key, compression, bytes: bytes.length, records, firstRecord: 1 };
    }

    function target(
      tableName: string,
      columns: string[],
      parts: LoadPart[],
      over: {
        format?: Partial<LoadFormat>;
        options?: Partial<LoadOptions>;
        lineage?: LoadTargetSpec['lineage'];
        widths?: number[];
      } = {},
    ): LoadTargetSpec {
      return {
        recordType: null,
        target: { schema, table: tableName },
        columns: columns.map((name, i) => (over.widths ? { name, width: over.widths[i]! } : { name })),
        lineage: over.lineage ?? DEFAULT_LINEAGE,
        format: { ...CSV, ...over.format },
        options: { ...DEFAULT_LOAD_OPTIONS, ...over.options },
        parts,
        manifest: null,
      };
    }

    function spec(targets: LoadTargetSpec[], runId: string = randomUUID()): LoadSpec {
      return { runId, sourceFile: `s3://${BUCKET}/inbox/sales_20240101.csv`, targets };
    }

    async function rows(sql: string): Promise<Record<string, unknown>[]> {
      return (await leg.wh.query(sql)).rows;
    }

    async function count(tableName: string): Promise<number> {
      const r = await rows(`SELECT count(*)::int AS n FROM ${schema}.${tableName}`);
      return Number(r[0]?.['n']);
    }

    /** The COPY statement Redshift would run for the same target (its options are what the local load must match). */
    function redshiftCopy(t: LoadTargetSpec): string {
      const withManifest = { ...t, manifest: { bucket: BUCKET, key: 'processing/run/manifest.json' } };
      const sqls = renderLoadStatements(spec([withManifest]), {
        iamRoleArn: 'arn:aws:iam::123456789012:role/efi-copy',
      });
      return sqls.find((q) => parseMarker(q)?.step === 'copy')!;
    }

    async function load(s: LoadSpec, token: string = randomUUID()) {
      const { statementId } = await leg.wh.submitLoad(s, token);
      await leg.wh.settled(statementId);
      return { statementId, status: await leg.wh.describe(statementId), errors: await leg.wh.loadErrors(statementId) };
    }

    it('loads CSV with delimiters, doubled quotes and line breaks inside quoted fields', async () => {
      const t = await table('id int, name text, note text');
      const p = await part('csv/quoted.csv', '1,"Smith, John","say ""hi"""\n2,plain,"two\nlines"\n');
      const r = await load(spec([target(t, ['id', 'name', 'note'], [p])]));
      expect(r.status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, note FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: 'Smith, John', note: 'say "hi"' },
        { id: 2, name: 'plain', note: 'two\nlines' },
      ]);
    });

    it('loads a blank field of a non-text column as NULL, as Redshift does, without rejecting the row', async () => {
      const t = await table('id int, qty int, day date, name text');
      const p = await part('csv/blanks.csv', '1,  ,2024-01-01, a \n2,5,   , \n3,7,2024-01-03,c\n');
      const r = await load(spec([target(t, ['id', 'qty', 'day', 'name'], [p])]));
      expect(r.status.status).toBe('FINISHED');
      expect(r.errors).toEqual([]);
      expect(await rows(`SELECT id, qty, day::text AS day, name FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, qty: null, day: '2024-01-01', name: ' a ' },
        { id: 2, qty: 5, day: null, name: ' ' },
        { id: 3, qty: 7, day: '2024-01-03', name: 'c' },
      ]);
    });

    it('loads a pipe-delimited file without quoting: quotes and backslashes are data', async () => {
      const t = await table('id int, name text, path text');
      const p = await part('plain/pipes.txt', '1|"quoted"|C:\\dir\\file.txt\n2|O\'Brien|back\\\\slash "x\n');
      const r = await load(spec([target(t, ['id', 'name', 'path'], [p], { format: { delimiter: '|', quote: null } })]));
      expect(r.status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, path FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: '"quoted"', path: 'C:\\dir\\file.txt' },
        { id: 2, name: "O'Brien", path: 'back\\\\slash "x' },
      ]);
    });

    it('loads gzip parts and a plain local part into one target, with lineage on every row', async () => {
      const t = await table('id int, amount int');
      const parts = [
        await part('processing/r1/part-00001.csv.gz', '1,10\n2,20\n', 'gzip'),
        await part('processing/r1/part-00002.csv.gz', '3,30\n4,40\n', 'gzip'),
        await part('processing/r1/part-00003.csv', '5,50\n6,60\n'),
      ];
      const s = spec([target(t, ['id', 'amount'], parts)]);
      const r = await load(s);
      expect(r.status).toMatchObject({
        status: 'FINISHED',
        error: null,
        targets: [{ target: { schema, table: t }, recordType: null, rowsLoaded: 6, rowsRejected: 0 }],
      });
      expect(r.errors).toEqual([]);
      expect(await rows(`SELECT sum(amount)::int AS s FROM ${schema}.${t}`)).toEqual([{ s: 210 }]);
      const lineage = await rows(
        `SELECT efi_source_file AS f, efi_run_id AS r, count(*)::int AS n, bool_and(efi_loaded_at IS NOT NULL) AS stamped
           FROM ${schema}.${t} GROUP BY 1, 2`,
      );
      expect(lineage).toEqual([{ f: s.sourceFile, r: s.runId, n: 6, stamped: true }]);
    });

    it('omits lineage columns the config leaves unset', async () => {
      const t = await table('id int, efi_run_id varchar(64)', false);
      const p = await part('lineage/partial.csv', '1\n2\n');
      const s = spec([target(t, ['id'], [p], { lineage: { sourceFile: null, runId: 'efi_run_id', loadedAt: null } })]);
      const r = await load(s);
      expect(r.status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, efi_run_id AS r FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, r: s.runId },
        { id: 2, r: s.runId },
      ]);
    });

    it('stamps only the base name of the source file when lineage says sourceFileAs: basename', async () => {
      const t = await table('id int, file_name varchar(256)', false);
      const p = await part('lineage/basename.csv', '1\n2\n');
      const lineage = { sourceFile: 'file_name', runId: null, loadedAt: null, sourceFileAs: 'basename' as const };
      const r = await load(spec([target(t, ['id'], [p], { lineage })]));
      expect(r.status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, file_name AS f FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, f: 'sales_20240101.csv' },
        { id: 2, f: 'sales_20240101.csv' },
      ]);
    });

    it('fails on a bad row in part 2 and reports the part, line, column, reason and value, loading nothing', async () => {
      const t = await table('id int, amount int');
      const p1 = await part('bad/part-1.csv.gz', '1,10\n2,20\n3,30\n', 'gzip');
      const p2 = await part('bad/part-2.csv.gz', '4,40\n5,50\n6,abc\n7,70\n', 'gzip');
      const r = await load(spec([target(t, ['id', 'amount'], [p1, p2])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.status.error).toContain('bad/part-2.csv.gz line 3, column amount');
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({
        target: { schema, table: t },
        partKey: 'bad/part-2.csv.gz',
        lineInPart: 3,
        column: 'amount',
        rawValue: 'abc',
      });
      expect(r.errors[0]!.reason).toContain('invalid input syntax for type integer');
      expect(r.errors[0]!.reason).toContain('22P02');
      expect(await count(t)).toBe(0);
    });

    it('reports the physical line of the part where the refused record starts, line breaks inside quotes counted', async () => {
      const t = await table('id int, note text');
      // PostgreSQL itself would say line 3 here (it skips the first record's inner break) and line 5 below.
      const first = await part('multiline/first.csv', '1,"two\nlines"\n2,b\nx,c\n');
      expect((await load(spec([target(t, ['id', 'note'], [first])]))).errors).toMatchObject([
        { lineInPart: 4, column: 'id', rawValue: 'x' },
      ]);
      const later = await part('multiline/later.csv', '1,a\n2,"two\nlines"\n3,"three\nmore\nlines"\nx,c\n');
      expect((await load(spec([target(t, ['id', 'note'], [later])]))).errors).toMatchObject([
        { lineInPart: 7, column: 'id', rawValue: 'x' },
      ]);
    });

    it('skips the right records under maxErrors when records span lines', async () => {
      const t = await table('id int, note text');
      const p = await part('multiline/maxerr.csv', '1,"a\nb"\nx,c\n3,"d\ne"\ny,f\n5,g\n');
      const r = await load(spec([target(t, ['id', 'note'], [p], { options: { maxErrors: 2 } })]));
      expect(r.status).toMatchObject({ status: 'FINISHED', error: null });
      expect(r.errors.map((e) => [e.lineInPart, e.rawValue])).toEqual([
        [3, 'x'],
        [6, 'y'],
      ]);
      expect(await rows(`SELECT id, note FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, note: 'a\nb' },
        { id: 3, note: 'd\ne' },
        { id: 5, note: 'g' },
      ]);
    });

    it('loads all targets in one transaction: a failure in the second leaves the first empty', async () => {
      const a = await table('id int, name varchar(10)');
      const b = await table('id int, code varchar(3)');
      const pa = await part('multi/a.csv', '1,alpha\n2,beta\n');
      const pb = await part('multi/b.csv', '1,abc\n2,abcd\n');
      const r = await load(spec([target(a, ['id', 'name'], [pa]), target(b, ['id', 'code'], [pb])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([
        { target: { schema, table: b }, partKey: 'multi/b.csv', lineInPart: 2, column: 'code', rawValue: 'abcd' },
      ]);
      // One message for a too-long value however the load read it (COPY, the rewrite, efi check).
      expect(r.errors[0]!.reason).toContain("value is 4 bytes, longer than the column's 3");
      expect(await count(a)).toBe(0);
      expect(await count(b)).toBe(0);
    });

    it('reports a missing NOT NULL value with its line, naming the target rather than the staging table', async () => {
      const t = await table('id int NOT NULL, name text');
      const p = await part('nn/part.csv', '1,a\n,b\n');
      const r = await load(spec([target(t, ['id', 'name'], [p])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ partKey: 'nn/part.csv', lineInPart: 2, column: 'id' }]);
      expect(r.errors[0]!.reason).toContain(`"${schema}.${t}"`);
      expect(r.errors[0]!.reason).not.toContain('efi_stage');
      expect(r.errors[0]!.reason).toContain('23502');
    });

    it('reports a line with a missing column as a row error on the whole line', async () => {
      const t = await table('id int, name text');
      const p = await part('short/part.csv', '1,a\n2\n');
      const r = await load(spec([target(t, ['id', 'name'], [p])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ partKey: 'short/part.csv', lineInPart: 2, column: null, rawValue: '2' }]);
      expect(r.errors[0]!.reason).toContain('missing data for column');
    });

    it('fails with no row errors when the target table does not exist', async () => {
      const p = await part('missing/part.csv', '1,a\n');
      const r = await load(spec([target('no_such_table', ['id', 'name'], [p])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.status.error).toContain('does not exist');
      expect(r.status.error).toContain('42P01');
      expect(r.errors).toEqual([]);
    });

    it('fails with no row errors when a part is missing, plain or gzip', async () => {
      const t = await table('id int');
      const present = await part('gone/present.csv', '1\n');
      for (const compression of ['none', 'gzip'] as const) {
        const gone: LoadPart = { ...present, key: `gone/absent-${compression}.csv`, compression };
        const r = await load(spec([target(t, ['id'], [present, gone])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.status.error).toContain(`s3://${BUCKET}/gone/absent-${compression}.csv does not exist`);
        expect(r.errors).toEqual([]);
      }
      expect(await count(t)).toBe(0);
    });

    it('fails with no row errors when a configured column is missing from the target', async () => {
      const t = await table('id int');
      const p = await part('missing/col.csv', '1,a\n');
      const r = await load(spec([target(t, ['id', 'nope'], [p])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.status.error).toContain('42703');
      expect(r.errors).toEqual([]);
    });

    it('submits once per client token: the same token returns the same statement and loads once', async () => {
      const t = await table('id int');
      const p = await part('idem/part.csv', '1\n2\n3\n');
      const s = spec([target(t, ['id'], [p])]);
      const token = randomUUID();
      const first = await leg.wh.submitLoad(s, token);
      const second = await leg.wh.submitLoad(s, token);
      expect(second.statementId).toBe(first.statementId);
      await leg.wh.settled(first.statementId);
      expect(await count(t)).toBe(3);
      const logged = await rows(`SELECT count(*)::int AS n FROM efi_wh.statements WHERE client_token = '${token}'`);
      expect(logged).toEqual([{ n: 1 }]);
    });

    it('stamps lineage on records with quoted line breaks, and on pipe-delimited records without quoting, whatever the key holds', async () => {
      const t = await table('id int, note text');
      const csv = await part('lineage-direct/q.csv', '1,"a\nb ""q"", c"\n2,\n3,"x"\n');
      const piped = await part('lineage-direct/p.txt', '4|plain "quote\n5|\n');
      const runId = randomUUID();
      const s: LoadSpec = {
        runId,
        // A key holding the delimiter and the quote character must still be one field.
        sourceFile: `s3://${BUCKET}/inbox/a,b|"c".csv`,
        targets: [
          target(t, ['id', 'note'], [csv]),
          { ...target(t, ['id', 'note'], [piped], { format: { delimiter: '|', quote: null } }), recordType: 'p' },
        ],
      };
      const r = await load(s);
      expect(r.status.status).toBe('FINISHED');
      expect(r.status.targets?.map((x) => x.rowsLoaded)).toEqual([3, 2]);
      const got = await rows(
        `SELECT id, note, efi_source_file AS f, efi_run_id AS r, efi_loaded_at IS NOT NULL AS stamped FROM ${schema}.${t} ORDER BY id`,
      );
      const f = s.sourceFile;
      expect(got).toEqual([
        { id: 1, note: 'a\nb "q", c', f, r: runId, stamped: true },
        { id: 2, note: null, f, r: runId, stamped: true },
        { id: 3, note: 'x', f, r: runId, stamped: true },
        { id: 4, note: 'plain "quote', f, r: runId, stamped: true },
        { id: 5, note: null, f, r: runId, stamped: true },
      ]);
      // One transaction: every row has the same loaded_at.
      expect(await rows(`SELECT count(DISTINCT efi_loaded_at)::int AS n FROM ${schema}.${t}`)).toEqual([{ n: 1 }]);
    });

    it('stamps a timestamp (without time zone) loaded_at with the load time as the session reads it, as now() assigned to it would', async () => {
      const name = `t${++tableNo}`;
      await leg.wh.query(
        `CREATE TABLE ${schema}.${name} (id int, efi_source_file text, efi_run_id text, efi_loaded_at timestamp)`,
      );
      const wall = async () => String((await rows(`SELECT now()::timestamp::text AS t`))[0]!['t']);
      const before = await wall();
      const r = await load({
        runId: randomUUID(),
        sourceFile: `s3://${BUCKET}/ts/a.csv`,
        targets: [target(name, ['id'], [await part('lineage-ts/a.csv', '1\n2\n')])],
      });
      expect(r.status.status).toBe('FINISHED');
      const after = await wall();
      const got = await rows(
        `SELECT count(DISTINCT efi_loaded_at)::int AS n, bool_and(efi_loaded_at BETWEEN '${before}'::timestamp AND '${after}'::timestamp) AS within FROM ${schema}.${name}`,
      );
      expect(got).toEqual([{ n: 1, within: true }]);
    });

    it('stamps lineage on fixed-width records and on records the rewrite reformats (decimals beyond the scale)', async () => {
      const t = await table('code varchar(3), amount numeric(6,2)');
      const fixed = await part('lineage-direct/f.txt', 'ab 12.345\n');
      const csv = await part('lineage-direct/d.csv', 'cd,1.50\nef,2.999\n');
      const s = spec([
        target(t, ['code', 'amount'], [fixed], { format: { layout: 'fixed_width' }, widths: [3, 6] }),
        { ...target(t, ['code', 'amount'], [csv]), recordType: 'd' },
      ]);
      const r = await load(s);
      expect(r.status.status).toBe('FINISHED');
      expect(await rows(`SELECT code, amount::text AS a, efi_run_id AS r FROM ${schema}.${t} ORDER BY code`)).toEqual([
        { code: 'ab', a: '12.34', r: s.runId },
        { code: 'cd', a: '1.50', r: s.runId },
        // Redshift truncates extra decimals (no ROUNDEC); the part went through the rewrite for it.
        { code: 'ef', a: '2.99', r: s.runId },
      ]);
    });

    it('refuses a VARCHAR value longer in bytes than its limit on the line of the original, loading nothing', async () => {
      const t = await table('id int, name varchar(3)');
      const p = await part('lineage-direct/bytes.csv', '1,abc\n2,"a\nb"\n3,\u00e9\u00e9\n');
      const r = await load(spec([target(t, ['id', 'name'], [p])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ partKey: 'lineage-direct/bytes.csv', lineInPart: 4, column: 'name' }]);
      expect(r.errors[0]!.reason).toContain('bytes');
      expect(await count(t)).toBe(0);
    });

    it('reports a short record as missing data even though lineage values follow it, and a bad value on its line', async () => {
      const t = await table('id int, name text, n int');
      const short = await part('lineage-direct/short.csv', '1,a,1\n2,b\n');
      const r = await load(spec([target(t, ['id', 'name', 'n'], [short])]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ lineInPart: 2 }]);
      expect(r.errors[0]!.reason).toContain('missing data for column');
      const bad = await part('lineage-direct/bad.csv', '1,"x\ny",1\n2,b,zz\n3,c,3\n');
      const r2 = await load(spec([target(t, ['id', 'name', 'n'], [bad], { options: { maxErrors: 1 } })]));
      expect(r2.status.status).toBe('FINISHED');
      expect(r2.errors).toMatchObject([{ lineInPart: 3, column: 'n', rawValue: 'zz' }]);
      expect(await count(t)).toBe(2);
    });

    it("replaces a run's rows when the run is loaded again under a new token (redrive)", async () => {
      const t = await table('id int');
      const runId = randomUUID();
      const other = await load(spec([target(t, ['id'], [await part('redrive/other.csv', '100\n101\n')])]));
      expect(other.status.status).toBe('FINISHED');
      const p = await part('redrive/part.csv', '1\n2\n3\n');
      const first = await load(spec([target(t, ['id'], [p])], runId), `${runId}-0`);
      const again = await load(spec([target(t, ['id'], [p])], runId), `${runId}-1`);
      expect(again.statementId).not.toBe(first.statementId);
      expect(again.status.targets?.[0]?.rowsLoaded).toBe(3);
      expect(await rows(`SELECT count(*)::int AS n FROM ${schema}.${t} WHERE efi_run_id = '${runId}'`)).toEqual([
        { n: 3 },
      ]);
      expect(await count(t)).toBe(5);
    });

    it('loads empty fields as NULL by default, as empty text without emptyAsNull, and honours nullAs', async () => {
      const t = await table('id int, name text, amount int');
      const p = await part('nulls/part.csv', '1,,\n');
      await load(spec([target(t, ['id', 'name', 'amount'], [p])]));
      await load(
        spec([
          target(t, ['id', 'name', 'amount'], [await part('nulls/p2.csv', '2,,\n')], {
            options: { emptyAsNull: false },
          }),
        ]),
      );
      await load(
        spec([
          target(t, ['id', 'name', 'amount'], [await part('nulls/p3.csv', '3,NA,NA\n4,,5\n')], {
            options: { emptyAsNull: false, nullAs: 'NA' },
          }),
        ]),
      );
      expect(await rows(`SELECT id, name, amount FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: null, amount: null },
        { id: 2, name: '', amount: null },
        { id: 3, name: null, amount: null },
        { id: 4, name: '', amount: 5 },
      ]);
    });

    it('refuses malformed options before recording anything', async () => {
      const t = await table('id int');
      const p = await part('unsupported/part.csv', '1\n');
      const token = randomUUID();
      const s = spec([target(t, ['id'], [p], { options: { maxErrors: -1 } })]);
      await expect(leg.wh.submitLoad(s, token)).rejects.toThrow(ConfigInvalid);
      await expect(leg.wh.submitLoad(s, token)).rejects.toThrow(/maxErrors -1/);
      const bad = spec([target(t, ['id'], [p], { options: { dateFormat: 'DD/MM' } })]);
      await expect(leg.wh.submitLoad(bad, token)).rejects.toThrow(/dateFormat "DD\/MM" has no year/);
      const logged = await rows(`SELECT count(*)::int AS n FROM efi_wh.statements WHERE client_token = '${token}'`);
      expect(logged).toEqual([{ n: 0 }]);
      expect(await count(t)).toBe(0);
    });

    // ---------------------------------------------------------------- Redshift options

    it('loads fixed-width records cut by byte widths (Redshift FIXEDWIDTH counts bytes), trailing padding trimmed', async () => {
      const t = await table('id int, name varchar(6), city text, amount numeric(7,2), code char(3)');
      const widths = [4, 6, 5, 7, 3];
      // Widths in bytes: 'Zoë' (4 bytes) and 'Köln' (5 bytes) hold 2-byte characters.
      const record = (...values: string[]) =>
        values.map((v, i) => v + ' '.repeat(widths[i]! - Buffer.byteLength(v))).join('');
      const p = await part(
        'fixed/part.txt',
        `${[
          record('0001', 'Zoë', 'Köln', '  12.50', 'ABC'),
          record('0002', '  Li', 'Oslo', '  -1.00', ' x'),
          record('    ', 'Bob', 'Rome', '', 'ZZ'),
          record('0004', 'Ann', '', '3.00', ''),
        ].join('\n')}\n`,
      );
      // Padding is part of the layout: every record is exactly the sum of the widths.
      expect(Buffer.byteLength(record('0001', 'Zoë', 'Köln', '  12.50', 'ABC'))).toBe(25);
      const tg = target(t, ['id', 'name', 'city', 'amount', 'code'], [p], {
        format: { layout: 'fixed_width', delimiter: '', quote: null },
        widths,
      });
      expect(redshiftCopy(tg)).toContain(`FIXEDWIDTH 'id:4,name:6,city:5,amount:7,code:3'`);
      expect(redshiftCopy(tg)).toContain('EMPTYASNULL');
      const r = await load(spec([tg]));
      expect(r.status).toMatchObject({ status: 'FINISHED', error: null });
      expect(r.status.targets?.[0]).toMatchObject({ rowsLoaded: 4, rowsRejected: 0 });
      expect(
        await rows(`SELECT id, name, city, amount::text AS amount, code FROM ${schema}.${t} ORDER BY name`),
      ).toEqual([
        // Leading spaces are data; a blank field loads as NULL (EMPTYASNULL, and always for numbers).
        { id: 2, name: '  Li', city: 'Oslo', amount: '-1.00', code: ' x ' },
        { id: 4, name: 'Ann', city: null, amount: '3.00', code: null },
        { id: null, name: 'Bob', city: 'Rome', amount: null, code: 'ZZ ' },
        { id: 1, name: 'Zoë', city: 'Köln', amount: '12.50', code: 'ABC' },
      ]);
    });

    it('rejects a fixed-width record that ends before its last column, with its line and the column where it ran out, loading nothing', async () => {
      const t = await table('id int, name text, city text');
      // Ending inside the last column loads (Redshift's venue_fw.txt, see the fidelity suite); ending before it does not.
      const p = await part('fixed/short.txt', '0001Zoë  Köln\n0002Ann\n');
      const r = await load(
        spec([
          target(t, ['id', 'name', 'city'], [p], {
            format: { layout: 'fixed_width', delimiter: '', quote: null },
            widths: [4, 6, 5],
          }),
        ]),
      );
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([
        { partKey: 'fixed/short.txt', lineInPart: 2, column: 'name', rawValue: '0002Ann' },
      ]);
      expect(r.errors[0]!.reason).toContain('ends inside column name (bytes 5-10)');
      expect(r.status.error).toContain('fixed/short.txt line 2, column name');
      expect(await count(t)).toBe(0);
    });

    it('loads whitespace-only fields as NULL with blanksAsNull, and keeps them without it', async () => {
      const t = await table('id int, name varchar(10), note text');
      const content = '1,   ,x\n2,a,\t\n 3 ,  ,  \n';
      const on = target(t, ['id', 'name', 'note'], [await part('blanks/on.csv', content)], {
        options: { blanksAsNull: true },
      });
      expect(redshiftCopy(on)).toContain('BLANKSASNULL');
      expect((await load(spec([on]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, note FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: null, note: 'x' },
        { id: 2, name: 'a', note: null },
        { id: 3, name: null, note: null },
      ]);
      await leg.wh.query(`DELETE FROM ${schema}.${t}`);
      const off = target(t, ['id', 'name', 'note'], [await part('blanks/off.csv', '1,   ,x\n')]);
      expect(redshiftCopy(off)).not.toContain('BLANKSASNULL');
      expect((await load(spec([off]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, note FROM ${schema}.${t}`)).toEqual([{ id: 1, name: '   ', note: 'x' }]);
    });

    it('keeps empty text as empty without emptyAsNull on the rewrite path too; other types load NULL', async () => {
      const t = await table('id int, name varchar(10), code char(2), amount int');
      const tg = target(t, ['id', 'name', 'code', 'amount'], [await part('empty/part.csv', '1,,,\n2, , , \n')], {
        options: { emptyAsNull: false, blanksAsNull: true },
      });
      expect(redshiftCopy(tg)).not.toContain('EMPTYASNULL');
      expect((await load(spec([tg]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, code, amount FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: '', code: '  ', amount: null },
        { id: 2, name: null, code: null, amount: null },
      ]);
    });

    it('honours nullAs together with emptyAsNull: both the marker and the empty field load as NULL', async () => {
      const t = await table('id int, name text, amount int');
      const tg = target(t, ['id', 'name', 'amount'], [await part('nullas/part.csv', '1,NA,NA\n2,,7\n3,"NA",\n')], {
        options: { emptyAsNull: true, nullAs: 'NA' },
      });
      expect(redshiftCopy(tg)).toContain(`EMPTYASNULL\nNULL AS 'NA'`);
      expect((await load(spec([tg]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, amount FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: null, amount: null },
        { id: 2, name: null, amount: 7 },
        // A quoted "NA" is data, as PostgreSQL's CSV NULL marker only matches unquoted text.
        { id: 3, name: 'NA', amount: null },
      ]);
    });

    it('cuts over-long values to the varchar/char length in bytes (as Redshift counts) with truncateColumns', async () => {
      const t = await table('id int, name varchar(3), code char(2), note text');
      const tg = target(
        t,
        ['id', 'name', 'code', 'note'],
        [await part('trunc/part.csv', '1,Zoë!x,ABC,long text\n2,ab,A,\n')],
        {
          options: { truncateColumns: true },
        },
      );
      expect(redshiftCopy(tg)).toContain('TRUNCATECOLUMNS');
      expect((await load(spec([tg]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name, code, note FROM ${schema}.${t} ORDER BY id`)).toEqual([
        // 'Zoë' is 4 bytes: varchar(3) holds 'Zo' (a character is never split).
        { id: 1, name: 'Zo', code: 'AB', note: 'long text' },
        { id: 2, name: 'ab', code: 'A ', note: null },
      ]);
    });

    it('replaces each byte of invalid UTF-8 with the acceptInvalidChars character, and rejects it without', async () => {
      const t = await table('id int, name text');
      // 0xE9 is a latin1 é; E2 82 starts a 3-byte character that never ends.
      const bytes = Buffer.concat([
        Buffer.from('1,caf'),
        Buffer.from([0xe9]),
        Buffer.from('\n2,'),
        Buffer.from([0xe2, 0x82]),
        Buffer.from('x\n3,ok\n'),
      ]);
      const p = await part('invalid/part.csv', bytes);
      const accept = target(t, ['id', 'name'], [p], { options: { acceptInvalidChars: '^' } });
      expect(redshiftCopy(accept)).toContain(`ACCEPTINVCHARS AS '^'`);
      expect((await load(spec([accept]))).status.status).toBe('FINISHED');
      expect(await rows(`SELECT id, name FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: 'caf^' },
        { id: 2, name: '^^x' },
        { id: 3, name: 'ok' },
      ]);
      await leg.wh.query(`DELETE FROM ${schema}.${t}`);
      const reject = await load(spec([target(t, ['id', 'name'], [p])]));
      expect(reject.status.status).toBe('FAILED');
      expect(reject.errors).toMatchObject([{ partKey: 'invalid/part.csv', lineInPart: 1 }]);
      expect(reject.errors[0]!.reason).toContain('22021');
      expect(await count(t)).toBe(0);
    });

    it.each([
      ['MM/DD/YYYY', '12/31/2023', '2023-12-31'],
      ['DD.MM.YYYY', '31.12.2023', '2023-12-31'],
      ['YYYYMMDD', '20231231', '2023-12-31'],
      ['DD-MON-YYYY', '31-Dec-2023', '2023-12-31'],
    ])('reads dates in dateFormat %s', async (format, text, iso) => {
      const t = await table('id int, d date, note text');
      const tg = target(t, ['id', 'd', 'note'], [await part(`date/${randomUUID()}.csv`, `1,${text},${text}\n2,,x\n`)], {
        options: { dateFormat: format },
      });
      expect(redshiftCopy(tg)).toContain(`DATEFORMAT AS '${format}'`);
      const r = await load(spec([tg]));
      expect(r.status.status).toBe('FINISHED');
      // Only date columns are read with the format; text stays as it was.
      expect(await rows(`SELECT id, d::text AS d, note FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, d: iso, note: text },
        { id: 2, d: null, note: 'x' },
      ]);
    });

    it('reads timestamps in timeFormat patterns and epoch seconds', async () => {
      const t = await table('id int, at timestamp');
      const cases: Array<[string, string, string]> = [
        ['YYYY-MM-DD HH24:MI:SS', '2023-12-31 23:59:58', '2023-12-31 23:59:58'],
        ['DD.MM.YYYY HH24:MI:SS', '31.12.2023 07:05:09.25', '2023-12-31 07:05:09.25'],
        ['MM/DD/YYYY HH12:MI:SS AM', '12/31/2023 01:02:03 PM', '2023-12-31 13:02:03'],
        ['epochsecs', '1704067199', '2023-12-31 23:59:59'],
      ];
      for (const [i, [format, text]] of cases.entries()) {
        const tg = target(t, ['id', 'at'], [await part(`time/${i}.csv`, `${i},${text}\n`)], {
          options: { timeFormat: format },
        });
        expect(redshiftCopy(tg)).toContain(`TIMEFORMAT AS '${format}'`);
        expect((await load(spec([tg]))).status.status).toBe('FINISHED');
      }
      expect(await rows(`SELECT id, at::text AS at FROM ${schema}.${t} ORDER BY id`)).toEqual(
        cases.map(([, , iso], id) => ({ id, at: iso })),
      );
    });

    it('rejects a date not in the dateFormat with its line, column and the expected format', async () => {
      const t = await table('id int, d date');
      const p = await part('date/bad.csv', '1,12/31/2023\n2,2023-12-31\n');
      const r = await load(spec([target(t, ['id', 'd'], [p], { options: { dateFormat: 'MM/DD/YYYY' } })]));
      expect(r.status.status).toBe('FAILED');
      expect(r.errors).toMatchObject([{ partKey: 'date/bad.csv', lineInPart: 2, column: 'd', rawValue: '2023-12-31' }]);
      expect(r.errors[0]!.reason).toContain('does not match dateFormat "MM/DD/YYYY"');
      expect(await count(t)).toBe(0);
    });

    it('loads the rest under maxErrors 3 with 2 bad rows, and reports both with part, line and column', async () => {
      const t = await table('id int, amount int, d date');
      const p1 = await part('maxerr/part-1.csv.gz', '1,10,01/01/2024\n2,x20,01/02/2024\n3,30,01/03/2024\n', 'gzip');
      const p2 = await part('maxerr/part-2.csv.gz', '4,40,01/04/2024\n5,50,2024-01-05\n6,60,01/06/2024\n', 'gzip');
      const tg = target(t, ['id', 'amount', 'd'], [p1, p2], { options: { maxErrors: 3, dateFormat: 'MM/DD/YYYY' } });
      expect(redshiftCopy(tg)).toContain('MAXERROR 3');
      const r = await load(spec([tg]));
      expect(r.status).toMatchObject({
        status: 'FINISHED',
        error: null,
        targets: [{ target: { schema, table: t }, rowsLoaded: 4, rowsRejected: 2 }],
      });
      expect(await rows(`SELECT id FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1 },
        { id: 3 },
        { id: 4 },
        { id: 6 },
      ]);
      expect(r.errors).toMatchObject([
        { partKey: 'maxerr/part-1.csv.gz', lineInPart: 2, column: 'amount', rawValue: 'x20' },
        { partKey: 'maxerr/part-2.csv.gz', lineInPart: 2, column: 'd', rawValue: '2024-01-05' },
      ]);
      expect(r.errors[0]!.reason).toContain('22P02');
    });

    it('maps lines back past rows already skipped when a part has several bad rows (plain CSV)', async () => {
      const t = await table('id int, amount int');
      const p = await part('maxerr/many.csv', '1,10\n2,x\n3,30\n4,y\n5,50\n6,z\n');
      const r = await load(spec([target(t, ['id', 'amount'], [p], { options: { maxErrors: 3 } })]));
      expect(r.status.status).toBe('FINISHED');
      expect(r.status.targets?.[0]).toMatchObject({ rowsLoaded: 3, rowsRejected: 3 });
      expect(r.errors.map((e) => [e.lineInPart, e.rawValue])).toEqual([
        [2, 'x'],
        [4, 'y'],
        [6, 'z'],
      ]);
      expect(await rows(`SELECT id FROM ${schema}.${t} ORDER BY id`)).toEqual([{ id: 1 }, { id: 3 }, { id: 5 }]);
    });

    it('fails the whole load, loading nothing, when bad rows exceed maxErrors (4 of 3 allowed)', async () => {
      const t = await table('id int, amount int');
      const p1 = await part('maxerr4/part-1.csv', '1,a\n2,20\n3,b\n');
      const p2 = await part('maxerr4/part-2.csv', '4,c\n5,50\n6,d\n7,70\n');
      const r = await load(spec([target(t, ['id', 'amount'], [p1, p2], { options: { maxErrors: 3 } })]));
      expect(r.status.status).toBe('FAILED');
      expect(r.status.error).toContain('4 rows rejected');
      expect(r.status.error).toContain('more than maxErrors 3');
      expect(r.errors.map((e) => [e.partKey, e.lineInPart, e.column])).toEqual([
        ['maxerr4/part-1.csv', 1, 'amount'],
        ['maxerr4/part-1.csv', 3, 'amount'],
        ['maxerr4/part-2.csv', 1, 'amount'],
        ['maxerr4/part-2.csv', 3, 'amount'],
      ]);
      expect(await count(t)).toBe(0);
    });

    it('counts fixed-width rows the transform refuses against maxErrors', async () => {
      const t = await table('id int, name text');
      const p = await part('fixed/maxerr.txt', '0001Ann\n02\n0003Bob\n0004\n');
      const r = await load(
        spec([
          target(t, ['id', 'name'], [p], {
            format: { layout: 'fixed_width', delimiter: '', quote: null },
            widths: [4, 3],
            options: { maxErrors: 2 },
          }),
        ]),
      );
      expect(r.status.status).toBe('FINISHED');
      expect(r.status.targets?.[0]).toMatchObject({ rowsLoaded: 2, rowsRejected: 2 });
      expect(r.errors.map((e) => [e.lineInPart, e.column])).toEqual([
        [2, 'id'],
        [4, 'name'],
      ]);
      expect(await rows(`SELECT id, name FROM ${schema}.${t} ORDER BY id`)).toEqual([
        { id: 1, name: 'Ann' },
        { id: 3, name: 'Bob' },
      ]);
    });

    it('runs transform SQL (a CALL of a plpgsql procedure) in one transaction, once per token', async () => {
      const stage = await table('id int', false);
      const core = await table('id int, doubled int', false);
      await leg.wh.query(`INSERT INTO ${schema}.${stage} VALUES (1), (2)`);
      await leg.wh.query(`CREATE PROCEDURE ${schema}.promote() LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO ${schema}.${core} SELECT id, id * 2 FROM ${schema}.${stage};
        END $$`);
      const token = randomUUID();
      const { statementId } = await leg.wh.submitSql(`CALL ${schema}.promote()`, token);
      await leg.wh.settled(statementId);
      expect(await leg.wh.describe(statementId)).toMatchObject({ statementId, status: 'FINISHED', error: null });
      expect((await leg.wh.submitSql(`CALL ${schema}.promote()`, token)).statementId).toBe(statementId);
      expect(await rows(`SELECT id, doubled FROM ${schema}.${core} ORDER BY id`)).toEqual([
        { id: 1, doubled: 2 },
        { id: 2, doubled: 4 },
      ]);
    });

    it('fails a procedure that COMMITs inside, saying why it runs on Redshift and not here, and commits none of it', async () => {
      // On Redshift a CALL alone runs outside a transaction block, so the
      // procedure may COMMIT; locally the transform and its statement record
      // are one transaction, which PostgreSQL refuses to let a procedure end.
      const core = await table('id int', false);
      await leg.wh.query(`CREATE PROCEDURE ${schema}.commits() LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO ${schema}.${core} VALUES (1);
          COMMIT;
        END $$`);
      const { statementId } = await leg.wh.submitSql(`CALL ${schema}.commits()`, randomUUID());
      const status = await leg.wh.describe(statementId, { waitMs: 60_000 });
      expect(status.status).toBe('FAILED');
      expect(status.error).toMatch(/SQLSTATE 2D000/);
      expect(status.error).toMatch(/COMMIT or ROLLBACK inside a procedure.*Redshift.*one transaction locally/);
      expect(await count(core)).toBe(0);
    });

    it('runs each transform in a session of its own: a temp table of one run is gone for the next', async () => {
      // Redshift runs every Data API statement in its own session; the original's
      // transform creates tmp_<table> and never drops it.
      const core = await table('id int', false);
      const sql = `CREATE TEMP TABLE tmp_session_check AS SELECT 1 AS id; INSERT INTO ${schema}.${core} SELECT id FROM tmp_session_check`;
      for (let i = 0; i < 3; i++) {
        const { statementId } = await leg.wh.submitSql(sql, randomUUID());
        expect(await leg.wh.describe(statementId, { waitMs: 60_000 })).toMatchObject({
          status: 'FINISHED',
          error: null,
        });
      }
      expect(await count(core)).toBe(3);
    });

    it('binds named parameters of transform SQL as values, never as SQL text', async () => {
      const core = await table('run_id text, source_file text, loaded_at timestamp, note text', false);
      const hostile = "r-1'); DROP TABLE x; --";
      const { statementId } = await leg.wh.submitSql(
        `INSERT INTO ${schema}.${core} (run_id, source_file, loaded_at, note) VALUES (:run_id, :source_file, :loaded_at, ':run_id' || ' -- :run_id' /* :run_id */)`,
        randomUUID(),
        [
          { name: 'run_id', value: hostile },
          { name: 'source_file', value: 's3://b/landing/x_527.txt' },
          { name: 'loaded_at', value: '2026-12-01 10:27:27.123' },
        ],
      );
      expect(await leg.wh.describe(statementId, { waitMs: 60_000 })).toMatchObject({ status: 'FINISHED', error: null });
      const got = await rows(
        `SELECT run_id, source_file, to_char(loaded_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS t, note FROM ${schema}.${core}`,
      );
      expect(got).toEqual([
        {
          run_id: hostile,
          source_file: 's3://b/landing/x_527.txt',
          t: '2026-12-01 10:27:27.123',
          note: ':run_id -- :run_id',
        },
      ]);
    });

    it('runs transform SQL that uses one parameter in places of different types, as the Data API does', async () => {
      // SELECT :run_id is text, efi_run_id = :run_id is varchar: one $1 for both failed 42P08 locally.
      const stage = await table('efi_run_id varchar(64), v int', false);
      const core = await table('run_id varchar(64), loaded_on date, n int', false);
      await rows(`INSERT INTO ${schema}.${stage} VALUES ('r-1', 1), ('r-1', 2), ('r-0', 3)`);
      const { statementId } = await leg.wh.submitSql(
        `INSERT INTO ${schema}.${core} SELECT :run_id, :loaded_at, count(*) FROM ${schema}.${stage}
         WHERE efi_run_id = :run_id AND :loaded_at::timestamp > '2026-01-01'`,
        randomUUID(),
        [
          { name: 'run_id', value: 'r-1' },
          { name: 'loaded_at', value: '2026-12-01 10:27:27.123' },
        ],
      );
      expect(await leg.wh.describe(statementId, { waitMs: 60_000 })).toMatchObject({ status: 'FINISHED', error: null });
      expect(await rows(`SELECT run_id, loaded_on::text AS d, n FROM ${schema}.${core}`)).toEqual([
        { run_id: 'r-1', d: '2026-12-01', n: 2 },
      ]);
    });

    it('rolls back every statement of failing transform SQL and records why', async () => {
      const core = await table('id int', false);
      const { statementId } = await leg.wh.submitSql(
        `INSERT INTO ${schema}.${core} VALUES (1); SELECT 1 / 0;`,
        randomUUID(),
      );
      await leg.wh.settled(statementId);
      const status = await leg.wh.describe(statementId);
      expect(status.status).toBe('FAILED');
      expect(status.error).toContain('division by zero');
      expect(await count(core)).toBe(0);
    });

    it('answers ad-hoc queries with columns and rows', async () => {
      const r = await leg.wh.query(`SELECT 1 AS one, 'two' AS two UNION ALL SELECT 3, 'four' ORDER BY 1`);
      expect(r.columns).toEqual(['one', 'two']);
      expect(r.rows).toEqual([
        { one: 1, two: 'two' },
        { one: 3, two: 'four' },
      ]);
    });

    it('leaves a finished statement unchanged on cancel and refuses unknown statement ids', async () => {
      const t = await table('id int');
      const r = await load(spec([target(t, ['id'], [await part('cancel/part.csv', '1\n')])]));
      await leg.wh.cancel(r.statementId);
      expect((await leg.wh.describe(r.statementId)).status).toBe('FINISHED');
      await expect(leg.wh.describe(randomUUID())).rejects.toThrow(InvalidStateInput);
      await expect(leg.wh.loadErrors(randomUUID())).rejects.toThrow(/statement log/);
    });

    it('marks a statement abandoned mid-run as ABORTED on cancel', async () => {
      const id = randomUUID();
      await leg.wh.query(
        `INSERT INTO efi_wh.statements (statement_id, client_token, kind, status) VALUES ('${id}', '${id}', 'load', 'STARTED')`,
      );
      await leg.wh.cancel(id);
      expect(await leg.wh.describe(id)).toMatchObject({ status: 'ABORTED', error: 'cancelled' });
    });

    describe('statements run in the background and can be stopped', () => {
      /** A part of `n` rows `i,<pad>` (about 100 bytes each). */
      async function bigPart(key: string, n: number, from = 1): Promise<LoadPart> {
        const pad = 'x'.repeat(90);
        const lines: string[] = [];
        for (let i = from; i < from + n; i++) lines.push(`${i},${pad}`);
        return part(key, `${lines.join('\n')}\n`);
      }

      it('returns from submit before the load runs, reports STARTED, then FINISHED once it settles', async () => {
        const t = await table('id int, pad text');
        let release!: () => void;
        const held = new Promise<void>((r) => {
          release = r;
        });
        leg.wh.hooks.beforeRun = () => held;
        try {
          const { statementId } = await leg.wh.submitLoad(
            spec([target(t, ['id', 'pad'], [await part('bg/part.csv', '1,a\n2,b\n')])]),
            randomUUID(),
          );
          const running = await leg.wh.describe(statementId);
          expect(running).toMatchObject({ statementId, status: 'STARTED', error: null });
          expect(running.progress).toMatchObject({ bytesDone: 0, rowsDone: 0 });
          expect(leg.wh.runningStatements()).toContain(statementId);
          release();
          // A long poll answers as soon as the statement settles.
          expect(await leg.wh.describe(statementId, { waitMs: 60_000 })).toMatchObject({ status: 'FINISHED' });
          expect(await count(t)).toBe(2);
          expect(leg.wh.runningStatements()).not.toContain(statementId);
        } finally {
          leg.wh.hooks.beforeRun = undefined;
        }
      });

      it('counts progress in the parts’ own bytes, so a finished load reports all of them, never more', async () => {
        const t = await table('id int, pad text');
        const parts = [await bigPart('progress/big-1.csv', 5_000)];
        const seen: { bytesDone: number; bytesTotal: number }[] = [];
        leg.wh.hooks.onProgress = (_id, progress) => {
          seen.push({ bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal });
        };
        try {
          // Lineage columns: on a server each record gets their values appended on its way to COPY.
          const { statementId } = await leg.wh.submitLoad(spec([target(t, ['id', 'pad'], parts)]), randomUUID());
          await leg.wh.settled(statementId);
          expect(await count(t)).toBe(5_000);
          expect(seen.at(-1)).toEqual({ bytesDone: parts[0]!.bytes, bytesTotal: parts[0]!.bytes });
        } finally {
          leg.wh.hooks.onProgress = undefined;
        }
      });

      it('counts progress in the parts’ own bytes when the rewrite makes them longer (text to quoted CSV), never more', async () => {
        const t = await table('id int, pad text');
        const lines: string[] = [];
        // Each record's comma makes the rewrite quote its field: two bytes more per record on the way to COPY.
        for (let i = 1; i <= 5_000; i++) lines.push(`${i}|a,${'x'.repeat(90)}`);
        const parts = [await part('progress/text-1.txt', `${lines.join('\n')}\n`)];
        const seen: { bytesDone: number; bytesTotal: number }[] = [];
        leg.wh.hooks.onProgress = (_id, progress) => {
          seen.push({ bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal });
        };
        try {
          const rewritten = target(t, ['id', 'pad'], parts, {
            format: { delimiter: '|', quote: null },
            options: { trimBlanks: true },
          });
          const { statementId } = await leg.wh.submitLoad(spec([rewritten]), randomUUID());
          await leg.wh.settled(statementId);
          expect(await count(t)).toBe(5_000);
          expect(seen.at(-1)).toEqual({ bytesDone: parts[0]!.bytes, bytesTotal: parts[0]!.bytes });
        } finally {
          leg.wh.hooks.onProgress = undefined;
        }
      });

      it('cancels a load while its rows are being copied: rolled back whole, ABORTED, zero rows', async () => {
        const t = await table('id int, pad text');
        const parts = [await bigPart('cancel/big-1.csv', 20_000), await bigPart('cancel/big-2.csv', 60_000, 20_001)];
        let cancelled: Promise<void> | null = null;
        let cancelAt = 0;
        const token = randomUUID();
        let id = '';
        leg.wh.hooks.onProgress = (statementId, progress) => {
          // The first rows reached the warehouse: stop it mid-load.
          if (statementId === id && !cancelled && progress.bytesDone > 0) {
            cancelAt = performance.now();
            cancelled = leg.wh.cancel(statementId);
          }
        };
        try {
          id = (await leg.wh.submitLoad(spec([target(t, ['id', 'pad'], parts)]), token)).statementId;
          await leg.wh.settled(id);
          expect(cancelled).not.toBeNull();
          await cancelled;
          const latencyMs = performance.now() - cancelAt;
          expect(await leg.wh.describe(id)).toMatchObject({ status: 'ABORTED', error: 'cancelled' });
          expect(await count(t)).toBe(0);
          expect(latencyMs).toBeLessThan(10_000);
          if (leg.wh.kind === 'postgres') {
            // On a server the backend running the transaction is recorded: that is what pg_cancel_backend stops.
            const [owner] = await rows(
              `SELECT backend_pid, owner_pid FROM efi_wh.statements WHERE statement_id = '${id}'`,
            );
            expect(owner?.['backend_pid']).toEqual(expect.any(Number));
            expect(owner?.['owner_pid']).toBe(process.pid);
          }
          // The same token stays that statement: a cancelled submit is not run again.
          expect((await leg.wh.submitLoad(spec([target(t, ['id', 'pad'], parts)]), token)).statementId).toBe(id);
        } finally {
          leg.wh.hooks.onProgress = undefined;
        }
      });

      it('cancels a held statement before it opens its transaction', async () => {
        const t = await table('id int');
        leg.wh.hooks.beforeRun = (_id, signal) =>
          new Promise((resolve) => {
            if (signal.aborted) resolve();
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
        try {
          const { statementId } = await leg.wh.submitSql(`INSERT INTO ${schema}.${t} VALUES (1)`, randomUUID());
          await leg.wh.cancel(statementId, 'stopped by the test');
          expect(await leg.wh.describe(statementId)).toMatchObject({ status: 'ABORTED', error: 'stopped by the test' });
          expect(await count(t)).toBe(0);
        } finally {
          leg.wh.hooks.beforeRun = undefined;
        }
      });

      /** A part read in place: the object holds a header line, the part starts past it and is sliced at `cutAfter` records. */
      async function inPlacePart(key: string, header: string, records: string[], cutAfter: number[]) {
        const body = `${header}\n${records.map((r) => `${r}\n`).join('')}`;
        await leg.store.put(BUCKET, key, body);
        const start = Buffer.byteLength(`${header}\n`);
        const ends = records.map(
          (_, i) =>
            start +
            Buffer.byteLength(
              records
                .slice(0, i + 1)
                .map((r) => `${r}\n`)
                .join(''),
            ),
        );
        return {
          bucket: BUCKET,
          key,
          compression: 'none' as const,
          bytes: Buffer.byteLength(body) - start,
          records: records.length,
          firstRecord: 1,
          start,
          cuts: cutAfter.map((n) => ends[n - 1]!),
        };
      }

      it('loads a part read in place from the original: from its first data record, slice by slice, each row once with lineage', async () => {
        const t = await table('id int, name varchar(10)');
        const p = await inPlacePart('inplace/ok.csv', 'id,name', ['1,a', '2,"b, c"', '3,c', '4,d'], [2, 3]);
        const runId = randomUUID();
        const r = await load(spec([target(t, ['id', 'name'], [p])], runId));
        expect(r.status.status).toBe('FINISHED');
        expect(await rows(`SELECT id, name, efi_run_id FROM ${schema}.${t} ORDER BY id`)).toEqual([
          { id: 1, name: 'a', efi_run_id: runId },
          { id: 2, name: 'b, c', efi_run_id: runId },
          { id: 3, name: 'c', efi_run_id: runId },
          { id: 4, name: 'd', efi_run_id: runId },
        ]);
      });

      it('reports a bad row of a part read in place with its line in the part (the header is not in it)', async () => {
        const t = await table('id int, name varchar(10)');
        const p = await inPlacePart('inplace/bad.csv', 'id,name', ['1,a', '2,b', 'oops,c', '4,d'], [2]);
        const r = await load(spec([target(t, ['id', 'name'], [p])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.errors).toMatchObject([{ partKey: 'inplace/bad.csv', lineInPart: 3, column: 'id' }]);
        expect(await count(t)).toBe(0);
      });

      it('checks a part read in place record by record once a slice holds non-ASCII: VARCHAR limits count bytes', async () => {
        const t = await table('id int, name varchar(2)');
        const fits = await inPlacePart('inplace/fits.csv', 'id,name', ['1,a', '2,é'], [1]);
        expect((await load(spec([target(t, ['id', 'name'], [fits])]))).status.status).toBe('FINISHED');
        expect(await rows(`SELECT name FROM ${schema}.${t} ORDER BY id`)).toEqual([{ name: 'a' }, { name: 'é' }]);
        const t2 = await table('id int, name varchar(2)');
        const long = await inPlacePart('inplace/long.csv', 'id,name', ['1,a', '2,b', '3,éé'], [1]);
        const r = await load(spec([target(t2, ['id', 'name'], [long])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.errors).toMatchObject([{ partKey: 'inplace/long.csv', lineInPart: 3, column: 'name' }]);
        expect(await count(t2)).toBe(0);
      });

      it('refuses a TEXT value over Redshift’s 256 bytes in a part read in place, also when its quoted lines are each shorter', async () => {
        const t = await table('id int, note text');
        // 3 lines of 100 bytes inside one quoted field: 302 bytes in the column, no line longer than 256.
        const note = ['a', 'b', 'c'].map((c) => c.repeat(100)).join('\n');
        const p = await inPlacePart('inplace/multiline.csv', 'id,note', ['1,x', `2,"${note}"`], [1]);
        const r = await load(spec([target(t, ['id', 'note'], [{ ...p, records: 2 }])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.errors).toMatchObject([{ partKey: 'inplace/multiline.csv', column: 'note' }]);
        expect(r.errors[0]!.reason).toMatch(/without a length VARCHAR\(256\)/);
        expect(await count(t)).toBe(0);
      });

      it('fails a part read in place whose object no longer has the records ValidateFile counted, loading nothing', async () => {
        const t = await table('id int, name varchar(10)');
        const p = await inPlacePart('inplace/changed.csv', 'id,name', ['1,a', '2,b', '3,c'], [1]);
        const r = await load(spec([target(t, ['id', 'name'], [{ ...p, records: 4 }])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.status.error).toMatch(/the object changed after validation/);
        expect(await count(t)).toBe(0);
      });

      it('reports a bad row past the first 16 MiB COPY chunk with its line in the part', async () => {
        const t = await table('id int, pad text');
        // ~17 MiB: PGlite copies it in two chunks; the bad row is in the second.
        const n = 180_000;
        const pad = 'x'.repeat(90);
        const lines: string[] = [];
        for (let i = 1; i <= n; i++) lines.push(i === n - 5 ? `oops,${pad}` : `${i},${pad}`);
        const p = await part('chunks/bad-late.csv', `${lines.join('\n')}\n`);
        const r = await load(spec([target(t, ['id', 'pad'], [p])]));
        expect(r.status.status).toBe('FAILED');
        expect(r.errors).toMatchObject([{ partKey: 'chunks/bad-late.csv', lineInPart: n - 5, column: 'id' }]);
        expect(await count(t)).toBe(0);
      });

      it('reports a STARTED statement whose owner process is gone as ABORTED', async () => {
        const id = randomUUID();
        // pid 4194303 is above any pid Linux hands out by default: that process does not exist.
        await leg.wh.query(
          `INSERT INTO efi_wh.statements (statement_id, client_token, kind, status, owner_pid, owner_token)
           VALUES ('${id}', '${id}', 'load', 'STARTED', 4194303, 'another-process')`,
        );
        const st = await leg.wh.describe(id);
        expect(st.status).toBe('ABORTED');
        expect(st.error).toMatch(/pid 4194303\) is gone/);
      });
    });
  });
}
