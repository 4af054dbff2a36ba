import type { PGlite } from '@electric-sql/pglite';

/**
 * A `pg.Pool`-shaped facade over the native PGlite API, for Kysely's
 * PostgresDialect. `pg` over PGlite's wire-protocol adapter breaks as soon as
 * another caller (the local warehouse) queries the same single session
 * between its Parse/Bind/Execute messages ("portal does not exist"); native
 * `query()` calls are each atomic and wait for any open `transaction()`.
 * Kysely gets one connection at a time (the session is single anyway).
 */
export interface PglitePool {
  connect(): Promise<PgliteClient>;
  end(): Promise<void>;
}

interface PgliteClient {
  query(sql: string, params?: readonly unknown[]): Promise<{ command: string; rowCount: number; rows: unknown[] }>;
  release(): void;
}

export function pglitePool(db: PGlite): PglitePool {
  let held: Promise<void> = Promise.resolve();
  return {
    async connect() {
      let release!: () => void;
      const previous = held;
      held = new Promise<void>((r) => {
        release = r;
      });
      await previous;
      let released = false;
      return {
        async query(sql, params = []) {
          const r = await db.query(sql, params as unknown[]);
          return {
            command: (/^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)?.[1] ?? '').toUpperCase(),
            rowCount: r.affectedRows ?? r.rows.length,
            rows: r.rows,
          };
        },
        release() {
          if (!released) {
            released = true;
            release();
          }
        },
      };
    },
    async end() {
      // PGlite is shared with the warehouse and closed by its owner (db/pglite.ts).
    },
  };
}
