/**
 * Behaviour every ObjectStore adapter must share, so the local folder store
 * and S3 can be swapped without the steps noticing. Run by
 * test/adapters/fs/object-store-fs.test.ts, test/adapters/s3/object-store-s3.test.ts
 * and, for the in-memory fake the step tests use, test/support/fakes/memory-fakes.test.ts.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFound } from '../../functions/lib/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../functions/lib/ports/object-store.ts';

export interface ContractStore {
  store: ObjectStore;
  bucket: string;
  cleanup: () => Promise<void>;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export function md5(b: Buffer | string): string {
  return createHash('md5').update(b).digest('hex');
}

/** Deterministic bytes (not one repeated value, so a misplaced range shows). */
export function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
}

/** A stream of `total` bytes made chunk by chunk, never held whole. */
export function patternStream(total: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - sent);
      this.push(pattern(n, sent + 1));
      sent += n;
    },
  });
}

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

export function objectStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let ctx: ContractStore;
    let store: ObjectStore;
    let bucket: string;
    let n = 0;
    // Each case works under its own prefix so cases never see each other's objects.
    const p = (): string => `case-${++n}/`;

    beforeAll(async () => {
      ctx = await makeStore();
      store = ctx.store;
      bucket = ctx.bucket;
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    it('puts a buffer and reads it back with head (size, MD5 etag, date) and get', async () => {
      const key = `${p()}a.csv`;
      const body = Buffer.from('id,name\n1,Ann\n2,Bob\n');
      const before = Date.now();
      const put = await store.put(bucket, key, body, 'text/csv');
      expect(put.etag).toBe(md5(body));
      const info = await store.head(bucket, key);
      expect(info).not.toBeNull();
      expect(info!.bucket).toBe(bucket);
      expect(info!.key).toBe(key);
      expect(info!.size).toBe(body.length);
      expect(info!.etag).toBe(md5(body));
      expect(info!.etag).not.toMatch(/"/);
      expect(info!.lastModified).toBeInstanceOf(Date);
      // Second resolution on S3: allow the clock to be a little behind.
      expect(info!.lastModified.getTime()).toBeGreaterThan(before - 120_000);
      expect(md5(await readAll(await store.get(bucket, key)))).toBe(md5(body));
    });

    it('puts a string as UTF-8', async () => {
      const key = `${p()}s.txt`;
      const text = 'héllo wörld ✓\n';
      const put = await store.put(bucket, key, text);
      expect(put.etag).toBe(md5(Buffer.from(text)));
      expect((await readAll(await store.get(bucket, key))).toString('utf8')).toBe(text);
      expect((await store.head(bucket, key))!.size).toBe(Buffer.byteLength(text));
    });

    it('puts a small stream', async () => {
      const key = `${p()}small.bin`;
      const body = pattern(100_000);
      const put = await store.put(bucket, key, Readable.from([body.subarray(0, 30_000), body.subarray(30_000)]));
      expect(put.etag).toBe(md5(body));
      expect(md5(await readAll(await store.get(bucket, key)))).toBe(md5(body));
    });

    it('puts a stream larger than one upload part, byte for byte', async () => {
      const key = `${p()}big.bin`;
      const total = 11 * 1024 * 1024 + 123;
      const expected = createHash('md5');
      for await (const c of patternStream(total)) expected.update(c as Buffer);
      const put = await store.put(bucket, key, patternStream(total));
      expect(put.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
      const info = await store.head(bucket, key);
      expect(info!.size).toBe(total);
      expect(info!.etag).toBe(put.etag);
      const got = createHash('md5');
      for await (const c of await store.get(bucket, key)) got.update(c as Buffer);
      expect(got.digest('hex')).toBe(expected.digest('hex'));
    });

    it('overwrites an existing object', async () => {
      const key = `${p()}o.txt`;
      await store.put(bucket, key, 'first version, longer');
      await store.put(bucket, key, 'second');
      expect((await readAll(await store.get(bucket, key))).toString()).toBe('second');
      expect((await store.head(bucket, key))!.size).toBe(6);
    });

    it('reads an inclusive byte range', async () => {
      const key = `${p()}r.bin`;
      const body = pattern(10_000);
      await store.put(bucket, key, body);
      // Not bytes=0-0: s3rver 3.7 reads an end of 0 as "to the end" (real S3 does not).
      for (const [start, end] of [
        [0, 9],
        [5, 5],
        [1000, 2999],
        [9990, 9999],
      ] as const) {
        const got = await readAll(await store.get(bucket, key, { start, end }));
        expect({ start, end, length: got.length, md5: md5(got) }).toEqual({
          start,
          end,
          length: end - start + 1,
          md5: md5(body.subarray(start, end + 1)),
        });
      }
    });

    it('returns null from head and throws ObjectNotFound from get for a missing object', async () => {
      const key = `${p()}missing.csv`;
      expect(await store.head(bucket, key)).toBeNull();
      const err = await store.get(bucket, key).then(
        async (s) => {
          // An adapter may only notice when the stream is read; either way it must be ObjectNotFound.
          await readAll(s);
          return null;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ObjectNotFound);
      expect((err as Error).name).toBe('ObjectNotFound');
      expect((err as Error).message).toContain(key);
    });

    it('copies an object server-side, keeping content and etag', async () => {
      const dir = p();
      const body = pattern(50_000, 3);
      await store.put(bucket, `${dir}src.csv`, body);
      await store.copy({ bucket, key: `${dir}src.csv` }, { bucket, key: `${dir}archive/2026/11/24/src.csv` });
      expect(md5(await readAll(await store.get(bucket, `${dir}archive/2026/11/24/src.csv`)))).toBe(md5(body));
      expect((await store.head(bucket, `${dir}archive/2026/11/24/src.csv`))!.etag).toBe(md5(body));
      // The source is untouched: copy is not move.
      expect((await store.head(bucket, `${dir}src.csv`))!.size).toBe(body.length);
    });

    it('moves an object when the store can (no copy), keeping content and etag; the source is gone', async () => {
      if (!store.move) return;
      const dir = p();
      const body = pattern(50_000, 5);
      await store.put(bucket, `${dir}m.csv`, body);
      await store.move({ bucket, key: `${dir}m.csv` }, { bucket, key: `${dir}archive/2026/12/01/m.csv` });
      expect(md5(await readAll(await store.get(bucket, `${dir}archive/2026/12/01/m.csv`)))).toBe(md5(body));
      expect((await store.head(bucket, `${dir}archive/2026/12/01/m.csv`))!.etag).toBe(md5(body));
      expect(await store.head(bucket, `${dir}m.csv`)).toBeNull();
      const err = await store.move({ bucket, key: `${dir}m.csv` }, { bucket, key: `${dir}x.csv` }).catch((e) => e);
      expect(err).toBeInstanceOf(ObjectNotFound);
    });

    it('copies over an existing destination', async () => {
      const dir = p();
      await store.put(bucket, `${dir}a`, 'new content');
      await store.put(bucket, `${dir}b`, 'old');
      await store.copy({ bucket, key: `${dir}a` }, { bucket, key: `${dir}b` });
      expect((await readAll(await store.get(bucket, `${dir}b`))).toString()).toBe('new content');
    });

    it('throws ObjectNotFound when copying a missing object', async () => {
      const dir = p();
      const err = await store.copy({ bucket, key: `${dir}nope.csv` }, { bucket, key: `${dir}x.csv` }).catch((e) => e);
      expect(err).toBeInstanceOf(ObjectNotFound);
      expect((err as Error).message).toContain(`${dir}nope.csv`);
      expect(await store.head(bucket, `${dir}x.csv`)).toBeNull();
    });

    it('handles keys with spaces, unicode and punctuation', async () => {
      const dir = p();
      const key = `${dir}Données clients/ventes 2026 (v2) ü,é;=@.csv`;
      await store.put(bucket, key, 'x,y\n');
      expect((await readAll(await store.get(bucket, key))).toString()).toBe('x,y\n');
      await store.copy({ bucket, key }, { bucket, key: `${key}.copy` });
      expect((await store.head(bucket, `${key}.copy`))!.size).toBe(4);
      const keys = (await collect(store.list(bucket, dir))).map((o) => o.key);
      expect(keys).toEqual([key, `${key}.copy`]);
    });

    it('deletes idempotently', async () => {
      const key = `${p()}d.csv`;
      await store.put(bucket, key, 'data');
      await store.delete(bucket, key);
      expect(await store.head(bucket, key)).toBeNull();
      await expect(store.delete(bucket, key)).resolves.toBeUndefined();
      await expect(store.delete(bucket, `${key}.never-existed`)).resolves.toBeUndefined();
    });

    it('lists every object under a prefix, nested too, in key order, with size and etag', async () => {
      const dir = p();
      const keys = [`${dir}b.csv`, `${dir}a.csv`, `${dir}sub/c.csv`, `${dir}sub/deeper/d.csv`, `${dir}a.csv.bak`];
      for (const [i, k] of keys.entries()) await store.put(bucket, k, 'x'.repeat(i + 1));
      await store.put(bucket, `${dir.slice(0, -1)}-other/z.csv`, 'z');
      const listed = await collect(store.list(bucket, dir));
      expect(listed.map((o) => o.key)).toEqual([...keys].sort());
      const a = listed.find((o) => o.key === `${dir}a.csv`)!;
      expect(a).toMatchObject({ bucket, size: 2, etag: md5('xx') });
      expect(a.lastModified).toBeInstanceOf(Date);
      // A prefix is a string prefix, not a folder: 'sub/d' matches 'sub/deeper/'.
      expect((await collect(store.list(bucket, `${dir}sub/d`))).map((o) => o.key)).toEqual([`${dir}sub/deeper/d.csv`]);
      expect(await collect(store.list(bucket, `${dir}nothing/`))).toEqual([]);
    });

    it('deletes everything under a prefix and returns the count', async () => {
      const dir = p();
      for (let i = 0; i < 7; i++) await store.put(bucket, `${dir}processing/run-1/part-${i}.gz`, `p${i}`);
      await store.put(bucket, `${dir}processing/run-10/part-0.gz`, 'keep');
      await store.put(bucket, `${dir}landing/file.csv`, 'keep');
      expect(await store.deletePrefix(bucket, `${dir}processing/run-1/`)).toBe(7);
      expect(await collect(store.list(bucket, `${dir}processing/run-1/`))).toEqual([]);
      expect((await collect(store.list(bucket, dir))).map((o) => o.key)).toEqual([
        `${dir}landing/file.csv`,
        `${dir}processing/run-10/part-0.gz`,
      ]);
      expect(await store.deletePrefix(bucket, `${dir}processing/run-1/`)).toBe(0);
    });

    it('forms s3:// URIs', () => {
      expect(store.uri('my-bucket', 'landing/sales/daily.csv')).toBe('s3://my-bucket/landing/sales/daily.csv');
    });
  });
}
