/**
 * `npx tsx bench/profile-ingest.ts [postgres-url | pg]`: one `efi ingest` of the
 * 100 MB bench file with the time spent in each state (where the end-to-end
 * case's time goes). Not part of `npm run bench`.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalRunner } from '../cli/local/runner.ts';
import { applyConfigs } from '../functions/lib/adapters/config-db/config-repository.ts';
import { closeConfigDb } from '../functions/lib/adapters/config-db/connect.ts';
import { closePglite } from '../functions/lib/adapters/postgres/pglite.ts';
import { createDeps } from '../functions/lib/compose.ts';
import { loadSettings } from '../functions/lib/settings.ts';
import { findPgBinDir, startThrowawayPostgres } from '../test/setup/throwaway-postgres.ts';
import { BENCH_CONFIG, BUCKET, STORE_ROOT } from './workloads.ts';

// 'pg' starts a throwaway PostgreSQL server for the run.
const server = process.argv[2] === 'pg' ? await startThrowawayPostgres(findPgBinDir()!) : null;
const pgUrl = server?.url ?? process.argv[2] ?? null;
const file = path.join(STORE_ROOT, BUCKET, 'rows-1m.csv');
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-profile-'));
const env: Record<string, string> = { EFI_HOME: home, EFI_OUTBOX_ECHO: '0' };
if (pgUrl) Object.assign(env, { EFI_WAREHOUSE: pgUrl, EFI_CONFIG_DB: pgUrl });
const settings = loadSettings({ ...process.env, ...env });
const rt = createDeps(settings);
try {
  const wh = await rt.warehouse();
  await wh.query(`CREATE SCHEMA IF NOT EXISTS stage; DROP TABLE IF EXISTS stage.rows;
    CREATE TABLE stage.rows (id bigint, code varchar(8), name varchar(40), email varchar(80), amount numeric(12,2),
    day date, note varchar(80), country char(2), efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)`);
  await applyConfigs(await rt.db(), [BENCH_CONFIG], { source: 'bench' });
  const store = await rt.store();
  const key = `${settings.prefixes.landing}rows-1m.csv`;
  await store.put(settings.bucket, key, createReadStream(file));
  const head = (await store.head(settings.bucket, key))!;
  const entered = new Map<string, number>();
  const t0 = performance.now();
  const outcome = await LocalRunner.create(rt).start(
    { detail: { bucket: { name: settings.bucket }, object: { key, size: head.size, etag: head.etag } } },
    {
      onProgress: (p) => {
        if (!p.state) return;
        if (p.type === 'StateEntered') entered.set(p.state, performance.now());
        if (p.type === 'StateExited' && entered.has(p.state)) {
          console.log(`${p.state.padEnd(28)} ${(performance.now() - entered.get(p.state)!).toFixed(0).padStart(7)} ms`);
        }
      },
    },
  );
  console.log(`${'total'.padEnd(28)} ${(performance.now() - t0).toFixed(0).padStart(7)} ms  ${outcome.status}`);
} finally {
  await (await rt.warehouse().catch(() => null))?.close();
  await closeConfigDb();
  await closePglite();
  await fs.rm(home, { recursive: true, force: true });
  server?.stop();
}
