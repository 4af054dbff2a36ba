import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import type { ObjectStore } from '../../ports/object-store.ts';

/**
 * Writes one gzip part to the object store, compressing fixed-size blocks in
 * parallel on the libuv pool (as pigz does): each block is raw deflate ended
 * with a sync flush, so the blocks concatenate into one standard gzip member
 * that any gunzip (and COPY ... GZIP) reads. Memory is bounded by the blocks in
 * flight, whatever the part size.
 */

export interface GzipPartOptions {
  /** Uncompressed bytes per compression block. */
  blockBytes: number;
  /** Blocks compressing or waiting to be written, per part. */
  maxInFlight: number;
  level: number;
  /**
   * false = the part is written as is, uncompressed (for a local warehouse
   * reading a local folder store, where gzip then gunzip only costs time).
   */
  compress?: boolean;
}

export const DEFAULT_GZIP_PART_OPTIONS: GzipPartOptions = { blockBytes: 1024 * 1024, maxInFlight: 4, level: 1 };

// mtime 0 keeps reruns byte-identical; XFL 4 = fastest; OS 255 = unknown.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x04, 0xff]);
/** An empty final deflate block (BFINAL=1, fixed Huffman). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

function deflateBlock(block: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(block, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH }, (err, out) =>
      err ? reject(err) : resolve(out),
    );
  });
}

export class GzipPartWriter {
  /** Uncompressed bytes written so far. */
  bytes = 0;
  private compressedBytes = 0;
  private crc = 0;
  private block: Buffer;
  private blockLen = 0;
  private readonly body = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly stored: Promise<unknown>;
  private chain: Promise<void> = Promise.resolve();
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown = null;

  constructor(
    store: ObjectStore,
    readonly bucket: string,
    readonly key: string,
    private readonly opts: GzipPartOptions = DEFAULT_GZIP_PART_OPTIONS,
  ) {
    this.block = Buffer.allocUnsafe(opts.blockBytes);
    // abort() may destroy the body before the store attaches to it; failures surface through `stored`.
    this.body.on('error', () => undefined);
    this.stored = store.put(bucket, key, this.body, opts.compress === false ? 'text/plain' : 'application/gzip');
    // Record the failure now; it is rethrown from ready()/finish() (no unhandled rejection meanwhile).
    this.stored.catch((e) => this.fail(e));
    if (this.compress) this.writeOut(GZIP_HEADER);
  }

  private get compress(): boolean {
    return this.opts.compress !== false;
  }

  /** Appends bytes (copied at once, the caller may reuse its buffer). */
  write(buf: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    while (start < end) {
      const n = Math.min(end - start, this.block.length - this.blockLen);
      buf.copy(this.block, this.blockLen, start, start + n);
      this.blockLen += n;
      start += n;
      if (this.blockLen === this.block.length) this.dispatch();
    }
  }

  /** Resolves once few enough blocks are in flight; rethrows a compression or storage failure. */
  async ready(): Promise<void> {
    while (this.inFlight.length > this.opts.maxInFlight) await this.inFlight.shift();
    if (this.failure) throw this.failure;
  }

  /** Flushes the last block, writes the gzip trailer and waits until the object is stored. */
  async finish(): Promise<{ compressedBytes: number }> {
    if (this.blockLen > 0) this.dispatch();
    if (this.compress) {
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc >>> 0, 0);
      trailer.writeUInt32LE(this.bytes % 0x1_0000_0000, 4);
      const tail = Buffer.concat([FINAL_BLOCK, trailer]);
      this.chain = this.chain.then(() => this.emit(tail));
    }
    try {
      await this.chain;
      this.body.end();
      await this.stored;
    } catch (e) {
      this.abort(e);
      throw this.failure ?? e;
    }
    return { compressedBytes: this.compressedBytes };
  }

  /** Stops the upload (the store discards the partial object). */
  abort(reason: unknown): void {
    this.fail(reason);
    if (!this.body.destroyed) this.body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  }

  /** Settles once the upload has stopped after abort(). */
  async settled(): Promise<void> {
    await this.stored.catch(() => undefined);
  }

  private dispatch(): void {
    const block = this.blockLen === this.block.length ? this.block : this.block.subarray(0, this.blockLen);
    if (this.compress) this.crc = zlib.crc32(block, this.crc);
    // Without compression the block is handed over as is (a fresh block is allocated below).
    const compressed = this.compress ? deflateBlock(block, this.opts.level) : Promise.resolve(block);
    compressed.catch(() => undefined);
    const link = this.chain.then(async () => this.emit(await compressed));
    link.catch((e) => this.fail(e));
    this.chain = link;
    this.inFlight.push(link.catch(() => undefined));
    this.block = Buffer.allocUnsafe(this.opts.blockBytes);
    this.blockLen = 0;
  }

  private async emit(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.compressedBytes += chunk.length;
    if (!this.body.write(chunk)) await drained(this.body);
  }

  private writeOut(chunk: Buffer): void {
    this.chain = this.chain.then(() => this.emit(chunk));
    this.chain.catch((e) => this.fail(e));
  }

  private fail(e: unknown): void {
    this.failure ??= e;
  }
}

/** Waits for 'drain', or fails if the consumer goes away instead (no hang on a failed upload). */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the object store stopped reading the part before it was complete'));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', done);
  });
}
