/**
 * What s3rver cannot show: UploadPartCopy (not implemented there), truncated
 * listings (its continuation tokens need DES, gone from OpenSSL 3), throttling.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../functions/lib/adapters/s3/object-store-s3.ts';
import { ObjectNotFound, TransientError } from '../../../functions/lib/errors.ts';

const s3 = mockClient(S3Client);
let client: S3Client;

function s3Error(name: string, status: number, message = name): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}

beforeEach(() => {
  s3.reset();
  client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
});
afterEach(() => client.destroy());

describe('S3ObjectStore multipart copy', () => {
  it('copies in UploadPartCopy ranges above the threshold and completes with the parts in order', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10, ETag: '"abc"', LastModified: new Date() });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({
      CopyPartResult: { ETag: `"etag-${input.PartNumber}"` },
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(client, { multipartCopyThreshold: 4, copyPartSize: 4, copyConcurrency: 2 });

    await store.copy({ bucket: 'src', key: 'landing/a b+c.csv' }, { bucket: 'dst', key: 'archive/a b+c.csv' });

    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst',
      Key: 'archive/a b+c.csv',
    });
    const parts = s3
      .commandCalls(UploadPartCopyCommand)
      .map((c) => c.args[0].input)
      .sort((a, b) => a.PartNumber! - b.PartNumber!);
    expect(parts).toEqual(
      [1, 2, 3].map((n) => ({
        Bucket: 'dst',
        Key: 'archive/a b+c.csv',
        UploadId: 'up-1',
        PartNumber: n,
        CopySource: 'src/landing/a%20b%2Bc.csv',
        CopySourceRange: ['bytes=0-3', 'bytes=4-7', 'bytes=8-9'][n - 1],
      })),
    );
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst',
      Key: 'archive/a b+c.csv',
      UploadId: 'up-1',
      MultipartUpload: {
        Parts: [
          { ETag: '"etag-1"', PartNumber: 1 },
          { ETag: '"etag-2"', PartNumber: 2 },
          { ETag: '"etag-3"', PartNumber: 3 },
        ],
      },
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when a part fails, and reports throttling as EfiTransient', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 12, ETag: '"abc"', LastModified: new Date() });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCopyCommand)
      .resolves({ CopyPartResult: { ETag: '"ok"' } })
      .on(UploadPartCopyCommand, { PartNumber: 2 })
      .rejects(s3Error('SlowDown', 503, 'Please reduce your request rate.'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(client, { multipartCopyThreshold: 0, copyPartSize: 4, copyConcurrency: 1 });

    const err = await store.copy({ bucket: 'b', key: 'k' }, { bucket: 'b', key: 'k2' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).name).toBe('EfiTransient');
    expect((err as Error).message).toContain('multipart copy s3://b/k');
    expect((err as Error).message).toContain('SlowDown');
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Key: 'k2', UploadId: 'up-2' },
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('uses one CopyObject at or below the threshold', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 4, ETag: '"abc"', LastModified: new Date() });
    s3.on(CopyObjectCommand).resolves({});
    const store = new S3ObjectStore(client, { multipartCopyThreshold: 4 });
    await store.copy({ bucket: 'b', key: 'dir/x?y#z.csv' }, { bucket: 'c', key: 'x.csv' });
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'c', Key: 'x.csv', CopySource: 'b/dir/x%3Fy%23z.csv' },
    ]);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });
});

describe('S3ObjectStore listing and prefix deletion', () => {
  it('follows continuation tokens', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'tok-1',
        Contents: [{ Key: 'p/a', Size: 1, ETag: '"e1"', LastModified: new Date('2026-11-24T00:00:00Z') }],
      })
      .resolvesOnce({
        IsTruncated: false,
        Contents: [{ Key: 'p/b', Size: 2, ETag: '"e2"', LastModified: new Date() }],
      });
    const store = new S3ObjectStore(client, { listPageSize: 1 });
    const got = [];
    for await (const o of store.list('b', 'p/')) got.push(o);
    expect(got.map((o) => [o.key, o.size, o.etag])).toEqual([
      ['p/a', 1, 'e1'],
      ['p/b', 2, 'e2'],
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Prefix: 'p/', MaxKeys: 1 },
      { Bucket: 'b', Prefix: 'p/', MaxKeys: 1, ContinuationToken: 'tok-1' },
    ]);
  });

  it('deletes in DeleteObjects batches and fails loudly on per-key errors', async () => {
    const keys = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5'];
    s3.on(ListObjectsV2Command).resolves({ Contents: keys.map((Key) => ({ Key, Size: 1, ETag: '"e"' })) });
    s3.on(DeleteObjectsCommand).resolves({});
    const store = new S3ObjectStore(client, { deleteBatchSize: 2 });
    expect(await store.deletePrefix('b', 'p/')).toBe(5);
    expect(
      s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.map((o) => o.Key)),
    ).toEqual([['p/1', 'p/2'], ['p/3', 'p/4'], ['p/5']]);

    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'p/2', Code: 'AccessDenied', Message: 'Access Denied' }] });
    const err = await store.deletePrefix('b', 'p/').catch((e: unknown) => e);
    expect((err as Error).name).toBe('AccessDenied');
    expect((err as Error).message).toMatch(/1 of 2 keys not deleted \(first: p\/2: AccessDenied/);
  });
});

describe('S3ObjectStore error mapping', () => {
  it('turns throttling on head into EfiTransient, not "missing"', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('ThrottlingException', 400, 'Rate exceeded'));
    const err = await new S3ObjectStore(client).head('b', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toBe('HeadObject s3://b/k: ThrottlingException: Rate exceeded; retry later');
  });

  it('maps NoSuchKey on get to ObjectNotFound and keeps other errors named', async () => {
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(s3Error('NoSuchKey', 404));
    s3.on(GetObjectCommand, { Key: 'secret' }).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const store = new S3ObjectStore(client);
    const gone = await store.get('b', 'gone').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ObjectNotFound);
    const denied = await store.get('b', 'secret').catch((e: unknown) => e);
    expect(denied).not.toBeInstanceOf(TransientError);
    expect((denied as Error).name).toBe('AccessDenied');
    expect((denied as Error).message).toBe('GetObject s3://b/secret failed: Access Denied');
  });

  it('sends the range header for ranged gets', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('InvalidRange', 416));
    await new S3ObjectStore(client).get('b', 'k', { start: 5, end: 9 }).catch(() => undefined);
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k', Range: 'bytes=5-9' });
  });
});
