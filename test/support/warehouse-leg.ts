import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FsObjectStore } from '../../functions/lib/adapters/fs/object-store-fs.ts';
import { closePglite } from '../../functions/lib/adapters/postgres/pglite.ts';
import {
  createPostgresWarehouse,
  type PostgresWarehouse,
} from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';

/**
 * One warehouse leg (PGlite, a PostgreSQL server) for the suites that run on
 * every leg: the warehouse contract and the COPY fidelity suite.
 */
export interface Leg {
  wh: PostgresWarehouse;
  /** Releases the leg's database (after the suite's own clean-up ran through `wh`). */
  release(): Promise<void>;
}

export type OpenLeg = (store: FsObjectStore, root: string) => Promise<Leg>;

/**
 * A time zone for the local sessions other than Redshift's UTC, as on a
 * developer's laptop: the fidelity suite runs in it, so a load that read
 * values in the session's zone would load other instants than Redshift.
 */
export const LOCAL_TIME_ZONE = 'America/New_York';

/** An embedded PGlite in the suite's temp root (its one session in `timeZone` when given). */
export const pgliteLeg: OpenLeg = (store, root) => openPgliteLeg(store, root, null);

export const pgliteLegIn =
  (timeZone: string): OpenLeg =>
  (store, root) =>
    openPgliteLeg(store, root, timeZone);

async function openPgliteLeg(store: FsObjectStore, root: string, timeZone: string | null): Promise<Leg> {
  const dataDir = path.join(root, 'pglite');
  const wh = await createPostgresWarehouse({ kind: 'pglite', dataDir }, store);
  if (timeZone !== null) await wh.query(`SET TimeZone = '${timeZone}'`);
  return {
    wh,
    async release() {
      await wh.close();
      // The adapter never closes the shared instance; the suite opened it, so it does.
      await closePglite(dataDir);
    },
  };
}

/** The test run's PostgreSQL server (`inject('pgUrl')`), every session in `timeZone` when given. */
export function postgresLeg(url: string, timeZone?: string): OpenLeg {
  return async (store) => {
    const u = new URL(url);
    if (timeZone) u.searchParams.set('options', `-c TimeZone=${timeZone}`);
    const wh = await createPostgresWarehouse({ kind: 'postgres', url: u.toString() }, store);
    return { wh, release: () => wh.close() };
  };
}

export interface OpenWarehouseLeg {
  /** A schema of the suite's own: the PostgreSQL leg shares one server with other test files. */
  readonly schema: string;
  readonly wh: PostgresWarehouse;
  readonly store: FsObjectStore;
}

/**
 * Opens the leg before the suite's tests (temp root, folder object store, the
 * schema) and drops and removes it all after; call it inside a `describe`.
 */
export function useWarehouseLeg(prefix: string, open: OpenLeg): OpenWarehouseLeg {
  const schema = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let root: string | undefined;
  let store: FsObjectStore | undefined;
  let opened: Leg | undefined;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), `efi-${prefix}-`));
    store = new FsObjectStore(path.join(root, 's3'));
    opened = await open(store, root);
    await opened.wh.query(`CREATE SCHEMA ${schema}`);
  });

  afterAll(async () => {
    try {
      if (opened) {
        await opened.wh.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await opened.release();
      }
    } finally {
      if (root) await fs.rm(root, { recursive: true, force: true });
    }
  });

  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the warehouse leg is opened in beforeAll: use it inside a test or a hook');
    return v;
  };
  return {
    schema,
    get wh() {
      return ready(opened).wh;
    },
    get store() {
      return ready(store);
    },
  };
}
