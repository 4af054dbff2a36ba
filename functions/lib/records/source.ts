import { Readable } from 'node:stream';
import type { FileConfig } from '../config/model.ts';
import { EncodingInvalid, formatLocation } from '../errors.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { decompressedChunks } from './decompress.ts';
import { encodingChecker, toUtf8 } from './transcode.ts';

export interface SourceOptions {
  /** Reject bytes invalid in the configured encoding (ValidateFile); later passes trust the validated file. */
  checkEncoding: boolean;
  /**
   * Sees every byte of the object as stored (before decompression), in order:
   * ValidateFile hashes the file in the pass it makes anyway.
   */
  onStoredBytes?: (chunk: Buffer) => undefined | Promise<void>;
}

/**
 * The bytes every pass scans: the object, decompressed, encoding-checked and
 * converted to UTF-8. ValidateFile, Preprocess and locateRecord all read
 * through here, so they see identical records.
 */
export async function* recordBytes(
  store: ObjectStore,
  bucket: string,
  key: string,
  config: FileConfig,
  opts: SourceOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const where = store.uri(bucket, key);
  const { compression, encoding } = config.format;
  const checker = opts.checkEncoding ? encodingChecker(encoding) : null;
  const convert = toUtf8(encoding);
  const stored = await store.get(bucket, key);
  const tap = opts.onStoredBytes;
  const raw = tap ? Readable.from(tapped(stored, tap), { objectMode: false }) : stored;
  for await (const chunk of decompressedChunks(raw, compression, where)) {
    const bad = checker?.push(chunk);
    if (bad) throw await encodingError(store, bucket, key, config, bad.offset, bad.detail);
    yield convert ? convert(chunk) : chunk;
  }
  const bad = checker?.end();
  if (bad) throw await encodingError(store, bucket, key, config, bad.offset, bad.detail);
}

async function* tapped(stream: Readable, tap: (chunk: Buffer) => undefined | Promise<void>): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    // A tap that is behind (a hashing worker) makes the read wait: memory stays bounded.
    const behind = tap(buf);
    if (behind) await behind;
    yield buf;
  }
}

/** Failure path only: re-reads the file up to the bad byte to say which line and byte column it is in. */
async function encodingError(
  store: ObjectStore,
  bucket: string,
  key: string,
  config: FileConfig,
  offset: number,
  detail: string,
): Promise<EncodingInvalid> {
  const { line } = await lineAndColumn(store, bucket, key, config, offset);
  const at = { line, byteOffset: offset };
  return new EncodingInvalid(
    `${formatLocation(at)}: ${detail}; the config says the file is ${config.format.encoding}: re-export the file as ${config.format.encoding} or set format.encoding to the file's real encoding`,
    at,
  );
}

async function lineAndColumn(
  store: ObjectStore,
  bucket: string,
  key: string,
  config: FileConfig,
  offset: number,
): Promise<{ line: number; column: number }> {
  let line = 1;
  let lineStart = 0;
  let pos = 0;
  const where = store.uri(bucket, key);
  for await (const chunk of decompressedChunks(await store.get(bucket, key), config.format.compression, where)) {
    const stop = Math.min(chunk.length, offset - pos);
    let i = chunk.indexOf(0x0a);
    while (i !== -1 && i < stop) {
      line++;
      lineStart = pos + i + 1;
      i = chunk.indexOf(0x0a, i + 1);
    }
    pos += chunk.length;
    if (pos >= offset) break;
  }
  let column = offset - lineStart + 1;
  // Columns count from after a UTF-8 BOM, as the records do.
  if (line === 1 && config.format.encoding === 'utf-8' && (await startsWithBom(store, bucket, key, config)))
    column -= 3;
  return { line, column };
}

async function startsWithBom(store: ObjectStore, bucket: string, key: string, config: FileConfig): Promise<boolean> {
  for await (const chunk of decompressedChunks(
    await store.get(bucket, key),
    config.format.compression,
    store.uri(bucket, key),
  )) {
    return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
  }
  return false;
}
