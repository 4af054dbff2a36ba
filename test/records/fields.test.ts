import { describe, expect, it } from 'vitest';
import {
  CsvRewriter,
  countFields,
  isNullMarker,
  splitFields,
  strayQuote,
  unescapeField,
} from '../../functions/lib/records/fields.ts';

const BACKSLASH = 0x5c;

/** The fields splitFields visits in `record`, as [text, quoted], and its problem. */
function split(record: string, opts: { delimiter?: string; removeQuotes?: boolean; escape?: number | null } = {}) {
  const buf = Buffer.from(record);
  const fields: Array<[string, boolean]> = [];
  const error = splitFields(
    buf,
    0,
    buf.length,
    Buffer.from(opts.delimiter ?? '|'),
    null,
    { field: (b, s, e, quoted) => fields.push([b.toString('utf8', s, e), quoted]) },
    opts.removeQuotes ?? false,
    opts.escape ?? null,
  );
  return { fields, error };
}

describe('splitFields in text mode (no quote byte)', () => {
  it('REMOVEQUOTES: a field in surrounding quotes keeps its delimiters and is visited without its quotes', () => {
    expect(split(`1|"a|b"|'c'`, { removeQuotes: true })).toEqual({
      fields: [
        ['1', false],
        ['a|b', true],
        ['c', true],
      ],
      error: null,
    });
  });

  it('REMOVEQUOTES: an opening quote never closed is the one problem, naming the field and the option', () => {
    expect(split('1|"a|b', { removeQuotes: true }).error).toEqual({
      field: 2,
      problem: 'its opening quote " is never closed (load.removeQuotes)',
    });
  });

  it('ESCAPE: an escaped delimiter is data, the visited range keeps the escape', () => {
    expect(split('a\\|b|c', { escape: BACKSLASH }).fields).toEqual([
      ['a\\|b', false],
      ['c', false],
    ]);
  });

  it('ESCAPE with a multi-character delimiter: an escape makes the first byte of the delimiter data', () => {
    expect(split('a\\~~b~~c', { delimiter: '~~', escape: BACKSLASH }).fields).toEqual([
      ['a\\~~b', false],
      ['c', false],
    ]);
  });

  it('ESCAPE with REMOVEQUOTES: an escaped quote closes nothing, an escaped escape does not escape the quote', () => {
    expect(split('"a\\"|b"|"c\\\\"', { removeQuotes: true, escape: BACKSLASH }).fields).toEqual([
      ['a\\"|b', true],
      ['c\\\\', true],
    ]);
  });

  it('a record that ends with a delimiter has an empty last field', () => {
    expect(split('"a"|', { removeQuotes: true }).fields).toEqual([
      ['a', true],
      ['', false],
    ]);
  });
});

describe('countFields counts as splitFields splits', () => {
  it('with ESCAPE and REMOVEQUOTES together', () => {
    const buf = Buffer.from('"a\\"|b"|c\\|d|');
    expect(countFields(buf, 0, buf.length, Buffer.from('|'), null, BACKSLASH, {}, true)).toEqual({
      count: 3,
      lastEmpty: true,
      error: null,
    });
  });
});

describe('unescapeField', () => {
  it('drops each escape and keeps the byte after it, an escaped escape once', () => {
    const buf = Buffer.from('x\\|y \\\\ \\n \\\nz');
    expect(unescapeField(buf, 0, buf.length, BACKSLASH).toString()).toBe('x|y \\ n \nz');
  });

  it('keeps a lone escape at the end of the range', () => {
    const buf = Buffer.from('ab\\');
    expect(unescapeField(buf, 0, buf.length, BACKSLASH).toString()).toBe('ab\\');
  });

  it('reads only its range, and returns it as is when it holds no escape', () => {
    const buf = Buffer.from('\\a|bc|\\d');
    expect(unescapeField(buf, 3, 5, BACKSLASH).toString()).toBe('bc');
  });
});

describe('isNullMarker (Redshift NULL AS)', () => {
  it('matches an unquoted field that is the marker as written or once unescaped', () => {
    expect(isNullMarker('\\N', 'N', false, '\\N')).toBe(true);
    expect(isNullMarker('\\\\N', '\\N', false, '\\N')).toBe(true);
    expect(isNullMarker('N', 'N', false, '\\N')).toBe(false);
  });

  it('never matches a quoted field, nor without a marker', () => {
    expect(isNullMarker('\\N', '\\N', true, '\\N')).toBe(false);
    expect(isNullMarker('', '', false, null)).toBe(false);
  });
});

describe('CsvRewriter with ESCAPE (a multi-character delimiter in text mode)', () => {
  const rewrite = (record: string, removeQuotes = false) => {
    const rewriter = new CsvRewriter(Buffer.from('~|~'), null, removeQuotes, { byte: BACKSLASH, nullAs: '\\N' });
    const buf = Buffer.from(record);
    const r = rewriter.rewrite(buf, 0, buf.length);
    return { csv: r.bytes.toString(), error: r.error };
  };

  it('writes escaped delimiters and line feeds as data, quoted where CSV needs it', () => {
    expect(rewrite('1~|~a\\~|~b~|~x\\\ny, z').csv).toBe('1,a~|~b,"x\ny, z"');
  });

  it('writes a field NULL AS matches, as written or unescaped, as the bare marker; other escapes undone', () => {
    expect(rewrite('\\N~|~\\\\N~|~c\\\\d~|~\\n').csv).toBe('\\N,\\N,c\\d,n');
  });

  it('with REMOVEQUOTES, an escaped quote closes nothing and the quoted field stays quoted', () => {
    expect(rewrite('"a\\"~|~b"~|~2', true).csv).toBe('"a""~|~b",2');
  });
});

describe('strayQuote', () => {
  const at = (record: string, delimiter = ',') => {
    const buf = Buffer.from(record);
    return strayQuote(buf, 0, buf.length, Buffer.from(delimiter), 0x22);
  };

  it('finds a quote inside an unquoted field, with its line and field', () => {
    expect(at('1,12" pizza,20')).toEqual({ at: 4, line: 0, field: 2 });
    expect(at('1,"a\nb",x\ny,3" sub')).toEqual({ at: 13, line: 2, field: 4 });
    expect(at('1~|~ab"c~|~x', '~|~')).toEqual({ at: 6, line: 0, field: 2 });
  });

  it('takes quotes at a field start (after blanks too) and doubled quotes inside quotes as no such quote', () => {
    expect(at('"say ""hi""",  "b" ,"",x')).toBeNull();
    expect(at('1~|~"a~|~b"~|~2', '~|~')).toBeNull();
  });
});
