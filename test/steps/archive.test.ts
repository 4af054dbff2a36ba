import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFound } from '../../functions/lib/errors.ts';
import { archive, datePath, moveOriginal } from '../../functions/lib/steps/archive.ts';
import { rejectFile } from '../../functions/lib/steps/reject-file.ts';
import { MemoryObjectStore, MemoryRunLog } from '../support/fakes/index.ts';
import { BUCKET, matchedRun, ORIGINAL, ORIGINAL_KEY } from '../support/step-fixtures.ts';

const PREFIXES = { landing: 'landing/', processing: 'processing/', archive: 'archive/', rejected: 'rejected/' };

describe('datePath', () => {
  it('uses the configured time zone for the archive day', () => {
    const at = new Date('2026-11-24T23:30:00Z');
    expect(datePath(at, 'UTC')).toBe('2026/11/24');
    expect(datePath(at, 'Asia/Tokyo')).toBe('2026/11/25');
  });
});

describe('archive over in-memory ports', () => {
  let store: MemoryObjectStore;
  let runs: MemoryRunLog;
  let etag: string;
  const ports = () => ({ store, runs, prefixes: PREFIXES, timeZone: 'UTC' });
  const run = () => matchedRun({ etag });

  beforeEach(async () => {
    store = new MemoryObjectStore();
    runs = new MemoryRunLog();
    ({ etag } = await store.put(BUCKET, ORIGINAL_KEY, ORIGINAL));
    await store.put(BUCKET, 'processing/run-1/all/part-00000.gz', 'p0');
    await store.put(BUCKET, 'processing/run-1/all/manifest.json', '{}');
    await store.put(BUCKET, 'processing/run-10/all/part-00000.gz', 'another run');
    await runs.register({ ...run(), size: run().size });
  });

  it('moves the original to archive/<interface>/<day>/, deletes the run’s parts, and records where it went', async () => {
    expect(await archive({ run: run() }, ports())).toEqual({
      movedTo: `s3://${BUCKET}/archive/sales/2026/11/24/sales.csv`,
      partsDeleted: 2,
    });
    expect(store.keys(BUCKET)).toEqual(['archive/sales/2026/11/24/sales.csv', 'processing/run-10/all/part-00000.gz']);
    expect((await runs.get('run-1'))!.archivedTo).toBe(`s3://${BUCKET}/archive/sales/2026/11/24/sales.csv`);
  });

  it('is done when run again after the move', async () => {
    await archive({ run: run() }, ports());
    expect(await archive({ run: run() }, ports())).toEqual({
      movedTo: `s3://${BUCKET}/archive/sales/2026/11/24/sales.csv`,
      partsDeleted: 0,
    });
  });

  it('never overwrites a different file of the same name archived the same day', async () => {
    await store.put(BUCKET, 'archive/sales/2026/11/24/sales.csv', 'an earlier, different file');
    const out = await archive({ run: run() }, ports());
    expect(out.movedTo).toBe(`s3://${BUCKET}/archive/sales/2026/11/24/run-1-sales.csv`);
    expect((await store.head(BUCKET, 'archive/sales/2026/11/24/sales.csv'))!.size).toBe(26);
  });

  it('leaves a file replaced after the run started in landing, for its own run', async () => {
    await store.put(BUCKET, ORIGINAL_KEY, 'new bytes under the same name');
    await expect(archive({ run: run() }, ports())).rejects.toThrow(/was replaced by different content/);
    expect(await store.head(BUCKET, ORIGINAL_KEY)).not.toBeNull();
  });

  it('fails with ObjectNotFound when the original is gone and no copy was archived', async () => {
    await store.delete(BUCKET, ORIGINAL_KEY);
    await expect(archive({ run: run() }, ports())).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('files an unmatched run under _unmatched', async () => {
    const out = await moveOriginal(
      { ...run(), interface: null, configId: null, configVersion: null },
      'archive',
      ports(),
    );
    expect(out.movedTo).toBe(`s3://${BUCKET}/archive/_unmatched/2026/11/24/sales.csv`);
  });

  it('RejectFile moves the original to rejected/ the same way', async () => {
    const out = await rejectFile({ run: run(), error: { Error: 'HeaderMismatch' } }, ports());
    expect(out).toEqual({ movedTo: `s3://${BUCKET}/rejected/sales/2026/11/24/sales.csv`, partsDeleted: 2 });
  });
});
