import { describe, inject, it } from 'vitest';
import { legacyMigrationSuite } from './legacy-migration.suite.ts';

const pgUrl = inject('pgUrl');
if (pgUrl) legacyMigrationSuite('postgres', pgUrl);
else
  describe.skip('migration from the original framework on postgres (EFI_SKIP_POSTGRES=1)', () =>
    it('skipped', () => {}));
