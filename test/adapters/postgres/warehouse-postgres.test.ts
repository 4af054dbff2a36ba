import { describe, inject } from 'vitest';
import { defineWarehouseSuite } from '../../ports/warehouse.contract.ts';
import { postgresLeg } from '../../support/warehouse-leg.ts';

const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('PostgreSQL server leg', () => {
  defineWarehouseSuite('a PostgreSQL server', postgresLeg(pgUrl!));
});
