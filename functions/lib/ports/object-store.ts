import type { Readable } from 'node:stream';

export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Content identity (S3 ETag without quotes; local store: MD5 hex). */
  etag: string;
  lastModified: Date;
}

/**
 * Object store port. Keys are opaque strings: adapters must never let a key
 * escape its bucket (no `..`, no absolute paths).
 */
export interface ObjectStore {
  head(bucket: string, key: string): Promise<ObjectInfo | null>;
  /** Streams the object (or the inclusive byte range). Throws ObjectNotFound. */
  get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Writes a stream without buffering it whole (multipart upload on S3). */
  put(bucket: string, key: string, body: Readable | Buffer | string, contentType?: string): Promise<{ etag: string }>;
  /** Server-side copy (multipart copy for objects over 5 GB on S3). */
  copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void>;
  /**
   * Optional: moves an object without copying its bytes (a rename in a local
   * folder). Without it a move is copy, then delete.
   */
  move?(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void>;
  /** Deleting a missing object is not an error (idempotent states rely on it). */
  delete(bucket: string, key: string): Promise<void>;
  list(bucket: string, prefix: string): AsyncIterable<ObjectInfo>;
  deletePrefix(bucket: string, prefix: string): Promise<number>;
  /** `s3://bucket/key`, the form COPY manifests and lineage use. */
  uri(bucket: string, key: string): string;
  /** A local file path when the store is a folder (PGlite loads from it without copying); else null. */
  localPath(bucket: string, key: string): string | null;
}
