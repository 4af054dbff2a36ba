import { type Kysely, sql } from 'kysely';

/**
 * The config/audit schema `efi`: interfaces and file configs (config-as-code),
 * runs and file claims (audit, duplicate detection), local executions and their
 * events (the local Step Functions history), and the notification outbox.
 * Table and column names follow functions/lib/db/schema.ts exactly.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

const now = sql`now()`;

export async function up(db: Db): Promise<void> {
  await db.schema.createSchema('efi').ifNotExists().execute();
  const s = db.schema.withSchema('efi');

  await s
    .createTable('interfaces')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await s
    .createTable('file_configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('interface_name', 'text', (c) =>
      c.notNull().references('efi.interfaces.name').onUpdate('cascade').onDelete('restrict'),
    )
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('match_kind', 'text', (c) => c.notNull().check(sql`match_kind in ('glob', 'regex', 'token')`))
    .addColumn('match_pattern', 'text', (c) => c.notNull().check(sql`match_pattern <> ''`))
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull().check(sql`checksum ~ '^[0-9a-f]{64}$'`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1).check(sql`version > 0`))
    .addColumn('source', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await s.createIndex('file_configs_interface_idx').on('file_configs').column('interface_name').execute();

  await s
    .createTable('file_config_columns')
    .addColumn('config_id', 'text', (c) => c.notNull().references('efi.file_configs.id').onDelete('cascade'))
    // '' for single-layout files, so the key needs no NULL handling.
    .addColumn('record_type', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('ordinal', 'integer', (c) => c.notNull().check(sql`ordinal > 0`))
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.check(sql`width is null or width > 0`))
    .addColumn('target_schema', 'text', (c) => c.notNull())
    .addColumn('target_table', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_config_columns_pk', ['config_id', 'record_type', 'ordinal'])
    .addUniqueConstraint('file_config_columns_name_uq', ['config_id', 'record_type', 'column_name'])
    .execute();

  // Runs outlive configs (audit history), so config_id is not a foreign key.
  await s
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('execution_id', 'text', (c) => c.notNull())
    .addColumn('config_id', 'text')
    .addColumn('interface_name', 'text')
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('file_bytes', 'bigint')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('RUNNING', 'FINISHED', 'FAILED', 'ABORTED', 'SKIPPED')`),
    )
    .addColumn('records_in_file', 'bigint')
    .addColumn('rows_loaded', 'bigint')
    .addColumn('rows_rejected', 'bigint')
    .addColumn('targets', 'jsonb')
    .addColumn('statement_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('archived_to', 'text')
    .addColumn('skip_reason', 'text')
    .addColumn('error_name', 'text')
    .addColumn('error_message', 'text')
    .addColumn('error_line', 'bigint')
    .addColumn('error_column', 'text')
    .addColumn('error_state', 'text')
    .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('notified', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await s.createIndex('runs_status_started_idx').on('runs').columns(['status', 'started_at']).execute();
  await s.createIndex('runs_execution_idx').on('runs').column('execution_id').execute();
  await s.createIndex('runs_config_etag_idx').on('runs').columns(['config_id', 'etag']).execute();
  await s.createIndex('runs_started_idx').on('runs').column('started_at').execute();

  await s
    .createTable('file_claims')
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('file_claims_pk', ['bucket', 'object_key', 'etag'])
    .execute();
  await s.createIndex('file_claims_run_idx').on('file_claims').column('run_id').execute();

  await s
    .createTable('executions')
    .addColumn('execution_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT')`),
    )
    .addColumn('input', 'jsonb', (c) => c.notNull())
    .addColumn('output', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('cause', 'text')
    .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('stopped_at', 'timestamptz')
    .execute();
  await s.createIndex('executions_started_idx').on('executions').column('started_at').execute();
  await s.createIndex('executions_name_idx').on('executions').column('name').execute();

  await s
    .createTable('execution_events')
    .addColumn('execution_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state_name', 'text')
    .addColumn('input', 'jsonb')
    .addColumn('output', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('cause', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('execution_events_pk', ['execution_id', 'seq'])
    .execute();

  await s
    .createTable('outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await s.createIndex('outbox_run_idx').on('outbox').column('run_id').execute();
  await s.createIndex('outbox_created_idx').on('outbox').column('created_at').execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of [
    'outbox',
    'execution_events',
    'executions',
    'file_claims',
    'runs',
    'file_config_columns',
    'file_configs',
    'interfaces',
  ]) {
    await db.schema.withSchema('efi').dropTable(t).ifExists().execute();
  }
}
