import fs from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { PGlite, Results, Transaction } from '@electric-sql/pglite';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ObjectNotFound } from '../../errors.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { LoadPart, TextQueryResult } from '../../ports/warehouse.ts';

/**
 * One connection interface over the two PostgreSQL drivers the local warehouse
 * runs on, differing where they must: PGlite bulk-loads from a Blob through
 * `COPY ... FROM '/dev/blob'` (its COPY FROM STDIN kills the instance), a real
 * server streams through pg-copy-streams' COPY FROM STDIN.
 */

export interface PgResult {
  columns: string[];
  rows: Record<string, unknown>[];
  /** Rows affected (INSERT/UPDATE/DELETE/COPY) or returned. */
  rowCount: number;
}

/** A session inside one open transaction. */
export interface PgSession {
  query(sql: string, params?: unknown[]): Promise<PgResult>;
  /** Runs SQL text that may hold several statements (no parameters); returns the last result. */
  exec(sql: string): Promise<PgResult>;
  /**
   * Copies one part into `into` (`table (cols)`, already quoted) with the given
   * `WITH (...)` options; returns the rows copied. `transform`, when given,
   * makes the stream the part's bytes pass through on their way to COPY.
   */
  copyPart(into: string, optionsSql: string, part: LoadPart, transform?: () => Transform): Promise<number>;
  /** The part's uncompressed bytes (to locate a rejected row after a failed COPY). */
  readPart(part: LoadPart): Promise<Readable>;
}

export interface PgConnection {
  readonly kind: 'pglite' | 'postgres';
  /** Autocommit query. */
  query(sql: string, params?: unknown[]): Promise<PgResult>;
  /** Autocommit multi-statement SQL; returns the last result. */
  exec(sql: string): Promise<PgResult>;
  /** As exec, every value as the server's text and rows as arrays (duplicate column names kept). */
  execText(sql: string): Promise<TextQueryResult>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (session: PgSession) => Promise<T>): Promise<T>;
  /** Releases what this connection opened (never a shared PGlite instance). */
  close(): Promise<void>;
}

// ------------------------------------------------------------------ PGlite

/** A connection over a PGlite instance this module does not own (it is shared with the config DB). */
export function pgliteConnection(db: PGlite, store: ObjectStore): PgConnection {
  return {
    kind: 'pglite',
    query: async (sql, params) => fromPglite(await db.query(sql, params ?? [])),
    exec: async (sql) => lastPglite(await db.exec(sql)),
    execText: async (sql) => textPglite(await db.exec(sql, { rowMode: 'array', parsers: PGLITE_TEXT_PARSERS })),
    transaction: (fn) => db.transaction((tx) => fn(pgliteSession(tx, store))),
    close: async () => {},
  };
}

function pgliteSession(tx: Transaction, store: ObjectStore): PgSession {
  return {
    query: async (sql, params) => fromPglite(await tx.query(sql, params ?? [])),
    exec: async (sql) => lastPglite(await tx.exec(sql)),
    readPart: (part) => partStream(part, store),
    async copyPart(into, optionsSql, part, transform) {
      const blob = await partBlob(part, store, transform?.());
      const r = await tx.query(`COPY ${into} FROM '/dev/blob' WITH (${optionsSql})`, [], { blob });
      return r.affectedRows ?? 0;
    },
  };
}

/**
 * The part as a Blob for PGlite, which reads a Blob whole into its memory, so
 * memory is bounded by the part size (Preprocess sizes parts), never the file.
 * An uncompressed part in a local folder store is handed over file-backed.
 */
async function partBlob(part: LoadPart, store: ObjectStore, transform?: Transform): Promise<Blob> {
  const local = part.compression === 'none' && !transform ? store.localPath(part.bucket, part.key) : null;
  if (local) {
    try {
      // openAsBlob's own error says only "Unable to open file as blob".
      await fs.promises.access(local, fs.constants.R_OK);
      return await fs.openAsBlob(local);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ObjectNotFound(`load part s3://${part.bucket}/${part.key} does not exist`);
      }
      throw e;
    }
  }
  const chunks: Buffer[] = [];
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  };
  const source = await partStream(part, store);
  await (transform ? pipeline(source, transform, collect) : pipeline(source, collect));
  return new Blob(chunks);
}

function fromPglite(r: Results): PgResult {
  return {
    columns: r.fields.map((f) => f.name),
    rows: r.rows as Record<string, unknown>[],
    rowCount: r.affectedRows ?? r.rows.length,
  };
}

function lastPglite(results: Results[]): PgResult {
  const last = results.at(-1);
  return last ? fromPglite(last) : { columns: [], rows: [], rowCount: 0 };
}

/**
 * Identity parsers for every built-in type oid (user types have no default
 * parser): PGlite merges `parsers` by key, so each oid is listed.
 */
const PGLITE_TEXT_PARSERS: Record<number, (v: string) => string> = Object.fromEntries(
  Array.from({ length: 16384 }, (_, oid) => [oid, (v: string) => v]),
);

function textPglite(results: Results[]): TextQueryResult {
  const last = results.at(-1);
  if (!last) return { columns: [], rows: [] };
  return {
    columns: last.fields.map((f) => ({ name: f.name, type: f.dataTypeID })),
    rows: last.rows as unknown as (string | null)[][],
  };
}

function textPg(r: pg.QueryResult | pg.QueryResult[]): TextQueryResult {
  const last = Array.isArray(r) ? r.at(-1) : r;
  if (!last) return { columns: [], rows: [] };
  return {
    columns: (last.fields ?? []).map((f) => ({ name: f.name, type: f.dataTypeID })),
    rows: last.rows as unknown as (string | null)[][],
  };
}

// ------------------------------------------------------------------ PostgreSQL server

/** A connection over a pg pool; `ownsPool` says whether close() ends it. */
export function pgPoolConnection(pool: pg.Pool, store: ObjectStore, ownsPool: boolean): PgConnection {
  return {
    kind: 'postgres',
    query: async (sql, params) => fromPg(await pool.query(sql, params ?? [])),
    exec: async (sql) => lastPg(await pool.query(sql)),
    execText: async (sql) =>
      textPg(await pool.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } })),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(pgSession(client, store));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: drop it from the pool rather than hand it out again.
          broken = rollbackError as Error;
        }
        throw e;
      } finally {
        client.release(broken);
      }
    },
    close: async () => {
      if (ownsPool) await pool.end();
    },
  };
}

function pgSession(client: pg.PoolClient, store: ObjectStore): PgSession {
  return {
    query: async (sql, params) => fromPg(await client.query(sql, params ?? [])),
    exec: async (sql) => lastPg(await client.query(sql)),
    readPart: (part) => partStream(part, store),
    async copyPart(into, optionsSql, part, transform) {
      const source = await partStream(part, store);
      const copy = client.query(copyFrom(`COPY ${into} FROM STDIN WITH (${optionsSql})`));
      const through = transform?.();
      await (through ? pipeline(source, through, copy) : pipeline(source, copy));
      return copy.rowCount;
    },
  };
}

function fromPg(r: pg.QueryResult): PgResult {
  return {
    columns: (r.fields ?? []).map((f) => f.name),
    rows: r.rows as Record<string, unknown>[],
    rowCount: r.rowCount ?? r.rows.length,
  };
}

function lastPg(r: pg.QueryResult | pg.QueryResult[]): PgResult {
  // pg returns an array when the text held several statements.
  const last = Array.isArray(r) ? r.at(-1) : r;
  return last ? fromPg(last) : { columns: [], rows: [], rowCount: 0 };
}

// ------------------------------------------------------------------ parts

/** The part's uncompressed bytes as a stream. */
async function partStream(part: LoadPart, store: ObjectStore): Promise<Readable> {
  const raw = await store.get(part.bucket, part.key);
  if (part.compression === 'none') return raw;
  const gunzip = createGunzip();
  // pipeline destroys both streams when either fails, so the error reaches the
  // consumer through `gunzip` and the file handle is never leaked; the
  // consumer's own pipeline reports it, hence the swallowed rejection here.
  pipeline(raw, gunzip).catch(() => {});
  return gunzip;
}
