import { describe, expect, it } from 'vitest';
import { NextByte } from '../../functions/lib/records/next-byte.ts';

describe('NextByte', () => {
  it('answers every record of a buffer with the first occurrence at or after its start', () => {
    const buf = Buffer.from('a,b\nc"d\ne,f\n"g"\n');
    const q = new NextByte(0x22);
    const naive = (from: number) => buf.indexOf(0x22, from);
    for (let from = 0; from <= buf.length; from++) expect(q.find(buf, from)).toBe(naive(from));
  });

  it('says whether the byte is inside a record range', () => {
    const buf = Buffer.from('ab\ncd\x00e\nfg\n');
    const nul = new NextByte(0);
    expect(nul.within(buf, 0, 2)).toBe(false);
    expect(nul.within(buf, 3, 8)).toBe(true);
    expect(nul.within(buf, 9, 11)).toBe(false);
  });

  it('searches again for an earlier start, another buffer, or the same buffer after reset', () => {
    const a = Buffer.from('x..x');
    const nul = new NextByte(0x78);
    expect(nul.find(a, 1)).toBe(3);
    expect(nul.find(a, 0)).toBe(0);
    expect(nul.find(Buffer.from('..x'), 0)).toBe(2);
    // The same memory refilled with other bytes (a reused chunk buffer).
    nul.find(a, 1);
    a.write('.x..');
    nul.reset();
    expect(nul.find(a, 1)).toBe(1);
  });
});
