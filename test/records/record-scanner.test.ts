import { describe, expect, it } from 'vitest';
import { RecordRoles } from '../../functions/lib/records/record-roles.ts';
import { RecordScanner, type ScannerOptions } from '../../functions/lib/records/record-scanner.ts';

interface Rec {
  text: string;
  line: number;
}

function scan(input: Buffer | string, opts: Partial<ScannerOptions> = {}, chunkSize?: number) {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const records: Rec[] = [];
  const scanner = new RecordScanner(
    {
      record: (b, s, e, line) => {
        records.push({ text: b.toString('utf8', s, e), line });
      },
    },
    { quote: null, stripBom: true, ...opts },
  );
  const size = chunkSize ?? buf.length;
  for (let i = 0; i < buf.length; i += size) scanner.push(buf.subarray(i, i + size));
  scanner.end();
  return { records, scanner };
}

/** The same input split at every chunk size must give the same records. */
function scanAllChunkings(input: string, opts: Partial<ScannerOptions> = {}) {
  const whole = scan(input, opts);
  const n = Buffer.byteLength(input);
  for (let size = 1; size <= n; size++) {
    expect(scan(input, opts, size).records, `chunk size ${size}`).toEqual(whole.records);
  }
  return whole;
}

describe('RecordScanner', () => {
  it('with an ESCAPE byte, an escaped line feed stays in the record; an escaped escape does not (docs nlTest2.txt)', () => {
    const { records } = scanAllChunkings('<a>\\\n</a>|1\nx\\\\\ny|2\n\\\\\\\nz|3\n', { escape: 0x5c });
    expect(records).toEqual([
      { text: '<a>\\\n</a>|1', line: 1 },
      { text: 'x\\\\', line: 3 },
      { text: 'y|2', line: 4 },
      { text: '\\\\\\\nz|3', line: 5 },
    ]);
    // Without it (or with CSV quoting) the line feed ends the record, as before.
    expect(scan('<a>\\\n</a>|1\n').records).toHaveLength(2);
    expect(scan('<a>\\\n</a>|1\n', { quote: 0x22, escape: 0x5c }).records).toHaveLength(2);
  });

  it('splits LF records with 1-based lines and no extra record for the final newline', () => {
    const { records, scanner } = scanAllChunkings('a,1\nb,2\nc,3\n');
    expect(records).toEqual([
      { text: 'a,1', line: 1 },
      { text: 'b,2', line: 2 },
      { text: 'c,3', line: 3 },
    ]);
    expect(scanner.lfRecords).toBe(3);
    expect(scanner.crlfRecords).toBe(0);
  });

  it('keeps a last record that has no newline', () => {
    expect(scanAllChunkings('a\nb').records).toEqual([
      { text: 'a', line: 1 },
      { text: 'b', line: 2 },
    ]);
  });

  it('strips CR of CRLF line ends and counts them', () => {
    const { records, scanner } = scanAllChunkings('a\r\nb\r\n\r\nc\r\n');
    expect(records.map((r) => r.text)).toEqual(['a', 'b', '', 'c']);
    expect(scanner.crlfRecords).toBe(4);
  });

  it('reports blank lines as empty records on their own line', () => {
    expect(scanAllChunkings('a\n\nb\n\n').records).toEqual([
      { text: 'a', line: 1 },
      { text: '', line: 2 },
      { text: 'b', line: 3 },
      { text: '', line: 4 },
    ]);
  });

  it('strips a UTF-8 BOM even when it is split across chunks', () => {
    const input = '\uFEFFid,name\n1,x\n';
    for (const size of [1, 2, 3, 4, 100]) {
      const { records, scanner } = scan(input, {}, size);
      expect(records[0]!.text).toBe('id,name');
      expect(scanner.bom).toBe(true);
    }
  });

  it('leaves a BOM-like prefix alone when BOM stripping is off', () => {
    const { records, scanner } = scan('\uFEFFx\n', { stripBom: false });
    expect(records[0]!.text).toBe('\uFEFFx');
    expect(scanner.bom).toBe(false);
  });

  it('keeps quoted newlines inside one record, on the line where it starts', () => {
    const input = 'id,text\n1,"two\nlines"\n2,"say ""hi""\r\nthere"\r\n3,plain\n';
    const { records } = scanAllChunkings(input, { quote: 0x22 });
    expect(records).toEqual([
      { text: 'id,text', line: 1 },
      { text: '1,"two\nlines"', line: 2 },
      { text: '2,"say ""hi""\r\nthere"', line: 4 },
      { text: '3,plain', line: 6 },
    ]);
  });

  it('without a quote character, quotes do not join lines', () => {
    expect(scan('1,"a\nb"\n').records.map((r) => r.text)).toEqual(['1,"a', 'b"']);
  });

  it('rejects an unclosed quote at end of file with the line it opened on', () => {
    let err: unknown;
    try {
      scan('a\n1,"open\nmore\n', { quote: 0x22 });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'MalformedRecord', line: 2 });
    expect((err as Error).message).toMatch(/never closed/);
  });

  it('rejects a record longer than the limit with its line, whether it spans chunks or not', () => {
    for (const size of [4, 1000]) {
      let err: unknown;
      try {
        scan('ok\nthis record is too long\nok\n', { maxRecordBytes: 10 }, size);
      } catch (e) {
        err = e;
      }
      expect(err, `chunk size ${size}`).toMatchObject({ name: 'MalformedRecord', line: 2 });
      expect((err as Error).message).toMatch(/longer than 10 bytes/);
    }
  });
});

describe('RecordRoles', () => {
  function roles(input: string, headerLines: number, hasTrailer: boolean, ignoreBlankLines: boolean) {
    const out: string[] = [];
    const r = new RecordRoles(
      {
        header: (b, s, e, line) => {
          out.push(`H${line}:${b.toString('utf8', s, e)}`);
        },
        data: (b, s, e, line) => {
          out.push(`D${line}:${b.toString('utf8', s, e)}`);
        },
        trailer: (b, s, e, line) => {
          out.push(`T${line}:${b.toString('utf8', s, e)}`);
        },
        blank: (line) => {
          out.push(`B${line}`);
        },
      },
      { headerLines, hasTrailer, ignoreBlankLines },
    );
    const scanner = new RecordScanner(r, { quote: null, stripBom: true });
    // One byte per chunk: the held-back record must survive chunk ends.
    for (const b of Buffer.from(input)) {
      scanner.push(Buffer.from([b]));
      r.chunkEnd();
    }
    scanner.end();
    r.end();
    return out;
  }

  it('the last non-blank record is the trailer; blank lines after it are not data', () => {
    // Blank lines are reported when seen; a held record is released (with its blanks) when the next arrives.
    expect(roles('h\na\n\nb\nT2\n\n', 1, true, false)).toEqual(['H1:h', 'B3', 'D2:a', 'D3:', 'D4:b', 'B6', 'T5:T2']);
  });

  it('ignored blank lines are reported but never data', () => {
    expect(roles('a\n\nb\n', 0, false, true)).toEqual(['D1:a', 'B2', 'D3:b']);
  });
});
