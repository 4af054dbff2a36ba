import { describe, inject } from 'vitest';
import { LOCAL_TIME_ZONE, postgresLeg } from '../support/warehouse-leg.ts';
import { defineFidelitySuite } from './copy-fidelity.suite.ts';

const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('PostgreSQL server leg', () => {
  defineFidelitySuite('a PostgreSQL server', postgresLeg(pgUrl!, LOCAL_TIME_ZONE));
});
