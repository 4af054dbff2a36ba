import { describe, expect, it } from 'vitest';
import { STOP } from '../../functions/lib/records/record-scanner.ts';
import { ALL_RECORDS_ARE_DATA, scanRecords } from '../../functions/lib/records/scan-records.ts';

/** Yields `text` in chunks of `size` bytes and records whether the consumer closed it early. */
function source(text: string, size: number) {
  const state = { read: 0, closed: false, done: false };
  const buf = Buffer.from(text, 'utf8');
  const chunks = (async function* () {
    try {
      for (let i = 0; i < buf.length; i += size) {
        state.read++;
        yield buf.subarray(i, i + size);
      }
      state.done = true;
    } finally {
      state.closed = true;
    }
  })();
  return { chunks, state };
}

const plain = { quote: null, stripBom: true };

describe('scanRecords', () => {
  it('hands every record to its role and reports what the scanner saw', async () => {
    const seen: string[] = [];
    const { chunks } = source('\uFEFFh\r\na\r\n\r\nb\r\nT\r\n', 3);
    const r = await scanRecords(
      chunks,
      { scanner: plain, roles: { headerLines: 1, hasTrailer: true, ignoreBlankLines: true } },
      {
        header: (b, s, e) => {
          seen.push(`H:${b.toString('utf8', s, e)}`);
        },
        data: (b, s, e, line) => {
          seen.push(`D${line}:${b.toString('utf8', s, e)}`);
        },
        trailer: (b, s, e) => {
          seen.push(`T:${b.toString('utf8', s, e)}`);
        },
      },
    );
    expect(seen).toEqual(['H:h', 'D2:a', 'D4:b', 'T:T']);
    expect(r).toEqual({
      stopped: false,
      trailer: true,
      headerLines: 1,
      bom: true,
      crlfRecords: 5,
      lfRecords: 0,
      // BOM (3 bytes) and the header line "h\r\n".
      dataStart: 6,
      cuts: [],
    });
  });

  it('finds record-aligned cuts every cutEvery bytes past the header, whatever the chunking, never at the end', async () => {
    // Records of 10 bytes after a 4-byte header; the third holds a quoted newline.
    const text = `\uFEFFhdr\n${['r000000001', 'r000000002', '"r\n000003"', 'r000000004', 'r000000005'].join('\n')}\n`;
    const bytes = Buffer.from(text);
    const starts: number[] = [];
    for (let at = bytes.indexOf('hdr\n') + 4; at < bytes.length; at += 11) starts.push(at);
    for (const size of [1, 5, 1000]) {
      const { chunks } = source(text, size);
      const r = await scanRecords(
        chunks,
        {
          scanner: { quote: 0x22, stripBom: true },
          roles: { headerLines: 1, hasTrailer: false, ignoreBlankLines: false },
        },
        { data: () => undefined },
        undefined,
        { cutEvery: 20 },
      );
      expect(r.dataStart).toBe(7);
      // 22 bytes after dataStart (two records) is the first end at or past 20; the input's end is no cut.
      expect(r.cuts).toEqual([starts[2], starts[4]]);
      for (const c of r.cuts) expect(bytes[c - 1]).toBe(0x0a);
    }
  });

  it('stops after the record a visitor returns STOP for, closes the source and hands over no trailer', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `r${i + 1}`).join('\n');
    for (const size of [1, 7, 1000]) {
      const { chunks, state } = source(`${lines}\n`, size);
      const seen: number[] = [];
      let trailers = 0;
      const r = await scanRecords(
        chunks,
        { scanner: plain, roles: { headerLines: 0, hasTrailer: true, ignoreBlankLines: false } },
        {
          data: (_b, _s, _e, line) => {
            seen.push(line);
            return line === 10 ? STOP : undefined;
          },
          trailer: () => {
            trailers++;
          },
        },
      );
      expect(seen, `chunk size ${size}`).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(r.stopped).toBe(true);
      expect(r.trailer).toBe(false);
      expect(trailers).toBe(0);
      expect(state.closed).toBe(true);
      if (size < 100) expect(state.done).toBe(false);
    }
  });

  it('stops inside quoted records and on the last record without a newline', async () => {
    const seen: string[] = [];
    const { chunks } = source('1,"a\nb"\n2,c\n3,d', 2);
    const r = await scanRecords(
      chunks,
      { scanner: { quote: 0x22, stripBom: false }, roles: ALL_RECORDS_ARE_DATA },
      {
        data: (b, s, e) => {
          seen.push(b.toString('utf8', s, e));
          return seen.length === 3 ? STOP : undefined;
        },
      },
    );
    expect(seen).toEqual(['1,"a\nb"', '2,c', '3,d']);
    expect(r.stopped).toBe(true);
  });

  it('does not refuse an unclosed quote after the scan stopped before it', async () => {
    const { chunks } = source('a\n"open\nmore\n', 4);
    const r = await scanRecords(
      chunks,
      { scanner: { quote: 0x22, stripBom: false }, roles: ALL_RECORDS_ARE_DATA },
      {
        data: () => STOP,
      },
    );
    expect(r.stopped).toBe(true);
  });

  it('with every record as data, blank records are data too', async () => {
    const seen: number[] = [];
    const { chunks } = source('a\n\nb\n', 1);
    await scanRecords(
      chunks,
      { scanner: plain, roles: ALL_RECORDS_ARE_DATA },
      {
        data: (_b, _s, _e, line) => {
          seen.push(line);
        },
      },
    );
    expect(seen).toEqual([1, 2, 3]);
  });
});
