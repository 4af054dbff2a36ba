import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type IngestResult, toIngestResult } from '../../cli/commands/ingest.ts';
import { LocalRunner } from '../../cli/local/runner.ts';
import { applyConfigs } from '../../functions/lib/adapters/config-db/config-repository.ts';
import { closeConfigDb } from '../../functions/lib/adapters/config-db/connect.ts';
import { closePglite } from '../../functions/lib/adapters/postgres/pglite.ts';
import { createDeps, type Deps } from '../../functions/lib/compose.ts';
import { loadConfigFiles } from '../../functions/lib/config/load-yaml.ts';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

export const SAMPLES = path.resolve(import.meta.dirname, '../../samples');

export type Backend = 'pglite' | 'postgres';

/**
 * A whole local installation for one test file: temp EFI_HOME, the embedded
 * or a real PostgreSQL (a fresh database per file), the runtime and the local
 * runner, with the sample configs and target tables in place.
 */
export interface Harness {
  home: string;
  rt: Deps;
  runner: LocalRunner;
  ingest(file: string, opts?: { reload?: boolean; key?: string; name?: string }): Promise<IngestResult>;
  startEvent(input: ExecutionInput, name?: string): Promise<IngestResult>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  apply(configs: FileConfig[]): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(
  backend: Backend,
  pgUrl: string | null,
  /** More settings, e.g. the S3 store on a local peer (EFI_OBJECT_STORE=s3, EFI_S3_ENDPOINT, EFI_BUCKET). */
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `efi-e2e-${backend}-`));
  const env: Record<string, string> = { EFI_HOME: home, EFI_OUTBOX_ECHO: '0', ...extraEnv };
  let dropDb: (() => Promise<void>) | null = null;
  if (backend === 'postgres') {
    if (!pgUrl) throw new Error('postgres backend needs pgUrl');
    const dbName = `efi_e2e_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.pathname = `/${dbName}`;
    env['EFI_WAREHOUSE'] = url.toString();
    env['EFI_CONFIG_DB'] = url.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    };
  }
  const settings = loadSettings(env);
  const rt = createDeps(settings);
  const runner = LocalRunner.create(rt);
  const wh = await rt.warehouse();
  await wh.query(fs.readFileSync(path.join(SAMPLES, 'warehouse.sql'), 'utf8'));
  const loaded = await loadConfigFiles([path.join(SAMPLES, 'configs')]);
  await applyConfigs(await rt.db(), loaded.configs, { source: 'test', interfaces: loaded.interfaces });

  const startEvent = async (input: ExecutionInput, name = LocalRunner.newExecutionName()) => {
    const outcome = await runner.start(input, { name });
    return toIngestResult(input.detail.object.key, outcome, await (await rt.runs()).get(outcome.name));
  };

  const h: Harness = {
    home,
    rt,
    runner,
    async ingest(file, opts = {}) {
      const store = await rt.store();
      const key = opts.key ?? `${settings.prefixes.landing}${path.basename(file)}`;
      await store.put(settings.bucket, key, fs.createReadStream(file));
      const head = (await store.head(settings.bucket, key))!;
      return startEvent(
        {
          'detail-type': 'Object Created',
          source: 'aws.s3',
          detail: { bucket: { name: settings.bucket }, object: { key, size: head.size, etag: head.etag } },
          ...(opts.reload ? { efi: { reload: true } } : {}),
        },
        opts.name,
      );
    },
    startEvent,
    async query<T>(sql: string) {
      return (await wh.query(sql)).rows as T[];
    },
    async apply(configs) {
      await applyConfigs(await rt.db(), configs, { source: 'test' });
    },
    async close() {
      await wh.close();
      await closeConfigDb();
      await closePglite();
      if (dropDb) await dropDb();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

export function sample(name: string): string {
  return path.join(SAMPLES, 'files', name);
}
