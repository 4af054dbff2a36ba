import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { locateCopyLine } from '../../../functions/lib/adapters/postgres/postgres-copy-line.ts';
import { dateTimeConverter } from '../../../functions/lib/adapters/postgres/postgres-date-format.ts';
import {
  type ColumnRule,
  hasDigitsAfterPoint,
  NeedsRecordChecks,
  NeedsRewrite,
  nonDecimalProbe,
  type PartRowError,
  PartTransform,
  type PartTransformOptions,
  quotePaddingProbe,
  type RewritePlan,
  replaceInvalidUtf8,
  sliceProbe,
} from '../../../functions/lib/adapters/postgres/postgres-part-transform.ts';
import { ConfigInvalid } from '../../../functions/lib/errors.ts';

function column(name: string, over: Partial<ColumnRule> = {}): ColumnRule {
  return { name, isText: true, maxBytes: null, convert: null, width: null, ...over };
}

/** Runs `input` (split into the given chunks) through a PartTransform; returns the output text and rejects. */
async function run(chunks: Array<string | Buffer>, opts: Partial<PartTransformOptions> = {}) {
  const rejected: PartRowError[] = [];
  const transform = new PartTransform({
    delimiter: Buffer.from(','),
    quote: 0x22,
    skip: new Set(),
    replaceInvalid: null,
    rewrite: null,
    reject: (e) => {
      rejected.push(e);
      return true;
    },
    ...opts,
  });
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c)))),
    transform,
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    },
  );
  return { text: Buffer.concat(out).toString('utf8'), rejected, records: transform.records };
}

const plan = (columns: ColumnRule[], over: Partial<RewritePlan> = {}): RewritePlan => ({
  layout: 'delimited',
  columns,
  emptyAsNull: true,
  blanksAsNull: false,
  nullAs: null,
  truncateColumns: false,
  ...over,
});

describe('PartTransform', () => {
  it('passes records through unchanged but for skipped lines, a quoted newline staying inside its record', async () => {
    const r = await run(['1,"a\nb"\n2,', 'x\n3,y\n4,z'], { skip: new Set([2, 4]) });
    expect(r.text).toBe('1,"a\nb"\n3,y\n');
    expect(r.records).toBe(4);
  });

  it('rewrites fields as canonical CSV: NULL unquoted empty, empty text "", specials quoted', async () => {
    const r = await run(['a,,"",NA,"x,y","q""q",\\.\n'], {
      rewrite: plan([column('a'), column('b'), column('c'), column('d'), column('e'), column('f'), column('g')], {
        nullAs: 'NA',
      }),
    });
    expect(r.text).toBe('a,,"",,"x,y","q""q","\\."\n');
  });

  it('cuts fixed-width records by characters across chunk boundaries, even inside a multibyte character', async () => {
    const bytes = Buffer.from('01Zoë  \n02Ann  \n');
    const cut = bytes.indexOf(0xc3) + 1;
    const r = await run([bytes.subarray(0, cut), bytes.subarray(cut)], {
      rewrite: plan([column('id', { width: 2, isText: false }), column('name', { width: 5 })], {
        layout: 'fixed_width',
      }),
    });
    expect(r.text).toBe('01,Zoë\n02,Ann\n');
  });

  it('drops a row it refuses when reject() allows, and fails the stream when it does not', async () => {
    const rewrite = plan([column('id', { width: 2 }), column('name', { width: 3 })], { layout: 'fixed_width' });
    const ok = await run(['01abc\n2\n03def\n'], { rewrite });
    expect(ok.text).toBe('01,abc\n03,def\n');
    expect(ok.rejected).toMatchObject([{ line: 2, column: 'id', rawValue: '2' }]);
    await expect(run(['01abc\n0\n'], { rewrite, reject: () => false })).rejects.toMatchObject({
      line: 2,
      column: 'id',
    });
    // Ending inside the last column is no refusal: it loads what is there (Redshift's venue_fw.txt).
    expect((await run(['01abc\n02a\n'], { rewrite })).text).toBe('01,abc\n02,a\n');
  });

  it('appends the lineage suffix to every record before its line end, after a quoted line break, dropping CR', async () => {
    const suffix = { passThrough: Buffer.from(',"s3://b/k","run"'), rewritten: ',s3://b/k,run' };
    const r = await run(['1,"a\nb"\r\n2,', 'x\n3,y'], { suffix, skip: new Set([2]) });
    expect(r.text).toBe('1,"a\nb","s3://b/k","run"\n3,y,"s3://b/k","run"\n');
  });

  it('appends the rewritten suffix to records the rewrite reformats, fixed width too', async () => {
    const suffix = { passThrough: Buffer.alloc(0), rewritten: ',"s3://b/k"' };
    const fixed = plan([column('a', { width: 2 }), column('b', { width: 3 })], { layout: 'fixed_width' });
    const r = await run(['aabbb\ncc d \n'], { suffix, rewrite: fixed });
    expect(r.text).toBe('aa,bbb,"s3://b/k"\ncc, d,"s3://b/k"\n');
  });

  const checks = (
    over: Partial<{ maxBytes: number | null; numericScale: number | null }> = {},
    backslashNIsNull = true,
  ) => ({
    columns: [
      { name: 'id', maxBytes: null, numericScale: null, isText: false },
      { name: 'name', maxBytes: 3, numericScale: null, isText: true, ...over },
      { name: 'amount', maxBytes: null, numericScale: 2, isText: false },
    ],
    backslashNIsNull,
  });

  it('pass-through: refuses a value longer in bytes than its VARCHAR(n) on its line, ASCII records unparsed', async () => {
    const r = await run(['1,abc,1.5\n2,"\u00e9a",2\n3,\u00e9\u00e9x,3\n'], { checks: checks() });
    expect(r.text).toBe('1,abc,1.5\n2,"\u00e9a",2\n');
    expect(r.rejected.map((e) => [e.line, e.column])).toEqual([[3, 'name']]);
    expect(r.rejected[0]!.reason).toContain('5 bytes');
  });

  it('pass-through: a \\N string field or decimals beyond the scale need the rewrite; quoted \\N and exact scales do not', async () => {
    await expect(run(['1,"\\N",1.25\n2,\\N,1\n'], { checks: checks() })).rejects.toBeInstanceOf(NeedsRewrite);
    await expect(run(['1,a,1.255\n'], { checks: checks() })).rejects.toBeInstanceOf(NeedsRewrite);
    const ok = await run(['1,"\\N",1.25\n2,x.123,1.20\n'], { checks: checks() });
    expect(ok.rejected).toEqual([]);
    expect(ok.text).toBe('1,"\\N",1.25\n2,x.123,1.20\n');
    // Without EMPTYASNULL's default marker, \N is COPY's own NULL: no rewrite.
    const plain = await run(['2,\\N,1\n'], { checks: checks({}, false) });
    expect(plain.text).toBe('2,\\N,1\n');
  });

  it('slice probe: flags decimals beyond the smallest scale, also across a cut, and nothing in a clean slice', () => {
    expect(hasDigitsAfterPoint(Buffer.from('1,a.b,1.25\n'), 3)).toBe(false);
    expect(hasDigitsAfterPoint(Buffer.from('1,a.b,1.255\n'), 3)).toBe(true);
    expect(hasDigitsAfterPoint(Buffer.from('x.12'), 3)).toBe(false);
    expect(hasDigitsAfterPoint(Buffer.from('..123'), 3)).toBe(true);
    expect(hasDigitsAfterPoint(Buffer.from('.12a.1234'), 3)).toBe(true);
    const cols = [{ name: 'amount', maxBytes: null, numericScale: 2, isText: false }];
    const probe = sliceProbe({ columns: cols, backslashNIsNull: false });
    probe(Buffer.from('1,1.25\n2,e.mail\n'));
    // '1.2' ends one slice and '55' starts the next: the pattern spans the cut.
    const cut = sliceProbe({ columns: cols, backslashNIsNull: false });
    cut(Buffer.from('1,1.25\n2,1.2'));
    expect(() => cut(Buffer.from('55\n'))).toThrow(NeedsRecordChecks);
  });

  it('rewrite probes: a quoted field padded with blanks, a non-decimal number, a line past an implicit length; across a cut too; clean bytes pass', () => {
    const padded = () => quotePaddingProbe(Buffer.from(','), 0x22);
    expect(() => padded()(Buffer.from('1,"a",b\n2,"x ""y"" z",c\n3,ab"c"d,e\n'))).not.toThrow();
    for (const bytes of ['1, "a",b\n', '1,"a" ,b\n', '  "a",b\n', '1,"a"\t\n']) {
      expect(() => padded()(Buffer.from(bytes)), bytes).toThrow(NeedsRewrite);
    }
    const cutPad = padded();
    cutPad(Buffer.from('1,'));
    expect(() => cutPad(Buffer.from(' "a",b\n'))).toThrow(NeedsRewrite);
    // A blank before a closing quote, cut between them, is no padding (the 1 GB bench file: "order 590688, india ").
    const cutClose = padded();
    cutClose(Buffer.from('1,"order 5, india '));
    expect(() => cutClose(Buffer.from('",IT\n2,"b",c\n'))).not.toThrow();
    // A tab delimiter is not a blank: "a"<tab> is a plain quoted field.
    expect(() => quotePaddingProbe(Buffer.from('\t'), 0x22)(Buffer.from('1\t"a"\tb\n'))).not.toThrow();

    // Fields 0 and 1 are numeric (of records `n,v,text`).
    const digits = () => nonDecimalProbe(Buffer.from(','), 0x22, new Set([0, 1]));
    expect(() => digits()(Buffer.from('1,box,0.5,Oxford,10b,a_b,-3\n'))).not.toThrow();
    for (const bytes of ['1,0x1F\n', '1,-0o17\n', '1,0B101\n', '1,1_000\n']) {
      expect(() => digits()(Buffer.from(bytes)), bytes).toThrow(NeedsRewrite);
    }
    const cutDigits = digits();
    cutDigits(Buffer.from('1,0'));
    expect(() => cutDigits(Buffer.from('x1F\n'))).toThrow(NeedsRewrite);
    // A hex id in a text field keeps the fast path, also when a buffer starts inside its line; one after
    // a quote on its line (a quoted delimiter may come before it) is taken as possibly numeric.
    expect(() => digits()(Buffer.from('1,2,0b3c12ab\n3,4,x_0x9f_1_2\n'))).not.toThrow();
    const split = digits();
    split(Buffer.from('1,2,x\n3,'));
    expect(() => split(Buffer.from('4,0b3c12ab\n'))).not.toThrow();
    expect(() => split(Buffer.from('5,0b1\n'))).toThrow(NeedsRewrite);
    expect(() => digits()(Buffer.from('"a,b",0x1F,x\n'))).toThrow(NeedsRewrite);
    // Across a cut: the line is judged whole with the next buffer, in its field.
    const across = digits();
    across(Buffer.from('1,2,0'));
    expect(() => across(Buffer.from('b3c12ab\n3,0'))).not.toThrow();
    expect(() => across(Buffer.from('b1,x\n'))).toThrow(NeedsRewrite);
    const quoted = digits();
    quoted(Buffer.from('1,"a\n'));
    expect(() => quoted(Buffer.from('b",0b3c12ab\n'))).toThrow(NeedsRewrite);

    const cols = [{ name: 'v', maxBytes: 8, implicitLength: true, numericScale: null, isText: true }];
    expect(() => sliceProbe({ columns: cols, backslashNIsNull: false })(Buffer.from('1,abcdef\n2,x\n'))).not.toThrow();
    const long = sliceProbe({ columns: cols, backslashNIsNull: false });
    long(Buffer.from('1,abc'));
    expect(() => long(Buffer.from('defg\n'))).toThrow(NeedsRecordChecks);
    // A quoted field's line feeds are inside its record: short lines, one record over the limit, across buffers too.
    const quotedRecord = sliceProbe({ columns: cols, backslashNIsNull: false }, 0x22);
    quotedRecord(Buffer.from('1,"abc\n'));
    expect(() => quotedRecord(Buffer.from('defg"\n'))).toThrow(NeedsRecordChecks);
    expect(() =>
      sliceProbe({ columns: cols, backslashNIsNull: false }, 0x22)(Buffer.from('1,"""\n"\n2,"a\nb"\n')),
    ).not.toThrow();
  });

  it('names a missing column and extra fields of delimited records, about the whole line as COPY does', async () => {
    const r = await run(['1\n1,2,3\n'], { rewrite: plan([column('a'), column('b')]) });
    expect(r.text).toBe('');
    expect(r.rejected.map((e) => [e.line, e.column])).toEqual([
      [1, null],
      [2, null],
    ]);
    expect(r.rejected[0]!.reason).toContain('missing data for column b');
    expect(r.rejected[1]!.reason).toContain('extra data');
  });

  it('refuses a record whose quoting is broken, and an unclosed quote at the end of the part', async () => {
    const r = await run(['1,"a"b\n2,"ok"\n3,"open\n'], { rewrite: plan([column('a'), column('b')]) });
    expect(r.text).toBe('2,ok\n');
    expect(
      r.rejected.map((e) => [e.line, e.reason.includes('closing quote') || e.reason.includes('never closed')]),
    ).toEqual([
      [1, true],
      [3, true],
    ]);
  });

  it('reports a date that does not match its format as a row error naming the format', async () => {
    const fn = dateTimeConverter('MM/DD/YYYY', 'date', 'dateFormat');
    const r = await run(['02/29/2024\n02/30/2024\n'], {
      rewrite: plan([column('d', { isText: false, convert: { fn, option: 'dateFormat', format: 'MM/DD/YYYY' } })]),
    });
    expect(r.text).toBe('2024-02-29\n');
    expect(r.rejected).toMatchObject([{ line: 2, column: 'd', rawValue: '02/30/2024' }]);
    expect(r.rejected[0]!.reason).toContain('does not match dateFormat "MM/DD/YYYY"');
  });
});

describe('replaceInvalidUtf8', () => {
  it('replaces every byte of every invalid sequence and keeps valid characters', () => {
    const bytes = Buffer.concat([Buffer.from('é'), Buffer.from([0xff, 0xe2, 0x82, 0x41]), Buffer.from('ü')]);
    expect(replaceInvalidUtf8(bytes, 0x3f).toString('utf8')).toBe('é???Aü');
  });

  it('replaces the noncharacters Redshift replaces under ACCEPTINVCHARS (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF), byte for byte', () => {
    const text = 'a\ufdd0b\ufdefc\ufffed\u{1fffe}e\u{10ffff}f\ufdcfg\ufffdh';
    expect(replaceInvalidUtf8(Buffer.from(text), 0x5e).toString('utf8')).toBe('a^^^b^^^c^^^d^^^^e^^^^f\ufdcfg\ufffdh');
  });
});

describe('locateCopyLine', () => {
  const at = (text: string, quote: number | null, skip: number[], copyLine: number) =>
    locateCopyLine(Readable.from([Buffer.from(text)]), quote, new Set(skip), copyLine);

  it('counts line breaks inside quotes as PostgreSQL does: not in the first record it reads, then in every one', async () => {
    const text = '1,"a\nb"\n2,"c\nd"\n3,e\n';
    // PostgreSQL: record 1 is line 1 (its break uncounted), record 2 ends on line 3, record 3 is line 4.
    expect(await at(text, 0x22, [], 1)).toEqual({ record: 1, line: 1 });
    expect(await at(text, 0x22, [], 3)).toEqual({ record: 2, line: 3 });
    expect(await at(text, 0x22, [], 4)).toEqual({ record: 3, line: 5 });
    expect(await at(text, 0x22, [], 9)).toBeNull();
  });

  it('with ESCAPE, reads an escaped line feed as inside its record, counted as the rewrite quotes it', async () => {
    const text = '1|a\\\nb\n2|c\\\nd\n3|e\n';
    const escaped = (copyLine: number) =>
      locateCopyLine(Readable.from([Buffer.from(text)]), null, new Set(), copyLine, 0x5c);
    expect(await escaped(1)).toEqual({ record: 1, line: 1 });
    expect(await escaped(3)).toEqual({ record: 2, line: 3 });
    expect(await escaped(4)).toEqual({ record: 3, line: 5 });
  });

  it('maps past records left out of the COPY, whose lines PostgreSQL never saw', async () => {
    const text = '1,"a\nb"\n2,x\n3,"c\nd"\n4,y\n';
    // Without record 1, record 2 is PostgreSQL's line 1 and record 3 (counted break) ends on its line 3.
    expect(await at(text, 0x22, [1], 1)).toEqual({ record: 2, line: 3 });
    expect(await at(text, 0x22, [1], 4)).toEqual({ record: 4, line: 6 });
    expect(await at('a\nb\nc\nd\n', null, [2, 3], 2)).toEqual({ record: 4, line: 4 });
  });
});

describe('dateTimeConverter', () => {
  it.each<[string, 'date' | 'timestamp', string, string | null]>([
    ['MM/DD/YYYY', 'date', '3/7/2024', '2024-03-07'],
    ['DD.MM.YYYY', 'date', '07.03.2024', '2024-03-07'],
    ['YYYYMMDD', 'date', '20240307', '2024-03-07'],
    ['YYMMDD', 'date', '690307', '2069-03-07'],
    ['YYMMDD', 'date', '700307', '1970-03-07'],
    ['MON DD, YYYY', 'date', 'March 07, 2024', '2024-03-07'],
    ['YYYY-MM-DD HH24:MI:SS', 'timestamp', '2024-03-07 23:05:01.5', '2024-03-07 23:05:01.5'],
    ['MM/DD/YYYY HH12:MI AM', 'timestamp', '03/07/2024 12:30 AM', '2024-03-07 00:30:00'],
    ['YYYYMMDD', 'timestamp', '20240307', '2024-03-07 00:00:00'],
    ['epochmillisecs', 'timestamp', '1709769600000', '2024-03-07 00:00:00.000'],
    ['MM/DD/YYYY', 'date', '2024-03-07', null],
    ['MM/DD/YYYY', 'date', '13/01/2024', null],
    ['YYYYMMDD', 'date', '20230229', null],
    ['YYYY-MM-DD HH24:MI:SS', 'timestamp', '2024-03-07 24:00:00', null],
  ])('%s (%s) reads %j as %j', (format, kind, value, expected) => {
    expect(dateTimeConverter(format, kind, 'format')(value)).toBe(expected);
  });

  it('refuses a format without a year or month', () => {
    expect(() => dateTimeConverter('DD/MM', 'date', 'dateFormat')).toThrow(ConfigInvalid);
    expect(() => dateTimeConverter('YYYY', 'date', 'dateFormat')).toThrow(/no month/);
  });
});

describe('Redshift ESCAPE on unquoted fields', () => {
  it('keeps the character after the escape as data: delimiter, escape, letters', async () => {
    const t = new PartTransform({
      delimiter: Buffer.from('|'),
      quote: null,
      escape: 0x5c,
      skip: new Set(),
      replaceInvalid: null,
      rewrite: {
        layout: 'delimited',
        columns: [
          { name: 'a', isText: true, maxBytes: null, convert: null, width: null },
          { name: 'b', isText: true, maxBytes: null, convert: null, width: null },
        ],
        emptyAsNull: true,
        blanksAsNull: false,
        nullAs: null,
        truncateColumns: false,
      },
      reject: () => false,
    });
    const chunks: Buffer[] = [];
    t.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((r) => t.on('end', r));
    t.end(Buffer.from('x\\|y|back\\\\slash \\n\nplain|row\n'));
    await done;
    // Canonical CSV for COPY: a value with a backslash is quoted, which CSV reads back verbatim.
    expect(Buffer.concat(chunks).toString()).toBe('x|y,"back\\slash n"\nplain,row\n');
  });
});
