import fs from 'node:fs';
import { type Readable, Transform } from 'node:stream';
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
 * runs on, differing where they must: PGlite bulk-loads bytes in memory from a
 * file in its in-memory /tmp (or a Blob through `COPY ... FROM '/dev/blob'`;
 * its COPY FROM STDIN kills the instance), a real server streams through
 * pg-copy-streams' COPY FROM STDIN.
 *
 * A statement's transaction can be stopped (`StatementControl`): every call
 * of its session checks the signal first, so a cancelled statement rolls back
 * at its next step. PGlite runs in this thread and a COPY blocks it, so a part
 * is fed to PGlite in record-aligned chunks (several COPYs in the one
 * transaction) with the signal checked between them: a cancel takes effect
 * within one chunk. On a server the canceller also ends the running query
 * (`cancelBackend`, pg_cancel_backend of the pid `onBackend` reported).
 */

/** How a running statement is stopped and watched. */
export interface StatementControl {
  signal: AbortSignal;
  /** Called with the server backend pid once the transaction is open (servers only). */
  onBackend?(pid: number): void | Promise<void>;
  /** Called as bytes (uncompressed, as given to COPY) and rows reach the warehouse. */
  onProgress?(bytes: number, rows: number): void | Promise<void>;
  /** Called once, right before COMMIT: past this point a cancel no longer stops the statement. */
  onCommitting?(): void;
  /**
   * A dry run (`efi check`): the transaction is rolled back when `fn` resolves
   * instead of committed, so nothing it did is ever visible to anyone.
   */
  rollbackOnly?: boolean;
  /** Where the session reads load parts from, when not the connection's store (a dry run's parts are in memory). */
  parts?: ObjectStore;
}

/** Bytes of a part given to one PGlite COPY: the longest a cancel waits (~0.4 s at PGlite's ~40 MB/s). */
export const PGLITE_COPY_CHUNK_BYTES = 16 * 1024 * 1024;

export interface PgResult {
  columns: string[];
  rows: Record<string, unknown>[];
  /** Rows affected (INSERT/UPDATE/DELETE/COPY) or returned. */
  rowCount: number;
}

/**
 * Looks at the bytes COPY is about to read, untransformed (each buffer once,
 * with the few bytes before it); throws to stop the COPY when the part needs
 * a per-record transform after all (the caller rolls the part back and
 * copies it again through one).
 */
export type SliceProbe = (bytes: Buffer) => void;

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
  copyPart(
    into: string,
    optionsSql: string,
    part: LoadPart,
    transform?: () => Transform,
    probe?: SliceProbe,
  ): Promise<number>;
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
  /**
   * Runs `fn` in one transaction: committed when it resolves (rolled back
   * instead with `control.rollbackOnly`), rolled back when it throws or
   * `control.signal` aborts before COMMIT.
   */
  transaction<T>(fn: (session: PgSession) => Promise<T>, control?: StatementControl): Promise<T>;
  /** Cancels the query a server backend is running (pg_cancel_backend); a no-op on PGlite. */
  cancelBackend(pid: number): Promise<void>;
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
    execText: async (sql) => {
      await db.exec(AS_REDSHIFT_RENDERING);
      // PGlite parses arrays of the database's own types (an enum[]) into JS arrays: text for those too.
      const own = await db.query<{ oid: number }>('SELECT oid::int AS oid FROM pg_type WHERE oid >= 16384');
      const parsers = { ...PGLITE_TEXT_PARSERS, ...Object.fromEntries(own.rows.map((r) => [r.oid, asText])) };
      return textPglite(await db.exec(sql, { rowMode: 'array', parsers }));
    },
    transaction: (fn, control) =>
      db.transaction(async (tx) => {
        const result = await fn(pgliteSession(tx, control?.parts ?? store, control, memfsOf(db)));
        if (control?.rollbackOnly) {
          // PGlite commits a transaction its callback did not close: close it by rolling back.
          await tx.rollback();
          return result;
        }
        control?.signal.throwIfAborted();
        control?.onCommitting?.();
        return result;
      }),
    cancelBackend: async () => {},
    close: async () => {},
  };
}

function pgliteSession(
  tx: Transaction,
  store: ObjectStore,
  control?: StatementControl,
  memfs: PgliteMemfs | null = null,
): PgSession {
  const check = () => control?.signal.throwIfAborted();
  // One COPY of bytes already in memory: from a file in PGlite's in-memory file system when it has one.
  const copyBytes = (into: string, optionsSql: string, bytes: Buffer) =>
    memfs
      ? memfs.copy(tx, into, optionsSql, bytes)
      : tx.query(`COPY ${into} FROM '/dev/blob' WITH (${optionsSql})`, [], { blob: new Blob([bytes]) });
  return {
    query: async (sql, params) => {
      check();
      return fromPglite(await tx.query(sql, params ?? []));
    },
    exec: async (sql) => {
      check();
      return lastPglite(await tx.exec(sql));
    },
    readPart: (part) => partStream(part, store),
    async copyPart(into, optionsSql, part, transform, probe) {
      check();
      const copySql = `COPY ${into} FROM '/dev/blob' WITH (${optionsSql})`;
      if (!transform && part.compression === 'none' && part.cuts) {
        return copySlices(part, store, probe, async (slice, rowsBefore) => {
          check();
          try {
            const r = await copyBytes(into, optionsSql, slice);
            await control?.onProgress?.(slice.length, r.affectedRows ?? 0);
            return r.affectedRows ?? 0;
          } catch (e) {
            if (control?.signal.aborted) throw e;
            throw shiftCopyLine(e, rowsBefore);
          }
        });
      }
      const quote = copyQuoteOf(optionsSql);
      if (quote === undefined) {
        // No safe record boundary to cut at (an ESCAPE other than the quote): one COPY of the whole part.
        const blob = await partBlob(part, store, transform?.());
        const r = await tx.query(copySql, [], { blob });
        // The part's own bytes, not the rewrite's (appended lineage, canonical CSV): they add up to the total.
        await control?.onProgress?.(part.bytes, r.affectedRows ?? 0);
        return r.affectedRows ?? 0;
      }
      let rows = 0;
      // Progress counts the part's own bytes, read before any rewrite makes them longer (appended lineage,
      // canonical CSV), so they add up to the total; each COPYed chunk reports those read since the last.
      let read = 0;
      let reported = 0;
      const copyChunk = async (chunk: Buffer) => {
        check();
        try {
          const r = await copyBytes(into, optionsSql, chunk);
          rows += r.affectedRows ?? 0;
          const bytes = read - reported;
          reported = read;
          await control?.onProgress?.(bytes, r.affectedRows ?? 0);
        } catch (e) {
          if (control?.signal.aborted) throw e;
          // PostgreSQL numbers the rows of this COPY: make it the row number within the part.
          throw shiftCopyLine(e, rows);
        }
      };
      const source = await partStream(part, store);
      const through = transform?.();
      const chunker = new RecordChunker(quote, PGLITE_COPY_CHUNK_BYTES);
      // The COPY's own error, not the AbortError pipeline may report for the streams it then tears down.
      let failure: unknown = null;
      const consume = async (input: AsyncIterable<Buffer>) => {
        try {
          for await (const buf of input) {
            // A transform probes its own input (PartTransformOptions.probe).
            if (!through) probe?.(buf);
            for (const chunk of chunker.push(buf)) await copyChunk(chunk);
          }
          const rest = chunker.end();
          if (rest.length > 0) await copyChunk(rest);
          // Bytes read after the last chunk (a rewrite's record-less tail) are done too.
          if (read > reported) await control?.onProgress?.(read - reported, 0);
        } catch (e) {
          failure ??= e;
          throw e;
        }
      };
      const counted = byteCounter((n) => {
        read += n;
      });
      try {
        await (through ? pipeline(source, counted, through, consume) : pipeline(source, counted, consume));
      } catch (e) {
        throw failure ?? e;
      }
      return rows;
    },
  };
}

/** What of PGlite's Emscripten file system a COPY from memory uses (`PGlite.Module.FS`). */
interface EmscriptenFs {
  writeFile(path: string, data: Uint8Array, opts: { canOwn: boolean }): void;
  unlink(path: string): void;
}

interface PgliteMemfs {
  copy(tx: Transaction, into: string, optionsSql: string, bytes: Buffer): Promise<Results>;
}

let memfsFiles = 0;

/**
 * COPY of bytes in memory through a file in PGlite's in-memory /tmp: the file
 * takes the buffer as its contents (no copy) and COPY reads it with typed-array
 * copies, where `/dev/blob` copies the Blob twice and then byte by byte in JS
 * (~0.3 s of 1.8 s for 100 MB). The file is removed once the COPY ends. Null
 * when the instance has no such file system (the Blob path is used).
 */
function memfsOf(db: PGlite): PgliteMemfs | null {
  let fsys: EmscriptenFs | undefined;
  try {
    fsys = (db.Module as unknown as { FS?: EmscriptenFs }).FS;
  } catch {
    return null;
  }
  if (!fsys || typeof fsys.writeFile !== 'function' || typeof fsys.unlink !== 'function') return null;
  const fs = fsys;
  return {
    async copy(tx, into, optionsSql, bytes) {
      const file = `/tmp/efi-copy-${process.pid}-${++memfsFiles}.dat`;
      fs.writeFile(file, bytes, { canOwn: true });
      try {
        return await tx.query(`COPY ${into} FROM ${quotePath(file)} WITH (${optionsSql})`);
      } finally {
        fs.unlink(file);
      }
    },
  };
}

function quotePath(path: string): string {
  return `'${path.replace(/'/g, "''")}'`;
}

/**
 * COPY of a part at the record-aligned cuts ValidateFile found (no scan of
 * the bytes here): each slice is read from the object and handed to `copy`
 * whole; `probe` sees every slice first. Returns the rows copied.
 */
async function copySlices(
  part: LoadPart,
  store: ObjectStore,
  probe: SliceProbe | undefined,
  copy: (slice: Buffer, rowsBefore: number) => Promise<number>,
): Promise<number> {
  const start = part.start ?? 0;
  const end = start + part.bytes;
  const bounds = [start, ...(part.cuts ?? []).filter((c) => c > start && c < end), end];
  const local = store.localPath(part.bucket, part.key);
  const handle = local ? await openPartFile(part, local) : null;
  let rows = 0;
  try {
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [a, b] = [bounds[i]!, bounds[i + 1]!];
      const slice = handle ? await readRange(handle, a, b) : await streamRange(part, store, a, b);
      probe?.(slice);
      rows += await copy(slice, rows);
    }
  } finally {
    await handle?.close();
  }
  return rows;
}

async function openPartFile(part: LoadPart, local: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(local, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ObjectNotFound(`load part s3://${part.bucket}/${part.key} does not exist`);
    }
    throw e;
  }
}

async function readRange(handle: fs.promises.FileHandle, a: number, b: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(b - a);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, a + got);
    if (bytesRead === 0)
      throw new ObjectNotFound(`load part ended at byte ${a + got}, before ${b}: the object changed`);
    got += bytesRead;
  }
  return buf;
}

async function streamRange(part: LoadPart, store: ObjectStore, a: number, b: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(part.bucket, part.key, { start: a, end: b - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The byte that quotes fields in a COPY option list (CSV: QUOTE, default `"`),
 * or undefined when an ESCAPE other than the quote makes quote counting
 * unreliable for finding record ends.
 */
export function copyQuoteOf(optionsSql: string): number | undefined {
  const literal = (option: string): string | null => {
    const m = new RegExp(`${option} E?'((?:[^'\\\\]|''|\\\\.)*)'`).exec(optionsSql);
    return m ? m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1') : null;
  };
  const quote = literal('QUOTE') ?? '"';
  const escapeChar = literal('ESCAPE') ?? quote;
  if (escapeChar !== quote || Buffer.byteLength(quote) !== 1) return undefined;
  return quote.charCodeAt(0);
}

/**
 * Cuts a CSV byte stream into chunks of about `target` bytes that end at a
 * record end: a newline outside quotes (an even number of quote bytes since
 * the chunk began, which starts at a record). A doubled quote inside a quoted
 * field counts twice, so parity holds. A record longer than `target` makes
 * a longer chunk.
 */
export class RecordChunker {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly quote: number,
    private readonly target: number,
  ) {}

  /** The chunks ready after `buf`. */
  push(buf: Buffer): Buffer[] {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    const out: Buffer[] = [];
    while (this.pendingBytes >= this.target) {
      const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      const cut = lastRecordEnd(all, this.quote);
      if (cut < 0) {
        this.pending = [all];
        break;
      }
      out.push(all.subarray(0, cut));
      const rest = all.subarray(cut);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      if (cut < this.target) break;
    }
    return out;
  }

  /** What is left once the stream ended. */
  end(): Buffer {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }
}

/** The offset just past the last newline outside quotes in `buf` (which starts outside quotes), or -1. */
export function lastRecordEnd(buf: Buffer, quote: number): number {
  let best = -1;
  let pos = 0;
  for (;;) {
    // Outside quotes: every newline before the next quote ends a record.
    const q = buf.indexOf(quote, pos);
    const end = q < 0 ? buf.length - 1 : q - 1;
    // (a negative offset would make lastIndexOf search from the end)
    const nl = end >= pos ? buf.lastIndexOf(10, end) : -1;
    if (nl >= pos) best = nl + 1;
    if (q < 0) return best;
    // Inside quotes until the next quote byte.
    const close = buf.indexOf(quote, q + 1);
    if (close < 0) return best;
    pos = close + 1;
  }
}

/** A COPY row error of a later chunk, renumbered to count the rows of the chunks before it. */
function shiftCopyLine(e: unknown, rowsBefore: number): unknown {
  if (rowsBefore === 0 || typeof e !== 'object' || e === null) return e;
  const err = e as { where?: unknown };
  if (typeof err.where === 'string') {
    err.where = err.where.replace(
      /(COPY \S+, line )(\d+)/,
      (_, head: string, n: string) => `${head}${Number(n) + rowsBefore}`,
    );
  }
  return e;
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
      // A part read in place is a byte range of the original.
      const start = part.start ?? 0;
      const blob = await fs.openAsBlob(local);
      return start === 0 && part.bytes === blob.size ? blob : blob.slice(start, start + part.bytes);
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
 * Session settings under which efi sql's text matches what Redshift prints: a
 * server (or a database, ALTER DATABASE ... SET) set to another time zone would
 * otherwise show TIMESTAMPTZ in it, and DateStyle 'SQL, DMY' DATE as 05/11/2026.
 * Session-level, not LOCAL: efi sql runs outside a transaction; the user's own
 * SET in the query still wins, as it comes after.
 */
export const AS_REDSHIFT_RENDERING = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'";

const asText = (v: string) => v;
/**
 * Identity parsers for every built-in type oid (user types have no default
 * parser): PGlite merges `parsers` by key, so each oid is listed.
 */
const PGLITE_TEXT_PARSERS: Record<number, (v: string) => string> = Object.fromEntries(
  Array.from({ length: 16384 }, (_, oid) => [oid, asText]),
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
    async execText(sql) {
      // One client for the settings and the query: pool.query could run them on two connections.
      const client = await pool.connect();
      let failed: Error | undefined;
      try {
        await client.query(AS_REDSHIFT_RENDERING);
        return textPg(
          await client.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } }),
        );
      } catch (e) {
        // The SQL may have left a transaction open (BEGIN; ...; error): never hand that connection out again.
        failed = e as Error;
        throw e;
      } finally {
        client.release(failed);
      }
    },

    async transaction(fn, control) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        if (control?.onBackend) {
          const r = await client.query('SELECT pg_backend_pid() AS pid');
          await control.onBackend(Number(r.rows[0]?.pid));
        }
        const result = await fn(pgSession(client, control?.parts ?? store, control));
        if (control?.rollbackOnly) {
          await client.query('ROLLBACK');
          return result;
        }
        control?.signal.throwIfAborted();
        control?.onCommitting?.();
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
    cancelBackend: async (pid) => {
      await pool.query('SELECT pg_cancel_backend($1)', [pid]);
    },
    close: async () => {
      if (ownsPool) await pool.end();
    },
  };
}

function pgSession(client: pg.PoolClient, store: ObjectStore, control?: StatementControl): PgSession {
  const check = () => control?.signal.throwIfAborted();
  return {
    query: async (sql, params) => {
      check();
      return fromPg(await client.query(sql, params ?? []));
    },
    exec: async (sql) => {
      check();
      return lastPg(await client.query(sql));
    },
    readPart: (part) => partStream(part, store),
    async copyPart(into, optionsSql, part, transform, probe) {
      check();
      const source = await partStream(part, store);
      const copy = client.query(copyFrom(`COPY ${into} FROM STDIN WITH (${optionsSql})`));
      const through = transform?.();
      // Bytes are counted as the part's own, before any rewrite (appended lineage, canonical CSV),
      // so they add up to the parts' bytes the progress total is; rows are known once the part's COPY ends.
      const streams: NodeJS.ReadWriteStream[] = control?.onProgress
        ? [byteCounter((n) => void control.onProgress?.(n, 0))]
        : [];
      if (through) streams.push(through);
      if (probe && !through) streams.push(probeStream(probe));
      await pipeline(source, ...(streams as [Transform]), copy);
      await control?.onProgress?.(0, copy.rowCount);
      return copy.rowCount;
    },
  };
}

function probeStream(probe: SliceProbe): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        probe(chunk);
        done(null, chunk);
      } catch (e) {
        done(e as Error);
      }
    },
  });
}

function byteCounter(report: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      report(chunk.length);
      done(null, chunk);
    },
  });
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
  // A part read in place is a byte range of its object (uncompressed by construction).
  const raw =
    part.start !== undefined
      ? await store.get(part.bucket, part.key, { start: part.start, end: part.start + part.bytes - 1 })
      : await store.get(part.bucket, part.key);
  if (part.compression === 'none') return raw;
  const gunzip = createGunzip();
  // pipeline destroys both streams when either fails, so the error reaches the
  // consumer through `gunzip` and the file handle is never leaked; the
  // consumer's own pipeline reports it, hence the swallowed rejection here.
  pipeline(raw, gunzip).catch(() => {});
  return gunzip;
}
