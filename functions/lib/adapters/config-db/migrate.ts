import { type Kysely, type MigrationResult, Migrator, sql } from 'kysely';
import { migrations } from '../../../../sql/migrations/index.ts';
import { classifyError, TransientError } from '../../errors.ts';
import type { EfiDatabase } from './schema.ts';

/**
 * Brings the config/audit schema to the latest migration. Safe at every
 * process start: Kysely takes an advisory lock, so concurrent cold starts
 * migrate once; and a process remembers which databases it has already
 * migrated, so warm calls cost nothing.
 */

export const MIGRATION_SCHEMA = 'efi';
export const MIGRATION_TABLE = 'migrations';
export const MIGRATION_LOCK_TABLE = 'migrations_lock';

const migrated = new WeakMap<object, Promise<MigrationResult[]>>();

export function migrateToLatest(db: Kysely<EfiDatabase>): Promise<MigrationResult[]> {
  let p = migrated.get(db);
  if (!p) {
    p = runMigrations(db);
    migrated.set(db, p);
    p.catch(() => migrated.delete(db));
  }
  return p;
}

/** The migrator over the in-code migration list (exported for `efi` diagnostics and tests). */
export function createMigrator(db: Kysely<EfiDatabase>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: MIGRATION_SCHEMA,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

async function runMigrations(db: Kysely<EfiDatabase>): Promise<MigrationResult[]> {
  // Fast path for every process after the first (each CLI command): one read
  // instead of the Migrator's lock table, lock and per-migration bookkeeping.
  if (await allApplied(db)) return [];
  const { error, results } = await createMigrator(db).migrateToLatest();
  const applied = results ?? [];
  if (error) {
    // A dropped connection is worth a retry; a broken migration is not.
    const classified = classifyError(error);
    if (classified instanceof TransientError) throw classified;
    const failed = applied.find((r) => r.status === 'Error');
    const what = failed ? `migration ${failed.migrationName} failed` : 'migrating the config database failed';
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return applied;
}

/** Whether every in-code migration is recorded as applied (false when the table does not exist yet). */
async function allApplied(db: Kysely<EfiDatabase>): Promise<boolean> {
  try {
    const r = await sql<{
      name: string;
    }>`select name from ${sql.table(`${MIGRATION_SCHEMA}.${MIGRATION_TABLE}`)}`.execute(db);
    const done = new Set(r.rows.map((x) => x.name));
    return Object.keys(migrations).every((m) => done.has(m));
  } catch {
    return false;
  }
}
