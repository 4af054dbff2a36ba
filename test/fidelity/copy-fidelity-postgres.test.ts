import { describe, inject } from 'vitest';
import { createPostgresWarehouse } from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { defineFidelitySuite } from './copy-fidelity.suite.ts';

const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('PostgreSQL server leg', () => {
  defineFidelitySuite('a PostgreSQL server', async (store) => {
    const wh = await createPostgresWarehouse({ kind: 'postgres', url: pgUrl! }, store);
    return { wh, release: () => wh.close() };
  });
});
