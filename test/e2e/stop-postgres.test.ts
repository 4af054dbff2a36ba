import { describe, inject } from 'vitest';
import { stopSuite } from './stop.suite.ts';

const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('PostgreSQL server leg', () => {
  stopSuite('postgres', pgUrl);
});
