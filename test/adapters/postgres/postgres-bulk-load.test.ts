import { describe, expect, it } from 'vitest';
import {
  copyQuoteOf,
  lastRecordEnd,
  RecordChunker,
} from '../../../functions/lib/adapters/postgres/postgres-bulk-load.ts';

const Q = '"'.charCodeAt(0);

describe('PGlite COPY chunks', () => {
  it('cut only after a newline outside quotes', () => {
    expect(lastRecordEnd(Buffer.from('a,"x\ny"\nb\n"c\nd'), Q)).toBe(10);
    expect(lastRecordEnd(Buffer.from('"only\nquoted'), Q)).toBe(-1);
    expect(lastRecordEnd(Buffer.from('1,"say ""hi"""\n2'), Q)).toBe(15);
  });

  it('reassemble to the same bytes, every chunk ending at a record', () => {
    const records = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? `${i},"two\nlines, ""q"""` : `${i},plain`));
    const text = `${records.join('\n')}\n`;
    const chunker = new RecordChunker(Q, 256);
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 100) chunks.push(...chunker.push(bytes.subarray(i, i + 100)));
    chunks.push(chunker.end());
    expect(Buffer.concat(chunks).toString()).toBe(text);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) {
      expect(c.at(-1)).toBe(10);
      // An even number of quotes: the chunk ends outside quotes.
      expect(c.toString().split('"').length % 2).toBe(1);
    }
  });

  it('read the quote from the COPY options, and refuse to cut when ESCAPE differs from it', () => {
    expect(copyQuoteOf(`FORMAT csv, DELIMITER E',', QUOTE E'"', NULL E''`)).toBe(Q);
    expect(copyQuoteOf(`FORMAT csv, QUOTE E'\x01'`)).toBe(1);
    expect(copyQuoteOf(`FORMAT csv, QUOTE E'''', ESCAPE E''''`)).toBe(39);
    expect(copyQuoteOf(`FORMAT csv, QUOTE E'"', ESCAPE E'\\\\'`)).toBeUndefined();
  });
});
