import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { createMigrator, migrateToLatest } from '../../../functions/lib/adapters/config-db/migrate.ts';
import type { EfiDatabase } from '../../../functions/lib/adapters/config-db/schema.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import type { Settings } from '../../../functions/lib/settings.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const pgUrl = inject('pgUrl');

// Mirrors functions/lib/adapters/config-db/schema.ts: the rest of the code relies on these exact names.
const EXPECTED_COLUMNS: Record<string, string[]> = {
  interfaces: ['name', 'description', 'active', 'created_at', 'updated_at'],
  config_versions: ['config_id', 'version', 'spec', 'checksum', 'source', 'created_at'],
  file_configs: [
    'id',
    'interface_name',
    'active',
    'match_kind',
    'match_pattern',
    'spec',
    'checksum',
    'version',
    'source',
    'created_at',
    'updated_at',
  ],
  file_config_columns: ['config_id', 'record_type', 'ordinal', 'column_name', 'width', 'target_schema', 'target_table'],
  runs: [
    'run_id',
    'execution_id',
    'config_id',
    'interface_name',
    'bucket',
    'object_key',
    'etag',
    'file_bytes',
    'status',
    'records_in_file',
    'rows_loaded',
    'rows_rejected',
    'targets',
    'statement_ids',
    'archived_to',
    'skip_reason',
    'error_name',
    'error_message',
    'error_line',
    'error_column',
    'error_state',
    'redrive_count',
    'notified',
    'started_at',
    'finished_at',
    'updated_at',
    // 0002_records_skipped
    'records_skipped',
    // 0005_run_truth
    'load_statement_id',
    'transform_statement_id',
    'load_committed',
    'transform_committed',
    'notify_error',
    // 0006_content_claims
    'error_location',
    // 0007_content_hash
    'content_sha256',
  ],
  file_claims: ['bucket', 'object_key', 'etag', 'run_id', 'claimed_at'],
  content_claims: ['config_id', 'etag', 'size_bytes', 'run_id', 'replaces', 'claimed_at'],
  executions: [
    'execution_id',
    'name',
    'status',
    'input',
    'output',
    'error',
    'cause',
    'redrive_count',
    'started_at',
    'stopped_at',
    // 0005_run_truth
    'owner_host',
    'owner_pid',
    'owner_token',
    'heartbeat_at',
  ],
  execution_events: [
    'execution_id',
    'seq',
    'redrive_count',
    'type',
    'state_name',
    'input',
    'output',
    'error',
    'cause',
    'at',
  ],
  outbox: ['id', 'run_id', 'status', 'subject', 'body', 'detail', 'created_at', 'idempotency_key'],
};

interface Backend {
  name: string;
  skip: boolean;
  open: () => Promise<{ cfg: Settings['configDb']; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PGlite (temp data dir)',
    skip: false,
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-migrate-'));
      const dataDir = path.join(dir, 'pglite');
      return {
        cfg: { kind: 'pglite', dataDir },
        cleanup: async () => {
          await closePglite(dataDir);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL (fresh database)',
    skip: !pgUrl,
    open: async () => {
      const fresh = await createFreshDatabase(pgUrl!);
      return { cfg: { kind: 'postgres', url: fresh.url }, cleanup: fresh.drop };
    },
  },
];

describe.each(backends)('migrations on $name', (backend) => {
  let db: Kysely<EfiDatabase>;
  let cfg: Settings['configDb'];
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (backend.skip) return;
    ({ cfg, cleanup } = await backend.open());
    db = await openConfigDb(cfg);
  });
  afterAll(async () => {
    if (backend.skip) return;
    await closeConfigDb(cfg);
    await cleanup();
  });

  it.skipIf(backend.skip)('creates every table with the columns schema.ts names, and is idempotent', async () => {
    const first = await migrateToLatest(db);
    expect(first.map((r) => [r.migrationName, r.status])).toEqual([
      ['0001_init', 'Success'],
      ['0002_records_skipped', 'Success'],
      ['0003_config_versions', 'Success'],
      ['0004_legacy_file_audit', 'Success'],
      ['0005_run_truth', 'Success'],
      ['0006_content_claims', 'Success'],
      ['0007_content_hash', 'Success'],
    ]);

    // A fresh migrator (as a new process would have) finds nothing to do.
    const again = await createMigrator(db).migrateToLatest();
    expect(again.error).toBeUndefined();
    expect(again.results).toEqual([]);
    // The same process does not even ask.
    expect(await migrateToLatest(db)).toBe(first);

    const rows = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'efi' order by table_name, ordinal_position`.execute(db);
    const actual: Record<string, string[]> = {};
    for (const r of rows.rows) {
      actual[r.table_name] ??= [];
      actual[r.table_name]!.push(r.column_name);
    }
    expect(actual).toEqual({
      ...EXPECTED_COLUMNS,
      migrations: ['name', 'timestamp'],
      migrations_lock: ['id', 'is_locked'],
      // 0004_legacy_file_audit: a view in the original framework's ext_file_audit shape
      ext_file_audit: [
        'ext_file_audit_sid',
        'ext_interface_cid',
        'tgt_schema_name',
        'tgt_table_name',
        'file_process_status',
        'file_process_date',
        'file_prcsd_flag',
        'merge_query',
        'error_msg',
        'start_time',
        'end_time',
        'update_query',
        'escape_char',
        'created_date',
        'modified_date',
        'run_id',
        'object_key',
      ],
    });
  });

  it.skipIf(backend.skip)('enforces the constraints', async () => {
    await migrateToLatest(db);
    const started_at = new Date();
    const run = {
      run_id: 'r1',
      execution_id: 'e1',
      bucket: 'b',
      object_key: 'k',
      status: 'RUNNING' as const,
      started_at,
    };
    await db
      .insertInto('efi.runs')
      .values({ ...run, statement_ids: sql<string[]>`'[]'::jsonb` })
      .execute();
    await expect(
      db
        .insertInto('efi.runs')
        .values({ ...run, run_id: 'r2', status: 'DONE' as 'RUNNING', statement_ids: sql<string[]>`'[]'::jsonb` })
        .execute(),
    ).rejects.toThrow(/check constraint/);

    await db.insertInto('efi.file_claims').values({ bucket: 'b', object_key: 'k', etag: 'x', run_id: 'r1' }).execute();
    await expect(
      db.insertInto('efi.file_claims').values({ bucket: 'b', object_key: 'k', etag: 'x', run_id: 'r2' }).execute(),
    ).rejects.toThrow(/duplicate key/);

    await expect(
      db
        .insertInto('efi.file_configs')
        .values({
          id: 'a.b',
          interface_name: 'nope',
          active: true,
          match_kind: 'glob',
          match_pattern: '*',
          spec: '{}',
          checksum: 'a'.repeat(64),
          source: null,
        })
        .execute(),
    ).rejects.toThrow(/foreign key/);

    const events = { execution_id: 'e1', redrive_count: 0, type: 'StateEntered', at: started_at };
    await db
      .insertInto('efi.execution_events')
      .values({ ...events, seq: 1 })
      .execute();
    await expect(
      db
        .insertInto('efi.execution_events')
        .values({ ...events, seq: 1 })
        .execute(),
    ).rejects.toThrow(/duplicate key/);

    const outbox = await db
      .insertInto('efi.outbox')
      .values({ run_id: 'r1', status: 'FINISHED', subject: 's', body: 'b', detail: { test: true } })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(Number(outbox.id)).toBeGreaterThan(0);
  });
});
