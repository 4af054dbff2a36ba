import type { ObjectStore } from '../ports/object-store.ts';
import type { LoadPart } from '../ports/warehouse.ts';

/**
 * The one builder of a run's `processing/<run>/` layout and of the COPY
 * manifests in it:
 *
 * ```
 * processing/<runId>/<target folder>/part-00000.gz   (Preprocess)
 * processing/<runId>/<target folder>/manifest.json   (Preprocess and UseOriginalFile)
 * ```
 *
 * Keys are deterministic, so a rerun of a state replaces its own output, and
 * Archive deletes the whole run folder.
 */

/** `processing/<runId>/`: everything a run writes, deleted by Archive. */
export function runFolder(processingPrefix: string, runId: string): string {
  return `${processingPrefix}${runId}/`;
}

/** Folder of one target's parts and manifest, ending in '/'. */
export function targetFolder(runPrefix: string, recordType: string | null): string {
  return `${runPrefix}${folderFor(recordType)}/`;
}

/** Folder name for a record type: kept when it is a plain name, else hex-encoded so a key can never be steered. */
export function folderFor(recordType: string | null): string {
  if (recordType === null) return 'all';
  if (/^[A-Za-z0-9_-]+$/.test(recordType)) return recordType;
  return `x${Buffer.from(recordType, 'utf8').toString('hex')}`;
}

export function partKey(folder: string, index: number, compressed = true): string {
  return `${folder}part-${String(index).padStart(5, '0')}${compressed ? '.gz' : '.txt'}`;
}

export function manifestKey(folder: string): string {
  return `${folder}manifest.json`;
}

/**
 * Writes a Redshift COPY manifest listing `parts` (`objectBytes[i]`: the stored
 * size of part i, e.g. compressed) at the folder's manifest key. COPY without a
 * manifest loads every key that starts with the given one (`x.csv` would also
 * pick up `x.csv.bak`), so every target loads through one.
 */
export async function writeManifest(
  store: ObjectStore,
  bucket: string,
  folder: string,
  parts: readonly LoadPart[],
  objectBytes: readonly number[],
): Promise<{ bucket: string; key: string }> {
  const key = manifestKey(folder);
  const body = {
    entries: parts.map((p, i) => ({
      url: store.uri(p.bucket, p.key),
      mandatory: true,
      meta: { content_length: objectBytes[i] ?? 0 },
    })),
  };
  await store.put(bucket, key, `${JSON.stringify(body, null, 2)}\n`, 'application/json');
  return { bucket, key };
}
