import { describe, expect, it } from 'vitest';
import { checkConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { LOCAL_CAPABILITIES } from '../../functions/lib/config/local-capabilities.ts';
import { REDSHIFT_LOAD_OPTIONS } from '../../functions/lib/config/model.ts';

function entry(extra: string): string {
  return `interface: shop
files:
  - id: sales
    match: { glob: "*.txt" }
    target: { schema: stage, table: sales }
    columns: [id, name]
${extra
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

const messages = (yaml: string) => checkConfigYaml(yaml, 'c.yaml').issues.map((i) => `${i.path}: ${i.message}`);

describe('config validate refuses what Redshift COPY or the local warehouse cannot load, with the reason', () => {
  it('refuses format.escape with a quote character (Redshift refuses ESCAPE with CSV)', () => {
    expect(messages(entry('format: { quote: \'"\', escape: "\\\\" }'))).toEqual([
      expect.stringMatching(/format\.escape: .*Redshift COPY refuses ESCAPE with CSV/),
    ]);
    // Backslash escaping in text mode is Redshift's ESCAPE: fine.
    expect(messages(entry('format: { quote: null, delimiter: "|", escape: "\\\\" }'))).toEqual([]);
  });

  it('accepts an escape with a multi-character delimiter: the rewrite to CSV reads ESCAPE as Redshift does', () => {
    expect(messages(entry('format: { quote: null, delimiter: "~|~", escape: "\\\\" }'))).toEqual([]);
    expect(messages(entry('format: { quote: null, delimiter: "~|~" }'))).toEqual([]);
  });

  it('refuses an escape other than backslash in text mode, and removeQuotes with CSV quoting', () => {
    expect(messages(entry('format: { quote: null, escape: "^" }'))).toEqual([
      expect.stringMatching(/ESCAPE always means backslash/),
    ]);
    expect(messages(entry('load: { removeQuotes: true }'))).toEqual([
      expect.stringMatching(/load\.removeQuotes: .*REMOVEQUOTES with CSV/),
    ]);
  });

  it('refuses lzop input with the reason instead of a bare enum error', () => {
    expect(messages(entry('format: { compression: lzop }'))).toEqual([
      expect.stringMatching(/format\.compression: lzop is not supported/),
    ]);
  });

  it('refuses a time zone specifier in timeFormat and epochsecs as a dateFormat', () => {
    expect(messages(entry("load: { timeFormat: 'YYYY-MM-DD HH:MI:SS TZ' }"))).toEqual([
      expect.stringMatching(/time zone specifier/),
    ]);
    expect(messages(entry('load: { dateFormat: epochsecs }'))).toEqual([
      expect.stringMatching(/TIMEFORMAT values only/),
    ]);
  });

  it("refuses a nullAs holding a line break (docs: Redshift reserves '\\n' as the line delimiter); a backslash-n marker is text", () => {
    expect(messages(entry('load: { nullAs: "\\n" }'))).toEqual([
      expect.stringMatching(/load\.nullAs: nullAs holds a line break: Redshift reserves the newline/),
    ]);
    expect(messages(entry('load: { nullAs: "NA\\r" }'))).toHaveLength(1);
    expect(messages(entry('load: { nullAs: "\\\\n" }'))).toEqual([]);
  });

  it("refuses 'AUTO', 'EPOCHSECS' and other case variants of the keywords (docs: they are case-sensitive)", () => {
    expect(messages(entry('load: { dateFormat: AUTO, timeFormat: EPOCHSECS }'))).toEqual([
      expect.stringMatching(/load\.dateFormat: dateFormat "AUTO": not a keyword: .*case-sensitive .*write auto/),
      expect.stringMatching(/load\.timeFormat: timeFormat "EPOCHSECS": not a keyword: .*write epochsecs/),
    ]);
    expect(messages(entry('load: { timeFormat: Epochmillisecs }'))).toEqual([
      expect.stringMatching(/write epochmillisecs/),
    ]);
    expect(messages(entry('load: { dateFormat: auto, timeFormat: epochsecs }'))).toEqual([]);
  });

  it("refuses nullAs '\\0' (docs: NULL AS '\\0' for a field that is only a NUL): efi rejects files holding NUL", () => {
    expect(messages(entry('load: { nullAs: "\\0" }'))).toEqual([
      expect.stringMatching(/load\.nullAs: nullAs '\\0' \(a NUL byte\) cannot match/),
    ]);
    // The digit zero is an ordinary marker.
    expect(messages(entry('load: { nullAs: "0" }'))).toEqual([]);
  });

  it('accepts time parts in a dateFormat (docs: "The date format can include time information ... ignored")', () => {
    expect(messages(entry("load: { dateFormat: 'YYYY-MM-DD HH:MI:SS' }"))).toEqual([]);
  });

  it('defaults: redshift gives what a COPY without the options means', () => {
    const r = checkConfigYaml(entry('defaults: redshift'), 'c.yaml');
    expect(r.issues).toEqual([]);
    const c = r.configs[0]!;
    expect(c.format).toMatchObject({ delimiter: '|', quote: null, escape: null });
    expect(c.load).toEqual(REDSHIFT_LOAD_OPTIONS);
    // CSV under Redshift defaults: the delimiter becomes ',' as with COPY ... CSV.
    const csv = checkConfigYaml(entry("defaults: redshift\nformat: { quote: '\"' }"), 'c.yaml').configs[0]!;
    expect(csv.format).toMatchObject({ delimiter: ',', quote: '"' });
  });

  it('accepts the new COPY options and keeps efi defaults otherwise', () => {
    const r = checkConfigYaml(
      entry(
        'format: { quote: null, delimiter: "|" }\nload: { acceptAnyDate: true, removeQuotes: true, fillRecord: true, trimBlanks: true, roundDecimals: true }',
      ),
      'c.yaml',
    );
    expect(r.issues).toEqual([]);
    expect(r.configs[0]!.load).toMatchObject({
      acceptAnyDate: true,
      removeQuotes: true,
      fillRecord: true,
      trimBlanks: true,
      roundDecimals: true,
      emptyAsNull: true,
    });
  });

  it('keeps a capabilities row for every option efi renders', () => {
    const options = LOCAL_CAPABILITIES.map((c) => c.option);
    for (const o of ['ACCEPTANYDATE', 'REMOVEQUOTES', 'FILLRECORD', 'TRIMBLANKS', 'ROUNDEC', 'NULL AS', 'FIXEDWIDTH']) {
      expect(options).toContain(o);
    }
  });
});

describe('acceptInvalidChars: any ASCII character except NUL, as Redshift ACCEPTINVCHARS allows', () => {
  it("accepts a space or a control character (docs: 'any ASCII character except NULL'), refuses NUL and non-ASCII", () => {
    expect(messages(entry('load: { acceptInvalidChars: " " }'))).toEqual([]);
    expect(messages(entry('load: { acceptInvalidChars: "\\x7f" }'))).toEqual([]);
    expect(messages(entry('load: { acceptInvalidChars: "\\0" }'))).toEqual([
      expect.stringMatching(/load\.acceptInvalidChars: .*ASCII character other than NUL/),
    ]);
    expect(messages(entry('load: { acceptInvalidChars: "é" }'))).toEqual([
      expect.stringMatching(/load\.acceptInvalidChars: .*ASCII character other than NUL/),
    ]);
  });

  it('refuses, with the reason, a replacement the local warehouse would read as a line end, delimiter, quote or escape', () => {
    expect(messages(entry('load: { acceptInvalidChars: "\\n" }'))).toEqual([
      expect.stringMatching(/load\.acceptInvalidChars: .*before it splits the record/),
    ]);
    expect(messages(entry('load: { acceptInvalidChars: "," }'))).toEqual([
      expect.stringMatching(/load\.acceptInvalidChars: .*the delimiter/),
    ]);
    expect(messages(entry("load: { acceptInvalidChars: '\"' }"))).toEqual([
      expect.stringMatching(/load\.acceptInvalidChars: .*the quote/),
    ]);
    expect(
      messages(entry('format: { quote: null, delimiter: "|", escape: "\\\\" }\nload: { acceptInvalidChars: "\\\\" }')),
    ).toEqual([expect.stringMatching(/load\.acceptInvalidChars: .*the escape/)]);
    // Fixed width has no separators: only a line break is refused there.
    const fixed = (c: string) => `interface: shop
files:
  - id: stock
    match: { glob: "*.txt" }
    format: { layout: fixed_width }
    target: { schema: stage, table: stock }
    columns: [{ name: sku, width: 10 }, { name: qty, width: 6 }]
    load: { acceptInvalidChars: ${JSON.stringify(c)} }
`;
    expect(messages(fixed(','))).toEqual([]);
    expect(messages(fixed('\n'))).toEqual([expect.stringMatching(/before it splits the record/)]);
  });
});
