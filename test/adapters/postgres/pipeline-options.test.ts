import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import {
  createPostgresWarehouse,
  type PostgresWarehouse,
} from '../../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import type { FileConfig } from '../../../functions/lib/config/model.ts';
import { EncodingInvalid } from '../../../functions/lib/errors.ts';
import { buildLoadSpec } from '../../../functions/lib/steps/load-spec.ts';
import { preprocess } from '../../../functions/lib/steps/preprocess.ts';
import { withParts } from '../../../functions/lib/steps/processing.ts';
import { validateFile } from '../../../functions/lib/steps/validate-file.ts';
import { BUCKET, fileConfig, layout, type TempStore, tempStore } from '../../support/config-builder.ts';

/**
 * Validate → Preprocess → local warehouse for the options that cross passes:
 * ACCEPTINVCHARS (ValidateFile must let invalid UTF-8 through, the warehouse
 * replaces it) and fixed width (Preprocess keeps the layout, the warehouse cuts it).
 */
describe('load options across ValidateFile, Preprocess and the PGlite warehouse', () => {
  let t: TempStore;
  let wh: PostgresWarehouse;
  let dataDir: string;

  beforeAll(async () => {
    t = await tempStore();
    dataDir = path.join(t.root, 'pglite');
    wh = await createPostgresWarehouse({ kind: 'pglite', dataDir }, t.store);
    await wh.query('CREATE SCHEMA stage');
  });

  afterAll(async () => {
    try {
      if (wh) await wh.close();
      await closePglite(dataDir);
    } finally {
      await t?.cleanup();
    }
  });

  async function ingest(key: string, body: Buffer, config: FileConfig) {
    const run = await t.put(key, body);
    const validation = await validateFile(t.store, run, config);
    const runId = `r-${randomUUID()}`;
    const prepared = await preprocess(t.store, { runId, ...run }, config, validation, {
      processingPrefix: 'processing/',
    });
    const spec = buildLoadSpec(
      config,
      { runId, sourceFile: t.store.uri(BUCKET, key) },
      { ...prepared, targets: await withParts(t.store, prepared.targets) },
    );
    const { statementId } = await wh.submitLoad(spec, randomUUID());
    await wh.settled(statementId);
    return wh.describe(statementId);
  }

  it('loads invalid UTF-8 with acceptInvalidChars, and ValidateFile still rejects it without', async () => {
    await wh.query(
      'CREATE TABLE stage.t_all (id int, name text, amount int, efi_source_file text, efi_run_id text, efi_loaded_at timestamptz)',
    );
    const body = Buffer.concat([
      Buffer.from('id,name,amount\n1,caf'),
      Buffer.from([0xe9]),
      Buffer.from(',10\n2,ok,20\n'),
    ]);
    const strict = fileConfig({ header: { lines: 1 } });
    await expect(t.put('in/strict.csv', body).then((run) => validateFile(t.store, run, strict))).rejects.toThrow(
      EncodingInvalid,
    );

    const status = await ingest(
      'in/accept.csv',
      body,
      fileConfig({ header: { lines: 1 }, load: { acceptInvalidChars: '?' } }),
    );
    expect(status).toMatchObject({ status: 'FINISHED', error: null });
    expect((await wh.query('SELECT id, name, amount FROM stage.t_all ORDER BY id')).rows).toEqual([
      { id: 1, name: 'caf?', amount: 10 },
      { id: 2, name: 'ok', amount: 20 },
    ]);
  });

  it('loads a fixed-width file with a header through Preprocess (widths in bytes: Łódź is 7)', async () => {
    await wh.query(
      'CREATE TABLE stage.t_fw (id int, name varchar(8), sold_on date, efi_source_file text, efi_run_id text, efi_loaded_at timestamptz)',
    );
    const config = fileConfig({
      format: { layout: 'fixed_width', delimiter: '', quote: null },
      header: { lines: 1 },
      records: [
        {
          ...layout(null, [
            ['id', 3],
            ['name', 8],
            ['sold_on', 10],
          ]),
          target: { schema: 'stage', table: 't_fw' },
        },
      ],
      load: { dateFormat: 'DD.MM.YYYY' },
    });
    const body = Buffer.from('ID NAME    SOLD ON   \r\n001Łódź 31.12.2023\r\n002Ann     01.02.2024\r\n');
    const status = await ingest('in/fixed.txt', body, config);
    expect(status).toMatchObject({ status: 'FINISHED', error: null });
    expect((await wh.query('SELECT id, name, sold_on::text AS d FROM stage.t_fw ORDER BY id')).rows).toEqual([
      { id: 1, name: 'Łódź', d: '2023-12-31' },
      { id: 2, name: 'Ann', d: '2024-02-01' },
    ]);
  });
});
