import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderResult } from '../../../cli/commands/sql.ts';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import {
  createPostgresWarehouse,
  type PostgresWarehouse,
} from '../../../functions/lib/adapters/postgres/postgres-warehouse.ts';

const pgUrl = inject('pgUrl');

const QUERY = `SELECT DATE '2026-11-05' AS d, TIMESTAMP '2026-11-05 23:30:00' AS ts, 1.50::numeric(6,2) AS n,
  NULL::text AS nothing, '' AS empty, 'a,"b"' AS tricky, 1 AS a, 2 AS a`;

function defineSqlOutput(
  leg: string,
  open: (root: string) => Promise<{ wh: PostgresWarehouse; release(): Promise<void> }>,
) {
  describe(`efi sql output on ${leg}`, () => {
    let root: string;
    let opened: { wh: PostgresWarehouse; release(): Promise<void> };

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-sql-'));
      opened = await open(root);
    });
    afterAll(async () => {
      try {
        if (opened) await opened.release();
      } finally {
        if (root) await fs.rm(root, { recursive: true, force: true });
      }
    });

    it('renders dates and timestamps as the warehouse does (no time-zone shift) and keeps duplicate column names', async () => {
      const r = await opened.wh.queryText(QUERY);
      expect(r.columns.map((c) => c.name)).toEqual(['d', 'ts', 'n', 'nothing', 'empty', 'tricky', 'a', 'a']);
      expect(r.rows).toEqual([['2026-11-05', '2026-11-05 23:30:00', '1.50', null, '', 'a,"b"', '1', '2']]);
      const shown = renderResult(r, 'table');
      expect(shown.split('\n')[0]).toMatch(/^d\s+ts\s+n\s+nothing\s+empty\s+tricky\s+a\s+a$/);
      expect(shown).toContain('2026-11-05  2026-11-05 23:30:00  1.50  NULL');
      expect(shown).toContain('(1 row)');
    });

    it('prints --json as columns and rows of text, and --csv with NULL empty and "" for the empty string', async () => {
      const r = await opened.wh.queryText(QUERY);
      expect(JSON.parse(renderResult(r, 'json'))).toEqual({
        columns: ['d', 'ts', 'n', 'nothing', 'empty', 'tricky', 'a', 'a'],
        rows: [['2026-11-05', '2026-11-05 23:30:00', '1.50', null, '', 'a,"b"', '1', '2']],
      });
      expect(renderResult(r, 'csv')).toBe(
        'd,ts,n,nothing,empty,tricky,a,a\n2026-11-05,2026-11-05 23:30:00,1.50,,"","a,""b""",1,2',
      );
    });

    it('renders TIMESTAMPTZ in UTC, DATE in ISO and intervals as Redshift does whatever the session was set to before', async () => {
      // A database's own defaults (ALTER DATABASE ... SET) or an earlier efi sql on the same session.
      await opened.wh.queryText(
        "SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'sql_standard'",
      );
      const r = await opened.wh.queryText(
        "SELECT TIMESTAMPTZ '2026-11-05 01:02:03+02' AS tz, DATE '2026-11-05' AS d, INTERVAL '1 day 2 hours' AS iv",
      );
      expect(r.rows).toEqual([['2026-11-04 23:02:03+00', '2026-11-05', '1 day 02:00:00']]);
    });

    it('prints the last result of several statements, and ok for a statement without rows', async () => {
      expect(renderResult(await opened.wh.queryText('CREATE TEMP TABLE x (i int)'), 'table')).toBe('ok');
      const r = await opened.wh.queryText('SELECT 1 AS one; SELECT 2 AS two');
      expect(r.columns.map((c) => c.name)).toEqual(['two']);
      expect(r.rows).toEqual([['2']]);
    });
  });
}

defineSqlOutput('PGlite', async (root) => {
  const dataDir = path.join(root, 'pglite');
  const wh = await createPostgresWarehouse({ kind: 'pglite', dataDir }, new FsObjectStore(path.join(root, 's3')));
  return {
    wh,
    async release() {
      await wh.close();
      await closePglite(dataDir);
    },
  };
});

describe('efi sql on a PGlite home made by an earlier run', () => {
  it("prints arrays of the database's own types (an enum[]) as text, like every other value", async () => {
    // PGlite learns the database's array types when it opens, and then parsed them into JS arrays.
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-sql-types-'));
    const dataDir = path.join(root, 'pglite');
    const open = () => createPostgresWarehouse({ kind: 'pglite', dataDir }, new FsObjectStore(path.join(root, 's3')));
    try {
      const first = await open();
      await first.queryText(
        "CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE e (m mood, ms mood[]); INSERT INTO e VALUES ('ok', '{ok,sad}')",
      );
      await first.close();
      await closePglite(dataDir);
      const again = await open();
      expect((await again.queryText('SELECT m, ms FROM e')).rows).toEqual([['ok', '{ok,sad}']]);
      await again.close();
    } finally {
      await closePglite(dataDir);
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!pgUrl)('PostgreSQL server leg', () => {
  defineSqlOutput('a PostgreSQL server', async (root) => {
    const wh = await createPostgresWarehouse(
      { kind: 'postgres', url: pgUrl! },
      new FsObjectStore(path.join(root, 's3')),
    );
    return { wh, release: () => wh.close() };
  });
  // A server whose sessions start in another time zone and date style (postgresql.conf, ALTER DATABASE).
  defineSqlOutput('a PostgreSQL server set to America/New_York and DateStyle SQL, DMY', async (root) => {
    const u = new URL(pgUrl!);
    u.searchParams.set('options', '-c TimeZone=America/New_York -c DateStyle=SQL,DMY -c IntervalStyle=sql_standard');
    const wh = await createPostgresWarehouse(
      { kind: 'postgres', url: u.toString() },
      new FsObjectStore(path.join(root, 's3')),
    );
    return { wh, release: () => wh.close() };
  });
});
