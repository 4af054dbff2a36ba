import { type Kysely, sql } from 'kysely';

/**
 * Every version of every file config, not only the latest: a run reads the
 * config version it was matched to in every state, so applying a changed
 * config while a file is loading (or before a failed run is redriven) does not
 * change how that file is validated, split and loaded. `efi config apply`
 * writes a row per new version; existing configs get their current version.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  const s = db.schema.withSchema('efi');
  await s
    .createTable('config_versions')
    .addColumn('config_id', 'text', (c) => c.notNull().references('efi.file_configs.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull().check(sql`checksum ~ '^[0-9a-f]{64}$'`))
    .addColumn('source', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('config_versions_pk', ['config_id', 'version'])
    .execute();
  await sql`
    insert into efi.config_versions (config_id, version, spec, checksum, source, created_at)
    select id, version, spec, checksum, source, updated_at from efi.file_configs
  `.execute(db);
}

export async function down(db: Db): Promise<void> {
  await db.schema.withSchema('efi').dropTable('config_versions').execute();
}
