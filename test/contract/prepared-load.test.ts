import { describe, expect, it } from 'vitest';
import { type PreparedLoad, parseInput, preparedLoadSchema } from '../../functions/lib/contract/payloads.ts';
import type { LoadPart } from '../../functions/lib/ports/warehouse.ts';
import { partKey, readParts, writePartList } from '../../functions/lib/steps/processing.ts';
import { BUCKET, tempStore } from '../support/config-builder.ts';

const FOLDER = 'processing/run-1/all/';

function parts(n: number): LoadPart[] {
  return Array.from({ length: n }, (_, i) => ({
    bucket: BUCKET,
    key: partKey(FOLDER, i),
    compression: 'gzip' as const,
    bytes: 64 * 1024 * 1024,
    records: 500_000,
    firstRecord: i * 500_000 + 1,
  }));
}

describe('PreparedLoad', () => {
  it('stays a few hundred bytes for a 10,000-part file: the part list is in S3, not in state', async () => {
    const t = await tempStore();
    try {
      const all = parts(10_000);
      const partList = await writePartList(t.store, BUCKET, FOLDER, all);
      const prepared: PreparedLoad = {
        targets: [
          {
            recordType: null,
            records: 5_000_000_000,
            partCount: all.length,
            bytes: all.reduce((n, p) => n + p.bytes, 0),
            partList,
            manifest: { bucket: BUCKET, key: `${FOLDER}manifest.json` },
          },
        ],
        processingPrefix: 'processing/run-1/',
        skippedRecords: 0,
      };
      const json = JSON.stringify(parseInput('SubmitLoad', preparedLoadSchema, prepared));
      expect(Buffer.byteLength(json)).toBeLessThan(1024);
      // What the old inline payload weighed: over the 256 KiB Step Functions limit.
      expect(Buffer.byteLength(JSON.stringify(all))).toBeGreaterThan(256 * 1024);
      expect(await readParts(t.store, prepared.targets[0]!)).toEqual(all);
    } finally {
      await t.cleanup();
    }
  });

  it('still parses a payload from before the part list moved to S3 (redrive of an in-flight execution)', async () => {
    const legacy = {
      targets: [{ recordType: null, records: 3, parts: parts(2), manifest: { bucket: BUCKET, key: 'm' } }],
      processingPrefix: 'processing/run-1/',
      skippedRecords: 0,
    };
    const parsed = parseInput('CheckLoad', preparedLoadSchema, legacy);
    expect(parsed.targets[0]).toMatchObject({ partCount: 2, bytes: 2 * 64 * 1024 * 1024, partList: null });
    const t = await tempStore();
    try {
      expect(await readParts(t.store, parsed.targets[0]!)).toEqual(parts(2));
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a part list that does not match the payload (run folder rewritten)', async () => {
    const t = await tempStore();
    try {
      const partList = await writePartList(t.store, BUCKET, FOLDER, parts(3));
      const target = { recordType: null, records: 1, partCount: 4, bytes: 1, partList, manifest: null };
      await expect(readParts(t.store, target)).rejects.toMatchObject({ name: 'InvalidStateInput' });
    } finally {
      await t.cleanup();
    }
  });
});
