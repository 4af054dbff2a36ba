import { defineWarehouseSuite } from '../../ports/warehouse.contract.ts';
import { pgliteLeg } from '../../support/warehouse-leg.ts';

defineWarehouseSuite('PGlite', pgliteLeg);
