import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkCommand } from '../../../cli/commands/check.ts';
import { configCommand } from '../../../cli/commands/config.ts';
import { ingestCommand } from '../../../cli/commands/ingest.ts';
import { sqlCommand } from '../../../cli/commands/sql.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const SAMPLES = path.resolve('samples');
let h: CliHome;
let work: string;

beforeAll(async () => {
  h = cliHome('cli-check');
  work = path.join(h.home, 'work');
  fs.mkdirSync(work);
  await h.run((argv, ctx) => configCommand(argv, ctx), ['apply', path.join(SAMPLES, 'configs')]);
  await h.run(sqlCommand, ['--file', path.join(SAMPLES, 'warehouse.sql')]);
});

afterAll(() => h.close());

/** A copy of a sample with line `line` (1-based) edited. */
function edited(sample: string, name: string, line: number, edit: (l: string) => string): string {
  const lines = fs.readFileSync(path.join(SAMPLES, 'files', sample), 'utf8').split('\n');
  lines[line - 1] = edit(lines[line - 1]!);
  const file = path.join(work, name);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

const check = async (file: string, ...flags: string[]) => {
  const r = await h.run(checkCommand, [file, '--json', ...flags]);
  return { code: r.code, ...JSON.parse(r.out) };
};
const ingest = async (file: string) => JSON.parse((await h.run(ingestCommand, [file, '--json', '--reload'])).out);

describe('efi check', () => {
  it('a good file: exit 0, validated and type-checked, nothing moved or loaded', async () => {
    const file = path.join(SAMPLES, 'files', 'sales_pos_20261122.csv');
    const r = await h.run(checkCommand, [file]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      `file      ${file} (would land as landing/sales_pos_20261122.csv)`,
      'config    sales.pos_daily (interface sales)',
      'valid     1500 data records, 1 header line(s), trailer count 1500, lf line ends',
      'parsed    1000 record(s), values checked against stage.pos_sales',
      'OK        a run would load it',
    ]);
    expect(fs.existsSync(path.join(h.home, 's3', 'efi-local', 'landing'))).toBe(false);
    expect((await h.run(sqlCommand, ['select count(*) as n from stage.pos_sales', '--json'])).out).toContain('0');
    expect((await check(file, '--records', '10')).recordsChecked).toBe(10);
  });

  it('a rejected file prints its error on one line, naming the place once', async () => {
    const file = edited('sales_pos_20261122.csv', 'sales_pos_20261201.csv', 1, (l) => l.replace('sku', 'SKU_X'));
    const r = await h.run(checkCommand, [file]);
    expect(r.code).toBe(1);
    expect(r.out.split('\n').at(-1)).toMatch(
      /^REJECTED {2}HeaderMismatch at line 1, field 3 \(sku\): header expected "sku" but found "SKU_X"/,
    );
  });

  // Each bad file is checked, then really ingested: the check must say what the run says.
  it.each([
    ['customers_20261123.txt (impossible date)', () => path.join(SAMPLES, 'files', 'customers_20261123.txt')],
    ['sales_pos_20261123.csv (trailer count)', () => path.join(SAMPLES, 'files', 'sales_pos_20261123.csv')],
    ['orders_20261123.txt (unknown record type)', () => path.join(SAMPLES, 'files', 'orders_20261123.txt')],
    ['shipments_20261124.csv.gz (not gzip)', () => path.join(SAMPLES, 'files', 'shipments_20261124.csv.gz')],
    [
      'a number that is not one',
      () =>
        edited('sales_pos_20261122.csv', 'sales_pos_29990101.csv', 40, (l) => l.replace(/,\d+,(\d+\.\d+),/, ',x2,$1,')),
    ],
    [
      'a value longer than its varchar',
      () =>
        edited('sales_pos_20261122.csv', 'sales_pos_29990102.csv', 12, (l) =>
          l.replace(/,([A-Z]+-\d+),/, `,${'S'.repeat(30)},`),
        ),
    ],
    [
      'a record with a field missing',
      () => edited('customers_20261122.txt', 'customers_29990103.txt', 33, (l) => l.slice(0, l.lastIndexOf('|'))),
    ],
    [
      'a NOT NULL column left empty',
      () => edited('sales_pos_20261122.csv', 'sales_pos_29990104.csv', 7, (l) => l.replace(/^(\d+),\d+,/, '$1,,')),
    ],
  ])('a bad file gives the same error, line and column as a real run: %s', async (_what, make) => {
    const file = make();
    const checked = await check(file);
    expect(checked.code).toBe(1);
    expect(checked.ok).toBe(false);
    const run = await ingest(file);
    expect(run.status).toBe('FAILED');
    expect(checked.error).toEqual(run.error);
  });

  it('dry-runs only the first N records, on the path that loads the original as is too', async () => {
    // A date the warehouse refuses (ValidateFile does not read values): only the load finds it.
    const file = edited('customers_20261122.txt', 'customers_29990105.txt', 33, (l) =>
      l.replace(/\|[^|]*$/, '|2026-02-30'),
    );
    const whole = await check(file);
    // No header, trailer or rewrite: the load reads the original itself (UseOriginalFile), cut to N records here.
    expect(whole.validation.needsPreprocess).toBe(false);
    expect(whole.error).toMatchObject({ name: 'RowRejected', line: 33 });
    const first20 = await check(file, '--records', '20');
    expect(first20).toMatchObject({ code: 0, ok: true, recordsChecked: 20, error: null });
    expect(first20.typedTargets).toEqual(['stage.customers']);
    const first40 = await check(file, '--records', '40');
    expect(first40).toMatchObject({ code: 1, recordsChecked: 40 });
    expect(first40.error).toEqual(whole.error);
  });

  it('--config checks against YAML not applied yet; no matching config is exit 1', async () => {
    const yaml = path.join(work, 'other.yaml');
    fs.writeFileSync(
      yaml,
      'interface: other\nfiles:\n  - id: other.x\n    match: { glob: "other_*.csv" }\n    target: { schema: stage, table: nope }\n    columns: [a, b]\n',
    );
    const file = path.join(work, 'other_1.csv');
    fs.writeFileSync(file, `${'1,2\n'.repeat(30)}`);
    const r = await check(file, '--config', yaml);
    expect(r).toMatchObject({ code: 1, configId: 'other.x', ok: false, error: null });
    expect(r.warnings[0]).toContain('target table stage.nope does not exist');
    const none = await check(path.join(work, 'other_1.csv'));
    expect(none).toMatchObject({ code: 1, configId: null, error: { name: 'NoConfigMatch' } });
  });

  it.each([
    [[], 'efi check needs exactly one FILE'],
    [['a', 'b'], 'efi check needs exactly one FILE'],
    [['/no/such/file.csv'], '/no/such/file.csv is not a readable file'],
    [
      [path.join(SAMPLES, 'files', 'tickets_20261122.csv'), '--records', '0'],
      '--records 0: expected a positive whole number',
    ],
    [
      [path.join(SAMPLES, 'files', 'tickets_20261122.csv'), '--prefix', '../x'],
      "--prefix ../x: must be a relative folder without '..'",
    ],
  ])('exits 2 on bad arguments: %j', async (argv, message) => {
    const r = await h.run(checkCommand, argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

const pgUrl = inject('pgUrl');

/** Every file under a folder, with its size (the local object store is a folder). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => {
      const p = path.join(d.parentPath, d.name);
      return `${path.relative(dir, p)} ${fs.statSync(p).size}`;
    })
    .sort();
}

// The dry-run load really loads the rows, inside a transaction that is rolled back: on either warehouse,
// the target, the statement log, the runs and the store must read exactly as before.
describe.each([
  ['PGlite', false],
  ['PostgreSQL', true],
] as const)('efi check keeps nothing, on %s', (_leg, onServer) => {
  let home: CliHome;
  let drop: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    if (onServer && !pgUrl) return;
    let env: Record<string, string> = {};
    if (onServer) {
      const fresh = await createFreshDatabase(pgUrl!, 'efi_check');
      drop = fresh.drop;
      env = { EFI_WAREHOUSE: fresh.url, EFI_CONFIG_DB: fresh.url };
    }
    home = cliHome(onServer ? 'cli-check-pg' : 'cli-check-pglite', env);
    await home.run((argv, ctx) => configCommand(argv, ctx), ['apply', path.join(SAMPLES, 'configs')]);
    await home.run(sqlCommand, ['--file', path.join(SAMPLES, 'warehouse.sql')]);
  });
  afterAll(async () => {
    await home?.close();
    await drop?.();
  });

  const sqlRows = async (query: string) => JSON.parse((await home.run(sqlCommand, [query, '--json'])).out).rows;
  const snapshot = async () => ({
    target: await sqlRows(
      "select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as rows from stage.pos_sales t",
    ),
    statements: await sqlRows('select count(*) as n from efi_wh.statements'),
    runs: await sqlRows('select run_id, status, finished_at from efi.runs order by run_id'),
    executions: await sqlRows('select count(*) as n from efi.executions'),
    outbox: await sqlRows('select count(*) as n from efi.outbox'),
    store: filesUnder(path.join(home.home, 's3')),
  });

  it.skipIf(onServer && !pgUrl)(
    'leaves the target table, the statement log, the runs and the store as they were',
    async () => {
      const good = path.join(SAMPLES, 'files', 'sales_pos_20261122.csv');
      // Rows already in the target, from a real run: the dry run must neither add to them nor replace them.
      const loaded = JSON.parse((await home.run(ingestCommand, [good, '--json'])).out);
      expect(loaded.status).toBe('FINISHED');
      const before = await snapshot();
      expect(Number(before.target[0][0])).toBe(1500);

      const ok = JSON.parse((await home.run(checkCommand, [good, '--json'])).out);
      expect(ok).toMatchObject({ ok: true, recordsChecked: 1000, typedTargets: ['stage.pos_sales'], error: null });
      const bad = edited('sales_pos_20261122.csv', `sales_pos_2999020${onServer ? 2 : 1}.csv`, 40, (l) =>
        l.replace(/,\d+,(\d+\.\d+),/, ',x2,$1,'),
      );
      const refused = JSON.parse((await home.run(checkCommand, [bad, '--json'])).out);
      expect(refused).toMatchObject({ ok: false, error: { name: 'RowRejected', line: 40 } });

      expect(await snapshot()).toEqual(before);
    },
  );
});
