import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { ingestCommand } from '../../../cli/commands/ingest.ts';
import { defaultName, initCommand } from '../../../cli/commands/init.ts';
import { sqlCommand } from '../../../cli/commands/sql.ts';
import { sniff } from '../../../cli/local/sniff.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

const SAMPLES = path.resolve('samples', 'files');
let h: CliHome;
let out: string;

beforeAll(() => {
  h = cliHome('cli-init');
  out = path.join(h.home, 'feeds');
});

afterAll(() => h.close());

describe('efi init', () => {
  it.each([
    ['sales_pos_20261122.csv', 1500],
    ['customers_20261122.txt', 800],
    ['tickets_20261122.csv', 250],
    ['settlements_20261122.dat', 400],
    ['inventory_20261122.csv.gz', 640],
    ['members_20261122.csv', 300],
  ])('%s: writes a config that validates and a table its own sample loads into', async (sample, records) => {
    const name = `t_${defaultName(sample)}`;
    const r = await h.run(initCommand, [path.join(SAMPLES, sample), '--out', out, '--name', name]);
    expect(r.code).toBe(0);
    const yaml = path.join(out, `${name}.yaml`);
    expect(fs.readFileSync(yaml, 'utf8')).toMatch(/^# Written by efi init from /);
    expect((await h.run((a, c) => configCommand(a, c), ['validate', yaml])).code).toBe(0);
    expect((await h.run(sqlCommand, ['--file', path.join(out, `${name}.sql`)])).code).toBe(0);
    expect((await h.run((a, c) => configCommand(a, c), ['apply', yaml])).code).toBe(0);
    const ingested = JSON.parse((await h.run(ingestCommand, [path.join(SAMPLES, sample), '--json'])).out);
    expect(ingested).toMatchObject({ status: 'FINISHED', recordsInFile: records, rowsLoaded: records });
    // Retire it, so the next sample's config is the only match for its own name pattern.
    fs.writeFileSync(
      yaml,
      fs.readFileSync(yaml, 'utf8').replace(`  - id: ${name}.main`, `  - id: ${name}.main\n    active: false`),
    );
    await h.run((a, c) => configCommand(a, c), ['apply', yaml]);
  });

  it('sniffs delimiter, quote, header, trailer and column types', () => {
    const s = sniff(
      'id,code,amount,day,at,name\n1,007,1.50,2026-01-02,2026-01-02 10:00:00,"Smith, J"\n3000000000,010,22.25,2026-01-03,2026-01-03 11:00,\nTRL|2\n',
    );
    expect(s).toMatchObject({
      delimiter: ',',
      quote: '"',
      header: ['id', 'code', 'amount', 'day', 'at', 'name'],
      records: 2,
    });
    expect(s.trailer).toEqual({ line: 'TRL|2', pattern: '^TRL\\|(\\d+)$', count: 2 });
    expect(s.columns.map((c) => [c.name, c.type.kind, c.notNull])).toEqual([
      ['id', 'bigint', true],
      ['code', 'varchar', true],
      ['amount', 'numeric', true],
      ['day', 'date', true],
      ['at', 'timestamp', true],
      ['name', 'varchar', false],
    ]);
    expect(s.columns[5]!.maxBytes).toBe(8);
  });

  it('writes the CREATE TABLE with types, NOT NULL and lineage columns', async () => {
    const r = await h.run(initCommand, [
      path.join(SAMPLES, 'sales_pos_20261122.csv'),
      '--out',
      out,
      '--table',
      'raw.pos',
      '--name',
      'pos',
    ]);
    expect(r.code).toBe(0);
    const ddl = fs.readFileSync(path.join(out, 'pos.sql'), 'utf8');
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS raw.pos (');
    expect(ddl).toMatch(
      / {2}sale_id +bigint NOT NULL,\n {2}store_id +integer NOT NULL,\n {2}sku +varchar\(16\) NOT NULL, -- longest sampled value 7 bytes/,
    );
    expect(ddl).toMatch(/unit_price +numeric\(10,2\) NOT NULL,\n {2}sold_at +timestamp NOT NULL,/);
    expect(ddl).toMatch(/efi_loaded_at +timestamp\n\);/);
    expect(fs.readFileSync(path.join(out, 'pos.yaml'), 'utf8')).toContain(
      "trailer: { countPattern: '^TRAILER\\|(\\d+)$' }",
    );
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const args = [path.join(SAMPLES, 'sales_pos_20261122.csv'), '--out', out, '--name', 'pos'];
    const r = await h.run(initCommand, args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `${path.join(out, 'pos.yaml')} and ${path.join(out, 'pos.sql')} already exist: pass --force`,
    );
    expect((await h.run(initCommand, [...args, '--force'])).code).toBe(0);
  });

  it.each([
    [[], 'efi init needs exactly one sample FILE'],
    [['/no/such.csv'], '/no/such.csv is not a readable file'],
    [[path.join(SAMPLES, 'tickets_20261122.csv'), '--name', 'Bad-Name'], '--name "Bad-Name": a name is lower-case'],
    [[path.join(SAMPLES, 'tickets_20261122.csv'), '--table', 'nodot'], '--table nodot: expected SCHEMA.TABLE'],
  ])('exits 2 on bad arguments: %j', async (argv, message) => {
    const r = await h.run(initCommand, argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});
