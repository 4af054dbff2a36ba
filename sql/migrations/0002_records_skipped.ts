import type { Kysely } from 'kysely';

/** Records a run skipped on purpose (unknown record types with `onUnknown: skip`), so the audit accounts for every record. */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema.withSchema('efi').alterTable('runs').addColumn('records_skipped', 'bigint').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.withSchema('efi').alterTable('runs').dropColumn('records_skipped').execute();
}
