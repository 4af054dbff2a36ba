import { isUtf8, transcode } from 'node:buffer';
import type { Encoding } from '../config/model.ts';

/**
 * Encoding checks and conversion to UTF-8 (the only encoding parts are
 * written in). Checks run natively on whole chunks (buffer.isUtf8); the slow
 * byte-by-byte walk only runs to pinpoint a failure.
 */

/** Byte offset (absolute, in the decoded stream) and what was wrong. */
export interface InvalidByte {
  offset: number;
  detail: string;
}

export interface EncodingChecker {
  /** Returns the first invalid byte in this chunk, or null. */
  push(chunk: Buffer): InvalidByte | null;
  /** Returns a problem at EOF (a truncated multi-byte sequence), or null. */
  end(): InvalidByte | null;
}

export function encodingChecker(encoding: Encoding): EncodingChecker {
  if (encoding === 'utf-8') return new Utf8Checker();
  if (encoding === 'windows-1252') return new Windows1252Checker();
  // Every byte is a latin1 character.
  return { push: () => null, end: () => null };
}

/** Expected length of a UTF-8 sequence from its lead byte; 0 for a byte that cannot lead. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Bytes at the end of `buf` that start a multi-byte sequence the next chunk must finish. */
function incompleteTail(buf: Buffer): number {
  const len = buf.length;
  for (let i = len - 1; i >= 0 && i >= len - 3; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = sequenceLength(b);
    return need > 1 && len - i < need ? len - i : 0;
  }
  return 0;
}

/** Offset of the first byte of the first invalid sequence in buf (or buf.length if none). */
export function firstInvalidUtf8(buf: Buffer): { index: number; detail: string } {
  let i = 0;
  const len = buf.length;
  while (i < len) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = sequenceLength(b);
    if (need === 0) return { index: i, detail: `byte 0x${hex(b)} cannot start a UTF-8 character` };
    if (i + need > len) return { index: i, detail: `UTF-8 sequence starting 0x${hex(b)} is cut off` };
    const b1 = buf[i + 1]!;
    // Ranges from RFC 3629: reject overlongs and surrogates, not just bad continuation bytes.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let ok = b1 >= lo && b1 <= hi;
    for (let k = 2; ok && k < need; k++) ok = (buf[i + k]! & 0xc0) === 0x80;
    if (!ok) {
      const seq = [...buf.subarray(i, i + need)].map(hex).join(' ');
      return { index: i, detail: `bytes ${seq} are not a valid UTF-8 sequence` };
    }
    i += need;
  }
  return { index: len, detail: '' };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

class Utf8Checker implements EncodingChecker {
  private offset = 0;
  private tail: Buffer | null = null;

  push(chunk: Buffer): InvalidByte | null {
    let body = chunk;
    const base = this.offset;
    this.offset += chunk.length;
    if (this.tail) {
      const tail = this.tail;
      const need = sequenceLength(tail[0]!) - tail.length;
      const take = Math.min(need, chunk.length);
      const joined = Buffer.concat([tail, chunk.subarray(0, take)]);
      const joinedBase = base - tail.length;
      if (take < need) {
        for (let k = tail.length; k < joined.length; k++) {
          if ((joined[k]! & 0xc0) !== 0x80) return this.fail(joined, joinedBase);
        }
        this.tail = joined;
        return null;
      }
      this.tail = null;
      if (!isUtf8(joined)) return this.fail(joined, joinedBase);
      body = chunk.subarray(take);
    }
    const bodyBase = base + (chunk.length - body.length);
    const cut = incompleteTail(body);
    const whole = cut > 0 ? body.subarray(0, body.length - cut) : body;
    if (!isUtf8(whole)) return this.fail(whole, bodyBase);
    if (cut > 0) this.tail = Buffer.from(body.subarray(body.length - cut));
    return null;
  }

  end(): InvalidByte | null {
    if (!this.tail) return null;
    const at = this.offset - this.tail.length;
    return { offset: at, detail: `the file ends inside a UTF-8 sequence starting 0x${hex(this.tail[0]!)}` };
  }

  private fail(buf: Buffer, base: number): InvalidByte {
    const f = firstInvalidUtf8(buf);
    return { offset: base + f.index, detail: f.detail || 'invalid UTF-8' };
  }
}

/** Bytes windows-1252 leaves undefined. */
const CP1252_UNDEFINED = [0x81, 0x8d, 0x8f, 0x90, 0x9d];

class Windows1252Checker implements EncodingChecker {
  private offset = 0;

  push(chunk: Buffer): InvalidByte | null {
    let first = -1;
    for (const b of CP1252_UNDEFINED) {
      const i = chunk.indexOf(b);
      if (i !== -1 && (first === -1 || i < first)) first = i;
    }
    const base = this.offset;
    this.offset += chunk.length;
    if (first === -1) return null;
    return { offset: base + first, detail: `byte 0x${hex(chunk[first]!)} is undefined in windows-1252` };
  }

  end(): InvalidByte | null {
    return null;
  }
}

/** Chunk converter to UTF-8; null when the input already is UTF-8. Single-byte encodings convert chunk by chunk. */
export function toUtf8(encoding: Encoding): ((chunk: Buffer) => Buffer) | null {
  if (encoding === 'utf-8') return null;
  if (encoding === 'latin1') return (chunk) => transcode(chunk, 'latin1', 'utf8');
  // Node's TextDecoder('windows-1252') decodes as ISO-8859-1, so map 0x80-0x9F ourselves.
  return (chunk) =>
    Buffer.from(
      chunk.toString('latin1').replace(C1, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!),
      'utf8',
    );
}

const C1 = /[\x80-\x9f]/g;
/** windows-1252 characters for bytes 0x80-0x9F; undefined bytes keep their C1 code point. */
const CP1252_C1 = Array.from(
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
    '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178',
);

/** Encodes config text (delimiter, quote) the way it appears in the UTF-8 record bytes. */
export function configBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
