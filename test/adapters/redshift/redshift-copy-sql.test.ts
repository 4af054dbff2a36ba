import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isCountStatement,
  parseMarker,
  type RedshiftCopyOptions,
  renderLoadStatements,
  renderMarker,
} from '../../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { ConfigInvalid, InvalidStateInput } from '../../../functions/lib/errors.ts';
import type { LoadSpec } from '../../../functions/lib/ports/warehouse.ts';
import { csvTarget, ROLE_ARN, RUN_ID, spec } from './fixtures.ts';

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
// EFI_UPDATE_GOLDEN=1 rewrites the files; review the diff before committing it.
const UPDATE = process.env['EFI_UPDATE_GOLDEN'] === '1';

function render(s: LoadSpec, opts: Partial<RedshiftCopyOptions> = {}): string {
  return `${renderLoadStatements(s, { iamRoleArn: ROLE_ARN, ...opts }).join(';\n\n')};\n`;
}

async function expectGolden(name: string, actual: string): Promise<void> {
  const file = path.join(GOLDEN_DIR, `${name}.sql`);
  if (UPDATE) await fs.writeFile(file, actual);
  const expected = await fs.readFile(file, 'utf8');
  expect(actual).toBe(expected);
}

const plainOptions = {
  dateFormat: null,
  timeFormat: null,
  emptyAsNull: false,
  blanksAsNull: false,
  nullAs: null,
  maxErrors: 0,
  truncateColumns: false,
  acceptInvalidChars: null,
  ignoreBlankLines: false,
  acceptAnyDate: false,
  removeQuotes: false,
  fillRecord: false,
  trimBlanks: false,
  roundDecimals: false,
};

const singleOriginal = {
  parts: [
    {
      bucket: 'efi-data',
      key: 'landing/sales/daily_20240501.csv',
      compression: 'none' as const,
      bytes: 500,
      records: 5,
      firstRecord: 1,
    },
  ],
  manifest: null,
};

const goldenCases: Record<string, () => string> = {
  // A --reload: the earlier runs' rows go in the same transaction, by the run-id lineage column.
  'reload-replaces-earlier-runs': () =>
    render(spec([csvTarget()], { replaceRunIds: ['run-20240430-0007', "run-o'brien"] })),
  'csv-manifest-defaults': () => render(spec([csvTarget()])),
  'csv-pipe-delimiter-single-quote-char': () =>
    render(spec([csvTarget({ format: { layout: 'delimited', delimiter: '|', quote: "'", escape: "'" } })])),
  'text-plain-delimiter': () =>
    render(spec([csvTarget({ format: { layout: 'delimited', delimiter: '\t', quote: null, escape: null } })])),
  'text-backslash-escape': () =>
    render(spec([csvTarget({ format: { layout: 'delimited', delimiter: '|', quote: null, escape: '\\' } })])),
  'fixed-width': () =>
    render(
      spec([
        csvTarget({
          columns: [
            { name: 'id', width: 10 },
            { name: 'sold_on', width: 8 },
            { name: 'amount', width: 12 },
          ],
          format: { layout: 'fixed_width', delimiter: ',', quote: null, escape: null },
        }),
      ]),
    ),
  // UseOriginalFile: the original itself, still through its one-entry manifest (never FROM the key as a prefix).
  'single-original': () =>
    render(
      spec([
        csvTarget({
          ...singleOriginal,
          manifest: { bucket: 'efi-data', key: `processing/${RUN_ID}/all/manifest.json` },
        }),
      ]),
    ),
  'options-all-set': () =>
    render(
      spec([
        csvTarget({
          options: {
            dateFormat: 'YYYY-MM-DD',
            timeFormat: 'YYYY-MM-DD HH:MI:SS',
            emptyAsNull: true,
            blanksAsNull: true,
            nullAs: '\\N',
            maxErrors: 25,
            truncateColumns: true,
            acceptInvalidChars: '?',
            ignoreBlankLines: true,
            acceptAnyDate: true,
            removeQuotes: false,
            fillRecord: true,
            trimBlanks: true,
            roundDecimals: true,
          },
        }),
      ]),
    ),
  'options-all-off': () => render(spec([csvTarget({ options: plainOptions })])),
  region: () => render(spec([csvTarget()]), { region: 'eu-west-1' }),
  'gov-partition-role': () =>
    render(spec([csvTarget()]), { iamRoleArn: 'arn:aws-us-gov:iam::123456789012:role/path/efi+copy=1.a_b@c-d' }),
  // Management Guide, Chaining IAM roles: the ARNs in order, comma-separated, no spaces, in one literal.
  'role-chain': () =>
    render(spec([csvTarget()]), {
      iamRoleArn: 'arn:aws:iam::123456789012:role/RoleA,arn:aws:iam::210987654321:role/RoleB',
    }),
  'lineage-none': () => render(spec([csvTarget({ lineage: { sourceFile: null, runId: null, loadedAt: null } })])),
  'lineage-source-and-time-only': () =>
    render(spec([csvTarget({ lineage: { sourceFile: 'src_file', runId: null, loadedAt: 'loaded_ts' } })])),
  // The original framework's file_name: the object's base name, not its s3:// URI.
  'lineage-source-basename': () =>
    render(
      spec([
        csvTarget({ lineage: { sourceFile: 'file_name', runId: null, loadedAt: null, sourceFileAs: 'basename' } }),
      ]),
    ),
  'multi-target-record-types': () =>
    render(
      spec([
        csvTarget({
          recordType: 'H',
          target: { schema: 'sales', table: 'header' },
          columns: [{ name: 'rec' }, { name: 'batch_no' }],
          manifest: { bucket: 'efi-data', key: `processing/${RUN_ID}/H/manifest.json` },
        }),
        csvTarget({
          recordType: 'D',
          target: { schema: 'sales', table: 'detail' },
          manifest: { bucket: 'efi-data', key: `processing/${RUN_ID}/D/manifest.json` },
        }),
      ]),
    ),
  'stage-prefix': () => render(spec([csvTarget()]), { stagePrefix: 'tmp_load_' }),
  'injection-values': () => render(injectionSpec()),
};

/** Hostile values in every place a value (not an identifier) can come from. */
function injectionSpec(): LoadSpec {
  return spec(
    [
      csvTarget({
        recordType: "*/ DROP TABLE y; /*\n'",
        format: { layout: 'delimited', delimiter: "'", quote: null, escape: null },
        options: {
          ...plainOptions,
          nullAs: "\\'; drop table y; --",
          dateFormat: "YYYY'); drop table y; --",
          acceptInvalidChars: "'",
        },
        manifest: { bucket: 'efi-data', key: "processing/x'; drop table y; --\\/manifest.json" },
      }),
    ],
    { runId: "r'1; drop table y; --", sourceFile: "s3://efi-data/landing/it's \\'; drop.csv" },
  );
}

describe('renderLoadStatements golden SQL', () => {
  for (const [name, make] of Object.entries(goldenCases)) {
    it(name, async () => {
      await expectGolden(name, make());
    });
  }
});

describe('renderLoadStatements structure', () => {
  it('renders stage, copy, delete, insert per target in that order, one transaction', () => {
    const sqls = renderLoadStatements(spec([csvTarget(), csvTarget({ recordType: 'D' })]), { iamRoleArn: ROLE_ARN });
    expect(sqls.map((s) => parseMarker(s)?.step)).toEqual([
      'stage',
      'copy',
      'delete',
      'insert',
      'stage',
      'copy',
      'delete',
      'insert',
      undefined,
    ]);
    expect(sqls.map((s) => parseMarker(s)?.target)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, undefined]);
    expect(sqls[5]).toContain('COPY "efi_stage_1" ("id", "sold_on", "amount")');
  });

  it('ends with one statement that counts every stage table, marked as the count', () => {
    const sqls = renderLoadStatements(spec([csvTarget(), csvTarget({ recordType: 'D' })]), { iamRoleArn: ROLE_ARN });
    expect(sqls.filter((s) => isCountStatement(s))).toEqual([sqls.at(-1)]);
    expect(sqls.at(-1)).toBe(
      '/* efi step=count */\n' +
        'SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0"\nUNION ALL\n' +
        'SELECT 1 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_1"',
    );
  });

  it('leaves the count statement out of a load that already needs all 40 statements, and only then', () => {
    const targets = (n: number) => Array.from({ length: n }, (_, i) => csvTarget({ recordType: `T${i}` }));
    const full = renderLoadStatements(spec(targets(10)), { iamRoleArn: ROLE_ARN });
    expect(full).toHaveLength(40);
    expect(full.some((s) => isCountStatement(s))).toBe(false);
    const nine = renderLoadStatements(spec(targets(9)), { iamRoleArn: ROLE_ARN });
    expect(nine).toHaveLength(37);
    expect(isCountStatement(nine.at(-1))).toBe(true);
  });

  it('omits DELETE when the run id is not recorded, so nothing else is deleted', () => {
    const sqls = renderLoadStatements(
      spec([csvTarget({ lineage: { sourceFile: 'efi_source_file', runId: null, loadedAt: null } })]),
      {
        iamRoleArn: ROLE_ARN,
      },
    );
    expect(sqls.some((s) => s.includes('DELETE'))).toBe(false);
  });
});

describe('injection-shaped values end up inert inside literals', () => {
  const sqls = renderLoadStatements(injectionSpec(), { iamRoleArn: ROLE_ARN });
  const [stage, copy, del, insert] = sqls;

  it('keeps every hostile value inside one Redshift literal (quote doubled, backslash doubled)', () => {
    expect(copy).toContain(`DELIMITER AS ''''\n`);
    expect(copy).toContain(`NULL AS '\\\\''; drop table y; --'\n`);
    expect(copy).toContain(`DATEFORMAT AS 'YYYY''); drop table y; --'\n`);
    expect(copy).toContain(`ACCEPTINVCHARS AS ''''\n`);
    expect(copy).toContain(`FROM 's3://efi-data/processing/x''; drop table y; --\\\\/manifest.json'\n`);
    expect(del).toBe(
      `/* efi target=0 step=delete table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */\n` +
        `DELETE FROM "sales"."daily" WHERE "efi_run_id" = 'r''1; drop table y; --'`,
    );
    expect(insert).toContain(
      `SELECT "id", "sold_on", "amount", 's3://efi-data/landing/it''s \\\\''; drop.csv', 'r''1; drop table y; --', GETDATE() FROM "efi_stage_0"`,
    );
    expect(stage).toBe(
      `/* efi target=0 step=stage table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */\n` +
        `CREATE TEMP TABLE "efi_stage_0" (LIKE "sales"."daily" INCLUDING DEFAULTS)`,
    );
  });

  it('keeps the record type from closing the marker comment and reads it back unchanged', () => {
    // The count statement names no record type: it is the last one, marked `step=count` only.
    expect(isCountStatement(sqls.at(-1))).toBe(true);
    for (const s of sqls.slice(0, -1)) {
      const head = s.slice(0, s.indexOf('*/') + 2);
      expect(head.startsWith('/* efi ')).toBe(true);
      expect(head.endsWith(' record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */')).toBe(true);
      expect(parseMarker(s)?.recordType).toBe("*/ DROP TABLE y; /*\n'");
    }
  });
});

describe('identifiers from config are rejected, not quoted around', () => {
  const cases: [string, () => LoadSpec, RegExp][] = [
    [
      'table',
      () => spec([csvTarget({ target: { schema: 'sales', table: 'x"; drop table y; --' } })]),
      /table "x\\"; drop/,
    ],
    ['schema', () => spec([csvTarget({ target: { schema: 'Sales', table: 'daily' } })]), /schema "Sales"/],
    ['column', () => spec([csvTarget({ columns: [{ name: 'id" text, "x' }] })]), /column "id\\" text/],
    [
      'lineage column',
      () => spec([csvTarget({ lineage: { sourceFile: 'src; drop', runId: null, loadedAt: null } })]),
      /lineage sourceFile column "src; drop"/,
    ],
    [
      'fixed-width column label',
      () =>
        spec([
          csvTarget({
            columns: [{ name: 'a:1,b', width: 3 }],
            format: { layout: 'fixed_width', delimiter: ',', quote: null, escape: null },
          }),
        ]),
      /column "a:1,b"/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      expect(() => renderLoadStatements(make(), { iamRoleArn: ROLE_ARN })).toThrow(ConfigInvalid);
      expect(() => renderLoadStatements(make(), { iamRoleArn: ROLE_ARN })).toThrow(message);
    });
  }

  it('stage prefix', () => {
    expect(() => renderLoadStatements(spec([csvTarget()]), { iamRoleArn: ROLE_ARN, stagePrefix: 'a"b' })).toThrow(
      /stage table prefix "a\\"b"/,
    );
  });
});

describe('a reload that must replace rows', () => {
  it('is refused for a target without a run-id lineage column, rather than appending a second copy', () => {
    const s = spec([csvTarget({ lineage: { sourceFile: null, runId: null, loadedAt: null } })], {
      replaceRunIds: ['run-20240430-0007'],
    });
    expect(() => renderLoadStatements(s, { iamRoleArn: ROLE_ARN })).toThrow(/no run-id lineage column/);
  });
});

describe('a target without a COPY manifest', () => {
  // Developer Guide, COPY from Amazon S3: without MANIFEST the FROM path is a key prefix, so
  // FROM 's3://efi-data/landing/sales/daily_20240501.csv' would also load daily_20240501.csv.bak.
  it.each([
    ['one part', () => spec([csvTarget(singleOriginal)]), /has 1 part\(s\) and no COPY manifest/],
    ['several parts', () => spec([csvTarget({ manifest: null })]), /has 2 part\(s\) and no COPY manifest/],
  ] as const)('is refused, never loaded by key prefix: %s', (_what, make, message) => {
    const run = () => renderLoadStatements(make(), { iamRoleArn: ROLE_ARN });
    expect(run).toThrow(InvalidStateInput);
    expect(run).toThrow(message);
  });
});

describe('invalid load settings fail with ConfigInvalid and say what to change', () => {
  const fmt = (delimiter: string, quote: string | null, escapeChar: string | null) =>
    spec([csvTarget({ format: { layout: 'delimited', delimiter, quote, escape: escapeChar } })]);
  const cases: [string, () => LoadSpec, Partial<RedshiftCopyOptions>, RegExp][] = [
    [
      'role ARN with a quote',
      () => spec([csvTarget()]),
      { iamRoleArn: "arn:aws:iam::123456789012:role/x' x" },
      /IAM role ARN/,
    ],
    [
      'role ARN of a user',
      () => spec([csvTarget()]),
      { iamRoleArn: 'arn:aws:iam::123456789012:user/x' },
      /IAM role ARN/,
    ],
    ['short account id', () => spec([csvTarget()]), { iamRoleArn: 'arn:aws:iam::1234:role/x' }, /IAM role ARN/],
    [
      // IAM allows a comma in a role name; COPY would read it as a chain of "role/efi,x" → "role/efi" then "x".
      'role name with a comma',
      () => spec([csvTarget()]),
      { iamRoleArn: 'arn:aws:iam::123456789012:role/efi,copy' },
      /a role name containing a comma cannot be used/,
    ],
    [
      'role chain with a space',
      () => spec([csvTarget()]),
      { iamRoleArn: 'arn:aws:iam::123456789012:role/RoleA, arn:aws:iam::210987654321:role/RoleB' },
      /IAM role ARN/,
    ],
    [
      'role chain with an empty link',
      () => spec([csvTarget()]),
      { iamRoleArn: 'arn:aws:iam::123456789012:role/RoleA,' },
      /IAM role ARN/,
    ],
    ['region', () => spec([csvTarget()]), { region: "eu-west-1'" }, /not an AWS region/],
    [
      'bucket',
      () => spec([csvTarget({ manifest: { bucket: "efi'data", key: 'm.json' } })]),
      {},
      /bucket "efi'data" is not a valid S3 bucket name/,
    ],
    [
      'multi-character delimiter',
      () => fmt('||', null, null),
      {},
      /delimiter "\|\|" must be exactly one ASCII character/,
    ],
    ['newline delimiter', () => fmt('\n', null, null), {}, /delimiter "\\n" must be exactly one ASCII/],
    ['non-ASCII delimiter', () => fmt('§', null, null), {}, /delimiter "§" must be exactly one ASCII/],
    ['quote equal to delimiter', () => fmt(',', ',', null), {}, /quote and delimiter are both ","/],
    ['non-backslash escape in text mode', () => fmt('|', null, '^'), {}, /escape "\^" is not supported/],
    ['backslash escape in CSV mode', () => fmt(',', '"', '\\'), {}, /cannot combine CSV with ESCAPE/],
    ['backslash delimiter with backslash escape', () => fmt('\\', null, '\\'), {}, /cannot be a backslash/],
    [
      'escape with fixed width',
      () =>
        spec([
          csvTarget({
            columns: [{ name: 'id', width: 3 }],
            format: { layout: 'fixed_width', delimiter: ',', quote: null, escape: '\\' },
          }),
        ]),
      {},
      /cannot be used with a fixed_width layout/,
    ],
    [
      'fixed width column without width',
      () =>
        spec([
          csvTarget({
            columns: [{ name: 'id', width: 3 }, { name: 'name' }],
            format: { layout: 'fixed_width', delimiter: ',', quote: null, escape: null },
          }),
        ]),
      {},
      /column "name" has no valid width/,
    ],
    [
      'mixed compression',
      () =>
        spec([
          csvTarget({
            parts: [csvTarget().parts[0]!, { ...csvTarget().parts[1]!, compression: 'none' }],
          }),
        ]),
      {},
      /mixes gzip and uncompressed parts/,
    ],
    ['no targets', () => spec([]), {}, /has no targets/],
    ['no columns', () => spec([csvTarget({ columns: [] })]), {}, /has no columns/],
    [
      'negative maxErrors',
      () => spec([csvTarget({ options: { ...plainOptions, maxErrors: -1 } })]),
      {},
      /maxErrors -1 must be an integer from 0 to 100000/,
    ],
    [
      'fractional maxErrors',
      () => spec([csvTarget({ options: { ...plainOptions, maxErrors: 1.5 } })]),
      {},
      /maxErrors 1.5/,
    ],
    [
      'non-ASCII replacement character',
      () => spec([csvTarget({ options: { ...plainOptions, acceptInvalidChars: '€' } })]),
      {},
      /acceptInvalidChars "€" must be exactly one ASCII/,
    ],
    [
      'empty date format',
      () => spec([csvTarget({ options: { ...plainOptions, dateFormat: ' ' } })]),
      {},
      /dateFormat is empty/,
    ],
    ['NUL in a value', () => spec([csvTarget({ options: { ...plainOptions, nullAs: 'a\0b' } })]), {}, /NUL/],
  ];
  for (const [what, make, opts, message] of cases) {
    it(what, () => {
      const run = () => renderLoadStatements(make(), { iamRoleArn: ROLE_ARN, ...opts });
      expect(run).toThrow(ConfigInvalid);
      expect(run).toThrow(message);
    });
  }
});

describe('statement markers', () => {
  it('round-trips any record type', () => {
    for (const recordType of [null, '', 'H', '01', ' a b ', '*/', '/*', '\r\n', "'", '%41', 'ü€']) {
      const m = { target: 3, step: 'insert' as const, table: { schema: 's', table: 't_1' }, recordType };
      const sql = `${renderMarker(m)}INSERT INTO "s"."t_1" SELECT 1`;
      expect(parseMarker(sql)).toEqual(m);
    }
  });

  it('does not recognise SQL it did not render', () => {
    expect(parseMarker('INSERT INTO "s"."t" SELECT 1')).toBeNull();
    expect(parseMarker('/* efi target=0 step=drop table=s.t */\nDROP TABLE s.t')).toBeNull();
    expect(parseMarker(undefined)).toBeNull();
  });
});
