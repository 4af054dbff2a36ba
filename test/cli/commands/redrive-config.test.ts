import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { ingestCommand } from '../../../cli/commands/ingest.ts';
import { redriveCommand } from '../../../cli/commands/runs.ts';
import { sqlCommand } from '../../../cli/commands/sql.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

/**
 * An operator's run failed because its config named the wrong table; they fix
 * the config, apply it and redrive. A run keeps the config version it matched,
 * so the redrive fails the same way: efi redrive says so, and what to do.
 */

let h: CliHome;
let dir: string;
const config = (table: string) => `interface: sales
files:
  - id: sales.daily
    match: { glob: "daily_*.csv" }
    header: { lines: 1, columns: [sale_id, amount] }
    target: { schema: stage, table: ${table} }
    columns: [sale_id, amount]
`;

beforeAll(async () => {
  h = cliHome('cli-redrive-config');
  dir = path.join(h.home, 'work');
  fs.mkdirSync(path.join(dir, 'configs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), config('salez'));
  fs.writeFileSync(path.join(dir, 'daily_20261201.csv'), 'sale_id,amount\n1,1.50\n2,2.50\n');
  await h.run(configCommand, ['apply', path.join(dir, 'configs')]);
  await h.run(sqlCommand, [
    `create schema stage; create table stage.sales (sale_id integer not null, amount numeric(10,2) not null,
     efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)`,
  ]);
});

afterAll(() => h.close());

describe('efi redrive after the config was fixed', () => {
  it('says the redrive keeps the version the run matched, and that --reload loads under the fixed one', async () => {
    const file = path.join(dir, 'daily_20261201.csv');
    const failed = JSON.parse((await h.run(ingestCommand, [file, '--json'])).out);
    expect(failed).toMatchObject({ status: 'FAILED', error: { name: 'LoadFailed' } });
    fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), config('sales'));
    await h.run(configCommand, ['apply', path.join(dir, 'configs')]);

    const redrive = await h.run(redriveCommand, [failed.runId]);
    expect(redrive.code).toBe(1);
    expect(redrive.err).toContain(
      `run ${failed.runId} matched config sales.daily version 1; version 2 is active now. A redrive keeps version 1`,
    );
    expect(redrive.err).toContain('efi ingest FILE --reload');

    // The remedy it names works: the file loads under version 2, once.
    const reload = JSON.parse((await h.run(ingestCommand, [file, '--reload', '--json'])).out);
    expect(reload).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
  });

  it('says nothing of the kind when the config did not change', async () => {
    const file = path.join(dir, 'daily_20261202.csv');
    fs.writeFileSync(file, 'sale_id,amount\n3,3.50\n');
    await h.run(sqlCommand, ['alter table stage.sales rename to sales_away']);
    const failed = JSON.parse((await h.run(ingestCommand, [file, '--json'])).out);
    await h.run(sqlCommand, ['alter table stage.sales_away rename to sales']);
    const redrive = await h.run(redriveCommand, [failed.runId]);
    expect(redrive.code).toBe(0);
    expect(redrive.err).not.toContain('is active now');
  });
});
