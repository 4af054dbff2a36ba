import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  contentHasher,
  currentHashWorker,
  inlineHasher,
  workerHasher,
} from '../../functions/lib/records/content-hash.ts';

/**
 * ValidateFile's content identity: the SHA-256 of the stored bytes, hashed
 * inline or in a worker thread while the scan goes on; the digest is the
 * same either way, whatever the chunking, with several hashes at once.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function feed(h: ReturnType<typeof inlineHasher>, bytes: Buffer, chunk: number) {
  for (let i = 0; i < bytes.length; i += chunk) {
    const behind = h.update(bytes.subarray(i, i + chunk));
    if (behind) await behind;
  }
  return h.digest();
}

describe('content hash', () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);

  it('is the SHA-256 of the bytes, inline and in the worker, for any chunking', async () => {
    for (const chunk of [1, 1000, 65536, 1 << 20]) {
      const part = chunk === 1 ? bytes.subarray(0, 5000) : bytes;
      expect(await feed(inlineHasher(), part, chunk)).toBe(sha(part));
      expect(await feed(workerHasher(), part, chunk)).toBe(sha(part));
    }
  });

  it('hashes views of a larger buffer by their own bytes only (a pooled chunk)', async () => {
    const pool = Buffer.concat([Buffer.from('before'), bytes, Buffer.from('after')]);
    const view = pool.subarray(6, 6 + bytes.length);
    expect(await feed(workerHasher(), view, 65536)).toBe(sha(bytes));
  });

  it('keeps several hashes apart when they are fed interleaved, and a discarded one does not disturb them', async () => {
    const a = workerHasher();
    const b = workerHasher();
    const c = workerHasher();
    const other = Buffer.from(bytes).reverse();
    for (let i = 0; i < bytes.length; i += 100_000) {
      await a.update(bytes.subarray(i, i + 100_000));
      await b.update(other.subarray(i, i + 100_000));
      c.update(bytes.subarray(i, i + 10));
    }
    c.discard();
    expect(await Promise.all([a.digest(), b.digest()])).toEqual([sha(bytes), sha(other)]);
  });

  it('asks the caller to wait once too many bytes are in flight, and goes on', async () => {
    const h = workerHasher();
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const behind = h.update(big);
    expect(behind).toBeInstanceOf(Promise);
    await behind;
    expect(await h.digest()).toBe(sha(big));
  });

  it('fails a pending hash when the worker dies, and the next hash starts a new worker', async () => {
    const h = workerHasher();
    h.update(bytes.subarray(0, 1000));
    const worker = currentHashWorker()!;
    await worker.terminate();
    await expect(h.digest()).rejects.toThrow(/hashing worker exited/);
    expect(currentHashWorker()).toBeNull();
    expect(await feed(workerHasher(), bytes, 65536)).toBe(sha(bytes));
    expect(currentHashWorker()).not.toBe(worker);
  });

  it('hashes small files inline and large ones in the worker on a machine with more than one core', () => {
    expect(contentHasher(1024, { worker: false }).update(Buffer.from('x'))).toBeUndefined();
    // The choice is explicit here; the default depends on the size and os.availableParallelism().
    const h = contentHasher(0, { worker: true });
    h.discard();
  });
});
