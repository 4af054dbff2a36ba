import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configCommand } from '../../cli/commands/config.ts';
import { ingestCommand } from '../../cli/commands/ingest.ts';
import { redriveCommand } from '../../cli/commands/runs.ts';
import { sqlCommand } from '../../cli/commands/sql.ts';
import { type CliHome, cliHome } from '../support/cli-home.ts';
import { createFreshDatabase } from '../support/fresh-database.ts';

/**
 * An operator's run failed operationally (no table), its file kept in landing.
 * They upload a corrected file under the same name (it replaces the landing
 * object, and fails the same way in its own run), create the table and redrive
 * the first run. That run loads its original in place: it must not load the
 * second file's bytes as its own (they would be loaded twice, once per run).
 */

const CONFIG = `interface: sales
files:
  - id: sales.daily
    match: { glob: "daily_*.csv" }
    header: { lines: 1, columns: [sale_id, amount] }
    target: { schema: stage, table: sales }
    columns: [sale_id, amount]
`;

const pgUrl = inject('pgUrl');
for (const backend of ['pglite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !pgUrl)(`on ${backend}`, () => {
    let h: CliHome;
    let dir: string;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let env: Record<string, string> = {};
      if (backend === 'postgres') {
        const db = await createFreshDatabase(pgUrl!, 'efi_replaced');
        drop = db.drop;
        env = { EFI_WAREHOUSE: db.url, EFI_CONFIG_DB: db.url };
      }
      h = cliHome('replaced-original', env);
      dir = path.join(h.home, 'work');
      fs.mkdirSync(path.join(dir, 'configs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), CONFIG);
      await h.run(configCommand, ['apply', path.join(dir, 'configs')]);
    });

    afterAll(async () => {
      await h.close();
      await drop?.();
    });

    const ingest = async (file: string) => JSON.parse((await h.run(ingestCommand, [file, '--json'])).out);
    const rows = async () =>
      (await h.run(sqlCommand, ['select sale_id, efi_run_id from stage.sales order by 1, 2'])).out;

    describe('a landing file replaced by a new upload under the same name before its failed run is redriven', () => {
      it('the first run loads nothing of the new file and says why; the new file loads once, in its own run', async () => {
        const file = path.join(dir, 'daily_x.csv');
        fs.writeFileSync(file, 'sale_id,amount\n1,1.00\n2,2.00\n3,3.00\n');
        const first = await ingest(file);
        expect(first).toMatchObject({ status: 'FAILED', error: { name: 'LoadFailed' } });
        fs.writeFileSync(file, 'sale_id,amount\n10,1.00\n20,2.00\n30,3.00\n40,4.00\n');
        const second = await ingest(file);
        expect(second).toMatchObject({ status: 'FAILED', error: { name: 'LoadFailed' } });
        await h.run(sqlCommand, [
          `create schema stage; create table stage.sales (sale_id integer not null, amount numeric(10,2) not null,
       efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)`,
        ]);

        const redriven = await h.run(redriveCommand, [first.runId, '--json']);
        expect(redriven.code).toBe(1);
        const outcome = JSON.parse(redriven.out);
        expect(outcome).toMatchObject({ status: 'FAILED', error: { name: 'ObjectNotFound' } });
        expect(outcome.error.message).toContain(
          `s3://efi-local/landing/daily_x.csv was replaced by different content after run ${first.runId} started`,
        );
        expect(outcome.error.message).toContain('nothing of it is loaded');
        expect(await rows()).not.toContain(first.runId);

        expect((await h.run(redriveCommand, [second.runId])).code).toBe(0);
        const loaded = (await rows()).split('\n').filter((l) => l.includes(second.runId));
        expect(loaded.map((l) => l.split(/\s+/)[0])).toEqual(['10', '20', '30', '40']);
        expect((await rows()).split('\n').filter((l) => /^\d/.test(l))).toHaveLength(4);
      });

      it('a run whose original was deleted from landing fails ObjectNotFound saying so, not a hint to create the table', async () => {
        const file = path.join(dir, 'daily_y.csv');
        fs.writeFileSync(file, 'sale_id,amount\n5,5.00\n');
        await h.run(sqlCommand, ['alter table stage.sales rename to sales_away']);
        const failed = await ingest(file);
        await h.run(sqlCommand, ['alter table stage.sales_away rename to sales']);
        fs.rmSync(path.join(h.home, 's3', 'efi-local', 'landing', 'daily_y.csv'));
        const outcome = JSON.parse((await h.run(redriveCommand, [failed.runId, '--json'])).out);
        expect(outcome).toMatchObject({ status: 'FAILED', error: { name: 'ObjectNotFound' } });
        expect(outcome.error.message).toContain('s3://efi-local/landing/daily_y.csv is gone');
      });
    });
  });
}
