import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_HELP, configCommand } from '../../../cli/commands/config.ts';
import { closeConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import { loadSettings, type Settings } from '../../../functions/lib/settings.ts';

const SALES = `interface: sales
description: Point-of-sale exports
files:
  - id: sales.daily
    match: { glob: "sales/daily_*.csv" }
    target: { schema: stage, table: sales }
    columns: [sale_id, amount]
  - id: sales.mixed
    match: { token: "527" }
    split:
      prefixLength: 1
      records:
        - { type: H, target: { schema: stage, table: heads }, columns: [rec, id] }
        - { type: D, target: { schema: stage, table: lines }, columns: [rec, sku] }
`;

let home: string;
let settings: Settings;

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-cli-config-'));
  settings = loadSettings({ EFI_HOME: home });
  fs.mkdirSync(path.join(home, 'configs'));
  fs.writeFileSync(path.join(home, 'configs', 'sales.yaml'), SALES);
  fs.writeFileSync(path.join(home, 'bad.yaml'), SALES.replace('table: sales', 'table: Sales'));
});

afterAll(async () => {
  await closeConfigDb();
  await closePglite();
  fs.rmSync(home, { recursive: true, force: true });
});

async function run(argv: string[], json = false) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await configCommand(argv, { settings, json, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('efi config', () => {
  it('prints help for the group and each subcommand', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, out: CONFIG_HELP, err: '' });
    for (const sub of ['validate', 'apply', 'list']) {
      const r = await run([sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: efi config ${sub}`));
    }
  });

  it.each([
    [[], 'missing subcommand'],
    [['frobnicate'], 'unknown subcommand "frobnicate"'],
    [['validate'], 'validate needs at least one PATH'],
    [['apply'], 'apply needs at least one PATH'],
    [['list', 'x'], 'list takes no arguments'],
    [['validate', '--bogus', 'a.yaml'], "Unknown option '--bogus'"],
    [['from-copy', "COPY t FROM 's3://b/unterminated"], 'from-copy: unterminated string literal in the COPY statement'],
  ])('exits 2 on usage errors: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('--help for usage');
  });

  it('validate: prints each file and its config ids', async () => {
    const r = await run(['validate', path.join(home, 'configs')]);
    expect(r).toEqual({
      code: 0,
      out: `ok      ${path.join(home, 'configs', 'sales.yaml')}: sales.daily, sales.mixed\n1 file, 2 configs: valid`,
      err: '',
    });
  });

  it('validate: prints every problem with file:line:col and exits 1', async () => {
    const bad = path.join(home, 'bad.yaml');
    const r = await run(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `invalid ${bad}\n  ${bad}:6:37: files[0].target.table: "Sales" is not a valid target table`,
    );
    expect(r.err).toContain('1 file, 0 configs: 1 problem in 1 file');
  });

  it('validate --json: machine-readable issues', async () => {
    const bad = path.join(home, 'bad.yaml');
    const r = await run(['validate', '--json', bad]);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.out);
    expect(body.ok).toBe(false);
    expect(body.files[0].issues[0]).toMatchObject({ file: bad, line: 6, column: 37, path: 'files[0].target.table' });
  });

  it('validate: every problem of a file in one run, a field error beside rules across fields and a local refusal', async () => {
    const many = path.join(home, 'many.yaml');
    fs.writeFileSync(
      many,
      `interface: sales
files:
  - id: sales.daily
    match: { glob: "sales/*.csv" }
    format: { compression: lzop, escape: "\\\\" }
    target: { schema: stage, table: sales }
    load: { timeFormat: "YYYY-MM-DD HH24:MI:SS TZH", nullAs: "\\0" }
`,
    );
    const r = await run(['validate', many]);
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines.slice(1, 5).map((l) => l.slice(0, l.indexOf(': ', l.indexOf('files['))))).toEqual([
      `  ${many}:5:28: files[0].format.compression`,
      `  ${many}:5:42: files[0].format.escape`,
      `  ${many}:7:25: files[0].load.timeFormat`,
      `  ${many}:7:62: files[0].load.nullAs`,
    ]);
    expect(r.err).toContain('1 file, 0 configs: 4 problems in 1 file');

    const json = JSON.parse((await run(['validate', '--json', many])).out);
    expect(json.ok).toBe(false);
    expect(json.files).toHaveLength(1);
    expect(json.files[0]).toMatchObject({ file: many, ok: false, configs: [] });
    expect(json.files[0].issues.map((i: { path: string }) => i.path)).toEqual([
      'files[0].format.compression',
      'files[0].format.escape',
      'files[0].load.timeFormat',
      'files[0].load.nullAs',
    ]);
    expect(Object.keys(json.files[0].issues[0]).sort()).toEqual(['column', 'file', 'line', 'message', 'path']);
  });

  it('apply: refuses invalid files and writes nothing', async () => {
    const r = await run(['apply', path.join(home, 'configs'), path.join(home, 'bad.yaml')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"Sales" is not a valid target table');
    expect(r.err).toContain('nothing applied');
    const list = await run(['list']);
    expect(list).toEqual({ code: 0, out: 'no configs: add some with efi config apply PATH', err: '' });
  });

  it('apply: creates, then reports unchanged, then updated', async () => {
    const dir = path.join(home, 'configs');
    const validated = `ok      ${path.join(dir, 'sales.yaml')}: sales.daily, sales.mixed\n1 file, 2 configs: valid\n`;
    expect(await run(['apply', dir])).toEqual({
      code: 0,
      out: `${validated}+ interface sales\n+ sales.daily  new config (interface sales)\n+ sales.mixed  new config (interface sales)\napplied: 2 created, 0 updated, 0 unchanged`,
      err: '',
    });
    expect((await run(['apply', dir])).out).toBe(
      `${validated}= sales.daily  unchanged\n= sales.mixed  unchanged\napplied: 0 created, 0 updated, 2 unchanged`,
    );
    fs.writeFileSync(path.join(dir, 'sales.yaml'), SALES.replace('[sale_id, amount]', '[sale_id, amount, sold_at]'));
    const r = await run(['apply', '--json', dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: true,
      applied: true,
      created: [],
      updated: ['sales.daily'],
      unchanged: ['sales.mixed'],
      diff: { updated: [{ id: 'sales.daily', version: 1 }] },
    });
  });

  it('list: id, interface, match, targets, active, version', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'ID           INTERFACE  MATCH                   TARGET                        ACTIVE  VERSION',
      'sales.daily  sales      glob sales/daily_*.csv  stage.sales                   yes     2',
      'sales.mixed  sales      token 527               H→stage.heads, D→stage.lines  yes     1',
    ]);
    const json = JSON.parse((await run(['list'], true)).out);
    expect(json[1]).toMatchObject({
      id: 'sales.mixed',
      interface: 'sales',
      match: { kind: 'token', pattern: '527' },
      targets: [
        { recordType: 'H', schema: 'stage', table: 'heads' },
        { recordType: 'D', schema: 'stage', table: 'lines' },
      ],
      active: true,
      version: 1,
      source: path.join(home, 'configs', 'sales.yaml'),
    });
  });
});
