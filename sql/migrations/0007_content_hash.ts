import type { Kysely } from 'kysely';

/**
 * `efi.runs.content_sha256`: the SHA-256 of the file's bytes, computed by
 * ValidateFile in the pass it makes over every byte anyway. ValidateFile
 * claims the content under it (an `efi.content_claims` row whose `etag` column
 * holds `sha256:<hex>`), so the same bytes are one content whatever the upload
 * part size made their ETag. FetchConfig's ETag claim stays as the fast path
 * (a re-upload with the same ETag is skipped before any byte is read).
 * Runs from before this migration have no hash: their content is still
 * recognised by ETag only.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await db.schema.withSchema('efi').alterTable('runs').addColumn('content_sha256', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.withSchema('efi').alterTable('runs').dropColumn('content_sha256').execute();
}
