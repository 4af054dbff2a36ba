import { describe, inject, it } from 'vitest';
import { legacyMigrationSuite } from './legacy-migration.suite.ts';

// The legacy config database is a PostgreSQL server (RDS in the original); efi runs on PGlite.
const pgUrl = inject('pgUrl');
if (pgUrl) legacyMigrationSuite('pglite', pgUrl);
else
  describe.skip('migration from the original framework on pglite (needs PostgreSQL for the legacy tables)', () =>
    it('skipped', () => {}));
