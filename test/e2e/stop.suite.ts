import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile, toIngestResult } from '../../cli/commands/ingest.ts';
import type { CliContext } from '../../cli/context.ts';
import { loadDefinition } from '../../cli/local/definition.ts';
import { type ExecutionOutcome, LocalRunner } from '../../cli/local/runner.ts';
import type { PostgresWarehouse } from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { type Backend, createHarness, type Harness } from './harness.ts';

/**
 * Loads that can be stopped (truth model rows 7 and 8): an abort (Ctrl-C)
 * or a Task exceeding its TimeoutSeconds while the load runs cancels the
 * statement and rolls it back, the file stays in landing, and the run says so.
 * Driven by the warehouse's hooks (the load's first progress, a held
 * statement), never by sleeps.
 */
export function stopSuite(backend: Backend, pgUrl: string | null): void {
  describe(`stopping a running load on ${backend}`, () => {
    let h: Harness;
    let wh: PostgresWarehouse;
    let n = 0;
    beforeAll(async () => {
      h = await createHarness(backend, pgUrl);
      wh = (await h.rt.warehouse()) as PostgresWarehouse;
      await wh.query(
        'create table stage.stops (id int, note text, efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
      );
      const [config] = parseConfigYaml(
        [
          'interface: stops',
          'files:',
          '  - id: stops.daily',
          '    match: { glob: "stops_*.csv" }',
          '    format: { delimiter: "," }',
          '    header: { lines: 1 }',
          '    target: { schema: stage, table: stops }',
          '    columns: [id, note]',
        ].join('\n'),
        'stops.yaml',
      );
      await h.apply([config!]);
    });
    afterAll(async () => {
      await h?.close();
    });

    const count = async () =>
      Number((await h.query<{ n: number }>('select count(*)::int as n from stage.stops'))[0]!.n);
    const landed = (key: string) => fs.existsSync(path.join(h.home, 's3', 'efi-local', key));

    /** Lands a fresh file of `rows` rows (distinct content each time) and returns its key. */
    async function land(rows: number): Promise<string> {
      const name = `stops_2026120${++n}.csv`;
      const body = `id,note\n${Array.from({ length: rows }, (_, i) => `${i + 1},file ${n} row ${i + 1}`).join('\n')}\n`;
      const key = `landing/${name}`;
      const store = await h.rt.store();
      await store.put('efi-local', key, Buffer.from(body));
      return key;
    }

    async function start(runner: LocalRunner, key: string, opts: Parameters<LocalRunner['start']>[1] = {}) {
      const head = (await (await h.rt.store()).head('efi-local', key))!;
      return runner.start(
        { detail: { bucket: { name: 'efi-local' }, object: { key, size: head.size, etag: head.etag } } },
        opts,
      );
    }

    async function statementsOf(outcome: ExecutionOutcome) {
      const run = (await (await h.rt.runs()).get(outcome.name))!;
      return { run, statuses: await Promise.all(run.statementIds.map(async (id) => (await wh.describe(id)).status)) };
    }

    it('Ctrl-C while the load copies rows: ABORTED, the statement rolled back (zero rows), the file in landing, a message that says so', async () => {
      const key = await land(5_000);
      let abort: ((reason?: string) => void) | null = null;
      wh.hooks.onProgress = (_id, p) => {
        if (p.bytesDone > 0) abort?.('Ctrl-C');
      };
      let outcome: ExecutionOutcome;
      try {
        outcome = await start(h.runner, key, {
          onAbortable: (a) => {
            abort = a;
          },
        });
      } finally {
        wh.hooks.onProgress = undefined;
      }
      expect(outcome.status).toBe('ABORTED');
      const { run, statuses } = await statementsOf(outcome);
      expect(statuses).toEqual(['ABORTED']);
      expect(await count()).toBe(0);
      expect(landed(key)).toBe(true);
      expect(run.status).toBe('ABORTED');
      expect(outcome.cause).toMatch(
        /^stopped at (SubmitLoad|WaitForLoad|CheckLoad).*\(Ctrl-C\).*rolled back, nothing of it committed/,
      );
      const result = toIngestResult(key, outcome, run);
      expect(result.status).toBe('ABORTED');
      expect(result.error?.message).toMatch(/rolled back/);
    });

    it('efi ingest on Ctrl-C during the load: prints ABORTED with the real reason and where the file really is', async () => {
      const file = path.join(h.home, `stops_2026121${++n}.csv`);
      fs.writeFileSync(file, `id,note\n${Array.from({ length: 4_000 }, (_, i) => `${i + 1},cli ${i}`).join('\n')}\n`);
      const out: string[] = [];
      const err: string[] = [];
      const ctx: CliContext = {
        settings: h.rt.settings,
        json: false,
        tty: false,
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      };
      // The user's Ctrl-C, once the load's first rows reached the warehouse.
      wh.hooks.onProgress = (_id, p) => {
        if (p.bytesDone > 0) process.emit('SIGINT');
      };
      let result: Awaited<ReturnType<typeof ingestFile>>;
      try {
        result = await ingestFile(h.rt, h.runner, ctx, file, { prefix: '', reload: false });
      } finally {
        wh.hooks.onProgress = undefined;
      }
      expect(result.status).toBe('ABORTED');
      expect(await count()).toBe(0);
      const key = `landing/${path.basename(file)}`;
      expect(landed(key)).toBe(true);
      expect(result.fileAt).toBe(`s3://efi-local/${key}`);
      expect(err.join('\n')).toMatch(/aborting \(Ctrl-C\)/);
      const printed = out.join('\n');
      expect(printed).toMatch(/ABORTED {2}\w+: .*rolled back/);
      expect(printed).not.toMatch(/Error: *$/m);
      expect(printed).toContain(`file kept in the landing prefix at s3://efi-local/${key}`);
    });

    it('a Task exceeding its TimeoutSeconds ends States.Timeout and cancels its statement: zero rows, file in landing', async () => {
      const def = loadDefinition();
      def.States['CheckLoad']!['TimeoutSeconds'] = 1;
      const runner = LocalRunner.create(h.rt, { definition: def });
      const key = await land(10);
      // The statement is held until it is cancelled: only the timeout can end the run.
      wh.hooks.beforeRun = (_id, signal) =>
        new Promise((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      let outcome: ExecutionOutcome;
      try {
        outcome = await start(runner, key);
      } finally {
        wh.hooks.beforeRun = undefined;
      }
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
      const { run, statuses } = await statementsOf(outcome);
      expect(statuses).toEqual(['ABORTED']);
      expect(await wh.describe(run.statementIds[0]!)).toMatchObject({
        error: 'cancelled: CheckLoad exceeded its TimeoutSeconds (1 s)',
      });
      // Whatever the run row names, it says the load did not commit.
      expect(`${run.error?.name}: ${run.error?.message}`).toMatch(/States.Timeout|rolled back/);
      expect(await count()).toBe(0);
      expect(landed(key)).toBe(true);
      expect(run.status).toBe('FAILED');
    });

    it('a load that is not stopped still finishes, through the long-polling check', async () => {
      const key = await land(3_000);
      const progress: string[] = [];
      const outcome = await start(h.runner, key, { onStatement: (e) => progress.push(e.status) });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(await count()).toBe(3_000);
      expect(landed(key)).toBe(false);
    });
  });
}
