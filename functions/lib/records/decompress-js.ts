import { Transform } from 'node:stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import unbzip2 from 'unbzip2-stream';

/**
 * Pure-JS decompressors for runtimes without native bzip2/zstd (Node 20 has
 * neither). Each is wrapped as a node Transform so decompress.ts treats all
 * codecs alike. They are slower than zlib; native zstd (Node >= 22.15) wins
 * when present.
 */

export function zstdTransform(): Transform {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        decoder.push(chunk);
        cb();
      } catch (e) {
        cb(asZlibLike(e));
      }
    },
    flush(cb) {
      try {
        decoder.push(new Uint8Array(0), true);
        cb();
      } catch (e) {
        cb(asZlibLike(e));
      }
    },
  });
  // Copy: the decoder may reuse its output window.
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) t.push(Buffer.from(data));
  });
  return t;
}

export function bzip2Transform(): Transform {
  const bz = unbzip2();
  let flushed: ((err?: Error) => void) | null = null;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bz.write(chunk);
      cb();
    },
    flush(cb) {
      flushed = cb;
      bz.end();
    },
  });
  bz.on('data', (d: Buffer) => t.push(d));
  bz.on('end', () => flushed?.());
  bz.on('error', (e: Error) => {
    if (flushed) flushed(asZlibLike(e));
    else t.destroy(asZlibLike(e));
  });
  return t;
}

/**
 * Tags codec failures like zlib's (code Z_DATA_ERROR) so callers report them as a corrupt file.
 * fzstd sets a numeric `code` of its own (a truncated frame's "unexpected EOF" is 0): only a
 * zlib-style string code is kept, else a truncated zstd file failed as a bare Error.
 */
function asZlibLike(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const tagged = err as Error & { code?: unknown };
  if (typeof tagged.code !== 'string') tagged.code = 'Z_DATA_ERROR';
  return err;
}
