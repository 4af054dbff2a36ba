import path from 'node:path';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import { createPostgresWarehouse } from '../../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { defineWarehouseSuite } from '../../ports/warehouse.contract.ts';

defineWarehouseSuite('PGlite', async (store, root) => {
  const dataDir = path.join(root, 'pglite');
  const wh = await createPostgresWarehouse({ kind: 'pglite', dataDir }, store);
  return {
    wh,
    async release() {
      await wh.close();
      // The adapter never closes the shared instance; this test opened it, so it does.
      await closePglite(dataDir);
    },
  };
});
