import { describe, inject, it } from 'vitest';
import { formatsSuite } from './formats.suite.ts';

const pgUrl = inject('pgUrl');
if (pgUrl) formatsSuite('postgres', pgUrl);
else describe.skip('file formats end to end on postgres (EFI_SKIP_POSTGRES=1)', () => it('skipped', () => {}));
