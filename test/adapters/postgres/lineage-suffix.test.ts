import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePglite, openPglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import { copyOptionsSql } from '../../../functions/lib/adapters/postgres/postgres-copy-options.ts';
import { recordSuffix } from '../../../functions/lib/adapters/postgres/postgres-load-executor.ts';
import { DEFAULT_LOAD_OPTIONS, type LoadOptions } from '../../../functions/lib/config/model.ts';
import type { LoadFormat, LoadTargetSpec } from '../../../functions/lib/ports/warehouse.ts';

/**
 * The lineage values appended to every record (PostgreSQL server loads): a
 * value COPY reads the same without quotes is written bare (quoting costs
 * COPY time on every row), any other is quoted; either way COPY reads back
 * exactly the value.
 */

let root: string;
let db: PGlite;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-suffix-'));
  db = await openPglite(path.join(root, 'pglite'));
  await db.exec('CREATE TABLE t (a text, s text, r text, l text)');
});

afterAll(async () => {
  await closePglite(path.join(root, 'pglite'));
  await fs.rm(root, { recursive: true, force: true });
});

const csv: LoadFormat = { layout: 'delimited', delimiter: ',', quote: '"', escape: null };
const plan = (format: LoadFormat, options: Partial<LoadOptions> = {}) => ({
  spec: { format, options: { ...DEFAULT_LOAD_OPTIONS, ...options } } as unknown as LoadTargetSpec,
});

describe('lineage values appended to each record', () => {
  it('are bare when COPY reads them the same, quoted otherwise', () => {
    const values = ['s3://efi-local/landing/rows-1m.csv', 'run-20261201-abc', '2026-12-01 14:35:00.123456'];
    expect(recordSuffix(plan(csv), values).passThrough.toString()).toBe(
      ',s3://efi-local/landing/rows-1m.csv,run-20261201-abc,2026-12-01 14:35:00.123456',
    );
    const tricky = ['s3://b/a,b.csv', 's3://b/say "hi".csv', ' lead', 'trail ', '', 'C:\\x', 'NULL'];
    expect(recordSuffix(plan(csv, { nullAs: 'NULL' }), tricky).passThrough.toString()).toBe(
      ',"s3://b/a,b.csv","s3://b/say ""hi"".csv"," lead","trail ","","C:\\x","NULL"',
    );
    // A space delimiter quotes the timestamp; no quote character (QUOTE \x01) quotes with it.
    expect(recordSuffix(plan({ ...csv, delimiter: ' ' }), ['2026-12-01 14:35:00']).passThrough.toString()).toBe(
      ' "2026-12-01 14:35:00"',
    );
    expect(recordSuffix(plan({ ...csv, delimiter: '|', quote: null }), ['a|b', 'ok']).passThrough.toString()).toBe(
      '|\x01a|b\x01|ok',
    );
  });

  const cases: { name: string; format: LoadFormat; options?: Partial<LoadOptions>; values: string[] }[] = [
    { name: 'plain values', format: csv, values: ['s3://b/landing/x.csv', 'run-1', '2026-12-01 14:35:00.000001'] },
    {
      name: 'values with the delimiter, quotes, edge spaces, a backslash',
      format: csv,
      values: ['s3://b/a,b "c".csv', ' run ', 'C:\\N'],
    },
    {
      name: 'a value equal to NULL AS',
      format: csv,
      options: { nullAs: 'NULL', emptyAsNull: false },
      values: ['NULL'],
    },
    { name: 'an empty value under EMPTYASNULL', format: csv, values: ['', 'x'] },
    {
      name: 'a pipe delimiter without quoting',
      format: { ...csv, delimiter: '|', quote: null },
      values: ['a|b', 'ok'],
    },
    { name: "a ' quote, a space delimiter", format: { ...csv, delimiter: ' ', quote: "'" }, values: ["it's", 'a b'] },
    { name: 'multi-byte UTF-8', format: csv, values: ['s3://b/zürich-日本.csv', 'run-é'] },
  ];
  for (const c of cases) {
    it(`read back by COPY exactly: ${c.name}`, async () => {
      const options = { ...DEFAULT_LOAD_OPTIONS, ...c.options };
      const suffix = recordSuffix(plan(c.format, c.options), c.values).passThrough;
      const line = Buffer.concat([Buffer.from('x'), suffix, Buffer.from('\n')]);
      const cols = ['a', 's', 'r', 'l'].slice(0, c.values.length + 1).join(', ');
      await db.exec('TRUNCATE t');
      await db.query(`COPY t (${cols}) FROM '/dev/blob' WITH (${copyOptionsSql(c.format, options, [])})`, [], {
        blob: new Blob([line]),
      });
      const r = await db.query<Record<string, string | null>>('SELECT a, s, r, l FROM t');
      expect(r.rows).toHaveLength(1);
      const got = [r.rows[0]!['s'], r.rows[0]!['r'], r.rows[0]!['l']].slice(0, c.values.length);
      expect(got).toEqual(c.values);
    });
  }
});
