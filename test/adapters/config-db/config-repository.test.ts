import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  applyConfigs,
  configChecksum,
  listConfigs,
} from '../../../functions/lib/adapters/config-db/config-repository.ts';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { KyselyConfigSource } from '../../../functions/lib/adapters/config-db/kysely-config-source.ts';
import { migrateToLatest } from '../../../functions/lib/adapters/config-db/migrate.ts';
import type { EfiDatabase } from '../../../functions/lib/adapters/config-db/schema.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import { parseConfigYaml } from '../../../functions/lib/config/load-yaml.ts';
import { ConfigInvalid, NoConfigMatch } from '../../../functions/lib/errors.ts';
import type { Settings } from '../../../functions/lib/settings.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const pgUrl = inject('pgUrl');

const SALES = `interface: sales
description: Point-of-sale exports
files:
  - id: sales.daily
    match: { glob: "sales/daily_*.csv" }
    header: { columns: [sale_id, amount] }
    target: { schema: stage, table: sales }
  - id: sales.mixed
    match: { glob: "sales/mixed_*.txt" }
    format: { layout: fixed_width }
    split:
      prefixLength: 1
      records:
        - { type: H, target: { schema: stage, table: heads }, columns: [{ name: rec, width: 1 }, { name: id, width: 5 }] }
        - { type: D, target: { schema: stage, table: lines }, columns: [{ name: rec, width: 1 }, { name: sku, width: 8 }] }
`;

const backends = [
  {
    name: 'PGlite',
    skip: false,
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-repo-'));
      const dataDir = path.join(dir, 'pglite');
      return {
        cfg: { kind: 'pglite', dataDir } as Settings['configDb'],
        cleanup: async () => {
          await closePglite(dataDir);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !pgUrl,
    open: async () => {
      const fresh = await createFreshDatabase(pgUrl!);
      return { cfg: { kind: 'postgres', url: fresh.url } as Settings['configDb'], cleanup: fresh.drop };
    },
  },
];

describe.each(backends)('config repository on $name', (backend) => {
  let db: Kysely<EfiDatabase>;
  let cfg: Settings['configDb'];
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (backend.skip) return;
    ({ cfg, cleanup } = await backend.open());
    db = await openConfigDb(cfg);
    await migrateToLatest(db);
  });
  afterAll(async () => {
    if (backend.skip) return;
    await closeConfigDb(cfg);
    await cleanup();
  });

  it.skipIf(backend.skip)('applies, reads back, and bumps the version only on change', async () => {
    const configs = parseConfigYaml(SALES, 'sales.yaml');
    const interfaces = [{ name: 'sales', description: 'Point-of-sale exports', active: true }];

    expect(await applyConfigs(db, configs, { source: 'sales.yaml', interfaces })).toEqual({
      created: ['sales.daily', 'sales.mixed'],
      updated: [],
      unchanged: [],
    });
    const source = new KyselyConfigSource(db);
    expect(await source.get('sales.daily', 1)).toEqual(configs[0]);
    expect(await source.get('sales.mixed', 1)).toEqual(configs[1]);

    expect(await applyConfigs(db, configs, { source: 'sales.yaml', interfaces })).toEqual({
      created: [],
      updated: [],
      unchanged: ['sales.daily', 'sales.mixed'],
    });

    const changed = parseConfigYaml(SALES.replace('table: sales', 'table: sales_v2'), 'sales.yaml');
    expect(await applyConfigs(db, changed, { source: 'other.yaml' })).toEqual({
      created: [],
      updated: ['sales.daily'],
      unchanged: ['sales.mixed'],
    });

    const stored = await listConfigs(db);
    expect(stored.map((s) => [s.config.id, s.version, s.source])).toEqual([
      ['sales.daily', 2, 'other.yaml'],
      ['sales.mixed', 1, 'sales.yaml'],
    ]);
    expect(stored[0]!.checksum).toBe(configChecksum(changed[0]!));
    expect(stored[0]!.config.records[0]!.target.table).toBe('sales_v2');
    expect(stored[0]!.updatedAt).toBeInstanceOf(Date);
    // Every version stays readable: a run keeps the version it was matched to.
    expect(await source.get('sales.daily', 2)).toEqual(changed[0]);
    expect(await source.get('sales.daily', 1)).toEqual(configs[0]);
    await expect(source.get('sales.daily', 3)).rejects.toThrow(NoConfigMatch);

    const iface = await db.selectFrom('efi.interfaces').selectAll().execute();
    expect(iface.map((i) => [i.name, i.description, i.active])).toEqual([['sales', 'Point-of-sale exports', true]]);
  });

  it.skipIf(backend.skip)('keeps the column rows of each record layout', async () => {
    const rows = await db
      .selectFrom('efi.file_config_columns')
      .select(['config_id', 'record_type', 'ordinal', 'column_name', 'width', 'target_table'])
      .orderBy('config_id')
      .orderBy('record_type')
      .orderBy('ordinal')
      .execute();
    expect(rows).toEqual([
      {
        config_id: 'sales.daily',
        record_type: '',
        ordinal: 1,
        column_name: 'sale_id',
        width: null,
        target_table: 'sales_v2',
      },
      {
        config_id: 'sales.daily',
        record_type: '',
        ordinal: 2,
        column_name: 'amount',
        width: null,
        target_table: 'sales_v2',
      },
      { config_id: 'sales.mixed', record_type: 'D', ordinal: 1, column_name: 'rec', width: 1, target_table: 'lines' },
      { config_id: 'sales.mixed', record_type: 'D', ordinal: 2, column_name: 'sku', width: 8, target_table: 'lines' },
      { config_id: 'sales.mixed', record_type: 'H', ordinal: 1, column_name: 'rec', width: 1, target_table: 'heads' },
      { config_id: 'sales.mixed', record_type: 'H', ordinal: 2, column_name: 'id', width: 5, target_table: 'heads' },
    ]);
  });

  it.skipIf(backend.skip)('lists only active configs of active interfaces as candidates', async () => {
    const off = parseConfigYaml(
      SALES.replace('  - id: sales.mixed', '  - id: sales.mixed\n    active: false'),
      's.yaml',
    );
    // sales.daily goes back to table sales (the previous test moved it to sales_v2).
    expect((await applyConfigs(db, off, { source: 's.yaml' })).updated).toEqual(['sales.daily', 'sales.mixed']);
    const source = new KyselyConfigSource(db);
    expect((await source.listActive()).map((c) => [c.config.id, c.version])).toEqual([['sales.daily', 3]]);
    expect((await listConfigs(db)).map((s) => [s.config.id, s.config.active])).toEqual([
      ['sales.daily', true],
      ['sales.mixed', false],
    ]);
    // An inactive config is still readable by id: a running file keeps its config.
    expect((await source.get('sales.mixed', 2)).active).toBe(false);

    await applyConfigs(db, off, {
      source: 's.yaml',
      interfaces: [{ name: 'sales', description: null, active: false }],
    });
    expect(await source.listActive()).toEqual([]);
    expect((await listConfigs(db)).map((s) => s.interfaceActive)).toEqual([false, false]);
  });

  it.skipIf(backend.skip)('rejects duplicate ids and invalid identifiers, writing nothing', async () => {
    const [a] = parseConfigYaml(SALES, 'sales.yaml');
    const fresh = { ...a!, id: 'sales.new' };
    await expect(applyConfigs(db, [fresh, fresh], { source: null })).rejects.toThrow(ConfigInvalid);
    const bad = {
      ...fresh,
      records: [{ ...fresh.records[0]!, target: { schema: 'stage', table: 'x; drop table y' } }],
    };
    await expect(applyConfigs(db, [bad], { source: null })).rejects.toThrow(/is not a valid identifier/);
    await expect(new KyselyConfigSource(db).get('sales.new', 1)).rejects.toThrow(NoConfigMatch);
  });

  it.skipIf(backend.skip)('rolls back the whole apply when one config fails in the database', async () => {
    const [a] = parseConfigYaml(SALES, 'sales.yaml');
    const good = { ...a!, id: 'sales.rollback' };
    // The match_pattern CHECK (non-empty) fails inside the transaction, after `good` was written.
    const broken = { ...a!, id: 'sales.broken', match: { kind: 'glob' as const, pattern: '' } };
    await expect(applyConfigs(db, [good, broken], { source: null })).rejects.toThrow(/check constraint/);
    await expect(new KyselyConfigSource(db).get('sales.rollback', 1)).rejects.toThrow(
      'config "sales.rollback" does not exist in the config database: apply it with `efi config apply`, then redrive',
    );
  });
});
