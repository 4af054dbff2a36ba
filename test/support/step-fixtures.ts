import { gzipSync } from 'node:zlib';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import type { MatchedRun, PreparedLoad } from '../../functions/lib/contract/payloads.ts';
import { fileConfig } from './config-builder.ts';
import { MemoryConfigSource, MemoryObjectStore, MemoryRunLog, ScriptedWarehouse } from './fakes/index.ts';

export const BUCKET = 'bucket';
export const ORIGINAL_KEY = 'landing/in/sales.csv';
/** A header line, then two records; the second has a bad amount. */
export const ORIGINAL = 'id,name,amount\n1,Ann,3\n2,Bob,x\n';
export const PART_KEY = 'processing/run-1/all/part-00000.gz';

/** A run matched to `sales.daily` version 1, as FetchConfig hands it on. */
export function matchedRun(patch: Partial<MatchedRun> = {}): MatchedRun {
  return {
    runId: 'run-1',
    executionId: 'arn:exec:run-1',
    bucket: BUCKET,
    key: ORIGINAL_KEY,
    etag: 'etag-1',
    size: ORIGINAL.length,
    configId: 'sales.daily',
    configVersion: 1,
    interface: 'sales',
    hasTransform: false,
    skip: false,
    skipReason: null,
    startedAt: '2026-11-24T10:00:00.000Z',
    ...patch,
  };
}

/** What Preprocess produced for ORIGINAL: one gzip part of its two records, with a manifest. */
export function prepared(): PreparedLoad {
  return {
    targets: [
      {
        recordType: null,
        records: 2,
        partCount: 1,
        bytes: 16,
        partList: null,
        parts: [{ bucket: BUCKET, key: PART_KEY, compression: 'gzip', bytes: 16, records: 2, firstRecord: 1 }],
        manifest: { bucket: BUCKET, key: 'processing/run-1/all/manifest.json' },
      },
    ],
    processingPrefix: 'processing/run-1/',
    skippedRecords: 0,
  };
}

export const SALES_CONFIG: FileConfig = fileConfig({
  id: 'sales.daily',
  interface: 'sales',
  header: { lines: 1, columns: ['id', 'name', 'amount'] },
});

/** The ports a step of a registered, matched run sees: the original and its part stored, the run row there. */
export async function stepWorld(config: FileConfig = SALES_CONFIG) {
  const store = new MemoryObjectStore();
  const runs = new MemoryRunLog();
  const configs = new MemoryConfigSource([config]);
  const warehouse = new ScriptedWarehouse();
  await store.put(BUCKET, ORIGINAL_KEY, ORIGINAL);
  await store.put(BUCKET, PART_KEY, gzipSync('1,Ann,3\n2,Bob,x\n'));
  const run = matchedRun();
  await runs.register({ ...run, etag: run.etag, size: run.size });
  return { store, runs, configs, warehouse, run };
}
