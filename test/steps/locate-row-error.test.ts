import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MatchedRun, PreparedLoad } from '../../functions/lib/contract/payloads.ts';
import type { ConfigSource } from '../../functions/lib/ports/config-source.ts';
import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';
import { locateRowErrorsWithin } from '../../functions/lib/steps/locate-row-error.ts';

const run = { runId: 'r', bucket: 'b', key: 'in/big.csv', configId: 'c', configVersion: 1 } as MatchedRun;
const prepared: PreparedLoad = {
  targets: [
    {
      recordType: null,
      records: 10,
      partCount: 1,
      bytes: 100,
      partList: { bucket: 'b', key: 'processing/r/all/parts.json' },
      manifest: { bucket: 'b', key: 'processing/r/all/manifest.json' },
    },
  ],
  processingPrefix: 'processing/r/',
  skippedRecords: 0,
};
const error = {
  target: { schema: 'stage', table: 't' },
  partKey: 'processing/r/all/part-00007.gz',
  lineInPart: 42,
  column: 'amount',
  reason: 'Invalid digit',
  rawValue: 'x1',
};

/** Only what the fallback reads of the config: whether values may be shown. */
const configsShowing = (includeValues: boolean) =>
  ({ get: async () => ({ errors: { includeValues } }) }) as unknown as ConfigSource;

describe('locating refused rows within a budget', () => {
  it('reports the part and line in the part when the original cannot be scanned in time, so the file still ends rejected', async () => {
    // A store whose reads never end: a multi-GB original as CheckLoad's timeout sees it.
    const stalled = { get: async () => new Readable({ read() {} }), uri: (b: string, k: string) => `s3://${b}/${k}` };
    const [row] = await locateRowErrorsWithin(
      { store: stalled as unknown as ObjectStore, configs: configsShowing(true) },
      run,
      prepared,
      [error],
      5,
    );
    expect(row).toEqual({
      table: 'stage.t',
      line: null,
      field: null,
      column: 'amount',
      reason:
        'Invalid digit (line 42 of part processing/r/all/part-00007.gz; not located in the original within the time budget)',
      rawValue: 'x1',
      valueShown: '"x1"',
    });
  });

  it('keeps values hidden in the fallback when the feed hides them, and when its config cannot be read', async () => {
    const stalled = { get: async () => new Readable({ read() {} }), uri: (b: string, k: string) => `s3://${b}/${k}` };
    const quoting = { ...error, reason: 'invalid input syntax for type numeric: "x1"' };
    for (const configs of [configsShowing(false), {} as ConfigSource]) {
      const [row] = await locateRowErrorsWithin(
        { store: stalled as unknown as ObjectStore, configs },
        run,
        prepared,
        [quoting],
        5,
      );
      expect(row!.rawValue).toBeNull();
      expect(row!.reason).not.toContain('x1');
      expect(row!.valueShown).toMatch(/^a value of 2 characters \(values hidden/);
    }
  });

  it('falls back the same way when the part list cannot be read', async () => {
    const broken = { get: async () => Promise.reject(new Error('gone')), uri: () => '' };
    const [row] = await locateRowErrorsWithin(
      { store: broken as unknown as ObjectStore, configs: {} as ConfigSource },
      run,
      prepared,
      [error],
    );
    expect(row!.line).toBeNull();
    expect(row!.reason).toMatch(/line 42 of part/);
  });
});
