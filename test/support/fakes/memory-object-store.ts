import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectNotFound } from '../../../functions/lib/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../../functions/lib/ports/object-store.ts';

interface Stored {
  body: Buffer;
  etag: string;
  lastModified: Date;
}

/**
 * An in-memory ObjectStore for step unit tests. It passes the ObjectStore
 * contract suite (test/ports/object-store.contract.ts), so a step tested over
 * it sees what it would see over the folder store or S3.
 */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Stored>();

  private static id(bucket: string, key: string): string {
    return `${bucket}\u0000${key}`;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | null> {
    const o = this.objects.get(MemoryObjectStore.id(bucket, key));
    return o ? { bucket, key, size: o.body.length, etag: o.etag, lastModified: o.lastModified } : null;
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    const o = this.objects.get(MemoryObjectStore.id(bucket, key));
    if (!o) throw new ObjectNotFound(`s3://${bucket}/${key} does not exist`);
    const body = range ? o.body.subarray(range.start, range.end + 1) : o.body;
    return Readable.from([body]);
  }

  async put(bucket: string, key: string, body: Readable | Buffer | string): Promise<{ etag: string }> {
    let buf: Buffer;
    if (typeof body === 'string') buf = Buffer.from(body, 'utf8');
    else if (Buffer.isBuffer(body)) buf = body;
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
      buf = Buffer.concat(chunks);
    }
    const etag = createHash('md5').update(buf).digest('hex');
    this.objects.set(MemoryObjectStore.id(bucket, key), { body: buf, etag, lastModified: new Date() });
    return { etag };
  }

  async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    const o = this.objects.get(MemoryObjectStore.id(from.bucket, from.key));
    if (!o) throw new ObjectNotFound(`s3://${from.bucket}/${from.key} does not exist`);
    this.objects.set(MemoryObjectStore.id(to.bucket, to.key), { ...o, lastModified: new Date() });
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.objects.delete(MemoryObjectStore.id(bucket, key));
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}\u0000${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
    for (const key of keys) {
      const info = await this.head(bucket, key);
      if (info) yield info;
    }
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let n = 0;
    for await (const o of this.list(bucket, prefix)) {
      await this.delete(bucket, o.key);
      n++;
    }
    return n;
  }

  uri(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }

  localPath(): string | null {
    return null;
  }

  /** Test helper: every key in a bucket, sorted. */
  keys(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}\u0000`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
  }
}
