import { describe, inject, it } from 'vitest';
import { contentClaimsSuite } from './content-claims.suite.ts';

const pgUrl = inject('pgUrl');
if (pgUrl) contentClaimsSuite('postgres', pgUrl);
else describe.skip('content claims on postgres (EFI_SKIP_POSTGRES=1)', () => it('skipped', () => {}));
