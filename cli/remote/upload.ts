import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';

/**
 * Streams a local file to the landing prefix, where its "Object Created"
 * event starts the deployed state machine. The key is the prefix plus the
 * file's base name (the config match looks at the key).
 */
export async function uploadRemote(
  store: ObjectStore,
  bucket: string,
  landingPrefix: string,
  file: string,
): Promise<{ key: string }> {
  let st: import('node:fs').Stats;
  try {
    st = await fs.stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: no such file`);
    throw e;
  }
  if (!st.isFile()) throw new Error(`${file}: not a regular file; give the path of the file to load`);
  const prefix = landingPrefix === '' || landingPrefix.endsWith('/') ? landingPrefix : `${landingPrefix}/`;
  const key = `${prefix}${path.basename(file)}`;
  await store.put(bucket, key, createReadStream(file));
  return { key };
}
