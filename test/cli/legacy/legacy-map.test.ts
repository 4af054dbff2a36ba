import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOptionSupported } from '../../../cli/legacy/legacy-copy.ts';
import {
  decodeDelimiter,
  mapFileFormat,
  mapTrailerPosition,
  parseSplitPrefix,
  transformSql,
} from '../../../cli/legacy/legacy-format.ts';
import { generateLegacyConfigs } from '../../../cli/legacy/legacy-import.ts';
import { prefixToMatch } from '../../../cli/legacy/legacy-prefix.ts';
import {
  connectionHint,
  type LegacyColumnRow,
  type LegacyFileConfigRow,
  type LegacyTables,
} from '../../../cli/legacy/legacy-rows.ts';
import { parseConfigYaml } from '../../../functions/lib/config/load-yaml.ts';
import { keyToken, matcherFor } from '../../../functions/lib/config/match.ts';
import type { FileConfig } from '../../../functions/lib/config/model.ts';
import { validateFile } from '../../../functions/lib/steps/validate-file.ts';
import { type TempStore, tempStore } from '../../support/config-builder.ts';

/**
 * The legacy → efi rules, row by row, without a database: the generated YAML
 * is still parsed by the real parser and, for the trailer, checked by the
 * real ValidateFile against a real file.
 */

// Options another change adds to the config schema; the import uses them as soon as they exist.
const REMOVE_QUOTES = loadOptionSupported('removeQuotes', true);
const ACCEPT_ANY_DATE = loadOptionSupported('acceptAnyDate', true);

const CTX = { source: 'postgres://legacy@db/cfg', schema: 'rdscnfg', generatedAt: new Date('2024-05-01T00:00:00Z') };

function row(patch: Partial<LegacyFileConfigRow> = {}): LegacyFileConfigRow {
  return {
    sid: 1,
    cid: '900',
    tgtSchema: 'stage',
    tgtTable: 'feed',
    filePrefix: '900.',
    fileFormat: 'txt',
    fileType: 'txt',
    delimiter: '|',
    headerFlag: 'N',
    trailerFlag: 'N',
    query: null,
    splitFileFlag: 'N',
    splitPrefix: null,
    escapeChar: null,
    trailerPstn: null,
    flag: 'A',
    ...patch,
  };
}

function cols(configSid: number, ...names: (string | [string, number])[]): LegacyColumnRow[] {
  return names.map((n, i) => ({
    sid: configSid * 100 + i,
    configSid,
    name: Array.isArray(n) ? n[0] : n,
    width: Array.isArray(n) ? String(n[1]) : null,
    order: String(i + 1),
    flag: 'A',
  }));
}

function tables(configs: LegacyFileConfigRow[], columns?: LegacyColumnRow[]): LegacyTables {
  const cids = [...new Set(configs.map((c) => c.cid))];
  return {
    interfaces: cids.map((cid) => ({ cid, name: `FEED_${cid}`, description: null, flag: 'A' })),
    configs,
    columns: columns ?? configs.flatMap((c) => cols(c.sid!, 'a', 'b')),
  };
}

function generate(t: LegacyTables) {
  const g = generateLegacyConfigs(t, CTX);
  const configs = new Map<number, FileConfig>();
  for (const f of g.files) {
    const parsed = parseConfigYaml(f.text, f.name);
    for (const c of parsed) {
      const line = g.configs.find((r) => r.configId === c.id)!;
      configs.set(line.sid!, c);
    }
  }
  return { ...g, bySid: configs, line: (sid: number) => g.configs.find((r) => r.sid === sid)! };
}

describe('trailer_pstn start:end is Python line[start-1:end-1]', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const pythonSlice = (s: string, start: number, stop: number) => s.slice(start, stop);

  it('maps to countAt from = start, to = end - 1', () => {
    expect(mapTrailerPosition('1:10')).toEqual({ ok: true, from: 1, to: 9 });
    expect(mapTrailerPosition(' 3 : 8 ')).toEqual({ ok: true, from: 3, to: 7 });
    for (const bad of ['5:5', '0:5', '1-10', '10', null]) expect(mapTrailerPosition(bad).ok).toBe(false);
  });

  it.each([
    ['1:10', '000000003|20240101', 3],
    ['3:8', 'T9000429', 42],
  ])(
    'trailer_pstn %s on %j: efi reads what Python read, and ValidateFile accepts the file',
    async (pstn, trailer, count) => {
      const [start, end] = pstn.split(':').map(Number) as [number, number];
      const legacyValue = pythonSlice(trailer, start - 1, end - 1);
      expect(Number(legacyValue)).toBe(count);

      const g = generate(tables([row({ trailerFlag: 'Y', trailerPstn: pstn })]));
      const config = g.bySid.get(1)!;
      expect(config.trailer?.count).toMatchObject({ kind: 'position' });
      const pos = config.trailer!.count as { from: number; to: number };
      // efi's countAt: 1-based, inclusive.
      expect([...trailer].slice(pos.from - 1, pos.to).join('')).toBe(legacyValue);

      const records = Array.from({ length: count }, (_, i) => `${i}|row number ${i}`).join('\n');
      const put = await t.put('in/FEED_20240101_900.txt', `${records}\n${trailer}\n`);
      const v = await validateFile(t.store, put, config);
      expect(v.trailerCount).toBe(count);
      expect(v.recordsInFile).toBe(count);
    },
  );

  it('an unusable trailer_pstn imports the config inactive, marked for review', () => {
    const g = generate(tables([row({ trailerFlag: 'Y', trailerPstn: '10' })]));
    expect(g.line(1).status).toBe('review');
    expect(g.line(1).reasons.join()).toContain('trailer_pstn "10" is not "start:end"');
    expect(g.bySid.get(1)!.active).toBe(false);
    expect(g.bySid.get(1)!.trailer).toBeNull();
    expect(g.files[0]!.text).toContain('# REVIEW: trailer_flag is Y but trailer_pstn "10"');
  });
});

describe('file_prefix → match', () => {
  it.each([
    ['527.', '527', false],
    ['%527.%', '527', false],
    ['abc_527.', '527', true],
    ['527.txt', '527', true],
    ['DAILY-527.', 'DAILY-527', false],
  ])('%j → token %s', (prefix, token, noted) => {
    const m = prefixToMatch(prefix);
    expect(m).toMatchObject({ kind: 'token', token });
    expect(m.kind === 'token' && m.note !== null).toBe(noted);
  });

  it('prefixes the LIKE never matched', () => {
    expect(prefixToMatch('845')).toMatchObject({ kind: 'never', token: '845' });
    expect(prefixToMatch('_.')).toMatchObject({ kind: 'never', token: null });
    expect(prefixToMatch('')).toMatchObject({ kind: 'never', token: null });
  });

  it('several tokens: the regex agrees with the legacy LIKE for whole tokens', () => {
    const prefix = 'ACME.HOSP.';
    const m = prefixToMatch(prefix);
    if (m.kind !== 'regex') throw new Error(`expected a regex, got ${m.kind}`);
    const efi = matcherFor({ kind: 'regex', pattern: m.regex });
    const legacy = (key: string) => {
      const token = keyToken(key);
      return token !== '' && prefix.includes(`${token}.`);
    };
    const keys = [
      'a_ACME.txt',
      'ACME',
      'dir/sub/x_20240101_HOSP.csv.gz',
      'x_y_HOSP',
      'ACME_x.txt',
      'x_ACMEHOSP.txt',
      'x.ACME.txt',
      'ACME/x_1.txt',
      'x_acme.txt',
      'x_ACME+.txt',
    ];
    for (const k of keys) expect([k, efi(k)]).toEqual([k, legacy(k)]);
    // The one deliberate difference: LIKE also accepted the tail of a token.
    expect(legacy('x_CME.txt')).toBe(true);
    expect(efi('x_CME.txt')).toBe(false);
  });

  it('regex metacharacters in tokens are literal', () => {
    const m = prefixToMatch('A+B.C$D.');
    if (m.kind !== 'regex') throw new Error('expected a regex');
    const efi = matcherFor({ kind: 'regex', pattern: m.regex });
    expect(efi('x_A+B.txt')).toBe(true);
    expect(efi('x_AAB.txt')).toBe(false);
    expect(efi('C$D')).toBe(true);
  });
});

describe('column values', () => {
  it('delimiters typed as escapes become the character', () => {
    expect(decodeDelimiter('\\t')).toMatchObject({ ok: true, value: '\t' });
    expect(decodeDelimiter('TAB')).toMatchObject({ ok: true, value: '\t' });
    expect(decodeDelimiter('\\011')).toMatchObject({ ok: true, value: '\t' });
    expect(decodeDelimiter('\\x01')).toMatchObject({ ok: true, value: '\x01' });
    expect(decodeDelimiter('\\|')).toMatchObject({ ok: true, value: '|' });
    expect(decodeDelimiter('|')).toEqual({ ok: true, value: '|', note: null });
    expect(decodeDelimiter('~|~')).toEqual({ ok: true, value: '~|~', note: null });
    expect(decodeDelimiter('\\n')).toMatchObject({ ok: false });
  });

  it('split_prefix lists', () => {
    expect(parseSplitPrefix('01,02,03')).toEqual({ ok: true, types: ['01', '02', '03'], prefixLength: 2 });
    expect(parseSplitPrefix('01|02')).toEqual({ ok: true, types: ['01', '02'], prefixLength: 2 });
    expect(parseSplitPrefix(' 10 20 ')).toEqual({ ok: true, types: ['10', '20'], prefixLength: 2 });
    expect(parseSplitPrefix('H,DT').ok).toBe(false);
    expect(parseSplitPrefix(null).ok).toBe(false);
  });

  it('query → transform.sql without the trailing semicolon', () => {
    expect(transformSql("call a.b('x');  \n")).toEqual({ sql: "call a.b('x')", review: null });
    expect(transformSql("call a.b('x;y');")).toEqual({ sql: "call a.b('x;y')", review: null });
    // Several statements run as written, in one transaction (BatchExecuteStatement on Redshift): nothing to review.
    expect(transformSql('call a(); call b();')).toEqual({ sql: 'call a(); call b()', review: null });
    expect(transformSql("select ';' -- x;\n").review).toBeNull();
    expect(transformSql('select 1;'.repeat(41)).review).toContain('query holds 41 statements');
    expect(transformSql('  ')).toEqual({ sql: null, review: null });
  });

  it('file_format', () => {
    expect(mapFileFormat('gz')).toMatchObject({ ok: true, compression: 'gzip', layout: 'delimited' });
    expect(mapFileFormat('BZ2')).toMatchObject({ ok: true, compression: 'bzip2' });
    expect(mapFileFormat('fixed_width')).toMatchObject({ ok: true, layout: 'fixed_width' });
    expect(mapFileFormat(null)).toMatchObject({ ok: true, layout: 'delimited', review: null });
    expect(mapFileFormat('lzo')).toMatchObject({ ok: false });
    expect(mapFileFormat('parquet')).toMatchObject({ ok: true, review: expect.stringContaining('parquet') });
  });
});

describe('whole rows', () => {
  it('an empty delimiter takes Redshift COPY default and asks for review', () => {
    const g = generate(
      tables([row({ delimiter: null }), row({ sid: 2, delimiter: '', fileFormat: 'csv', tgtTable: 'f2' })]),
    );
    expect(g.bySid.get(1)!.format.delimiter).toBe('|');
    expect(g.bySid.get(2)!.format.delimiter).toBe(',');
    expect(g.line(1).status).toBe('review');
  });

  it('escape_char only switched REMOVEQUOTES on: never ESCAPE, whatever character it holds', () => {
    const g = generate(
      tables([
        row({ escapeChar: '\\' }),
        row({ sid: 2, escapeChar: '~', tgtTable: 'f2', filePrefix: '902.' }),
        row({ sid: 3, escapeChar: 'N', tgtTable: 'f3', filePrefix: '903.' }),
        row({ sid: 4, escapeChar: null, tgtTable: 'f4', filePrefix: '904.' }),
      ]),
    );
    for (const sid of [1, 2, 3]) {
      expect(g.bySid.get(sid)!.format.escape).toBeNull();
      if (REMOVE_QUOTES) {
        expect(g.bySid.get(sid)!.format).toMatchObject({ quote: null });
        expect(g.bySid.get(sid)!.load).toMatchObject({ removeQuotes: true });
      } else {
        // Until load.removeQuotes exists: CSV quoting, the closest, marked for review and as a difference.
        expect(g.bySid.get(sid)!.format).toMatchObject({ quote: '"' });
        expect(g.line(sid).reasons.join()).toContain('no load.removeQuotes yet');
        expect(g.line(sid).differences.join()).toContain('REMOVEQUOTES approximated by CSV quoting');
      }
    }
    expect(g.line(3).reasons.join()).toContain('escape_char "N"');
    expect(g.bySid.get(4)!.format).toMatchObject({ quote: null });
    expect(g.bySid.get(4)!.load.removeQuotes ?? false).toBe(false);
    expect(g.line(4).status).toBe('mapped');
    expect(g.files[0]!.text).not.toContain('escape:');
  });

  it("carries the original's fixed COPY options and marks the ones efi lacks as differences", () => {
    const g = generate(tables([row()]));
    expect(g.bySid.get(1)!.load).toMatchObject({
      acceptInvalidChars: '?',
      dateFormat: 'auto',
      timeFormat: 'auto',
      ignoreBlankLines: true,
      emptyAsNull: false,
    });
    if (ACCEPT_ANY_DATE) expect(g.bySid.get(1)!.load).toMatchObject({ acceptAnyDate: true });
    else {
      expect(g.line(1).differences.join()).toContain('ACCEPTANYDATE (load.acceptAnyDate) is not an efi option yet');
      expect(g.line(1).status).toBe('mapped');
    }
  });

  it('stamps file_name with the base name, as the original did after its COPY', () => {
    const g = generate(tables([row()]));
    expect(g.files[0]!.text).toContain(
      'lineage: { sourceFile: file_name, sourceFileAs: basename, runId: null, loadedAt: null }',
    );
    expect(g.bySid.get(1)!.records[0]!.lineage).toEqual({
      sourceFile: 'file_name',
      sourceFileAs: 'basename',
      runId: null,
      loadedAt: null,
    });
  });

  it('split parts match the configs with token <token>-<type>, not the bare type, and unlisted types are dropped', () => {
    const g = generate(
      tables(
        [
          row({ sid: 1, filePrefix: '901.', splitFileFlag: 'Y', splitPrefix: '01,02' }),
          row({ sid: 2, filePrefix: '901-01.', tgtTable: 'hdr' }),
          // The old (wrong) rule would have taken this one for type 02.
          row({ sid: 3, filePrefix: '02.', tgtTable: 'not_this' }),
          row({ sid: 4, filePrefix: '901-02.', tgtTable: 'line' }),
        ],
        [...cols(1, 'a'), ...cols(2, 'h1', 'h2'), ...cols(3, 'x'), ...cols(4, 'l1')],
      ),
    );
    const c = g.bySid.get(1)!;
    expect(c.records.map((r) => [r.recordType, r.target.table, r.columns.map((x) => x.name)])).toEqual([
      ['01', 'hdr', ['h1', 'h2']],
      ['02', 'line', ['l1']],
    ]);
    expect(c.split).toEqual({ prefixLength: 2, onUnknown: 'skip' });
    expect(g.line(1).differences.join()).toContain('onUnknown: skip');
    expect(g.line(1).differences.join()).toContain('split part');
  });

  it('several active rows on one token: one stays active, the others are imported inactive, and the report says so', () => {
    const g = generate(
      tables([
        row({ sid: 5, tgtTable: 'a' }),
        row({ sid: 6, tgtTable: 'b' }),
        row({ sid: 7, tgtTable: 'c', flag: 'I' }),
      ]),
    );
    expect(g.bySid.get(5)!.active).toBe(true);
    expect(g.bySid.get(6)!.active).toBe(false);
    expect(g.line(5)).toMatchObject({ status: 'review', active: true });
    expect(g.line(5).reasons.join()).toContain('the original loaded each such file once per row');
    expect(g.line(5).differences.join()).toContain('stage.b');
    expect(g.line(6)).toMatchObject({ status: 'review', active: false });
    // An inactive legacy row never loaded anything: no conflict.
    expect(g.line(7).reasons.join()).not.toContain('token');
    const configs = parseConfigYaml(g.files[0]!.text, 'x.yaml');
    expect(configs.filter((c) => c.active).map((c) => c.records[0]!.target.table)).toEqual(['a']);
  });

  it('the same table twice in one interface: ids carry the sid', () => {
    const g = generate(tables([row({ sid: 7 }), row({ sid: 8, filePrefix: '901.' })]));
    expect(g.configs.map((c) => c.configId)).toEqual(['feed_900.feed.7', 'feed_900.feed.8']);
  });

  it('legacy names that sanitise alike get separate files', () => {
    const t = tables([row({ cid: '1' }), row({ sid: 2, cid: '2', filePrefix: '2.' })]);
    t.interfaces = [
      { cid: '1', name: 'Sales Feed', description: null, flag: 'A' },
      { cid: '2', name: 'SALES-FEED'.replace('-', ' '), description: null, flag: 'A' },
    ];
    const g = generate(t);
    expect(g.files.map((f) => f.name)).toEqual(['sales_feed-1.yaml', 'sales_feed-2.yaml']);
  });

  it('skips what cannot be loaded, with the reason', () => {
    const t = tables(
      [
        row({ sid: 1, fileFormat: 'fixed_width' }),
        row({ sid: 2, tgtTable: 'f2' }),
        row({ sid: 3, cid: '999', tgtTable: 'f3' }),
        row({ sid: 4, tgtTable: 'f4', splitFileFlag: 'Y', splitPrefix: 'A,BB' }),
      ],
      [...cols(1, ['a', 10], 'b'), ...cols(2, 'a', 'A'), ...cols(3, 'a'), ...cols(4, 'a')],
    );
    t.interfaces = t.interfaces.filter((i) => i.cid !== '999');
    const g = generate(t);
    expect(g.configs.map((c) => [c.sid, c.status])).toEqual([
      [1, 'skipped'],
      [2, 'skipped'],
      [3, 'skipped'],
      [4, 'skipped'],
    ]);
    expect(g.line(1).reasons.join()).toContain('fixed-width column b');
    expect(g.line(2).reasons.join()).toContain('column a is listed twice');
    expect(g.line(3).reasons.join()).toContain('ext_interface has no row with ext_interface_cid 999');
    expect(g.line(4).reasons.join()).toContain('different lengths');
    expect(g.files).toEqual([]);
  });

  it("a row whose keys the original's DDL guarantees (NULL or repeated sid, repeated interface cid) is skipped, naming it", () => {
    const t = tables(
      [
        row({ sid: null, tgtTable: 'no_sid' }),
        row({ sid: 2, tgtTable: 'twice_a', filePrefix: 'a.' }),
        row({ sid: 2, tgtTable: 'twice_b', filePrefix: 'b.' }),
        row({ sid: 3, cid: '7', tgtTable: 'two_feeds' }),
        row({ sid: 4, cid: null, tgtTable: 'no_feed' }),
        row({ sid: 5, tgtTable: 'fine', filePrefix: 'c.' }),
      ],
      [
        // A column row of no config must not be taken for the row without a sid.
        { sid: 1, configSid: null, name: 'stray', width: null, order: '1', flag: 'A' },
        ...cols(2, 'a'),
        ...cols(3, 'a'),
        ...cols(4, 'a'),
        ...cols(5, 'a'),
      ],
    );
    t.interfaces = [
      { cid: '900', name: 'FEED', description: null, flag: 'A' },
      { cid: '7', name: 'ONE', description: null, flag: 'A' },
      { cid: '7', name: 'TWO', description: null, flag: 'A' },
    ];
    const g = generate(t);
    expect(g.configs.map((c) => [c.sid, c.status])).toEqual([
      [null, 'skipped'],
      [2, 'skipped'],
      [2, 'skipped'],
      [3, 'skipped'],
      [4, 'skipped'],
      [5, 'mapped'],
    ]);
    const reasons = g.configs.map((c) => c.reasons.join(' | '));
    expect(reasons[0]).toBe(
      'ext_file_config_sid is NULL on the row (target "stage"."no_sid", file_prefix "900."): its ext_file_config_dtl columns cannot be found; give it its own ext_file_config_sid (the primary key in the original\'s DDL) and import again',
    );
    expect(reasons[1]).toContain('ext_file_config_sid 2 is on 2 rows (targets "stage"."twice_a", "stage"."twice_b")');
    expect(reasons[2]).toBe(reasons[1]);
    expect(reasons[3]).toContain('ext_interface has 2 rows with ext_interface_cid 7 ("ONE", "TWO")');
    expect(reasons[4]).toContain('ext_interface_cid is NULL on ext_file_config_sid 4');
    expect(g.configs[4]!.interfaceCid).toBeNull();
    expect(g.files.map((f) => [f.name, f.configs])).toEqual([['feed.yaml', ['feed.fine']]]);
  });

  it('a column without column_order_sqnc goes after the numbered ones, marked for review', () => {
    const g = generate(
      tables(
        [row({ sid: 1 })],
        [
          { sid: 10, configSid: 1, name: 'late', width: null, order: null, flag: 'A' },
          { sid: 11, configSid: 1, name: 'first', width: null, order: '1', flag: 'A' },
          { sid: 12, configSid: 1, name: 'second', width: null, order: '2', flag: 'A' },
        ],
      ),
    );
    expect(g.line(1).status).toBe('review');
    expect(g.line(1).reasons).toEqual([
      'column_order_sqnc is NULL for "late" (ext_file_config_dtl_sid 10): placed after the numbered columns; set column_order_sqnc and import again, or check the order against the file',
    ]);
    expect(g.bySid.get(1)!.records[0]!.columns.map((c) => c.name)).toEqual(['first', 'second', 'late']);
  });

  it('a flag written otherwise than its letter (a, " Y") is read loosely but marked for review', () => {
    const g = generate(
      tables([row({ sid: 1, flag: 'a' }), row({ sid: 2, tgtTable: 'f2', filePrefix: '2.', headerFlag: ' Y' })]),
    );
    expect(g.configs.map((c) => [c.sid, c.status, c.active])).toEqual([
      [1, 'review', true],
      [2, 'review', true],
    ]);
    expect(g.line(1).reasons).toEqual([
      'oprtnl_flag "a" is read as "A"; if the original compared it exactly, it did not count as A there: check, and write it as "A"',
    ]);
    expect(g.line(2).reasons[0]).toMatch(/^header_flag " Y" is read as "Y"/);
    expect(g.bySid.get(2)!.header.lines).toBe(1);
  });
});

describe('connectionHint', () => {
  it('an RDS refusing a connection without SSL, or a certificate not trusted, says what to add to --from', () => {
    const fallback = 'check host, port, database, user and password in --from';
    expect(
      connectionHint('no pg_hba.conf entry for host "10.0.0.5", user "cfg", database "rds", no encryption', fallback),
    ).toMatch(
      /^the server accepts only SSL connections \(RDS does by default\): add \?sslmode=verify-full&sslrootcert=PATH/,
    );
    expect(connectionHint('self-signed certificate in certificate chain', fallback)).toMatch(
      /^the server's certificate is not trusted: add sslrootcert=PATH/,
    );
    expect(connectionHint('password authentication failed for user "cfg"', fallback)).toBe(fallback);
  });
});
