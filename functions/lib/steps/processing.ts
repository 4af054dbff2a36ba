import type { PreparedTarget } from '../contract/payloads.ts';
import { InvalidStateInput } from '../errors.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { LoadPart } from '../ports/warehouse.ts';

/**
 * The one builder of a run's `processing/<run>/` layout and of the COPY
 * manifests in it:
 *
 * ```
 * processing/<runId>/<target folder>/part-00000.gz   (Preprocess)
 * processing/<runId>/<target folder>/manifest.json   (Preprocess and UseOriginalFile)
 * processing/<runId>/<target folder>/parts.json      (efi's part list: records and firstRecord per part)
 * ```
 *
 * The part list lives in S3, not in the state payload (a 10,000-part file
 * would not fit 256 KiB); the COPY manifest stays a plain Redshift manifest.
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

export function partListKey(folder: string): string {
  return `${folder}parts.json`;
}

/** Writes efi's part list of a target (what the load spec and the row locator need of each part). */
export async function writePartList(
  store: ObjectStore,
  bucket: string,
  folder: string,
  parts: readonly LoadPart[],
): Promise<{ bucket: string; key: string }> {
  const key = partListKey(folder);
  await store.put(bucket, key, `${JSON.stringify({ parts })}\n`, 'application/json');
  return { bucket, key };
}

/**
 * The parts of a prepared target: read from its part list in S3 (or inline in
 * a legacy payload). A missing or short list is an operational fault (the run
 * folder was deleted or rewritten): redrive from Preprocess.
 */
export async function readParts(store: ObjectStore, target: PreparedTarget): Promise<LoadPart[]> {
  if (target.parts) return target.parts;
  if (target.partCount === 0) return [];
  if (!target.partList) {
    throw new InvalidStateInput(
      `target ${JSON.stringify(target.recordType)} has ${target.partCount} parts but no part list`,
    );
  }
  const { bucket, key } = target.partList;
  const chunks: Buffer[] = [];
  for await (const c of await store.get(bucket, key)) chunks.push(Buffer.from(c as Buffer));
  const parts = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { parts?: LoadPart[] }).parts;
  if (!Array.isArray(parts) || parts.length !== target.partCount) {
    throw new InvalidStateInput(
      `${store.uri(bucket, key)} lists ${Array.isArray(parts) ? parts.length : 'no'} parts, the payload says ${target.partCount}: the run folder changed after Preprocess; redrive from Preprocess or ingest the file again`,
    );
  }
  return parts;
}

/** Every target with its parts read from S3 (SubmitLoad, and CheckLoad when locating a refused row). */
export async function withParts<T extends PreparedTarget>(
  store: ObjectStore,
  targets: readonly T[],
): Promise<(T & { parts: LoadPart[] })[]> {
  return Promise.all(targets.map(async (t) => ({ ...t, parts: await readParts(store, t) })));
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
