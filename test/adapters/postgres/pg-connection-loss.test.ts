import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { createPgPool } from '../../../functions/lib/adapters/postgres/pg-pool.ts';
import { createPostgresWarehouse } from '../../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { DEFAULT_LOAD_OPTIONS } from '../../../functions/lib/config/model.ts';
import { classifyError, TransientError } from '../../../functions/lib/errors.ts';
import type { LoadSpec } from '../../../functions/lib/ports/warehouse.ts';

/**
 * Losing the PostgreSQL connection (the server stopped, the session killed)
 * is a transient failure the state's Retry handles, never a crashed process:
 * pg emits 'error' events that, unheard, Node turns into uncaught exceptions.
 */

const pgUrl = inject('pgUrl');

/** Waits for a condition on state, polling briefly; fails after `tries` polls instead of hanging. */
async function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  withinMs = 30_000,
): Promise<T> {
  // A deadline, not a count of tries: on a loaded machine a retry's backend comes later.
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** An object store whose parts stall after their first chunk until released, so a COPY is caught mid-stream. */
class StallingStore extends FsObjectStore {
  readonly streams: PassThrough[] = [];
  override async get(_bucket: string, _key: string): Promise<Readable> {
    const s = new PassThrough();
    s.write('1,first\n');
    this.streams.push(s);
    return s;
  }
}

describe.skipIf(!pgUrl)('a lost PostgreSQL connection', () => {
  let admin: pg.Client;
  let root: string;
  const schema = `loss_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: pgUrl! });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int, name text)`);
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-loss-'));
  });
  afterAll(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });

  /** Backend pids of this database's other sessions whose query text matches. */
  async function backends(like: string): Promise<number[]> {
    const r = await admin.query(
      `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE $1 AND state = 'active'`,
      [like],
    );
    return r.rows.map((row) => Number(row.pid));
  }

  it('a load whose COPY session is terminated is retried as transient, without an uncaught error', async () => {
    const store = new StallingStore(path.join(root, 's3'));
    const wh = await createPostgresWarehouse({ kind: 'postgres', url: pgUrl! }, store);
    try {
      const spec: LoadSpec = {
        runId: randomUUID(),
        sourceFile: 's3://landing/x.csv',
        targets: [
          {
            recordType: null,
            target: { schema, table: 't' },
            columns: [{ name: 'id' }, { name: 'name' }],
            lineage: { sourceFile: null, runId: null, loadedAt: null },
            format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
            options: { ...DEFAULT_LOAD_OPTIONS },
            parts: [{ bucket: 'landing', key: 'x.csv', compression: 'none', bytes: 8, records: 1, firstRecord: 1 }],
            manifest: null,
          },
        ],
      };
      // Submit returns once the statement is started (as the Data API); the load runs in the background.
      const { statementId } = await wh.submitLoad(spec, `token-${randomUUID()}`);
      const [pid] = await until(async () => {
        const pids = await backends('COPY%FROM STDIN%');
        return pids.length ? pids : null;
      }, 'the COPY to start');
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // A lost connection is transient: the load is tried again on a new backend, not failed.
      await until(async () => {
        const pids = await backends('COPY%FROM STDIN%');
        return pids.some((p) => p !== pid) ? pids : null;
      }, 'the COPY to be retried on a new backend');
      expect((await wh.describe(statementId)).status).toBe('STARTED');
      expect(uncaught).toEqual([]);
      // End the stalled part so the retried COPY can stop; the statement must settle, never hang.
      for (const st of store.streams) st.destroy(new Error('part stream ended by the test'));
      await wh.cancel(statementId, 'stopped by the test');
      expect(['ABORTED', 'FAILED']).toContain((await wh.describe(statementId, { waitMs: 30_000 })).status);
      // Nothing of the load is in the table, and the warehouse still works on a new connection.
      const n = await wh.query(`SELECT count(*)::int AS n FROM ${schema}.t`);
      expect(n.rows[0]?.['n']).toBe(0);
    } finally {
      for (const s of store.streams) s.destroy();
      await wh.close();
    }
  });

  it('an idle pooled connection whose backend is terminated is dropped, not thrown', async () => {
    const pool = createPgPool({ connectionString: pgUrl!, max: 1, application_name: 'efi-idle-loss' });
    try {
      await pool.query('SELECT 1');
      expect(pool.idleCount).toBe(1);
      // The pool's own event, not a count of event-loop turns: a loaded machine closes the socket later.
      const removed = new Promise((resolve) => pool.once('remove', resolve));
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'efi-idle-loss'`,
      );
      await removed;
      expect(pool.totalCount).toBe(0);
      expect(uncaught).toEqual([]);
      expect((await pool.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it('a checked-out connection lost between queries fails its next query EfiTransient', async () => {
    const pool = createPgPool({ connectionString: pgUrl!, max: 1, application_name: 'efi-busy-loss' });
    try {
      const client = await pool.connect();
      // Not events.once: it listens for 'error' itself, which would hide a missing listener.
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'efi-busy-loss'`,
      );
      await ended;
      const err = await client.query('SELECT 1').then(
        () => null,
        (e: unknown) => e,
      );
      client.release(err as Error);
      expect(classifyError(err)).toBeInstanceOf(TransientError);
      expect(uncaught).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('a pool does not keep the process alive once its clients are idle', async () => {
    const pool = createPgPool({ connectionString: pgUrl!, max: 1 });
    try {
      await pool.query('SELECT 1');
      expect(pool.options.allowExitOnIdle).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
