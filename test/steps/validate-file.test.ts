import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateFile, validateRunFile } from '../../functions/lib/steps/validate-file.ts';
import {
  caught,
  DEFAULT_MIN_SIZE_BYTES,
  fileConfig,
  layout,
  type TempStore,
  tempStore,
} from '../support/config-builder.ts';
import { MemoryConfigSource, MemoryObjectStore, MemoryRunLog } from '../support/fakes/index.ts';
import { BUCKET, matchedRun, ORIGINAL, ORIGINAL_KEY, SALES_CONFIG } from '../support/step-fixtures.ts';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const CSV = 'id,name,amount\n1,alpha,10\n2,beta,20\n3,gamma,30\n';

async function validate(key: string, body: string | Buffer, config = fileConfig()) {
  const run = await t.put(key, body);
  return validateFile(t.store, run, config);
}

describe('validateFile: accepted files', () => {
  it('counts data records of a plain LF file that can be loaded as is', async () => {
    const v = await validate('in/a.csv', '1,alpha,10\n2,beta,20\n');
    expect(v).toEqual({
      fileBytes: 21,
      recordsInFile: 2,
      headerLines: 0,
      trailerCount: null,
      lineEnding: 'lf',
      bom: false,
      recordTypes: null,
      unknownRecords: 0,
      blankLines: 0,
      needsPreprocess: false,
      // The content's identity: SHA-256 of the bytes as stored, from the same pass.
      contentSha256: createHash('sha256').update('1,alpha,10\n2,beta,20\n').digest('hex'),
      // Nothing to rewrite: a local warehouse may load the bytes in place, from the first one.
      inPlace: { dataStart: 0, cuts: [] },
    });
  });

  it('a header line is not a record and requires preprocessing', async () => {
    const v = await validate(
      'in/a.csv',
      CSV,
      fileConfig({ header: { lines: 1, columns: ['ID', ' Name ', 'amount'] } }),
    );
    expect(v.recordsInFile).toBe(3);
    expect(v.headerLines).toBe(1);
    expect(v.needsPreprocess).toBe(true);
    // For a local warehouse the records can still be read in place, past the header line.
    expect(v.inPlace).toEqual({ dataStart: 'id,name,amount\n'.length, cuts: [] });
  });

  it('detects CRLF and a BOM', async () => {
    const v = await validate('in/a.csv', '\uFEFF1,a,1\r\n2,b,2\r\n');
    expect(v).toMatchObject({ recordsInFile: 2, lineEnding: 'crlf', bom: true, needsPreprocess: true });
    // PostgreSQL's COPY would read the CRs as data: only Preprocess's rewrite loads this file.
    expect(v.inPlace).toBeUndefined();
  });

  it('reads gzip input', async () => {
    const cfg = fileConfig({ format: { compression: 'gzip', extensions: ['gz'] } });
    const stored = gzipSync(Buffer.from(CSV));
    const v = await validate('in/a.csv.gz', stored, cfg);
    expect(v.recordsInFile).toBe(4);
    expect(v.needsPreprocess).toBe(true);
    // The hash is of the object as stored (what a re-upload repeats), not of the decompressed records.
    expect(v.contentSha256).toBe(createHash('sha256').update(stored).digest('hex'));
  });

  for (const [compression, tool, ext] of [
    ['bzip2', 'bzip2', 'bz2'],
    ['zstd', 'zstd', 'zst'],
  ] as const) {
    it.skipIf(!hasTool(tool))(`reads ${compression} input (pure-JS decoder on Node 20)`, async () => {
      const body = CSV.repeat(2000);
      const packed = execFileSync(tool, ['-c'], { input: Buffer.from(body) });
      const cfg = fileConfig({ format: { compression }, header: { lines: 0 } });
      const v = await validate(`in/a.csv.${ext}`, packed, cfg);
      expect(v.recordsInFile).toBe(8000);
    });
  }

  it('counts a quoted multi-line field as one record', async () => {
    const v = await validate('in/a.csv', '1,"two\nlines",3\n2,"x ""q""",4\n');
    expect(v.recordsInFile).toBe(2);
    expect(v.needsPreprocess).toBe(false);
  });

  it('a quoted field padded with blanks is one field, as Redshift CSV reads it; text after a closing quote is still MalformedRecord', async () => {
    // Redshift *CSV*: "white space between the delimiters and the quote characters is ignored".
    const v = await validate('in/a.csv', '1, "a,b" ,3\n2,"c"\t, "d" \n');
    expect(v.recordsInFile).toBe(2);
    const e = await caught(() => validate('in/b.csv', '1,"a" b,3\n'));
    expect(e).toMatchObject({ name: 'MalformedRecord', location: { line: 1, field: 2 } });
    expect(e.message).toMatch(/closing quote is followed by " "/);
  });

  it('ignores blank lines by default and counts them when configured to', async () => {
    const body = '1,a,1\n\n2,b,2\n\n';
    expect(await validate('in/a.csv', body)).toMatchObject({ recordsInFile: 2, blankLines: 2, needsPreprocess: true });
    const counted = await validate('in/b.csv', body, fileConfig({ load: { ignoreBlankLines: false } }));
    expect(counted).toMatchObject({ recordsInFile: 4, blankLines: 2 });
  });

  it('legacy trailer at fixed positions: T00000042 with positions 2-9 counts 42 records', async () => {
    const rows = Array.from({ length: 42 }, (_, i) => `${i},n${i},${i}`).join('\n');
    const cfg = fileConfig({ header: { lines: 1 }, trailer: { count: { kind: 'position', from: 2, to: 9 } } });
    const v = await validate('in/a.csv', `id,name,amount\n${rows}\nT00000042\n\n`, cfg);
    expect(v).toMatchObject({ recordsInFile: 42, trailerCount: 42, headerLines: 1, blankLines: 1 });
  });

  it('trailer by pattern uses the first capture group', async () => {
    const cfg = fileConfig({ trailer: { count: { kind: 'pattern', regex: '^TRL\\|(\\d+)\\|' } } });
    const v = await validate('in/a.csv', '1,a,1\n2,b,2\nTRL|2|2024-01-01\n', cfg);
    expect(v.trailerCount).toBe(2);
    expect(v.recordsInFile).toBe(2);
  });

  it('accepts gz or csv.gz for a .csv.gz file, and only the configured extensions', async () => {
    const gz = gzipSync(Buffer.from(CSV));
    for (const extensions of [['gz'], ['csv.gz']]) {
      const cfg = fileConfig({ format: { compression: 'gzip', extensions } });
      await expect(validate('in/A.CSV.GZ', gz, cfg)).resolves.toMatchObject({ recordsInFile: 4 });
    }
  });

  it('latin1 and windows-1252 accept bytes that are invalid UTF-8', async () => {
    const body = Buffer.from('1,caf\xe9,1\n2,\x80uro,2\n', 'latin1');
    for (const encoding of ['latin1', 'windows-1252'] as const) {
      const v = await validate(`in/${encoding}.csv`, body, fileConfig({ format: { encoding } }));
      expect(v).toMatchObject({ recordsInFile: 2, needsPreprocess: true });
    }
  });

  it('split files: counts per record type, skipping unknown types when configured to', async () => {
    const cfg = fileConfig({
      split: { prefixLength: 2, onUnknown: 'skip' },
      records: [layout('H1', ['t', 'a']), layout('D1', ['t', 'b'])],
    });
    const v = await validate('in/a.csv', 'H1,x\nD1,y\nD1,z\nZZ,q\n', cfg);
    expect(v).toMatchObject({ recordsInFile: 4, recordTypes: { H1: 1, D1: 2 }, unknownRecords: 1 });
    expect(v.needsPreprocess).toBe(true);
  });

  it('load.removeQuotes (Redshift REMOVEQUOTES): a delimiter inside surrounding quotes is data, as the load reads it', async () => {
    const cfg = fileConfig({ format: { delimiter: '~', quote: null }, load: { removeQuotes: true } });
    // What the original framework loaded with REMOVEQUOTES for a set escape_char: 1 | a~b | x, 2 | q | O'Brien.
    const v = await validate('in/a.csv', `1~"a~b"~'x'\n2~q~O'Brien\n3~"~"~""\n`, cfg);
    expect(v.recordsInFile).toBe(3);
    // An opening quote never closed fails the record, as Redshift refuses the row.
    const e = await caught(() => validate('in/b.csv', '1~"a~b~x\n', cfg));
    expect(e).toMatchObject({ name: 'MalformedRecord', location: { line: 1, field: 2 } });
    expect((e as Error).message).toContain('its opening quote " is never closed (load.removeQuotes)');
    // Without removeQuotes the quotes are data and the delimiter inside them splits.
    const plain = fileConfig({ format: { delimiter: '~', quote: null } });
    await expect(caught(() => validate('in/c.csv', '1~"a~b"~x\n', plain))).resolves.toMatchObject({
      name: 'FieldCountMismatch',
    });
  });

  it('fixed width: exact length and trailing whitespace beyond the widths pass (widths in bytes: éx is 3)', async () => {
    const cfg = fileConfig({
      format: { layout: 'fixed_width' },
      records: [
        layout(null, [
          ['a', 3],
          ['b', 4],
        ]),
      ],
    });
    const v = await validate('in/a.txt', 'abc1234\nxyz5678   \néx2345  \n', cfg);
    expect(v.recordsInFile).toBe(3);
  });
});

describe('validateFile: rejections', () => {
  it('MalformedRecord names a quote inside an unquoted CSV field, where the field count shows only what followed from it', async () => {
    // 12" pizza: a quote opens quoting only at a field's start; mid-field it would pair with the
    // next quote, here on line 3, and the count said "found 5 fields, expected 3" for line 2.
    const e = await caught(() => validate('in/q.csv', '1,alpha,10\n2,12" pizza,20\n3,3" sub,30\n'));
    expect(e).toMatchObject({ name: 'MalformedRecord', location: { line: 2, field: 2, fieldName: 'name' } });
    expect(e.message).toMatch(/^line 2, field 2 \(name\): a quote \("\) inside an unquoted field: /);
    expect(e.message).toContain('"12"" pizza"');
    // Balanced within one line, the quotes would put a delimiter inside: the same cause, on its line.
    const e2 = await caught(() => validate('in/r.csv', '1,alpha,10\n2,ab"c,d"e,10\n'));
    expect(e2).toMatchObject({ name: 'MalformedRecord', location: { line: 2, field: 2 } });
    // A quoted field with doubled quotes and padding is no such quote.
    await expect(validate('in/s.csv', '1,"say ""hi""",10\n2, "b" ,20\n')).resolves.toMatchObject({ recordsInFile: 2 });
  });

  it('FileTooSmall below a minSizeBytes the config sets', async () => {
    const e = await caught(() => validate('in/a.csv', '1,a,1\n', fileConfig({ minSizeBytes: 50 })));
    expect(e.name).toBe('FileTooSmall');
    expect(e.message).toMatch(/is 6 bytes, below the minimum of 50 bytes/);
  });

  it('with the default minimum (0) a header-only or empty file reports its real cause, not FileTooSmall', async () => {
    expect(DEFAULT_MIN_SIZE_BYTES).toBe(0);
    const cfg = fileConfig({ header: { lines: 1 }, minSizeBytes: DEFAULT_MIN_SIZE_BYTES });
    expect((await caught(() => validate('in/h.csv', 'id,name,amount\n', cfg))).name).toBe('ZeroRecords');
    const empty = fileConfig({ minSizeBytes: DEFAULT_MIN_SIZE_BYTES });
    expect((await caught(() => validate('in/e.csv', '', empty))).name).toBe('ZeroRecords');
  });

  it('FileTooLarge above maxSizeBytes', async () => {
    const e = await caught(() => validate('in/a.csv', CSV, fileConfig({ maxSizeBytes: 10 })));
    expect(e.name).toBe('FileTooLarge');
    expect(e.message).toMatch(/above the maximum of 10 bytes/);
  });

  it('ExtensionMismatch names the extension found and the accepted ones', async () => {
    const e = await caught(() => validate('in/a.txt', CSV, fileConfig({ format: { extensions: ['csv'] } })));
    expect(e.name).toBe('ExtensionMismatch');
    expect(e.message).toMatch(/extension "txt" but config test.feed accepts only "csv"/);
    const noExt = await caught(() => validate('in/README', CSV, fileConfig({ format: { extensions: ['csv'] } })));
    expect(noExt.message).toMatch(/has no extension/);
  });

  it('CompressionMismatch both ways', async () => {
    const gz = gzipSync(Buffer.from(CSV));
    const asNone = await caught(() => validate('in/a.csv', gz));
    expect(asNone.name).toBe('CompressionMismatch');
    expect(asNone.message).toMatch(/config says compression none but the file starts with gzip magic bytes 1f 8b/);
    const asGzip = await caught(() => validate('in/b.csv', CSV, fileConfig({ format: { compression: 'gzip' } })));
    expect(asGzip.name).toBe('CompressionMismatch');
    expect(asGzip.message).toMatch(/config says compression gzip but the file starts with no known compression/);
    const bz = await caught(() => validate('in/c.csv', `BZh9${CSV}`));
    expect(bz.message).toMatch(/bzip2 magic bytes/);
  });

  it('a truncated gzip file is CompressionCorrupt (not CompressionMismatch: it is gzip, as labelled)', async () => {
    const gz = gzipSync(Buffer.from(CSV.repeat(50)));
    const e = await caught(() =>
      validate('in/a.csv.gz', gz.subarray(0, gz.length - 20), fileConfig({ format: { compression: 'gzip' } })),
    );
    expect(e.name).toBe('CompressionCorrupt');
    expect(e.message).toMatch(/corrupt or truncated/);
  });

  it.skipIf(!hasTool('zstd'))(
    'a truncated zstd file is CompressionCorrupt with its reason (it failed as a bare Error)',
    async () => {
      const zst = execFileSync('zstd', ['-c', '-q'], { input: CSV.repeat(50) });
      const e = await caught(() =>
        validate('in/a.csv.zst', zst.subarray(0, zst.length - 10), fileConfig({ format: { compression: 'zstd' } })),
      );
      expect(e.name).toBe('CompressionCorrupt');
      expect(e.message).toMatch(/the zstd data is corrupt or truncated \(unexpected EOF\)/);
    },
  );

  it('a file with bzip2 magic but corrupt data is CompressionCorrupt', async () => {
    const e = await caught(() =>
      validate('in/a.csv.bz2', `BZh9${CSV}`, fileConfig({ format: { compression: 'bzip2' } })),
    );
    expect(e.name).toBe('CompressionCorrupt');
    expect(e.message).toMatch(/bzip2 data is corrupt or truncated/);
  });

  it('EncodingInvalid with line and byte column, also for a sequence split across chunks', async () => {
    const good = '1,ok,1\n'.repeat(20_000); // > 64 KiB: the bad byte is past the first chunk
    const body = Buffer.concat([Buffer.from(`${good}2,ab`), Buffer.from([0xc3, 0x28]), Buffer.from(',2\n')]);
    const e = await caught(() => validate('in/a.csv', body));
    expect(e.name).toBe('EncodingInvalid');
    expect(e).toMatchObject({ line: 20_001, location: { line: 20_001, byteOffset: 140_004 } });
    expect(e.message).toMatch(/line 20001, byte offset 140004: bytes c3 28 are not a valid UTF-8 sequence/);

    // A valid 3-byte character straddling the 64 KiB chunk boundary is fine.
    const pad = 'x'.repeat(65_536 - 1);
    const v = await validate('in/b.csv', `${pad}€,1,1\n`);
    expect(v.recordsInFile).toBe(1);
  });

  it('EncodingInvalid for a UTF-8 sequence cut off at the end of the file', async () => {
    const body = Buffer.concat([Buffer.from('1,a,1\n2,b'), Buffer.from([0xe2, 0x82])]);
    const e = await caught(() => validate('in/a.csv', body));
    expect(e).toMatchObject({ name: 'EncodingInvalid', location: { line: 2, byteOffset: 9 } });
  });

  it('EncodingInvalid for bytes windows-1252 leaves undefined', async () => {
    const body = Buffer.from('1,a,1\n2,b\x81,2\n', 'latin1');
    const e = await caught(() => validate('in/a.csv', body, fileConfig({ format: { encoding: 'windows-1252' } })));
    expect(e).toMatchObject({ name: 'EncodingInvalid', location: { line: 2, byteOffset: 9 } });
    expect(e.message).toMatch(/0x81 is undefined in windows-1252/);
  });

  it('HeaderMismatch names the first differing column with expected vs found', async () => {
    const cfg = fileConfig({ header: { lines: 1, columns: ['id', 'name', 'amount'] } });
    const e = await caught(() => validate('in/a.csv', 'id,"Name",amt\n1,a,1\n', cfg));
    expect(e).toMatchObject({ name: 'HeaderMismatch', location: { line: 1, field: 3, fieldName: 'amount' } });
    expect(e.message).toMatch(/expected "amount" but found "amt"/);
    const short = await caught(() => validate('in/b.csv', 'id,name\n1,a\n', cfg));
    expect(short).toMatchObject({ name: 'HeaderMismatch', location: { field: 3 } });
    expect(short.message).toMatch(/header ends after 2 columns/);
    const extra = await caught(() => validate('in/c.csv', 'id,name,amount,x\n1,a,1,1\n', cfg));
    expect(extra).toMatchObject({ name: 'HeaderMismatch', location: { field: 4 } });
    expect(extra.message).toMatch(/found extra column "x"/);
  });

  it('header check honours the quote character around delimiters', async () => {
    const cfg = fileConfig({ header: { lines: 1, columns: ['id', 'a,b'] }, records: [layout(null, ['id', 'ab'])] });
    await expect(validate('in/a.csv', 'id,"a,b"\n1,2\n', cfg)).resolves.toMatchObject({ recordsInFile: 1 });
  });

  it('TrailerMismatch says what the trailer says and what the file has', async () => {
    const cfg = fileConfig({ header: { lines: 1 }, trailer: { count: { kind: 'position', from: 2, to: 9 } } });
    const e = await caught(() => validate('in/a.csv', 'h\n1,a,1\n2,b,2\nT00000042\n', cfg));
    expect(e).toMatchObject({ name: 'TrailerMismatch', location: { line: 4 } });
    expect(e.message).toMatch(/trailer at line 4 says 42 records \(columns 2-9\) but the file has 2 data records/);
  });

  it('TrailerInvalid when the count is not digits or the line is too short', async () => {
    const cfg = fileConfig({ trailer: { count: { kind: 'position', from: 2, to: 9 } } });
    const e = await caught(() => validate('in/a.csv', '1,a,1\n2,b,2\n3,c,3xxxxxxx\n', cfg));
    expect(e).toMatchObject({ name: 'TrailerInvalid', location: { line: 3 } });
    expect(e.message).toMatch(/has ",c,3xxxx" at columns 2-9 where the record count should be/);
    const short = await caught(() => validate('in/b.csv', '1,a,1\nT42\n', cfg));
    expect(short).toMatchObject({ name: 'TrailerInvalid', location: { line: 2 } });
    expect(short.message).toMatch(/too short/);
    const pattern = fileConfig({ trailer: { count: { kind: 'pattern', regex: '^TRL(\\d+)$' } } });
    const nomatch = await caught(() => validate('in/c.csv', '1,a,1\n2,b,2\n', pattern));
    expect(nomatch).toMatchObject({ name: 'TrailerInvalid', line: 2 });
    expect(nomatch.message).toMatch(/does not match the trailer pattern/);
  });

  it('TrailerMissing when the file has only a header', async () => {
    const cfg = fileConfig({ header: { lines: 1 }, trailer: { count: { kind: 'position', from: 2, to: 9 } } });
    const e = await caught(() => validate('in/a.csv', 'id,name,amount\n\n', cfg));
    expect(e.name).toBe('TrailerMissing');
    expect(e.message).toMatch(/no records after its 1 header line/);
  });

  it('ZeroRecords for a header-only file, and for header plus a trailer of 0', async () => {
    const e = await caught(() => validate('in/a.csv', 'id,name,amount\n\n\n', fileConfig({ header: { lines: 1 } })));
    expect(e.name).toBe('ZeroRecords');
    expect(e.message).toMatch(/no data records \(header lines: 1, blank lines: 2\)/);
    const cfg = fileConfig({ header: { lines: 1 }, trailer: { count: { kind: 'position', from: 2, to: 9 } } });
    const t0 = await caught(() => validate('in/b.csv', 'id\nT00000000\n', cfg));
    expect(t0.name).toBe('ZeroRecords');
  });

  it('UnknownRecordType with onUnknown reject names the type, line and known types', async () => {
    const cfg = fileConfig({
      split: { prefixLength: 2, onUnknown: 'reject' },
      records: [layout('H1', ['t']), layout('D1', ['t'])],
    });
    const e = await caught(() => validate('in/a.csv', 'H1,x\nD1,y\nX9,z\n', cfg));
    expect(e).toMatchObject({ name: 'UnknownRecordType', location: { line: 3 } });
    expect(e.message).toMatch(/record type "X9" is not configured \(known types: "H1", "D1"\)/);
  });

  it('ZeroRecords when every record is of an unknown, skipped type', async () => {
    const cfg = fileConfig({ split: { prefixLength: 2, onUnknown: 'skip' }, records: [layout('H1', ['t'])] });
    const e = await caught(() => validate('in/a.csv', 'ZZ,1\nZZ,2\n', cfg));
    expect(e.name).toBe('ZeroRecords');
    expect(e.message).toMatch(/all 2 data records/);
  });

  it('MalformedRecord for fixed-width records too short, or too long with non-blank extra', async () => {
    const cfg = fileConfig({
      format: { layout: 'fixed_width' },
      split: { prefixLength: 1, onUnknown: 'reject' },
      records: [
        layout('A', [
          ['t', 1],
          ['x', 4],
        ]),
        layout('B', [
          ['t', 1],
          ['y', 2],
        ]),
      ],
    });
    const short = await caught(() => validate('in/a.txt', 'A1234\nB12\nA\n', cfg));
    expect(short).toMatchObject({ name: 'MalformedRecord', location: { line: 3, byteOffset: 1 } });
    expect(short.message).toMatch(
      /record type "A" is 1 bytes but its fixed-width layout needs 5.*before its last column/,
    );
    // Ending inside the last column is fine: Redshift reads it to the line end (the docs' venue_fw.txt).
    await expect(validate('in/c.txt', 'A1234\nB12\nA12\n', cfg)).resolves.toMatchObject({ recordsInFile: 3 });
    const long = await caught(() => validate('in/b.txt', 'A1234\nB12 \nB12 x\n', cfg));
    expect(long).toMatchObject({ name: 'MalformedRecord', location: { line: 3, byteOffset: 3 } });
    expect(long.message).toMatch(/longer than the 3 its fixed-width layout defines/);
  });

  it('MalformedRecord for a record with no line end past the size limit', async () => {
    const run = await t.put('in/a.csv', `1,a,1\n2,${'x'.repeat(100)}\n`);
    const e = await caught(() => validateFile(t.store, run, fileConfig(), { maxRecordBytes: 50 }));
    expect(e).toMatchObject({ name: 'MalformedRecord', line: 2 });
  });
});

describe('validateRunFile: the original the run matched', () => {
  it("refuses a newer upload under the same name (a re-run after a crash): its bytes are neither counted nor claimed as this run's", async () => {
    const store = new MemoryObjectStore();
    const runs = new MemoryRunLog();
    const { etag } = await store.put(BUCKET, ORIGINAL_KEY, ORIGINAL);
    const run = matchedRun({ etag });
    await runs.register({ ...run, size: run.size });
    const newer = 'id,name,amount\n7,Zoe,7\n8,Yan,8\n9,Xia,9\n';
    await store.put(BUCKET, ORIGINAL_KEY, newer);
    const e = await caught(() =>
      validateRunFile({ run }, { store, runs, configs: new MemoryConfigSource([SALES_CONFIG]) }),
    );
    expect(e).toMatchObject({
      name: 'ObjectNotFound',
      message: expect.stringContaining(`was replaced by different content after run ${run.runId} started`),
    });
    expect(await runs.get(run.runId)).toMatchObject({ recordsInFile: null, contentSha256: null });
    const sha = createHash('sha256').update(newer).digest('hex');
    expect(
      await runs.contentOwner({ configId: SALES_CONFIG.id, etag: `sha256:${sha}`, sizeBytes: run.size }),
    ).toBeNull();
  });
});
