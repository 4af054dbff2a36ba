import path from 'node:path';
import { closePglite } from '../../functions/lib/adapters/postgres/pglite.ts';
import { createPostgresWarehouse } from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { defineFidelitySuite } from './copy-fidelity.suite.ts';

defineFidelitySuite('PGlite', async (store, root) => {
  const dataDir = path.join(root, 'pglite');
  const wh = await createPostgresWarehouse({ kind: 'pglite', dataDir }, store);
  return {
    wh,
    async release() {
      await wh.close();
      await closePglite(dataDir);
    },
  };
});
