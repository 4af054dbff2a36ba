import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { ObjectNotFound } from '../../functions/lib/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../functions/lib/ports/object-store.ts';

/**
 * A read-only object store holding one local file under the key it would
 * land as: `efi check` runs the real ValidateFile step over it, with the
 * same messages (they name `s3://bucket/key`), without copying or moving it.
 */
export function singleFileStore(file: string, bucket: string, key: string): ObjectStore {
  const info = (): ObjectInfo => {
    const st = fs.statSync(file);
    return { bucket, key, size: st.size, etag: '', lastModified: st.mtime };
  };
  const mine = (b: string, k: string) => b === bucket && k === key;
  const readOnly = (): never => {
    throw new Error('efi check never writes: the single-file store is read-only');
  };
  return {
    async head(b, k) {
      return mine(b, k) ? info() : null;
    },
    async get(b, k, range): Promise<Readable> {
      if (!mine(b, k)) throw new ObjectNotFound(`s3://${b}/${k} is not the file being checked`);
      return fs.createReadStream(file, range ? { start: range.start, end: range.end } : {});
    },
    put: readOnly,
    copy: readOnly,
    delete: readOnly,
    deletePrefix: readOnly,
    async *list(b, prefix) {
      if (b === bucket && key.startsWith(prefix)) yield info();
    },
    uri: (b, k) => `s3://${b}/${k}`,
    localPath: (b, k) => (mine(b, k) ? file : null),
  };
}
