import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { classifyError, EfiError, ObjectNotFound, TransientError } from '../../errors.ts';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface S3ObjectStoreOptions {
  /** Sources larger than this are copied part by part (CopyObject's limit is 5 GiB). */
  multipartCopyThreshold?: number;
  /** Bytes per UploadPartCopy range. */
  copyPartSize?: number;
  /** UploadPartCopy requests in flight at once. */
  copyConcurrency?: number;
  /** Bytes per part of a streamed upload; memory held is at most uploadPartSize × uploadQueueSize. */
  uploadPartSize?: number;
  uploadQueueSize?: number;
  /** ListObjectsV2 MaxKeys (S3 caps it at 1000). */
  listPageSize?: number;
  /** Keys per DeleteObjects request (S3 caps it at 1000). */
  deleteBatchSize?: number;
}

const DEFAULTS: Required<S3ObjectStoreOptions> = {
  multipartCopyThreshold: 5 * GiB,
  copyPartSize: 512 * MiB,
  copyConcurrency: 4,
  // 8 MiB × 10,000 parts = 80 GB per object; 4 in flight = 32 MiB of memory.
  uploadPartSize: 8 * MiB,
  uploadQueueSize: 4,
  listPageSize: 1000,
  deleteBatchSize: 1000,
};

/**
 * Object store over Amazon S3 (or any S3 peer: s3rver, MinIO). The client is
 * passed in so a process builds it once and tests can point it anywhere.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly opts: Required<S3ObjectStoreOptions>;

  constructor(
    private readonly client: S3Client,
    options: S3ObjectStoreOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
    if (this.opts.listPageSize < 1 || this.opts.listPageSize > 1000)
      throw new RangeError('listPageSize must be 1..1000');
    if (this.opts.deleteBatchSize < 1 || this.opts.deleteBatchSize > 1000) {
      throw new RangeError('deleteBatchSize must be 1..1000');
    }
    if (this.opts.copyPartSize < 1) throw new RangeError('copyPartSize must be positive');
  }

  uri(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }

  localPath(): null {
    return null;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        bucket,
        key,
        size: r.ContentLength ?? 0,
        etag: unquote(r.ETag),
        lastModified: r.LastModified ?? new Date(0),
      };
    } catch (e) {
      // HeadObject has no body, so a missing key is only a bare 404 named NotFound.
      if (isMissingKey(e)) return null;
      throw mapS3Error(e, 'HeadObject', bucket, key);
    }
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    if (range && (range.start < 0 || range.end < range.start)) {
      throw new RangeError(`invalid byte range ${range.start}-${range.end} for ${this.uri(bucket, key)}`);
    }
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!r.Body) throw new Error(`GetObject ${this.uri(bucket, key)} returned no body`);
      // In Node the SDK body is an IncomingMessage (a Readable) with helper mixins.
      return r.Body as Readable;
    } catch (e) {
      throw mapS3Error(e, 'GetObject', bucket, key);
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    contentType?: string,
  ): Promise<{ etag: string }> {
    const type = contentType ? { ContentType: contentType } : {};
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        const r = await this.client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length, ...type }),
        );
        return { etag: unquote(r.ETag) };
      }
      // Upload sends one PutObject for a short stream and a multipart upload
      // otherwise, holding at most partSize × queueSize bytes; it aborts the
      // multipart upload itself when a part fails.
      const upload = new Upload({
        client: this.client,
        params: { Bucket: bucket, Key: key, Body: body, ...type },
        partSize: this.opts.uploadPartSize,
        queueSize: this.opts.uploadQueueSize,
        leavePartsOnError: false,
      });
      const r = await upload.done();
      return { etag: unquote(r.ETag) };
    } catch (e) {
      throw mapS3Error(e, 'PutObject', bucket, key);
    }
  }

  async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    const source = await this.head(from.bucket, from.key);
    if (!source) {
      throw new ObjectNotFound(
        `cannot copy ${this.uri(from.bucket, from.key)} to ${this.uri(to.bucket, to.key)}: the source object does not exist`,
      );
    }
    if (source.size > this.opts.multipartCopyThreshold) {
      await this.multipartCopy(from, to, source.size);
      return;
    }
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: copySource(from.bucket, from.key) }),
      );
    } catch (e) {
      throw mapS3Error(e, 'CopyObject', from.bucket, from.key);
    }
  }

  private async multipartCopy(
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    size: number,
  ): Promise<void> {
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: to.key }));
      uploadId = created.UploadId;
      if (!uploadId) throw new Error(`CreateMultipartUpload ${this.uri(to.bucket, to.key)} returned no UploadId`);
      const ranges: { partNumber: number; start: number; end: number }[] = [];
      for (let start = 0, n = 1; start < size; start += this.opts.copyPartSize, n++) {
        ranges.push({ partNumber: n, start, end: Math.min(start + this.opts.copyPartSize, size) - 1 });
      }
      const etags = new Array<string>(ranges.length);
      let next = 0;
      const id = uploadId;
      const worker = async (): Promise<void> => {
        while (next < ranges.length) {
          const r = ranges[next++]!;
          const out = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: to.bucket,
              Key: to.key,
              UploadId: id,
              PartNumber: r.partNumber,
              CopySource: copySource(from.bucket, from.key),
              CopySourceRange: `bytes=${r.start}-${r.end}`,
            }),
          );
          const etag = out.CopyPartResult?.ETag;
          if (!etag)
            throw new Error(`UploadPartCopy part ${r.partNumber} of ${this.uri(to.bucket, to.key)} returned no ETag`);
          etags[r.partNumber - 1] = etag;
        }
      };
      const workers = Math.min(this.opts.copyConcurrency, ranges.length);
      await Promise.all(Array.from({ length: workers }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: to.bucket,
          Key: to.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (e) {
      if (uploadId) {
        // Parts of an unfinished upload are billed until aborted; the copy's own error is what matters.
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw mapS3Error(e, 'multipart copy', from.bucket, from.key);
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      if (isMissingKey(e)) return;
      throw mapS3Error(e, 'DeleteObject', bucket, key);
    }
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: this.opts.listPageSize,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (e) {
        throw mapS3Error(e, 'ListObjectsV2', bucket, prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield {
          bucket,
          key: o.Key,
          size: o.Size ?? 0,
          etag: unquote(o.ETag),
          lastModified: o.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let deleted = 0;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      let r: DeleteObjectsCommandOutput;
      try {
        r = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (e) {
        throw mapS3Error(e, 'DeleteObjects', bucket, prefix);
      }
      const failed = (r.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        const err = Object.assign(
          new Error(
            `DeleteObjects under ${this.uri(bucket, prefix)}: ${failed.length} of ${keys.length} keys not deleted ` +
              `(first: ${first.Key}: ${first.Code} ${first.Message ?? ''}); check the role's s3:DeleteObject permission, then retry`,
          ),
          { name: first.Code ?? 'DeleteObjectsFailed', code: first.Code },
        );
        throw classifyError(err);
      }
      deleted += keys.length;
    };
    // The listing continues from the last key it returned, so deleting a page
    // before fetching the next one does not skip anything.
    for await (const o of this.list(bucket, prefix)) {
      batch.push(o.key);
      if (batch.length >= this.opts.deleteBatchSize) await flush();
    }
    await flush();
    return deleted;
  }
}

/**
 * A client for S3, or for an S3 peer when `endpoint` is set. Peers such as
 * s3rver store aws-chunked bodies verbatim (corrupting them), so checksums are
 * only sent when an operation requires one.
 */
export function createS3Client(
  opts: { endpoint?: string | null; forcePathStyle?: boolean; region?: string } = {},
  extra: S3ClientConfig = {},
): S3Client {
  const peer = opts.endpoint
    ? {
        endpoint: opts.endpoint,
        forcePathStyle: opts.forcePathStyle ?? true,
        requestChecksumCalculation: 'WHEN_REQUIRED' as const,
        responseChecksumValidation: 'WHEN_REQUIRED' as const,
      }
    : {};
  return new S3Client({ ...(opts.region ? { region: opts.region } : {}), ...peer, ...extra });
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^(W\/)?"|"$/g, '');
}

/** `x-amz-copy-source` is URL-encoded; '+', '?' and '#' would otherwise be read as space, query and fragment. */
function copySource(bucket: string, key: string): string {
  return encodeURI(`${bucket}/${key}`).replace(/[+?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function errorCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  return (e as { Code?: string }).Code ?? (e as { code?: string }).code ?? e.name;
}

function isMissingKey(e: unknown): boolean {
  const code = errorCode(e);
  const status = (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return code === 'NoSuchKey' || code === 'NotFound' || (status === 404 && code !== 'NoSuchBucket');
}

/**
 * Throttling and 5xx become EfiTransient (the state machine retries them); a
 * missing key or bucket becomes ObjectNotFound; anything else keeps its S3
 * name (AccessDenied, ...) with the operation and object in the message.
 */
function mapS3Error(e: unknown, op: string, bucket: string, key: string): Error {
  if (e instanceof EfiError) return e;
  const where = `s3://${bucket}/${key}`;
  const code = errorCode(e);
  if (code === 'NoSuchBucket') {
    return new ObjectNotFound(
      `${op} ${where}: bucket ${bucket} does not exist; check EFI_BUCKET and the region`,
      {},
      {
        cause: e,
      },
    );
  }
  if (isMissingKey(e)) return new ObjectNotFound(`${op} ${where}: the object does not exist`, {}, { cause: e });
  const classified = classifyError(e);
  if (classified instanceof TransientError) {
    return new TransientError(`${op} ${where}: ${classified.message}; retry later`, {}, { cause: e });
  }
  if (classified instanceof EfiError) return classified;
  const err = new Error(`${op} ${where} failed: ${classified.message}`, { cause: e });
  err.name = classified.name;
  return err;
}
