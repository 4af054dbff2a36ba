import { describe, inject, it } from 'vitest';
import { pipelineSuite } from './pipeline.suite.ts';

const pgUrl = inject('pgUrl');
if (pgUrl) pipelineSuite('postgres', pgUrl);
else describe.skip('pipeline end to end on postgres (EFI_SKIP_POSTGRES=1)', () => it('skipped', () => {}));
