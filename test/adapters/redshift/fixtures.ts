import { DEFAULT_LINEAGE, DEFAULT_LOAD_OPTIONS } from '../../../functions/lib/config/model.ts';
import type { LoadSpec, LoadTargetSpec } from '../../../functions/lib/ports/warehouse.ts';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/efi-copy';
export const RUN_ID = 'run-20240501-0001';

/** A CSV target loaded from gzip parts through a manifest, with default options and lineage. */
export function csvTarget(overrides: Partial<LoadTargetSpec> = {}): LoadTargetSpec {
  return {
    recordType: null,
    target: { schema: 'sales', table: 'daily' },
    columns: [{ name: 'id' }, { name: 'sold_on' }, { name: 'amount' }],
    lineage: { ...DEFAULT_LINEAGE },
    format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
    options: { ...DEFAULT_LOAD_OPTIONS },
    parts: [
      {
        bucket: 'efi-data',
        key: `processing/${RUN_ID}/all/part-00001.gz`,
        compression: 'gzip',
        bytes: 1000,
        records: 10,
        firstRecord: 1,
      },
      {
        bucket: 'efi-data',
        key: `processing/${RUN_ID}/all/part-00002.gz`,
        compression: 'gzip',
        bytes: 900,
        records: 9,
        firstRecord: 11,
      },
    ],
    manifest: { bucket: 'efi-data', key: `processing/${RUN_ID}/all/manifest.json` },
    ...overrides,
  };
}

export function spec(targets: LoadTargetSpec[], overrides: Partial<LoadSpec> = {}): LoadSpec {
  return { runId: RUN_ID, sourceFile: 's3://efi-data/landing/sales/daily_20240501.csv', targets, ...overrides };
}
