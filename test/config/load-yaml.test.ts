import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigFileInvalid,
  checkConfigYaml,
  loadConfigFiles,
  parseConfigYaml,
  readConfigFiles,
} from '../../functions/lib/config/load-yaml.ts';
import {
  DEFAULT_LINEAGE,
  DEFAULT_LOAD_OPTIONS,
  DEFAULT_MIN_SIZE_BYTES,
  DEFAULT_PART_BYTES,
  type FileConfig,
} from '../../functions/lib/config/model.ts';
import { ConfigInvalid } from '../../functions/lib/errors.ts';

const MINIMAL = `interface: sales
files:
  - id: sales.daily
    match: { glob: "sales/daily_*.csv" }
    target: { schema: stage, table: sales }
    columns: [sale_id, store_id, amount]
`;

function only(text: string): FileConfig {
  const configs = parseConfigYaml(text, 'sales.yaml');
  expect(configs).toHaveLength(1);
  return configs[0]!;
}

/** The single problem in `text`, as people see it. */
function problems(text: string): string[] {
  return checkConfigYaml(text, 'feed.yaml').issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
}

describe('YAML → FileConfig', () => {
  it('applies every default to a minimal config', () => {
    expect(only(MINIMAL)).toEqual({
      id: 'sales.daily',
      interface: 'sales',
      description: null,
      active: true,
      match: { kind: 'glob', pattern: 'sales/daily_*.csv' },
      format: {
        layout: 'delimited',
        delimiter: ',',
        quote: '"',
        escape: null,
        encoding: 'utf-8',
        compression: 'none',
        extensions: [],
      },
      header: { lines: 0, columns: null },
      trailer: null,
      minSizeBytes: DEFAULT_MIN_SIZE_BYTES,
      maxSizeBytes: null,
      records: [
        {
          recordType: null,
          target: { schema: 'stage', table: 'sales' },
          columns: [{ name: 'sale_id' }, { name: 'store_id' }, { name: 'amount' }],
          lineage: DEFAULT_LINEAGE,
        },
      ],
      split: null,
      load: DEFAULT_LOAD_OPTIONS,
      partBytes: DEFAULT_PART_BYTES,
      duplicates: 'skip',
      reloadMode: 'replace',
      transform: null,
    } satisfies FileConfig);
  });

  it('takes every field as written', () => {
    const c = only(`interface: sales
description: Point-of-sale exports
files:
  - id: sales.daily
    description: daily totals
    active: false
    match: { regex: "^sales/daily_\\\\d{8}\\\\.csv$" }
    format: { delimiter: "|", quote: null, escape: "\\\\", encoding: latin1, compression: gzip, extensions: [CSV, .txt] }
    header: { lines: 2, columns: [Sale ID, Store] }
    trailer: { countPattern: "^T\\\\|(\\\\d+)$" }
    minSizeBytes: 0
    maxSizeBytes: 1000000
    target: { schema: stage, table: sales }
    columns: [sale_id, store_id]
    lineage: { runId: null, loadedAt: load_ts }
    load: { dateFormat: YYYY-MM-DD, maxErrors: 10, acceptInvalidChars: "?" }
    partSize: 1.5MiB
    duplicates: reload
    transform: { sql: "CALL core.load_sales()" }
`);
    expect(c.active).toBe(false);
    expect(c.description).toBe('daily totals');
    expect(c.match).toEqual({ kind: 'regex', pattern: '^sales/daily_\\d{8}\\.csv$' });
    expect(c.format).toEqual({
      layout: 'delimited',
      delimiter: '|',
      quote: null,
      escape: '\\',
      encoding: 'latin1',
      compression: 'gzip',
      extensions: ['csv', 'txt'],
    });
    expect(c.header).toEqual({ lines: 2, columns: ['Sale ID', 'Store'] });
    expect(c.trailer).toEqual({ count: { kind: 'pattern', regex: '^T\\|(\\d+)$' } });
    expect([c.minSizeBytes, c.maxSizeBytes]).toEqual([0, 1000000]);
    expect(c.records[0]!.lineage).toEqual({ sourceFile: 'efi_source_file', runId: null, loadedAt: 'load_ts' });
    expect(c.load).toEqual({
      ...DEFAULT_LOAD_OPTIONS,
      dateFormat: 'YYYY-MM-DD',
      maxErrors: 10,
      acceptInvalidChars: '?',
    });
    expect(c.partBytes).toBe(Math.round(1.5 * 1024 * 1024));
    expect(c.duplicates).toBe('reload');
    expect(c.transform).toEqual({ sql: 'CALL core.load_sales()' });
  });

  it('normalises fixed-width, header true, positional trailer and lineage false', () => {
    const c = only(`interface: inv
files:
  - id: inv.stock
    match: { token: "527" }
    format: { layout: fixed_width }
    header: true
    trailer: { countAt: { from: 5, to: 14 } }
    lineage: false
    target: { schema: stage, table: stock }
    columns: [{ name: sku, width: 10 }, { name: qty, width: 6 }]
`);
    expect(c.format).toMatchObject({ layout: 'fixed_width', delimiter: '', quote: null, escape: null });
    expect(c.header).toEqual({ lines: 1, columns: null });
    expect(c.trailer).toEqual({ count: { kind: 'position', from: 5, to: 14 } });
    expect(c.records[0]!.columns).toEqual([
      { name: 'sku', width: 10 },
      { name: 'qty', width: 6 },
    ]);
    expect(c.records[0]!.lineage).toEqual({ sourceFile: null, runId: null, loadedAt: null });
  });

  it('takes columns from header.columns when columns is omitted', () => {
    const c = only(`interface: crm
files:
  - id: crm.customers
    match: { glob: "crm/*.csv" }
    header: { columns: [customer_id, name] }
    target: { schema: stage, table: customers }
`);
    expect(c.header).toEqual({ lines: 1, columns: ['customer_id', 'name'] });
    expect(c.records[0]!.columns).toEqual([{ name: 'customer_id' }, { name: 'name' }]);
  });

  it('turns split records into one record layout per type, inheriting the file lineage', () => {
    const c = only(`interface: orders
files:
  - id: orders.mixed
    match: { glob: "orders/*.txt" }
    format: { delimiter: "|" }
    lineage: { loadedAt: null }
    split:
      prefixLength: 2
      onUnknown: skip
      records:
        - type: "01"
          target: { schema: stage, table: order_headers }
          columns: [rec, order_id]
        - type: "02"
          target: { schema: stage, table: order_lines }
          columns: [rec, order_id, sku]
          lineage: false
`);
    expect(c.split).toEqual({ prefixLength: 2, onUnknown: 'skip' });
    expect(c.records.map((r) => [r.recordType, r.target.table, r.columns.length])).toEqual([
      ['01', 'order_headers', 2],
      ['02', 'order_lines', 3],
    ]);
    expect(c.records[0]!.lineage).toEqual({ sourceFile: 'efi_source_file', runId: 'efi_run_id', loadedAt: null });
    expect(c.records[1]!.lineage).toEqual({ sourceFile: null, runId: null, loadedAt: null });
  });
});

describe('validation messages name the file, line:column, path and what was expected', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'an invalid identifier',
      MINIMAL.replace('table: sales', 'table: Sales'),
      /^5:37 files\[0\]\.target\.table: "Sales" is not a valid target table: use lower-case letters/,
    ],
    [
      'a missing target',
      MINIMAL.replace('    target: { schema: stage, table: sales }\n', ''),
      /^3:5 files\[0\]: target is required/,
    ],
    [
      'an unknown key',
      MINIMAL.replace('    columns:', '    colums: [a]\n    columns:'),
      /^6:5 files\[0\]: unknown key "colums"/,
    ],
    [
      'a wrong type',
      MINIMAL.replace('[sale_id, store_id, amount]', '3'),
      /^6:14 files\[0\]\.columns: expected array, got the number 3/,
    ],
    [
      'a bad enum value',
      MINIMAL.replace('    target:', '    duplicates: sometimes\n    target:'),
      /^5:17 files\[0\]\.duplicates: expected one of "skip", "reload", got the text "sometimes"/,
    ],
    [
      'a regex that does not compile',
      MINIMAL.replace('{ glob: "sales/daily_*.csv" }', '{ regex: "sales/(daily" }'),
      /^4:21 files\[0\]\.match\.regex: regex "sales\/\(daily" does not compile/,
    ],
    [
      'a bad glob',
      MINIMAL.replace('daily_*.csv', 'daily_{a,b.csv'),
      /^4:20 files\[0\]\.match\.glob: glob "sales\/daily_\{a,b\.csv": '\{' is never closed at character 13/,
    ],
    [
      'two match kinds',
      MINIMAL.replace('{ glob: "sales/daily_*.csv" }', '{ glob: "a", token: "1" }'),
      /^4:12 files\[0\]\.match: expected exactly one of glob, regex or token, got glob and token/,
    ],
    [
      'an unquoted numeric token',
      MINIMAL.replace('{ glob: "sales/daily_*.csv" }', '{ token: 0527 }'),
      /^4:21 files\[0\]\.match\.token: expected string, got the number 527: quote it, e.g. "0527"/,
    ],
    [
      'a width on a delimited file',
      MINIMAL.replace('[sale_id, store_id, amount]', '[sale_id, { name: store_id, width: 4 }]'),
      /^6:49 files\[0\]\.columns\[1\]\.width: width applies only to layout fixed_width/,
    ],
    [
      'a missing width on a fixed-width file',
      MINIMAL.replace('    target:', '    format: { layout: fixed_width }\n    target:').replace(
        '[sale_id, store_id, amount]',
        '[{ name: sale_id, width: 3 }, store_id]',
      ),
      /^7:44 files\[0\]\.columns\[1\]: column store_id needs a width for layout fixed_width/,
    ],
    [
      'a zero width',
      MINIMAL.replace('    target:', '    format: { layout: fixed_width }\n    target:').replace(
        '[sale_id, store_id, amount]',
        '[{ name: sale_id, width: 0 }]',
      ),
      /^7:39 files\[0\]\.columns\[0\]\.width: expected a number > 0, got the number 0/,
    ],
    [
      'trailer positions out of order',
      MINIMAL.replace('    target:', '    trailer: { countAt: { from: 9, to: 3 } }\n    target:'),
      /^5:40 files\[0\]\.trailer\.countAt\.to: to \(3\) must be >= from \(9\)/,
    ],
    [
      'a trailer pattern without a capture group',
      MINIMAL.replace('    target:', '    trailer: { countPattern: "^T" }\n    target:'),
      /^5:30 files\[0\]\.trailer\.countPattern: the pattern needs a capture group/,
    ],
    [
      'an empty delimiter',
      MINIMAL.replace('    target:', '    format: { delimiter: "" }\n    target:'),
      /^5:26 files\[0\]\.format\.delimiter: delimiter must not be empty/,
    ],
    [
      'a delimiter equal to the quote',
      MINIMAL.replace('    target:', `    format: { delimiter: "'", quote: "'" }\n    target:`),
      /^5:26 files\[0\]\.format\.delimiter: delimiter "'" must not contain the quote character "'"/,
    ],
    [
      'a delimiter on a fixed-width file',
      MINIMAL.replace('    target:', '    format: { layout: fixed_width, delimiter: "," }\n    target:').replace(
        '[sale_id, store_id, amount]',
        '[{ name: sale_id, width: 3 }]',
      ),
      /^5:47 files\[0\]\.format\.delimiter: delimiter does not apply to layout fixed_width/,
    ],
    [
      'a bad part size',
      MINIMAL.replace('    target:', '    partSize: 12 parsecs\n    target:'),
      /^5:15 files\[0\]\.partSize: "12 parsecs" is not a size/,
    ],
    [
      'a duplicate column',
      MINIMAL.replace('[sale_id, store_id, amount]', '[sale_id, sale_id]'),
      /^6:24 files\[0\]\.columns\[1\]: duplicate column sale_id/,
    ],
    [
      'a lineage column that is also a file column',
      MINIMAL.replace('[sale_id, store_id, amount]', '[sale_id, efi_run_id]'),
      /^6:24 files\[0\]\.columns\[1\]: lineage column efi_run_id is also a file column/,
    ],
    [
      'a record type of the wrong length',
      `interface: o
files:
  - id: o.m
    match: { glob: "*.txt" }
    split:
      prefixLength: 2
      records:
        - type: "1"
          target: { schema: stage, table: t }
          columns: [a]
`,
      /^8:17 files\[0\]\.split\.records\[0\]\.type: record type "1" must be exactly prefixLength \(2\) characters/,
    ],
    [
      'more record types than one load transaction holds (40 statements)',
      `interface: o
files:
  - id: o.m
    match: { glob: "*.txt" }
    split:
      prefixLength: 2
      records:
${Array.from({ length: 11 }, (_, i) => `        - type: "${String(i).padStart(2, '0')}"\n          target: { schema: stage, table: t${i} }\n          columns: [a]\n`).join('')}`,
      /split\.records: 11 record types need 44 SQL statements in the load, .* at most 40: at most 10 record types with a runId lineage column, 13 without/,
    ],
    [
      'a duplicate config id in one file',
      `${MINIMAL}  - id: sales.daily\n    match: { glob: "x" }\n    target: { schema: stage, table: sales }\n    columns: [a]\n`,
      /^7:9 files\[1\]\.id: duplicate config id sales\.daily \(also files\[0\]\)/,
    ],
    ['a YAML syntax error', 'interface: sales\nfiles:\n  - id: [unclosed\n', /^\d+:\d+ : YAML syntax: /],
    ['an empty file', '', /^1:1 : the file is empty/],
  ];

  it.each(cases)('%s', (_what, text, expected) => {
    const found = problems(text);
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found[0]).toMatch(expected);
  });

  it('throws ConfigInvalid listing every problem, with file:line:col', () => {
    const text = MINIMAL.replace('table: sales', 'table: Sales').replace('sale_id,', 'Sale_ID,');
    let error: unknown;
    try {
      parseConfigYaml(text, 'configs/sales.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileInvalid);
    expect(error).toBeInstanceOf(ConfigInvalid);
    const err = error as ConfigFileInvalid;
    expect(err.name).toBe('ConfigInvalid');
    expect(err.issues).toHaveLength(2);
    expect(err.message).toContain('configs/sales.yaml:5:37: files[0].target.table:');
    expect(err.message).toContain('configs/sales.yaml:6:15: files[0].columns[0]:');
    expect(err.line).toBe(5);
  });
});

describe('config files and folders', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-yaml-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads *.yaml and *.yml under folders, sorted, and ignores other files', async () => {
    fs.mkdirSync(path.join(dir, 'ok', 'nested'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'ok', 'b.yml'), MINIMAL.replace(/sales/g, 'bbb'));
    fs.writeFileSync(path.join(dir, 'ok', 'nested', 'a.yaml'), MINIMAL);
    fs.writeFileSync(path.join(dir, 'ok', 'README.md'), '# not config');
    const loaded = await loadConfigFiles([path.join(dir, 'ok')]);
    expect(loaded.configs.map((c) => c.id)).toEqual(['bbb.daily', 'sales.daily']);
    expect(loaded.files.map((f) => f.file)).toEqual([
      path.join(dir, 'ok', 'b.yml'),
      path.join(dir, 'ok', 'nested', 'a.yaml'),
    ]);
    expect(loaded.interfaces).toEqual([
      { name: 'bbb', description: null, active: true },
      { name: 'sales', description: null, active: true },
    ]);
  });

  it('reports a config id defined in two files, at the second definition', async () => {
    fs.mkdirSync(path.join(dir, 'dup'));
    fs.writeFileSync(path.join(dir, 'dup', 'one.yaml'), MINIMAL);
    fs.writeFileSync(path.join(dir, 'dup', 'two.yaml'), MINIMAL.replace('interface: sales', 'interface: other'));
    await expect(loadConfigFiles([path.join(dir, 'dup')])).rejects.toThrow(
      `${path.join(dir, 'dup', 'two.yaml')}:3:9: id: duplicate config id sales.daily: also defined in ${path.join(dir, 'dup', 'one.yaml')}`,
    );
  });

  it('reports missing paths and empty folders without reading anything else', async () => {
    fs.mkdirSync(path.join(dir, 'empty'));
    const files = await readConfigFiles([path.join(dir, 'nope.yaml'), path.join(dir, 'empty')]);
    expect(files.map((f) => f.issues.map((i) => i.message))).toEqual([
      ['no such file or folder'],
      ['the folder holds no .yaml or .yml files'],
    ]);
  });
});

describe('the 40-statement load limit', () => {
  const split = (n: number, lineage = '') =>
    `interface: o\nfiles:\n  - id: o.m\n    match: { glob: "*.txt" }\n${lineage}    split:\n      prefixLength: 2\n      records:\n${Array.from({ length: n }, (_, i) => `        - type: "${String(i).padStart(2, '0')}"\n          target: { schema: stage, table: t${i} }\n          columns: [a]\n`).join('')}`;

  it('accepts 10 record types with the runId lineage column, and 13 without it', () => {
    expect(problems(split(10))).toEqual([]);
    expect(problems(split(13, '    lineage: { runId: null }\n'))).toEqual([]);
    expect(problems(split(14, '    lineage: { runId: null }\n'))[0]).toMatch(/14 record types need 42 SQL statements/);
  });
});
