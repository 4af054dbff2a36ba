import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GzipPartWriter } from '../../../functions/lib/steps/preprocess/gzip-part-writer.ts';
import { BUCKET, type TempStore, tempStore } from '../../support/config-builder.ts';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('GzipPartWriter', () => {
  it('blocks compressed in parallel form one gzip member that gunzip restores byte for byte', async () => {
    // Mixed compressible text and random bytes, written in uneven slices across many small blocks.
    const data = Buffer.concat([Buffer.from('abc,def\n'.repeat(5000)), randomBytes(30_000), Buffer.from('tail\n')]);
    const w = new GzipPartWriter(t.store, BUCKET, 'p/part.gz', { blockBytes: 4096, maxInFlight: 3, level: 1 });
    for (let i = 0; i < data.length; i += 777) {
      w.write(data, i, Math.min(data.length, i + 777));
      await w.ready();
    }
    const { compressedBytes } = await w.finish();
    const stored = await t.read('p/part.gz');
    expect(stored.length).toBe(compressedBytes);
    expect(gunzipSync(stored).equals(data)).toBe(true);
    expect(w.bytes).toBe(data.length);
  });

  it('an empty part is still a valid gzip file', async () => {
    const w = new GzipPartWriter(t.store, BUCKET, 'p/empty.gz');
    await w.finish();
    expect(gunzipSync(await t.read('p/empty.gz')).length).toBe(0);
  });

  it('abort leaves no object behind', async () => {
    const w = new GzipPartWriter(t.store, BUCKET, 'p/aborted.gz', { blockBytes: 1024, maxInFlight: 2, level: 1 });
    w.write(Buffer.alloc(10_000, 0x61), 0, 10_000);
    w.abort(new Error('stop'));
    await w.settled();
    expect(await t.keys('p/')).toEqual([]);
  });
});
