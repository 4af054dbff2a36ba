import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { Compression } from '../config/model.ts';
import { CompressionCorrupt, CompressionMismatch, ConfigInvalid } from '../errors.ts';
import { bzip2Transform, zstdTransform } from './decompress-js.ts';

/**
 * Compression detection and decompression. Detection reads magic bytes so a
 * mislabelled file fails with a clear message instead of garbage records.
 * Decompressors are a registry: gzip and (on Node >= 22.15) zstd are native,
 * bzip2 and zstd otherwise come from pure-JS packages; registerDecompressor
 * swaps in another implementation without touching callers.
 */

export type Decompressor = () => Transform;

const OUTPUT_CHUNK = 64 * 1024;

const builtinZstd = (zlib as unknown as { createZstdDecompress?: (o?: object) => Transform }).createZstdDecompress;

const registry = new Map<Exclude<Compression, 'none'>, Decompressor>([
  ['gzip', () => zlib.createGunzip({ chunkSize: OUTPUT_CHUNK })],
  ['zstd', typeof builtinZstd === 'function' ? () => builtinZstd({ chunkSize: OUTPUT_CHUNK }) : zstdTransform],
  ['bzip2', bzip2Transform],
]);

/** Plugs in a decompressor (e.g. from a bzip2 package) for a compression the runtime lacks. */
export function registerDecompressor(kind: Exclude<Compression, 'none'>, factory: Decompressor): void {
  registry.set(kind, factory);
}

export function decompressorFor(kind: Exclude<Compression, 'none'>): Decompressor {
  const factory = registry.get(kind);
  if (!factory) {
    throw new ConfigInvalid(
      `${kind} decompression is not available in this runtime (Node ${process.versions.node} has no built-in ${kind}); register one with registerDecompressor('${kind}', ...) or deliver the file as gzip or uncompressed`,
    );
  }
  return factory;
}

const MAGIC: Array<{ kind: Exclude<Compression, 'none'>; bytes: number[]; hex: string }> = [
  { kind: 'gzip', bytes: [0x1f, 0x8b], hex: '1f 8b' },
  { kind: 'bzip2', bytes: [0x42, 0x5a, 0x68], hex: "42 5a 68 ('BZh')" },
  { kind: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd], hex: '28 b5 2f fd' },
];

/** Compression named by the first bytes of a file; 'none' when no known magic matches. */
export function detectCompression(head: Buffer): Compression {
  for (const m of MAGIC) {
    if (head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b)) return m.kind;
  }
  return 'none';
}

function describe(kind: Compression): string {
  if (kind === 'none') return 'no known compression magic bytes';
  const m = MAGIC.find((x) => x.kind === kind)!;
  return `${kind} magic bytes ${m.hex}`;
}

export function assertCompression(head: Buffer, configured: Compression, where: string): void {
  const found = detectCompression(head);
  if (found === configured) return;
  const shown = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CompressionMismatch(
    `${where}: config says compression ${configured} but the file starts with ${describe(found)} (first bytes: ${shown || 'none, the file is empty'}); set format.compression to ${found} or deliver a ${configured === 'none' ? 'uncompressed' : configured} file`,
  );
}

/**
 * Yields the decompressed bytes of `raw`, after checking its magic bytes
 * against the configured compression. Destroys `raw` when the consumer stops.
 */
export async function* decompressedChunks(
  raw: Readable,
  compression: Compression,
  where: string,
): AsyncGenerator<Buffer, void, undefined> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    // Enough bytes for the longest magic (4), unless the file is shorter.
    const headParts: Buffer[] = [];
    let headBytes = 0;
    let done = false;
    while (headBytes < 4) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      headParts.push(r.value);
      headBytes += r.value.length;
    }
    const head = headParts.length === 1 ? headParts[0]! : Buffer.concat(headParts);
    assertCompression(head, compression, where);
    async function* rawChunks(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    }
    if (compression === 'none') {
      yield* rawChunks();
      return;
    }
    const decoder = decompressorFor(compression)();
    const feeding = feed(rawChunks(), decoder);
    try {
      for await (const chunk of decoder as AsyncIterable<Buffer>) yield chunk;
    } catch (e) {
      throw asCorrupt(e, compression, where);
    } finally {
      decoder.destroy();
      raw.destroy();
      await feeding;
    }
  } finally {
    raw.destroy();
  }
}

/** Writes the source into the decoder honouring backpressure; errors reach the reader through the decoder. */
async function feed(source: AsyncGenerator<Buffer>, decoder: Transform): Promise<void> {
  try {
    for await (const chunk of source) {
      if (decoder.destroyed) return;
      if (!decoder.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            decoder.off('drain', done);
            decoder.off('close', done);
            resolve();
          };
          decoder.on('drain', done);
          decoder.on('close', done);
        });
      }
    }
    if (!decoder.destroyed) decoder.end();
  } catch (e) {
    decoder.destroy(e as Error);
  }
}

function asCorrupt(e: unknown, compression: Compression, where: string): unknown {
  const code = (e as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new CompressionCorrupt(
      `${where}: the ${compression} data is corrupt or truncated (${(e as Error).message}); re-deliver the file`,
      {},
      { cause: e },
    );
  }
  return e;
}
