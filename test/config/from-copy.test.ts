import { describe, expect, it } from 'vitest';
import { fromCopy, tokenizeCopy } from '../../functions/lib/config/from-copy.ts';
import { checkConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { compileGlob } from '../../functions/lib/config/match.ts';
import { ConfigInvalid } from '../../functions/lib/errors.ts';

const matchesGlob = (glob: string, key: string) => compileGlob(glob).test(key);

const ROLE = "iam_role 'arn:aws:iam::0123456789012:role/MyRedshiftRole'";

function config(sql: string) {
  const r = fromCopy(sql);
  const parsed = checkConfigYaml(r.yaml, 'x.yaml');
  return { ...r, config: parsed.configs[0] };
}

describe('efi config from-copy: a Redshift COPY statement becomes a validated config', () => {
  it('docs (venue_noseats): column list, pipe delimiter, Redshift defaults; IAM role and FROM reported', () => {
    const r = config(`copy venue_new(venueid, venuename, venuecity, venuestate)
      from 's3://mybucket/data/venue_noseats.txt' ${ROLE} delimiter '|';`);
    expect(r.issues).toEqual([]);
    expect(r.config!.records[0]).toMatchObject({
      target: { schema: 'public', table: 'venue_new' },
      columns: [{ name: 'venueid' }, { name: 'venuename' }, { name: 'venuecity' }, { name: 'venuestate' }],
    });
    expect(r.config!.format).toMatchObject({ delimiter: '|', quote: null });
    expect(r.config!.load).toMatchObject({ emptyAsNull: false, dateFormat: null, nullAs: null });
    expect(r.notMapped).toEqual([
      expect.stringMatching(/^IAM_ROLE: set by efi's deployment/),
      expect.stringMatching(/^FROM /),
    ]);
  });

  it('docs (venue_fw): FIXEDWIDTH labels become the columns with their widths', () => {
    const r = config(`copy venue from 's3://mybucket/data/venue_fw.txt' ${ROLE}
      fixedwidth 'venueid:3,venuename:25,venuecity:12,venuestate:2,venueseats:6';`);
    expect(r.issues).toEqual([]);
    expect(r.config!.format.layout).toBe('fixed_width');
    expect(r.config!.records[0]!.columns.map((c) => `${c.name}:${c.width}`).join(',')).toBe(
      'venueid:3,venuename:25,venuecity:12,venuestate:2,venueseats:6',
    );
  });

  it("docs (event): every data conversion option maps; no column list means the table's columns at load time", () => {
    const r = config(`copy test.event from 's3://b/allevents_pipe.txt' ${ROLE}
      removequotes emptyasnull blanksasnull maxerror 5 delimiter '|' timeformat 'YYYY-MM-DD HH:MI:SS'
      acceptanydate fillrecord trimblanks roundec truncatecolumns ignoreblanklines null as '\\\\N' acceptinvchars;`);
    expect(r.notMapped).toContain(
      "no column list: columns left out, so efi loads the table's columns in order as COPY does (lineage columns excepted)",
    );
    expect(r.issues).toEqual([]);
    const fixed = checkConfigYaml(r.yaml, 'x');
    expect(fixed.issues).toEqual([]);
    expect(fixed.configs[0]!.records[0]!.columns).toEqual([]);
    expect(fixed.configs[0]!.load).toMatchObject({
      removeQuotes: true,
      emptyAsNull: true,
      blanksAsNull: true,
      maxErrors: 5,
      timeFormat: 'YYYY-MM-DD HH:MI:SS',
      acceptAnyDate: true,
      fillRecord: true,
      trimBlanks: true,
      roundDecimals: true,
      truncateColumns: true,
      ignoreBlankLines: true,
      nullAs: '\\N',
      acceptInvalidChars: '?',
    });
  });

  it("docs (category_csv): CSV QUOTE AS '%', IGNOREHEADER and GZIP; CSV's delimiter is ','", () => {
    const r = config(`copy category(catid, catname) from 's3://mybucket/data/category_csv.txt' ${ROLE}
      csv quote as '%' ignoreheader 1 gzip;`);
    expect(r.issues).toEqual([]);
    expect(r.config!.format).toMatchObject({ delimiter: ',', quote: '%', compression: 'gzip' });
    expect(r.config!.header.lines).toBe(1);
  });

  it('reports what it cannot map: LZOP (refused at validate), MANIFEST', () => {
    const r = fromCopy(`copy sales(id) from 's3://b/x/' ${ROLE} delimiter '\\t' lzop manifest;`);
    expect(r.notMapped).toEqual(
      expect.arrayContaining([expect.stringMatching(/^LZOP: /), expect.stringMatching(/^MANIFEST: /)]),
    );
    expect(r.issues).toEqual([expect.stringMatching(/lzop is not supported/)]);
  });

  for (const source of ["json 'auto'", "format as json 's3://b/paths.json'", 'format as parquet', 'avro', 'orc']) {
    it(`writes no config for a ${source} source (it would read the file as text)`, () => {
      const r = fromCopy(`copy sales(id) from 's3://b/x/' ${ROLE} ${source};`);
      expect(r.yaml).toBe('');
      expect(r.issues).toEqual([
        expect.stringMatching(/^(JSON|PARQUET|AVRO|ORC): efi loads delimited and fixed-width text only/),
      ]);
    });
  }

  it("tokenizes Redshift literals: doubled quotes, backslash escapes and octal ('\\t', '\\\\N', '\\174')", () => {
    const strings = tokenizeCopy(`delimiter '\\t' null as '\\\\N' x 'it''s' d '\\174'`)
      .filter((t) => t.kind === 'string')
      .map((t) => t.text);
    expect(strings).toEqual(['\t', '\\N', "it's", '|']);
  });

  it("docs (NULL AS '\\0'): '\\0' and '\\000' are the NUL character, not the digit 0; validate refuses NUL as the marker", () => {
    for (const literal of ["'\\0'", "'\\000'"]) {
      const r = fromCopy(`copy venue from 's3://b/venue.txt' ${ROLE} delimiter '|' null as ${literal};`);
      expect(r.yaml).toContain('nullAs: "\\0"');
      expect(r.issues).toEqual([expect.stringMatching(/nullAs '\\0' \(a NUL byte\) cannot match/)]);
    }
  });

  it('docs (DATEFORMAT): a date format with time parts maps as it is (Redshift ignores the time)', () => {
    const r = config(`copy t from 's3://b/t.txt' ${ROLE} dateformat 'YYYY-MM-DD HH:MI:SS';`);
    expect(r.issues).toEqual([]);
    expect(r.config!.load.dateFormat).toBe('YYYY-MM-DD HH:MI:SS');
  });

  it("docs (multibyte delimiter): DELIMITER '\\302\\246' is the UTF-8 bytes of ¦, one character", () => {
    const r = config(`copy latin1 from 's3://b/multibyte/myfile' ${ROLE} delimiter '\\302\\246';`);
    expect(r.issues).toEqual([]);
    expect(r.config!.format.delimiter).toBe('¦');
    expect(
      tokenizeCopy(`x '\\174\\174' y '\\377'`)
        .filter((t) => t.kind === 'string')
        .map((t) => t.text),
    ).toEqual(['||', '\u00ff']);
  });

  it('docs (COPY with NOLOAD): says that the config loads what the COPY only validated', () => {
    const r = fromCopy(`copy venue from 's3://b/venue_pipe.txt' ${ROLE} delimiter '|' noload;`);
    expect(r.notMapped).toContain(
      'NOLOAD: this COPY only validates; the config loads the files it matches (efi check FILE validates one without loading)',
    );
  });

  it('docs (FAVORITEMOVIES, SALES): writes no config for a DynamoDB or EMR source, nor for UTF-16 files', () => {
    for (const [sql, reason] of [
      [
        `copy favoritemovies from 'dynamodb://Movies' ${ROLE} readratio 50;`,
        /^FROM 'dynamodb:\/\/Movies': .*dynamodb:\/\/ is not S3/,
      ],
      [`copy sales from 'emr://j-SAMPLE2B500FC/myoutput/part-*' ${ROLE} delimiter '\\t' lzop;`, /emr:\/\/ is not S3/],
      [`copy t from 's3://b/x.txt' ${ROLE} encoding utf16le;`, /^ENCODING UTF16LE: .*convert the files to UTF-8/],
    ] as const) {
      const r = fromCopy(sql);
      expect(r.yaml).toBe('');
      expect(r.issues).toEqual([expect.stringMatching(reason)]);
    }
    const tuned = fromCopy(`copy listing from 's3://b/data/listing/' ${ROLE} compupdate off comprows 100000;`);
    expect(tuned.notMapped.filter((n) => /not an option efi knows/.test(n))).toEqual([]);
  });

  it('refuses text that is not a COPY', () => {
    expect(() => fromCopy('select 1')).toThrow(/COPY/);
  });

  it('a COPY statement it cannot read is a ConfigInvalid, whatever the tokenizer or the parser finds', () => {
    for (const sql of [
      'select 1',
      "COPY t FROM 's3://b/unterminated",
      'COPY "t FROM x',
      'COPY t /* never closed',
      "COPY t FROM 's3://b/a.csv'; COPY u FROM 's3://b/b.csv'",
      'COPY t (a b) FROM x',
    ]) {
      expect(() => fromCopy(sql), sql).toThrow(ConfigInvalid);
    }
  });
});

describe('efi config from-copy on COPY statements from public scripts', () => {
  it('a database.schema.table name: the target is schema.table, the database reported (dev.public.sales_mart)', () => {
    const r = config(`COPY dev.public.sales_mart FROM 's3://lake/gold/sales_mart/' ${ROLE}
      FORMAT AS CSV DELIMITER ',' QUOTE '"' IGNOREHEADER 1 REGION 'eu-west-1';`);
    expect(r.issues).toEqual([]);
    expect(r.config!.records[0]!.target).toEqual({ schema: 'public', table: 'sales_mart' });
    expect(r.notMapped).toContainEqual(
      expect.stringMatching(/^database dev: efi loads into the database it is deployed with/),
    );
  });

  it('quoted identifiers with spaces, capitals and "" in the table name and the column list, folded as Redshift does', () => {
    const r = fromCopy(`copy "Sales"."Order Lines" ("Order ID", "LineNo", qty, "a""b")
      from 's3://b/in/order_lines_' iam_role default format as csv ignoreheader 1;`);
    const target = /target:\n\s+schema: (.*)\n\s+table: (.*)/.exec(r.yaml)!;
    expect([target[1], target[2]]).toEqual(['sales', 'order lines']);
    expect(r.yaml).toMatch(/columns:\n\s+- order id\n\s+- lineno\n\s+- qty\n\s+- a"b\n/);
    expect(r.notMapped).toContainEqual(
      '"Sales", "Order Lines", "Order ID", "LineNo": folded to lower case, as Redshift does unless enable_case_sensitive_identifier is on',
    );
    // IAM_ROLE default is the role, not an option; names efi cannot quote are refused by validate, with the reason.
    expect(r.notMapped.filter((n) => /not an option|stray/.test(n))).toEqual([]);
    expect(r.issues).toEqual([
      expect.stringMatching(/files\[0\]\.target\.table: "order lines" is not a valid target table/),
      expect.stringMatching(/files\[0\]\.columns\[0\]: "order id" is not a valid column name/),
      expect.stringMatching(/files\[0\]\.columns\[3\]: "a\\"b" is not a valid column name/),
    ]);
  });

  it('REGION AS, CREDENTIALS AS and the key options take their value; no secret reaches the YAML', () => {
    const r = fromCopy(`COPY public.t FROM 's3://b/k/file.csv'
      CREDENTIALS AS 'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=wJalrSECRET'
      ACCESS_KEY_ID 'AKIA2' SECRET_ACCESS_KEY 'SECRET2' SESSION_TOKEN 'TOKEN2'
      REGION AS 'eu-central-1' CSV DELIMITER ';' IGNOREHEADER 1;`);
    expect(r.issues).toEqual([]);
    expect(r.notMapped.filter((n) => /not an option|stray/.test(n))).toEqual([]);
    for (const secret of ['AKIAEXAMPLE', 'wJalrSECRET', 'AKIA2', 'SECRET2', 'TOKEN2']) {
      expect(r.yaml).not.toContain(secret);
      expect(r.notMapped.join('\n')).not.toContain(secret);
    }
    expect(r.yaml).toContain(
      "CREDENTIALS AS '***' ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***' SESSION_TOKEN '***' REGION AS 'eu-central-1'",
    );
  });

  it('MANIFEST: FROM names the manifest, so the glob is its folder, not the manifest file, and the report says so', () => {
    const r = fromCopy(`COPY core_bf.accounts_changes FROM 's3://out-bucket/out/accounts_manifest.json'
      IAM_ROLE 'arn:aws:iam::1:role/r' MANIFEST IGNOREHEADER 1 TRIMBLANKS MAXERROR 10000 CSV DELIMITER '|' GZIP;`);
    expect(r.issues).toEqual([]);
    expect(r.yaml).toContain('glob: "**/out/**"');
    expect(r.notMapped).toContainEqual(
      expect.stringMatching(
        /^MANIFEST: FROM 's3:\/\/out-bucket\/out\/accounts_manifest\.json' is a manifest; .*write match from the keys the manifest lists$/,
      ),
    );
    expect(r.notMapped.some((n) => n.startsWith('FROM '))).toBe(false);
  });

  it('a /* comment */ before COPY and -- comments after options are skipped', () => {
    const r = config(`/* nightly load */ COPY public.t (a, b)
      FROM 's3://b/k/it''s.csv' -- the feed
      IAM_ROLE 'arn:aws:iam::1:role/r' DATEFORMAT 'YYYY-MM-DD'-- may be auto
      CSV;`);
    expect(r.issues).toEqual([]);
    expect(r.config!.load.dateFormat).toBe('YYYY-MM-DD');
    expect(r.config!.match).toEqual({ kind: 'glob', pattern: "**/it's.csv*{,/**}" });
  });

  it('the key in FROM is literal in the glob: [ ] { } ? * , are escaped', () => {
    const r = config(`COPY t FROM 's3://b/in/file[1],{{ ds }}?.csv' ${ROLE} CSV;`);
    expect(r.issues).toEqual([]);
    expect(r.config!.match.pattern).toBe('**/file\\[1\\]\\,\\{\\{ ds \\}\\}\\?.csv*{,/**}');
  });

  it('refuses a script of several statements rather than reading the second COPY as options', () => {
    expect(() => fromCopy(`COPY a FROM 's3://b/a.csv' ${ROLE} CSV;\nCOPY b FROM 's3://b/b.csv' ${ROLE} CSV;`)).toThrow(
      /give one COPY statement/,
    );
    expect(fromCopy(`COPY a FROM 's3://b/a.csv' ${ROLE} CSV;;`).issues).toEqual([]);
  });

  it('a refused COPY reports only why, not a match or columns for the config it does not write', () => {
    const r = fromCopy(`COPY raw.events FROM 's3://bucket/path/' CREDENTIALS 'x' json 'auto' GZIP ACCEPTINVCHARS;`);
    expect(r.yaml).toBe('');
    expect(r.notMapped.some((n) => /^FROM |no column list/.test(n))).toBe(false);
  });

  it('SSH (a manifest of hosts) and ENCRYPTED (client-side encrypted files) write no config, with the reason', () => {
    const ssh = fromCopy(`copy sales from 's3://mybucket/ssh_manifest' ${ROLE} delimiter '|' ssh;`);
    expect(ssh.yaml).toBe('');
    expect(ssh.issues).toEqual([
      expect.stringMatching(/^SSH: COPY runs the commands the manifest names on remote hosts/),
    ]);
    const enc = fromCopy(
      `copy t from 's3://b/enc/data.txt' ${ROLE} master_symmetric_key 'EXAMPLEKEY' encrypted delimiter '|';`,
    );
    expect(enc.yaml).toBe('');
    expect(enc.issues).toEqual([expect.stringMatching(/^ENCRYPTED: the files are client-side encrypted/)]);
  });

  it('JSON AS and COMPUPDATE PRESET take their value instead of leaving it as an unknown option', () => {
    const json = fromCopy(`copy t from 's3://b/j/' ${ROLE} format as json as 'auto ignorecase';`);
    expect(json.notMapped.filter((n) => /not an option|stray/.test(n))).toEqual([]);
    const preset = fromCopy(`copy t from 's3://b/x.csv' ${ROLE} csv compupdate preset;`);
    expect(preset.notMapped.filter((n) => /not an option|stray/.test(n))).toEqual([]);
  });

  it('a FROM prefix without a trailing slash matches the keys under it too, as COPY reads every key it prefixes', () => {
    const r = config(`COPY public.events FROM 's3://b/exports/2024-01-01' ${ROLE} CSV;`);
    expect(r.issues).toEqual([]);
    const keys = [
      'exports/2024-01-01',
      'exports/2024-01-01.csv',
      'exports/2024-01-01/part-000.csv',
      'x/2024-01-01_b/p',
    ];
    expect(keys.filter((k) => matchesGlob(r.config!.match.pattern, k))).toEqual(keys);
    expect(matchesGlob(r.config!.match.pattern, 'exports/2024-01-02/part-000.csv')).toBe(false);
  });
});

describe("ACCEPTINVCHARS AS ' '", () => {
  it('maps a space replacement, which validates (docs: any ASCII character except NULL)', () => {
    const r = config(`copy t (a, b) from 's3://b/k.txt' ${ROLE} delimiter '|' acceptinvchars as ' ';`);
    expect(r.issues).toEqual([]);
    const checked = checkConfigYaml(r.yaml, 'x');
    expect(checked.issues).toEqual([]);
    expect(checked.configs[0]!.load.acceptInvalidChars).toBe(' ');
  });
});
