import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';
import type { Settings } from '../../functions/lib/settings.ts';
import type { FileLocation } from '../model.ts';

/**
 * Where a run's file is now: the run row's archive/rejected destination,
 * then the landing key it started with, each looked up in the object store
 * (a file may have been moved or re-uploaded since the run recorded it).
 */
export async function locateRunFile(
  store: ObjectStore,
  prefixes: Settings['prefixes'],
  run: { file: string | null; archivedTo?: string | null | undefined },
): Promise<FileLocation> {
  const candidates = [run.archivedTo, run.file].filter((u): u is string => !!u);
  const looked: string[] = [];
  for (const uri of [...new Set(candidates)]) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) continue;
    looked.push(uri);
    const head = await store.head(m[1]!, m[2]!);
    if (head) return { uri, key: m[2]!, size: head.size, where: placeOf(m[2]!, prefixes), looked };
  }
  return { uri: null, key: null, size: null, where: 'gone', looked };
}

function placeOf(key: string, p: Settings['prefixes']): FileLocation['where'] {
  if (p.rejected && key.startsWith(p.rejected)) return 'rejected';
  if (p.archive && key.startsWith(p.archive)) return 'archive';
  if (key.startsWith(p.landing)) return 'landing';
  return 'other';
}
