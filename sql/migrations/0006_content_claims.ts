import { type Kysely, sql } from 'kysely';

/**
 * Also adds `efi.runs.error_location` (the one error location shape, E12).
 *
 * Content claims: one row per (config, ETag, size) naming the run that owns
 * that content, whatever the file's name. The primary key makes the claim
 * atomic (INSERT … ON CONFLICT DO NOTHING): of N runs of the same bytes
 * started at once, exactly one inserts and loads; the others read the owner
 * and skip. `replaces` lists the run ids whose rows the owner's load deletes
 * (a `--reload`), so a failed reload handed on to the next one still replaces
 * the rows of the last FINISHED run.
 *
 * Backfill: the latest FINISHED run of each content owns it, so content
 * loaded before this migration is still recognised.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema
    .withSchema('efi')
    .createTable('content_claims')
    .addColumn('config_id', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('replaces', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('content_claims_pk', ['config_id', 'etag', 'size_bytes'])
    .execute();
  await db.schema
    .withSchema('efi')
    .createIndex('content_claims_run_idx')
    .on('content_claims')
    .column('run_id')
    .execute();
  // The one error location shape (issue 8, E12): { line, field, fieldName, byteOffset }, only what applies.
  await db.schema.withSchema('efi').alterTable('runs').addColumn('error_location', 'jsonb').execute();
  await sql`
    insert into efi.content_claims (config_id, etag, size_bytes, run_id)
    select distinct on (config_id, etag, file_bytes) config_id, etag, file_bytes, run_id
    from efi.runs
    where status = 'FINISHED' and config_id is not null and etag is not null and file_bytes is not null
    order by config_id, etag, file_bytes, started_at desc
    on conflict do nothing
  `.execute(db);
}

export async function down(db: Db): Promise<void> {
  await db.schema.withSchema('efi').alterTable('runs').dropColumn('error_location').execute();
  await db.schema.withSchema('efi').dropTable('content_claims').ifExists().execute();
}
