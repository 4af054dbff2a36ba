import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore } from '../../functions/lib/ports/object-store.ts';

/**
 * An object store for `efi check`'s dry run: reads fall through to `base`
 * (the file being checked), writes (the parts and manifests Preprocess or
 * UseOriginalFile would write under `processing/<run>/`) stay in this
 * process's memory and vanish with it. `base` is never written, so the
 * checked file never moves and no store keeps a trace. A key may also be
 * shadowed by bytes given up front (`shadow`): the first records of the
 * original, when the load reads the original itself.
 */
export class DryRunStore implements ObjectStore {
  private readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();

  constructor(private readonly base: ObjectStore) {}

  /** Serves `body` for `bucket/key` from now on instead of the base store's object. */
  shadow(bucket: string, key: string, body: Buffer): void {
    this.objects.set(id(bucket, key), { body, lastModified: new Date() });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | null> {
    const o = this.objects.get(id(bucket, key));
    return o ? info(bucket, key, o) : this.base.head(bucket, key);
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    const o = this.objects.get(id(bucket, key));
    if (!o) return this.base.get(bucket, key, range);
    return Readable.from([range ? o.body.subarray(range.start, range.end + 1) : o.body]);
  }

  async put(bucket: string, key: string, body: Readable | Buffer | string): Promise<{ etag: string }> {
    let bytes: Buffer;
    if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
    else if (Buffer.isBuffer(body)) bytes = body;
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      bytes = Buffer.concat(chunks);
    }
    const o = { body: bytes, lastModified: new Date() };
    this.objects.set(id(bucket, key), o);
    return { etag: info(bucket, key, o).etag };
  }

  async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of await this.get(from.bucket, from.key)) chunks.push(c as Buffer);
    await this.put(to.bucket, to.key, Buffer.concat(chunks));
  }

  async delete(bucket: string, key: string): Promise<void> {
    // Only what the dry run wrote can go; the base store is read-only here.
    this.objects.delete(id(bucket, key));
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    // Key order, as S3 lists: memory and base merged, a key in memory hiding the base's.
    const found = new Map<string, ObjectInfo>();
    for await (const o of this.base.list(bucket, prefix)) found.set(o.key, o);
    for (const [k, o] of this.objects) {
      const [b, key] = JSON.parse(k) as [string, string];
      if (b === bucket && key.startsWith(prefix)) found.set(key, info(b, key, o));
    }
    yield* [...found.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let n = 0;
    for (const k of [...this.objects.keys()]) {
      const [b, key] = JSON.parse(k) as [string, string];
      if (b === bucket && key.startsWith(prefix)) {
        this.objects.delete(k);
        n++;
      }
    }
    return n;
  }

  uri(bucket: string, key: string): string {
    return this.base.uri(bucket, key);
  }

  /** Objects in memory have no file (PGlite then reads them as a stream); the base store's keep theirs. */
  localPath(bucket: string, key: string): string | null {
    return this.objects.has(id(bucket, key)) ? null : this.base.localPath(bucket, key);
  }
}

const id = (bucket: string, key: string) => JSON.stringify([bucket, key]);

function info(bucket: string, key: string, o: { body: Buffer; lastModified: Date }): ObjectInfo {
  return {
    bucket,
    key,
    size: o.body.length,
    etag: createHash('md5').update(o.body).digest('hex'),
    lastModified: o.lastModified,
  };
}
