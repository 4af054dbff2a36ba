import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

const SALES = `interface: sales
description: Point-of-sale exports
files:
  - id: sales.daily
    match: { glob: "sales/daily_*.csv" }
    format: { delimiter: "," }
    target: { schema: stage, table: sales }
    columns: [sale_id, amount]
  - id: sales.weekly
    match: { glob: "sales/weekly_*.csv" }
    target: { schema: stage, table: sales_weekly }
    columns: [week, amount]
`;

let h: CliHome;
let file: string;
const config = (argv: string[]) => h.run((a, ctx) => configCommand(a, ctx), argv);

beforeAll(() => {
  h = cliHome('cli-config-diff');
  file = path.join(h.home, 'sales.yaml');
  fs.writeFileSync(file, SALES);
});

afterAll(() => h.close());

describe('efi config diff', () => {
  it('on an empty database: everything is new, and nothing is written', async () => {
    const r = await config(['diff', file]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(2)).toEqual([
      '+ interface sales',
      '+ sales.daily   new config (interface sales)',
      '+ sales.weekly  new config (interface sales)',
      'apply would create 2, update 0, leave 0 unchanged',
    ]);
    expect((await config(['list'])).out).toBe('no configs: add some with efi config apply PATH');
  });

  it('after apply: nothing to apply', async () => {
    await config(['apply', file]);
    const r = await config(['diff', file]);
    expect(r.out.split('\n').slice(2)).toEqual([
      '= sales.daily   unchanged',
      '= sales.weekly  unchanged',
      'nothing to apply: 2 unchanged',
    ]);
  });

  it('names every changed field with its old and new value; a dropped config is reported, not removed', async () => {
    fs.writeFileSync(
      file,
      SALES.replace('description: Point-of-sale exports', 'description: POS exports')
        .replace('format: { delimiter: "," }', 'format: { delimiter: "|" }\n    load: { maxErrors: 5 }')
        .replace('[sale_id, amount]', '[sale_id, amount, sold_at]')
        .replace(/ {2}- id: sales.weekly[\s\S]*$/, ''),
    );
    const r = await config(['diff', file]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(2)).toEqual([
      '~ interface sales: description: "Point-of-sale exports" → "POS exports"',
      '~ sales.daily   version 1 → 2',
      '    format.delimiter: "," → "|"',
      '    records[0].columns[2]: (absent) → {"name":"sold_at"}',
      '    load.maxErrors: 0 → 5',
      '? sales.weekly  stored but not in these files: left as it is',
      'apply would create 0, update 1, leave 0 unchanged',
    ]);
    const json = JSON.parse((await config(['diff', '--json', file])).out);
    expect(json).toMatchObject({
      ok: true,
      created: [],
      unchanged: [],
      notInFiles: ['sales.weekly'],
      updated: [
        {
          id: 'sales.daily',
          version: 1,
          changes: [
            { path: 'format.delimiter', before: ',', after: '|' },
            { path: 'records[0].columns[2]', after: { name: 'sold_at' } },
            { path: 'load.maxErrors', before: 0, after: 5 },
          ],
        },
      ],
      interfaces: [{ name: 'sales', created: false }],
    });
  });

  it('apply prints the same diff, then what it applied', async () => {
    const r = await config(['apply', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('~ sales.daily   version 1 → 2\n    format.delimiter: "," → "|"');
    expect(r.out.split('\n').at(-1)).toBe('applied: 0 created, 1 updated, 0 unchanged');
    expect((await config(['diff', file])).out.split('\n').at(-1)).toBe('nothing to apply: 1 unchanged');
  });

  it('refuses invalid files (exit 1) and bad usage (exit 2)', async () => {
    const bad = path.join(h.home, 'bad.yaml');
    fs.writeFileSync(bad, SALES.replace('table: sales', 'table: Sales'));
    const r = await config(['diff', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"Sales" is not a valid target table');
    expect(r.err).toContain('no diff: fix the problems above first');
    expect((await config(['diff'])).code).toBe(2);
    expect((await config(['diff', '--help'])).out).toMatch(/^Usage: efi config diff PATH/);
  });
});
