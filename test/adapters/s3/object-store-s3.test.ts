import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../functions/lib/adapters/s3/object-store-s3.ts';
import { ObjectNotFound } from '../../../functions/lib/errors.ts';
import { objectStoreContract, readAll } from '../../ports/object-store.contract.ts';
import { type S3rverHandle, startS3rver } from './s3rver-harness.ts';

objectStoreContract('S3ObjectStore on s3rver', async () => {
  const s3 = await startS3rver();
  // 5 MiB parts (the S3 minimum) so the contract's 11 MiB stream goes multipart.
  return {
    store: new S3ObjectStore(s3.client, { uploadPartSize: 5 * 1024 * 1024 }),
    bucket: s3.bucket,
    cleanup: s3.stop,
  };
});

// Paging is tested with aws-sdk-client-mock: s3rver 3.7 builds continuation tokens with DES, which
// OpenSSL 3 (Node 17+) refuses, so any truncated ListObjectsV2 page is a 500 there.
describe('S3ObjectStore on s3rver: errors', () => {
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver('efi-errors');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('maps a missing bucket to ObjectNotFound naming the bucket', async () => {
    const store = new S3ObjectStore(s3.client);
    const err = await store
      .get('no-such-bucket', 'k')
      .then(readAll)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectNotFound);
    expect((err as Error).message).toMatch(/bucket no-such-bucket does not exist/);
  });

  it('fails a multipart copy cleanly on a peer without UploadPartCopy', async () => {
    // s3rver does not implement UploadPartCopy, so every part fails: the abort path runs against a real peer.
    const store = new S3ObjectStore(s3.client, { multipartCopyThreshold: 0, copyPartSize: 4 });
    await store.put(s3.bucket, 'big/src.bin', 'twelve bytes');
    const err = await store
      .copy({ bucket: s3.bucket, key: 'big/src.bin' }, { bucket: s3.bucket, key: 'big/dst.bin' })
      .catch((e) => e);
    // s3rver answers 501, which classifyError counts as a 5xx (transient); the message keeps S3's code.
    expect((err as Error).message).toMatch(/^multipart copy s3:\/\/efi-errors\/big\/src\.bin: NotImplemented/);
    expect(await store.head(s3.bucket, 'big/dst.bin')).toBeNull();
  });
});
