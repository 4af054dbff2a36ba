import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { KyselyRunLog } from '../../../functions/lib/adapters/config-db/kysely-run-log.ts';
import { migrateToLatest } from '../../../functions/lib/adapters/config-db/migrate.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import type { Settings } from '../../../functions/lib/settings.ts';
import { runLogContract } from '../../ports/run-log.contract.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const pgUrl = inject('pgUrl');

runLogContract('KyselyRunLog on PGlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-runlog-'));
  const dataDir = path.join(dir, 'pglite');
  const cfg: Settings['configDb'] = { kind: 'pglite', dataDir };
  const db = await openConfigDb(cfg);
  await migrateToLatest(db);
  return {
    runs: new KyselyRunLog(db),
    cleanup: async () => {
      await closeConfigDb(cfg);
      await closePglite(dataDir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

runLogContract(
  'KyselyRunLog on a PostgreSQL server',
  async () => {
    const fresh = await createFreshDatabase(pgUrl!);
    const cfg: Settings['configDb'] = { kind: 'postgres', url: fresh.url };
    const db = await openConfigDb(cfg);
    await migrateToLatest(db);
    return {
      runs: new KyselyRunLog(db),
      cleanup: async () => {
        await closeConfigDb(cfg);
        await fresh.drop();
      },
    };
  },
  !pgUrl,
);
