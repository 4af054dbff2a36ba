import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toIngestResult } from '../../cli/commands/ingest.ts';
import { LocalRunner } from '../../cli/local/runner.ts';
import { createDeps } from '../../functions/lib/compose.ts';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import { type Backend, createHarness, type Harness } from './harness.ts';

/**
 * Content claims and --reload (issue 8, C8/C9; docs/truth-model.md "Re-running
 * and re-ingesting"), through the real definition and handlers. Runs on PGlite
 * and on PostgreSQL; the concurrent cases start several executions at once with
 * Promise.all (on PostgreSQL each runs on its own pooled connection).
 */
export function contentClaimsSuite(backend: Backend, pgUrl: string | null): void {
  describe(`content claims and --reload on ${backend}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(backend, pgUrl);
    });
    afterAll(async () => {
      await h?.close();
    });

    const count = async (table: string, where = 'true') =>
      Number((await h.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n);

    /** A one-table feed `<name>_*.csv` (3 columns, header) and a file body of `rows` rows. */
    async function feed(
      name: string,
      opts: { extra?: string[]; createTable?: boolean; lineageRunId?: boolean; glob?: string } = {},
    ): Promise<(file: string, rows?: number) => string> {
      const [config] = parseConfigYaml(
        [
          `interface: ${name}`,
          'files:',
          `  - id: ${name}.daily`,
          `    match: { glob: "${opts.glob ?? `${name}_*.csv`}" }`,
          '    header: { lines: 1 }',
          `    target: { schema: stage, table: ${name} }`,
          '    columns: [id, sku, quantity]',
          ...(opts.lineageRunId === false ? ['    lineage: { runId: null }'] : []),
          ...(opts.extra ?? []).map((l) => `    ${l}`),
        ].join('\n'),
        `${name}.yaml`,
      );
      await h.apply([config!]);
      if (opts.createTable !== false) await createTable(name);
      return (file, rows = 30) => {
        const p = path.join(h.home, file);
        const body = ['id,sku,quantity', ...Array.from({ length: rows }, (_, i) => `${i + 1},SKU-${i % 7},${i % 5}`)];
        fs.writeFileSync(p, `${body.join('\n')}\n`);
        return p;
      };
    }
    const createTable = (name: string) =>
      h.query(
        `create table stage.${name} (id int, sku varchar(20), quantity int, efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)`,
      );

    it('C8: the same content under 3 names ingested concurrently loads once; the others are SKIPPED naming the owner', async () => {
      const file = await feed('claims_a');
      const files = ['claims_a_1.csv', 'claims_a_2.csv', 'claims_a_3.csv'].map((n) => file(n));
      const results = await Promise.all(files.map((f) => h.ingest(f)));
      const finished = results.filter((r) => r.status === 'FINISHED');
      expect(finished).toHaveLength(1);
      const owner = finished[0]!.runId;
      for (const r of results.filter((x) => x.status !== 'FINISHED')) {
        expect(r.status).toBe('SKIPPED');
        // Depending on timing the owner is still in flight or already done; either way it is named.
        expect(r.skipReason).toContain(`run ${owner}`);
        expect(r.skipReason).toMatch(/in flight, wait|already loaded/);
      }
      expect(await count('stage.claims_a')).toBe(30);
    });

    it.skipIf(backend !== 'postgres')(
      'C8: three runners, each with its own connections, ingesting the same content under 3 names at once load it once',
      async () => {
        const file = await feed('claims_p');
        const store = await h.rt.store();
        const { bucket, prefixes } = h.rt.settings;
        const deps = [0, 1, 2].map(() => createDeps(h.rt.settings));
        try {
          const results = await Promise.all(
            deps.map(async (rt, i) => {
              const key = `${prefixes.landing}claims_p_${i}.csv`;
              await store.put(bucket, key, fs.createReadStream(file(`claims_p_${i}.csv`)));
              const head = (await store.head(bucket, key))!;
              const outcome = await LocalRunner.create(rt).start({
                'detail-type': 'Object Created',
                source: 'aws.s3',
                detail: { bucket: { name: bucket }, object: { key, size: head.size, etag: head.etag } },
              });
              return toIngestResult(key, outcome, await (await rt.runs()).get(outcome.name));
            }),
          );
          expect(results.filter((r) => r.status === 'FINISHED')).toHaveLength(1);
          expect(results.filter((r) => r.status === 'SKIPPED')).toHaveLength(2);
          expect(await count('stage.claims_p')).toBe(30);
        } finally {
          for (const rt of deps) await (await rt.warehouse()).close();
        }
      },
    );

    it('C8: a failed run + the resend under a new name + a redrive of the failed run loads once', async () => {
      const file = await feed('claims_b', { createTable: false });
      const failed = await h.ingest(file('claims_b_1.csv'));
      expect(failed.status).toBe('FAILED');
      expect(failed.error?.name).toBe('LoadFailed');

      const resend = await h.ingest(file('claims_b_1_resent.csv'));
      expect(resend.status).toBe('SKIPPED');
      expect(resend.skipReason).toContain(`run ${failed.runId}`);
      expect(resend.skipReason).toMatch(/failed — redrive it \(efi redrive /);

      await createTable('claims_b');
      const outcome = await h.runner.redrive(failed.runId);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(await count('stage.claims_b')).toBe(30);
    });

    it('C8: a --reload of a failed run’s content takes the claim over; the failed run’s redrive then loads nothing (ContentClaimLost)', async () => {
      const file = await feed('claims_c', { createTable: false });
      const failed = await h.ingest(file('claims_c_1.csv'));
      expect(failed.status).toBe('FAILED');
      await createTable('claims_c');

      const reload = await h.ingest(file('claims_c_1_resent.csv'), { reload: true });
      expect(reload.status).toBe('FINISHED');
      const redrive = await h.runner.redrive(failed.runId);
      expect(redrive.status).toBe('FAILED');
      const run = (await (await h.rt.runs()).get(failed.runId))!;
      expect(run.error?.name).toBe('ContentClaimLost');
      expect(run.error?.message).toContain(`run ${reload.runId} took it over`);
      expect(await count('stage.claims_c')).toBe(30);
      expect(await count('stage.claims_c', `efi_run_id = '${reload.runId}'`)).toBe(30);
    });

    it('C8: concurrent --reloads of loaded content: one replaces, the rest are SKIPPED in flight, rows stay once', async () => {
      const file = await feed('claims_d');
      const first = await h.ingest(file('claims_d_1.csv'));
      expect(first.status).toBe('FINISHED');
      const results = await Promise.all(
        ['claims_d_2.csv', 'claims_d_3.csv', 'claims_d_4.csv'].map((n) => h.ingest(file(n), { reload: true })),
      );
      const finished = results.filter((r) => r.status === 'FINISHED');
      expect(finished.length).toBeGreaterThanOrEqual(1);
      for (const r of results.filter((x) => x.status !== 'FINISHED')) {
        expect(r.status).toBe('SKIPPED');
        expect(r.skipReason).toMatch(/in flight, wait/);
      }
      expect(await count('stage.claims_d')).toBe(30);
    });

    it('C9: --reload on the original name replaces its rows, never appends a second copy', async () => {
      const file = await feed('claims_e');
      const first = await h.ingest(file('claims_e_1.csv'));
      expect(first.status).toBe('FINISHED');
      const reload = await h.ingest(file('claims_e_1.csv'), { reload: true });
      expect(reload.status).toBe('FINISHED');
      expect(await count('stage.claims_e')).toBe(30);
      expect(await count('stage.claims_e', `efi_run_id = '${first.runId}'`)).toBe(0);
      expect(await count('stage.claims_e', `efi_run_id = '${reload.runId}'`)).toBe(30);
    });

    it('C9: --reload on a SKIPPED copy takes the claim over and replaces the rows, as the skip message says', async () => {
      const file = await feed('claims_f');
      const first = await h.ingest(file('claims_f_1.csv'));
      const copy = await h.ingest(file('claims_f_copy.csv'));
      expect(copy.status).toBe('SKIPPED');
      expect(copy.skipReason).toMatch(/ingest with --reload .* to replace its rows/);
      const reload = await h.ingest(file('claims_f_copy.csv'), { reload: true });
      expect(reload.status).toBe('FINISHED');
      expect(await count('stage.claims_f')).toBe(30);
      expect(await count('stage.claims_f', `efi_run_id = '${first.runId}'`)).toBe(0);
      // A further plain re-ingest names the reload as the owner.
      const again = await h.ingest(file('claims_f_1.csv'));
      expect(again.status).toBe('SKIPPED');
      expect(again.skipReason).toContain(`run ${reload.runId}`);
    });

    it('C9: --reload without a run-id lineage column is refused with the reason; reloadMode: append loads a second copy', async () => {
      const file = await feed('claims_g', { lineageRunId: false });
      expect((await h.ingest(file('claims_g_1.csv'))).status).toBe('FINISHED');
      const refused = await h.ingest(file('claims_g_1.csv'), { reload: true });
      expect(refused.status).toBe('SKIPPED');
      expect(refused.skipReason).toMatch(/--reload refused: .*lineage\.runId.*reloadMode: append/);
      expect(await count('stage.claims_g')).toBe(30);

      const append = await feed('claims_h', { lineageRunId: false, extra: ['reloadMode: append'] });
      expect((await h.ingest(append('claims_h_1.csv'))).status).toBe('FINISHED');
      expect((await h.ingest(append('claims_h_1.csv'), { reload: true })).status).toBe('FINISHED');
      expect(await count('stage.claims_h')).toBe(60);
    });

    it('E13: content already loaded under a wrongly named file is rejected (ExtensionMismatch), not SKIPPED', async () => {
      const file = await feed('claims_i', { glob: 'claims_i_*', extra: ['format: { extensions: [csv] }'] });
      expect((await h.ingest(file('claims_i_1.csv'))).status).toBe('FINISHED');
      const src = file('claims_i_1.csv');
      const wrong = path.join(h.home, 'claims_i_1.csv.bak');
      fs.copyFileSync(src, wrong);
      const r = await h.ingest(wrong);
      expect(r.status).toBe('FAILED');
      expect(r.error?.name).toBe('ExtensionMismatch');
      expect(await count('stage.claims_i')).toBe(30);
    });

    /**
     * Lands `file` under `name` with another ETag for the same bytes, as S3 gives
     * a multipart upload (md5 of the part md5s + "-<parts>", so it depends on the
     * part size): the local store's ETag sidecar is rewritten that way.
     */
    async function landWithEtag(file: string, name: string, etag: string): Promise<ExecutionInput> {
      const store = await h.rt.store();
      const { bucket, prefixes, objectStore } = h.rt.settings;
      const key = `${prefixes.landing}${name}`;
      await store.put(bucket, key, fs.createReadStream(file));
      if (objectStore.kind !== 'fs') throw new Error('this suite runs on the local folder store');
      const metaFile = path.join(objectStore.root, '.meta', bucket, `${key}.json`);
      fs.writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(metaFile, 'utf8')), etag }));
      const head = (await store.head(bucket, key))!;
      expect(head.etag).toBe(etag);
      return {
        'detail-type': 'Object Created',
        source: 'aws.s3',
        detail: { bucket: { name: bucket }, object: { key, size: head.size, etag: head.etag } },
      };
    }

    it('content identity: the same bytes under another name and another ETag (another part size) are SKIPPED as a duplicate by hash', async () => {
      const file = await feed('claims_hash');
      const first = await h.startEvent(await landWithEtag(file('claims_hash_1.csv'), 'claims_hash_1.csv', 'aaaa-2'));
      expect(first.status).toBe('FINISHED');
      const second = await h.startEvent(await landWithEtag(file('claims_hash_2.csv'), 'claims_hash_2.csv', 'bbbb-3'));
      expect(second.status).toBe('SKIPPED');
      expect(second.skipReason).toContain(
        `run ${first.runId} already loaded the same content (landing/claims_hash_1.csv)`,
      );
      expect(await count('stage.claims_hash')).toBe(30);
      // Loaded content: the re-upload is moved out of landing, as for a same-ETag copy.
      const store = await h.rt.store();
      expect(await store.head(h.rt.settings.bucket, 'landing/claims_hash_2.csv')).toBeNull();
      // --reload of that copy replaces the first run's rows (the hash claim is taken over), never a second copy.
      const reload = await h.startEvent({
        ...(await landWithEtag(file('claims_hash_3.csv'), 'claims_hash_3.csv', 'cccc-4')),
        efi: { reload: true },
      });
      expect(reload.status).toBe('FINISHED');
      expect(await count('stage.claims_hash')).toBe(30);
      expect(await count('stage.claims_hash', `efi_run_id = '${reload.runId}'`)).toBe(30);
    });

    it('content identity: the same bytes under 3 ETags ingested concurrently load once (the hash claim is atomic)', async () => {
      const file = await feed('claims_hashk');
      const events = await Promise.all(
        ['dddd-2', 'eeee-3', 'ffff-4'].map((etag, i) =>
          landWithEtag(file(`claims_hashk_${i}.csv`), `claims_hashk_${i}.csv`, etag),
        ),
      );
      const results = await Promise.all(events.map((e) => h.startEvent(e)));
      expect(results.filter((r) => r.status === 'FINISHED')).toHaveLength(1);
      const owner = results.find((r) => r.status === 'FINISHED')!.runId;
      for (const r of results.filter((x) => x.status !== 'FINISHED')) {
        expect(r.status).toBe('SKIPPED');
        expect(r.skipReason).toContain(`run ${owner}`);
      }
      expect(await count('stage.claims_hashk')).toBe(30);
    });

    it('a run redriven at Archive after a later --reload replaced its rows ends RunSuperseded naming that run, never FINISHED', async () => {
      const file = await feed('claims_sup');
      const store = await h.rt.store();
      // Archive fails once (a store fault) after the load committed: the run is FAILED at Archive (row 5).
      // Archive renames where the store can (the folder store), else copies then deletes: fault whichever comes first.
      const { copy, move } = store;
      const restore = () => {
        store.copy = copy;
        store.move = move;
      };
      store.copy = async (from) => {
        restore();
        throw new Error(`injected: cannot copy ${from.key}`);
      };
      if (move) {
        store.move = async (from) => {
          restore();
          throw new Error(`injected: cannot move ${from.key}`);
        };
      }
      const failed = await h.ingest(file('claims_sup_1.csv'));
      expect(failed.status).toBe('FAILED');
      const runs = await h.rt.runs();
      expect((await runs.get(failed.runId))?.error?.state).toBe('Archive');
      expect(await count('stage.claims_sup', `efi_run_id = '${failed.runId}'`)).toBe(30);

      const reload = await h.ingest(file('claims_sup_1_resent.csv'), { reload: true });
      expect(reload.status).toBe('FINISHED');
      expect(await count('stage.claims_sup')).toBe(30);
      expect(await count('stage.claims_sup', `efi_run_id = '${reload.runId}'`)).toBe(30);

      const redrive = await h.runner.redrive(failed.runId);
      expect(redrive.status).toBe('FAILED');
      const run = (await runs.get(failed.runId))!;
      expect(run.status).toBe('FAILED');
      expect(run.error?.name).toBe('RunSuperseded');
      expect(run.error?.message).toContain(`superseded by run ${reload.runId}`);
      // It stopped at Archive, before anything moved: its copy stays in landing for the operator to remove.
      expect(run.error?.state).toBe('Archive');
      expect(await store.head(h.rt.settings.bucket, 'landing/claims_sup_1.csv')).not.toBeNull();
      expect(await count('stage.claims_sup')).toBe(30);
      expect(await count('stage.claims_sup', `efi_run_id = '${reload.runId}'`)).toBe(30);
      const notes = await h.query<{ status: string; body: string }>(
        `select status, body from efi.outbox where run_id = '${failed.runId}' order by id`,
      );
      expect(notes.map((n) => n.status)).not.toContain('FINISHED');
      expect(notes.at(-1)?.body).toMatch(/nothing of this run any more: a later --reload replaced its rows/);
    });
  });
}
