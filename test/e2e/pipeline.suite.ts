import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { type Backend, createHarness, type Harness, sample } from './harness.ts';

/**
 * The whole path through the real state-machine definition and every
 * handler, on one backend. The same suite runs on PGlite and on a real
 * PostgreSQL (pipeline-*.test.ts).
 */
export function pipelineSuite(backend: Backend, pgUrl: string | null): void {
  describe(`pipeline end to end on ${backend}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(backend, pgUrl);
    });
    afterAll(async () => {
      await h?.close();
    });

    const count = async (table: string, where = 'true') =>
      Number((await h.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n);
    const outbox = async (runId: string) =>
      (
        await (await h.rt.db()).selectFrom('efi.outbox').selectAll().where('run_id', '=', runId).orderBy('id').execute()
      ).map((r) => r.status);
    const exists = (key: string) => fs.existsSync(path.join(h.home, 's3', 'efi-local', key));

    it('loads a CSV with header and trailer, sets lineage, archives the original and cleans its parts', async () => {
      const r = await h.ingest(sample('sales_pos_20261121.csv'));
      expect(r.error).toBeNull();
      expect(r).toMatchObject({
        status: 'FINISHED',
        recordsInFile: 1200,
        rowsLoaded: 1200,
        rowsRejected: 0,
        target: 'stage.pos_sales',
      });
      expect(await count('stage.pos_sales', `efi_run_id = '${r.runId}'`)).toBe(1200);
      expect(
        await count(
          'stage.pos_sales',
          `efi_source_file = 's3://efi-local/landing/sales_pos_20261121.csv' and efi_loaded_at is not null`,
        ),
      ).toBe(1200);
      const first = await h.query<{ sale_id: string; unit_price: string }>(
        `select sale_id::text, unit_price::text from stage.pos_sales where efi_run_id = '${r.runId}' order by sale_id limit 1`,
      );
      expect(first[0]).toEqual({ sale_id: '20261121000001', unit_price: '6.85' });
      expect(r.archivedTo).toMatch(/^s3:\/\/efi-local\/archive\/sales\/\d{4}\/\d{2}\/\d{2}\/sales_pos_20261121\.csv$/);
      expect(exists('landing/sales_pos_20261121.csv')).toBe(false);
      expect(exists(r.archivedTo!.replace('s3://efi-local/', ''))).toBe(true);
      expect(fs.existsSync(path.join(h.home, 's3', 'efi-local', 'processing', r.runId))).toBe(false);
      expect(await outbox(r.runId)).toEqual(['FINISHED']);
    });

    it('loads a file that needs no preprocessing straight from the original (pipe-delimited, quotes and apostrophes as data)', async () => {
      const r = await h.ingest(sample('customers_20261122.txt'));
      expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 800, rowsLoaded: 800 });
      const rows = await h.query<{ n: number }>(
        `select count(*)::int as n from stage.customers where efi_run_id = '${r.runId}' and full_name like '%''%'`,
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
      const show = await (await h.rt.db())
        .selectFrom('efi.execution_events')
        .select('state_name')
        .where('execution_id', 'like', `%${r.runId}`)
        .where('type', '=', 'StateEntered')
        .execute();
      const states = show.map((s) => s.state_name);
      expect(states).toContain('UseOriginalFile');
      expect(states).not.toContain('Preprocess');
    });

    it('loads gzip input with CRLF, quoted commas and a fixed-position trailer', async () => {
      const r = await h.ingest(sample('inventory_20261122.csv.gz'));
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 640, rowsLoaded: 640 });
      expect(await count('stage.inventory', `description like '%,%' and efi_run_id = '${r.runId}'`)).toBeGreaterThan(0);
      expect(await count('stage.inventory', `description like '%"barista"%'`)).toBeGreaterThan(0);
    });

    it('rejects a trailer count mismatch: typed error, file moved to rejected/, nothing loaded, notified once', async () => {
      const r = await h.ingest(sample('sales_pos_20261123.csv'));
      expect(r.status).toBe('FAILED');
      expect(r.error?.name).toBe('TrailerMismatch');
      expect(r.error?.message).toMatch(/1000/);
      expect(r.error?.message).toMatch(/998/);
      expect(r.error?.line).toBe(1000);
      expect(r.archivedTo).toMatch(/^s3:\/\/efi-local\/rejected\/sales\/.*sales_pos_20261123\.csv$/);
      expect(exists('landing/sales_pos_20261123.csv')).toBe(false);
      expect(await count('stage.pos_sales', `efi_run_id = '${r.runId}'`)).toBe(0);
      expect(await outbox(r.runId)).toEqual(['FAILED']);
    });

    it('rejects a row the warehouse refuses with the line and column in the original file, loading nothing', async () => {
      const r = await h.ingest(sample('customers_20261123.txt'));
      expect(r.status).toBe('FAILED');
      expect(r.error?.name).toBe('RowRejected');
      expect(r.error?.line).toBe(57);
      expect(r.error?.column).toBe('created_on');
      expect(r.error?.message).toMatch(/2026-02-30/);
      expect(await count('stage.customers', `efi_run_id = '${r.runId}'`)).toBe(0);
      expect(r.archivedTo).toMatch(/rejected\/crm\//);
    });

    it('loads a duplicate delivery of the same event once', async () => {
      const file = sample('sales_pos_20261122.csv');
      const first = await h.ingest(file);
      expect(first.status).toBe('FINISHED');
      // At-least-once delivery: the same S3 event again (the file is archived by now).
      const dup = await h.startEvent({
        detail: {
          bucket: { name: 'efi-local' },
          object: { key: 'landing/sales_pos_20261122.csv', etag: (await (await h.rt.runs()).get(first.runId))!.etag! },
        },
      });
      expect(dup.status).toBe('SKIPPED');
      // Re-uploading the same content is skipped too, unless reload is asked for.
      const again = await h.ingest(file);
      expect(again.status).toBe('SKIPPED');
      expect(again.skipReason).toMatch(/already loaded/);
      // The re-uploaded copy does not linger in landing: it is archived as a duplicate.
      expect(again.archivedTo).toMatch(/^s3:\/\/efi-local\/archive\/sales\/.*sales_pos_20261122\.csv$/);
      expect(exists('landing/sales_pos_20261122.csv')).toBe(false);
      expect(await count('stage.pos_sales', `efi_source_file like '%20261122%'`)).toBe(1500);
      const reload = await h.ingest(file, { reload: true });
      expect(reload.status).toBe('FINISHED');
      expect(await count('stage.pos_sales', `efi_run_id = '${reload.runId}'`)).toBe(1500);
      // The reload replaced the first run's rows (docs/truth-model.md): still one copy.
      expect(await count('stage.pos_sales', `efi_source_file like '%20261122%'`)).toBe(1500);
    });

    it('fails at the load when the target table is missing, then a redrive after creating it loads exactly once', async () => {
      const [config] = parseConfigYaml(
        [
          'interface: returns',
          'files:',
          '  - id: returns.daily',
          '    match: { glob: "returns_*.csv" }',
          '    format: { delimiter: "," }',
          '    header: { lines: 1 }',
          '    target: { schema: stage, table: returns }',
          '    columns: [return_id, sku, quantity]',
        ].join('\n'),
        'returns.yaml',
      );
      await h.apply([config!]);
      const file = path.join(h.home, 'returns_20261124.csv');
      const body = [
        'return_id,sku,quantity',
        ...Array.from({ length: 25 }, (_, i) => `${i + 1},ESP-001,${(i % 3) + 1}`),
      ].join('\n');
      fs.writeFileSync(file, `${body}\n`);

      const failed = await h.ingest(file);
      expect(failed.status).toBe('FAILED');
      expect(failed.error?.name).toBe('LoadFailed');
      expect(failed.error?.message).toMatch(/returns/);
      // Operational: the file stays where it landed, ready for the redrive.
      expect(exists('landing/returns_20261124.csv')).toBe(true);
      expect(await outbox(failed.runId)).toEqual(['FAILED']);

      await h.query(
        'create table stage.returns (return_id int, sku varchar(20), quantity int, efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
      );
      const outcome = await h.runner.redrive(failed.runId);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.redriveCount).toBe(1);
      const run = (await (await h.rt.runs()).get(failed.runId))!;
      expect(run).toMatchObject({ status: 'FINISHED', rowsLoaded: 25, error: null, redriveCount: 1 });
      expect(await count('stage.returns')).toBe(25);
      expect(await outbox(failed.runId)).toEqual(['FAILED', 'FINISHED']);
      expect(exists('landing/returns_20261124.csv')).toBe(false);
      // A second redrive of a succeeded run is refused, so nothing loads twice.
      await expect(h.runner.redrive(failed.runId)).rejects.toThrow(/is SUCCEEDED .*nothing to redrive/);
      expect(await count('stage.returns')).toBe(25);
    });

    it('loads a file cut into many small parts (the part list is read from S3) and locates a refused row in a late part', async () => {
      await h.query(
        'create table stage.many_parts (id int, name varchar(40), efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
      );
      const [config] = parseConfigYaml(
        [
          'interface: misc',
          'files:',
          '  - id: misc.many_parts',
          // gzip: a local load cannot read it in place, so Preprocess cuts it into parts as it does for Redshift.
          '    match: { glob: "many_parts_*.csv.gz" }',
          '    format: { compression: gzip }',
          '    header: { lines: 1 }',
          '    partSize: 1024',
          '    target: { schema: stage, table: many_parts }',
          '    columns: [id, name]',
        ].join('\n'),
        'misc.yaml',
      );
      await h.apply([config!]);
      const rows = Array.from({ length: 4000 }, (_, i) => `${i + 1},name-${String(i + 1).padStart(20, '0')}`);
      const good = path.join(h.home, 'many_parts_20261125.csv.gz');
      fs.writeFileSync(good, gzipSync(`id,name\n${rows.join('\n')}\n`));
      const r = await h.ingest(good);
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 4000, rowsLoaded: 4000 });
      expect(await count('stage.many_parts', `efi_run_id = '${r.runId}'`)).toBe(4000);
      const prepared = await (await h.rt.db())
        .selectFrom('efi.execution_events')
        .select('output')
        .where('execution_id', 'like', `%${r.runId}`)
        .where('type', '=', 'StateExited')
        .where('state_name', '=', 'Preprocess')
        .executeTakeFirst();
      const out = typeof prepared?.output === 'string' ? JSON.parse(prepared.output) : prepared?.output;
      expect(out.prepared.targets[0].partCount).toBeGreaterThan(100);
      expect(out.prepared.targets[0].parts).toBeUndefined();

      const bad = rows.slice();
      bad[3899] = '3900,name-too-long-for-the-column-xxxxxxxxxxxxxxxxxxxxxxxxxxxx';
      const file = path.join(h.home, 'many_parts_20261126.csv.gz');
      fs.writeFileSync(file, gzipSync(`id,name\n${bad.join('\n')}\n`));
      const rejected = await h.ingest(file);
      expect(rejected.status).toBe('FAILED');
      expect(rejected.error?.name).toBe('RowRejected');
      expect(rejected.error?.line).toBe(3901);
      expect(await count('stage.many_parts', `efi_run_id = '${rejected.runId}'`)).toBe(0);
    });

    it('fails at FetchConfig when no config matches, naming the key; applying a config and redriving finishes it', async () => {
      const file = path.join(h.home, 'unknown_feed_20261124.csv');
      fs.writeFileSync(file, `a,b\n${'1,2\n'.repeat(40)}`);
      const r = await h.ingest(file);
      expect(r.status).toBe('FAILED');
      expect(r.error?.name).toBe('NoConfigMatch');
      expect(r.error?.message).toMatch(/unknown_feed_20261124\.csv/);
      await h.query(
        'create table stage.unknown_feed (a int, b int, efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
      );
      const [config] = parseConfigYaml(
        [
          'interface: misc',
          'files:',
          '  - id: misc.unknown_feed',
          '    match: { glob: "unknown_feed_*.csv" }',
          '    header: { lines: 1 }',
          '    target: { schema: stage, table: unknown_feed }',
          '    columns: [a, b]',
        ].join('\n'),
        'misc.yaml',
      );
      await h.apply([config!]);
      const outcome = await h.runner.redrive(r.runId);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(await count('stage.unknown_feed')).toBe(40);
    });

    it('runs the post-load transform (stage → error table → core MERGE) after the load, and redrives only the transform', async () => {
      const r = await h.ingest(sample('flavors_20261122.csv'));
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 200 });
      expect(await count('core.flavor')).toBe(189);
      expect(await count('core.flavor_error')).toBe(11);
      expect(await count('stage.flavor')).toBe(0);

      // Break the transform (no active steps), load a new day: the load commits, the transform fails.
      await h.query("update orchestration.sql_step set active_to = '2019-12-31' where target_table = 'flavor'");
      const file = path.join(h.home, 'flavors_20261123.csv');
      fs.writeFileSync(
        file,
        'flavor_code|flavor_name|price|valid_from\nFL9001|Chestnut|0.80|2026-11-01\nFL0001|Maple renamed|0.65|2026-11-01\n',
      );
      const failed = await h.ingest(file);
      expect(failed.status).toBe('FAILED');
      expect(failed.error?.name).toBe('TransformFailed');
      expect(failed.error?.message).toMatch(/no active SQL steps/);
      expect(await count('stage.flavor')).toBe(2);

      await h.query("update orchestration.sql_step set active_to = '2030-01-01' where target_table = 'flavor'");
      const outcome = await h.runner.redrive(failed.runId);
      expect(outcome.status).toBe('SUCCEEDED');
      // The data was not loaded again: the redrive resumed at the transform.
      expect(await count('core.flavor')).toBe(190);
      expect(
        (await h.query<{ flavor_name: string }>("select flavor_name from core.flavor where flavor_code = 'FL0001'"))[0]!
          .flavor_name,
      ).toBe('Maple renamed');
      const events = await (await h.rt.db())
        .selectFrom('efi.execution_events')
        .select('state_name')
        .where('execution_id', 'like', `%${failed.runId}`)
        .where('redrive_count', '=', 1)
        .where('type', '=', 'StateEntered')
        .orderBy('seq')
        .execute();
      expect(events.map((e) => e.state_name)).not.toContain('SubmitLoad');
      expect(events[0]!.state_name).toBe('CheckTransform');
    });

    it('loads the good rows when bad ones are within maxErrors, and audits each rejected row with its line in the file', async () => {
      const [config] = parseConfigYaml(
        [
          'interface: readings',
          'files:',
          '  - id: readings.meters',
          '    match: { glob: "meters_*.csv" }',
          '    header: { lines: 1 }',
          '    target: { schema: stage, table: meter_readings }',
          '    columns: [meter_id, reading, read_on]',
          '    load: { maxErrors: 2 }',
        ].join('\n'),
        'readings.yaml',
      );
      await h.apply([config!]);
      await h.query(
        'create table stage.meter_readings (meter_id int, reading numeric(10,2), read_on date, efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
      );
      const lines = ['meter_id,reading,read_on'];
      for (let i = 1; i <= 30; i++) lines.push(`${i},${i}.5,2026-11-${String((i % 28) + 1).padStart(2, '0')}`);
      lines[8] = '8,not-a-number,2026-11-09'; // line 9 of the file
      lines[21] = '21,21.5,2026-13-01'; // line 22 of the file
      const file = path.join(h.home, 'meters_20261124.csv');
      fs.writeFileSync(file, `${lines.join('\n')}\n`);

      const r = await h.ingest(file);
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 30, rowsLoaded: 28, rowsRejected: 2 });
      expect(await count('stage.meter_readings', `efi_run_id = '${r.runId}'`)).toBe(28);
      const run = (await (await h.rt.runs()).get(r.runId))!;
      const rejected = (run.targets as { rejected?: { line: number; column: string }[] }[])[0]!.rejected!;
      expect(rejected.map((x) => [x.line, x.column])).toEqual([
        [9, 'reading'],
        [22, 'read_on'],
      ]);
    });

    it('ends ABORTED when the operator aborts (Ctrl-C), audits and notifies it, and a redrive finishes the run', async () => {
      const file = path.join(h.home, 'returns_20261125.csv');
      fs.writeFileSync(
        file,
        `return_id,sku,quantity\n${Array.from({ length: 12 }, (_, i) => `${i + 100},TEA-005,1`).join('\n')}\n`,
      );
      const store = await h.rt.store();
      const key = 'landing/returns_20261125.csv';
      await store.put('efi-local', key, fs.createReadStream(file));
      const head = (await store.head('efi-local', key))!;
      let abort: (() => void) | null = null;
      const outcome = await h.runner.start(
        { detail: { bucket: { name: 'efi-local' }, object: { key, size: head.size, etag: head.etag } } },
        {
          onAbortable: (a) => {
            abort = a;
          },
          onProgress: (e) => {
            if (e.type === 'StateEntered' && e.state === 'ValidateFile') abort?.();
          },
        },
      );
      expect(outcome.status).toBe('ABORTED');
      const run = (await (await h.rt.runs()).get(outcome.name))!;
      expect(run.status).toBe('ABORTED');
      expect(await outbox(outcome.name)).toEqual(['ABORTED']);
      expect(exists(key)).toBe(true);
      const again = await h.runner.redrive(outcome.name);
      expect(again.status).toBe('SUCCEEDED');
      expect((await (await h.rt.runs()).get(outcome.name))!.status).toBe('FINISHED');
      expect(await count('stage.returns', `efi_run_id = '${outcome.name}'`)).toBe(12);
    });

    it('refuses to redrive a rejected file, pointing at the remedy', async () => {
      const runs = await (await h.rt.db())
        .selectFrom('efi.runs')
        .select('run_id')
        .where('error_name', '=', 'TrailerMismatch')
        .execute();
      expect(runs.length).toBe(1);
      await expect(h.runner.redrive(runs[0]!.run_id)).rejects.toThrow(/corrected file/);
    });
  });
}
