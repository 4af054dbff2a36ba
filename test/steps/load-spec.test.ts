import { describe, expect, it } from 'vitest';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import { DEFAULT_LINEAGE, DEFAULT_LOAD_OPTIONS } from '../../functions/lib/config/model.ts';
import { buildLoadSpec, clientToken } from '../../functions/lib/steps/load-spec.ts';

const config: FileConfig = {
  id: 'sales.daily',
  interface: 'sales',
  description: null,
  active: true,
  match: { kind: 'glob', pattern: '*.csv' },
  format: {
    layout: 'delimited',
    delimiter: '~|~',
    quote: null,
    escape: null,
    encoding: 'utf-8',
    compression: 'none',
    extensions: [],
  },
  header: { lines: 0, columns: null },
  trailer: null,
  minSizeBytes: 50,
  maxSizeBytes: null,
  records: [
    { recordType: '01', target: { schema: 's', table: 'a' }, columns: [{ name: 'x' }], lineage: DEFAULT_LINEAGE },
    { recordType: '02', target: { schema: 's', table: 'b' }, columns: [{ name: 'y' }], lineage: DEFAULT_LINEAGE },
  ],
  split: { prefixLength: 2, onUnknown: 'reject' },
  load: DEFAULT_LOAD_OPTIONS,
  partBytes: 1000,
  duplicates: 'skip',
  transform: null,
};

describe('buildLoadSpec', () => {
  it('pairs each prepared target with its record layout and prefers the format Preprocess rewrote', () => {
    const part = { bucket: 'b', key: 'k', compression: 'gzip' as const, bytes: 1, records: 1, firstRecord: 1 };
    const spec = buildLoadSpec(
      config,
      { runId: 'r1', sourceFile: 's3://b/f' },
      {
        targets: [
          { recordType: '02', records: 1, parts: [part], manifest: null },
          {
            recordType: '01',
            records: 1,
            parts: [part],
            manifest: null,
            format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
          } as never,
        ],
        processingPrefix: 'processing/r1/',
        skippedRecords: 0,
      },
    );
    expect(spec.targets.map((t) => t.target.table)).toEqual(['b', 'a']);
    expect(spec.targets[0]!.format.delimiter).toBe('~|~');
    expect(spec.targets[1]!.format).toEqual({ layout: 'delimited', delimiter: ',', quote: '"', escape: null });
  });

  it('a target Preprocess rewrote to CSV loads without removeQuotes: the rewrite took the quotes off already', () => {
    const part = { bucket: 'b', key: 'k', compression: 'gzip' as const, bytes: 1, records: 1, firstRecord: 1 };
    const spec = buildLoadSpec(
      { ...config, load: { ...DEFAULT_LOAD_OPTIONS, removeQuotes: true } },
      { runId: 'r1', sourceFile: 's3://b/f' },
      {
        targets: [
          {
            recordType: '01',
            records: 1,
            parts: [part],
            manifest: null,
            format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
          } as never,
          { recordType: '02', records: 1, parts: [part], manifest: null },
        ],
        processingPrefix: 'processing/r1/',
        skippedRecords: 0,
      },
    );
    // Redshift refuses REMOVEQUOTES with CSV; the original bytes keep it.
    expect(spec.targets.map((t) => t.options.removeQuotes)).toEqual([false, true]);
  });

  it('leaves out record types with no records in this file (nothing to COPY)', () => {
    const spec = buildLoadSpec(
      config,
      { runId: 'r', sourceFile: 's' },
      {
        targets: [
          { recordType: '01', records: 0, parts: [], manifest: null },
          {
            recordType: '02',
            records: 1,
            parts: [{ bucket: 'b', key: 'k', compression: 'gzip', bytes: 1, records: 1, firstRecord: 1 }],
            manifest: null,
          },
        ],
        processingPrefix: null,
        skippedRecords: 0,
      },
    );
    expect(spec.targets.map((t) => t.recordType)).toEqual(['02']);
  });

  it('fails with ConfigInvalid when a prepared record type has no layout any more', () => {
    expect(() =>
      buildLoadSpec(
        config,
        { runId: 'r', sourceFile: 's' },
        {
          targets: [
            {
              recordType: '09',
              records: 1,
              parts: [{ bucket: 'b', key: 'k', compression: 'gzip', bytes: 1, records: 1, firstRecord: 1 }],
              manifest: null,
            },
          ],
          processingPrefix: null,
          skippedRecords: 0,
        },
      ),
    ).toThrow(/no record layout for record type "09"/);
  });
});

describe('clientToken', () => {
  it('is stable for a run and attempt, differs per attempt and purpose, and fits the Data API limit', () => {
    expect(clientToken('r1', 'load', 0)).toBe(clientToken('r1', 'load', 0));
    expect(clientToken('r1', 'load', 0)).not.toBe(clientToken('r1', 'load', 1));
    expect(clientToken('r1', 'load', 0)).not.toBe(clientToken('r1', 'transform', 0));
    expect(clientToken('r1', 'load', 0)).toHaveLength(64);
  });
});
