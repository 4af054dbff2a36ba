import { describe, expect, it } from 'vitest';
import { planLoad } from '../../../functions/lib/adapters/postgres/postgres-load-plan.ts';
import { renderLoadStatements } from '../../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { DEFAULT_LOAD_OPTIONS } from '../../../functions/lib/config/model.ts';
import type { LoadSpec, LoadTargetSpec } from '../../../functions/lib/ports/warehouse.ts';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/efi-copy';

function target(patch: Partial<LoadTargetSpec> = {}): LoadTargetSpec {
  return {
    recordType: null,
    target: { schema: 'stage', table: 'orders' },
    columns: [{ name: 'id' }, { name: 'day' }],
    lineage: { sourceFile: 'src', runId: 'run_id', loadedAt: null },
    format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
    options: DEFAULT_LOAD_OPTIONS,
    parts: [{ bucket: 'landing', key: 'p/1.gz', compression: 'gzip', bytes: 1, records: 1, firstRecord: 1 }],
    manifest: null,
    ...patch,
  };
}
const spec = (...targets: LoadTargetSpec[]): LoadSpec => ({ runId: 'r1', sourceFile: 's3://b/k', targets });

describe('planLoad', () => {
  it('quotes every identifier, names a stage per target and compiles a non-native date format', () => {
    const [a, b] = planLoad(spec(target(), target({ options: { ...DEFAULT_LOAD_OPTIONS, dateFormat: 'DD/MM/YYYY' } })));
    expect(a).toMatchObject({
      name: 'stage.orders',
      table: '"stage"."orders"',
      stage: '"efi_stage_0"',
      columns: '"id", "day"',
      lineage: { sourceFile: '"src"', runId: '"run_id"', loadedAt: null },
      dateConverter: null,
    });
    expect(b!.stageName).toBe('efi_stage_1');
    expect(b!.dateConverter).toBeTypeOf('function');
  });

  it('refuses what the shared LoadSpec rules refuse, as the Redshift adapter does', () => {
    const twice = spec(target({ lineage: { sourceFile: 'id', runId: null, loadedAt: null } }));
    expect(() => planLoad(twice)).toThrow(/load target 1 "stage.orders": column "id" is listed twice/);
    expect(() => renderLoadStatements(twice, { iamRoleArn: ROLE_ARN })).toThrow(/column "id" is listed twice/);
  });
});
