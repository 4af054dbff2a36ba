import { FsObjectStore } from '../functions/lib/adapters/fs/object-store-fs.ts';
import { DEFAULT_MIN_SIZE_BYTES, type FileConfig } from '../functions/lib/config/model.ts';
import { preprocess } from '../functions/lib/steps/preprocess.ts';
import { validateFile } from '../functions/lib/steps/validate-file.ts';
import { fileConfig, layout } from '../test/support/config-builder.ts';
import { HEADER } from './data.ts';

/** Where the bench store lives: bench/.data/store/<bucket>/<key>, so the data files are read in place. */
export const STORE_ROOT = new URL('./.data/store/', import.meta.url).pathname;
export const BUCKET = 'bench';

/** The bench's config, from the same builder the tests use (test/support/config-builder.ts). */
export const BENCH_CONFIG: FileConfig = fileConfig({
  id: 'bench.rows',
  interface: 'bench',
  match: { kind: 'glob', pattern: '*.csv' },
  format: { extensions: ['csv'] },
  header: { lines: 1, columns: HEADER },
  minSizeBytes: DEFAULT_MIN_SIZE_BYTES,
  records: [{ ...layout(null, HEADER), target: { schema: 'stage', table: 'rows' } }],
});

export function benchStore(): FsObjectStore {
  return new FsObjectStore(STORE_ROOT);
}

/**
 * The same config without a quote character: newline-only scanning (the bench
 * file has no quoted newlines). Without a column list, since its quoted fields
 * hold commas: read unquoted, their records have an extra field, which only
 * the load may judge then (ValidateFile leaves the field count to it).
 */
export const BENCH_CONFIG_UNQUOTED: FileConfig = {
  ...BENCH_CONFIG,
  format: { ...BENCH_CONFIG.format, quote: null },
  records: BENCH_CONFIG.records.map((r) => ({ ...r, columns: [] })),
};

export async function runValidate(key: string, size: number, config: FileConfig = BENCH_CONFIG) {
  return validateFile(benchStore(), { bucket: BUCKET, key, size }, config);
}

export async function runPreprocess(key: string, size: number, runId: string) {
  const store = benchStore();
  const validation = await validateFile(store, { bucket: BUCKET, key, size }, BENCH_CONFIG);
  const t0 = performance.now();
  const prepared = await preprocess(store, { runId, bucket: BUCKET, key }, BENCH_CONFIG, validation, {
    processingPrefix: 'processing/',
  });
  return { prepared, validation, preprocessMs: performance.now() - t0 };
}

/** Preprocess alone, given an earlier validation (what the Preprocess state does). */
export async function runPreprocessOnly(
  key: string,
  size: number,
  runId: string,
  validation: Awaited<ReturnType<typeof runValidate>>,
) {
  return preprocess(
    benchStore(),
    { runId, bucket: BUCKET, key },
    BENCH_CONFIG,
    { ...validation, fileBytes: size },
    {
      processingPrefix: 'processing/',
    },
  );
}
