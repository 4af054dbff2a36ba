import { type Kysely, sql } from 'kysely';

/**
 * What the truth model (docs/truth-model.md) needs the run row and the local
 * history to say:
 * - runs: which statement is the load and which the transform (a redriven
 *   submit reads the earlier one before it submits again), whether each had
 *   committed when the run stopped, and a notification error that did not
 *   change a FINISHED outcome;
 * - executions: the process that runs an execution (host, pid, a per-process
 *   token, a heartbeat), so a RUNNING execution whose process died is found
 *   and made redrivable;
 * - outbox: the notification's idempotency key, unique, so a Notify re-run
 *   after a crash inserts nothing twice.
 * Numbered 0005 because other branches may add 0004.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  const s = db.schema.withSchema('efi');
  await s
    .alterTable('runs')
    .addColumn('load_statement_id', 'text')
    .addColumn('transform_statement_id', 'text')
    .addColumn('load_committed', 'boolean')
    .addColumn('transform_committed', 'boolean')
    .addColumn('notify_error', 'text')
    .execute();
  await s
    .alterTable('executions')
    .addColumn('owner_host', 'text')
    .addColumn('owner_pid', 'integer')
    .addColumn('owner_token', 'text')
    .addColumn('heartbeat_at', 'timestamptz')
    .execute();
  await s.alterTable('outbox').addColumn('idempotency_key', 'text').execute();
  await sql`create unique index outbox_idempotency_key_idx on efi.outbox (idempotency_key)`.execute(db);
}

export async function down(db: Db): Promise<void> {
  const s = db.schema.withSchema('efi');
  await sql`drop index if exists efi.outbox_idempotency_key_idx`.execute(db);
  await s.alterTable('outbox').dropColumn('idempotency_key').execute();
  await s
    .alterTable('executions')
    .dropColumn('owner_host')
    .dropColumn('owner_pid')
    .dropColumn('owner_token')
    .dropColumn('heartbeat_at')
    .execute();
  await s
    .alterTable('runs')
    .dropColumn('load_statement_id')
    .dropColumn('transform_statement_id')
    .dropColumn('load_committed')
    .dropColumn('transform_committed')
    .dropColumn('notify_error')
    .execute();
}
