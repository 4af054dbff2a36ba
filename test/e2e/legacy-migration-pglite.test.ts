import { describe, inject, it } from 'vitest';
import { legacyMigrationSuite, legacyScriptsMigrationSuite } from './legacy-migration.suite.ts';

// From the original's SQL scripts (--sql): PGlite only, no server needed.
legacyScriptsMigrationSuite();

// The legacy config database is a PostgreSQL server (RDS in the original); efi runs on PGlite.
const pgUrl = inject('pgUrl');
if (pgUrl) legacyMigrationSuite('pglite', pgUrl);
else
  describe.skip('migration from the original framework on pglite (needs PostgreSQL for the legacy tables)', () =>
    it('skipped', () => {}));
