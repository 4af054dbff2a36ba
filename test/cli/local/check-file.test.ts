import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFile } from '../../../cli/local/check-file.ts';
import { BUCKET, fileConfig, type TempStore, tempStore } from '../../support/config-builder.ts';

/**
 * `efi check` against a Redshift warehouse (no local load to dry-run): the
 * whole file is validated and preprocessed, nothing is written, and the
 * outcome says plainly that column types were not checked.
 */
let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const HEADER = { header: { lines: 1, columns: ['id', 'name', 'amount'] } };

describe('checkFile without a local warehouse (Redshift)', () => {
  it('a good file is OK after validation and Preprocess; no table is named as type-checked; the store is untouched', async () => {
    await t.put('in/a.csv', 'id,name,amount\n1,a,10\n2,b,20\n');
    const before = await t.keys('');
    const o = await checkFile(t.store, {
      bucket: BUCKET,
      key: 'in/a.csv',
      config: fileConfig(HEADER),
      records: 10,
      warehouse: null,
    });
    expect(o).toMatchObject({ ok: true, error: null, warnings: [], typedTargets: [], recordsChecked: 2 });
    expect(o.validation).toMatchObject({ recordsInFile: 2, headerLines: 1 });
    expect(await t.keys('')).toEqual(before);
  });

  it("a file validation rejects gives the run's error, with its place", async () => {
    await t.put('in/b.csv', 'id,name,amount\n1,a,10\n2,b\n');
    const o = await checkFile(t.store, {
      bucket: BUCKET,
      key: 'in/b.csv',
      config: fileConfig(HEADER),
      records: 10,
      warehouse: null,
    });
    expect(o.ok).toBe(false);
    expect(o.error).toMatchObject({
      name: 'FieldCountMismatch',
      line: 3,
      location: { line: 3, field: 3, fieldName: 'amount' },
    });
  });

  it('a value only the warehouse would refuse is not caught: typedTargets stays empty, so the report says types were not checked', async () => {
    await t.put('in/c.csv', 'id,name,amount\nnot-a-number,a,10\n');
    const o = await checkFile(t.store, {
      bucket: BUCKET,
      key: 'in/c.csv',
      config: fileConfig(HEADER),
      records: 10,
      warehouse: null,
    });
    expect(o).toMatchObject({ ok: true, error: null, typedTargets: [] });
  });
});
