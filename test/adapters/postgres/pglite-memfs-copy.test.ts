import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { closePglite, openPglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import { pgliteConnection } from '../../../functions/lib/adapters/postgres/postgres-bulk-load.ts';
import type { LoadPart } from '../../../functions/lib/ports/warehouse.ts';

/**
 * PGlite COPYs bytes in memory (a slice at ValidateFile's cuts, a chunk of a
 * transformed part) from a file in its in-memory /tmp: the rows, their order
 * and a row error's line are as through `/dev/blob`, and no file is left
 * behind, whether the COPY succeeds or fails.
 */

interface Fs {
  readdir(path: string): string[];
  writeFile(path: string, data: Uint8Array, opts: { canOwn: boolean }): void;
}

let root: string;
let db: PGlite;
let store: FsObjectStore;
const fsOf = (pg: PGlite) => (pg.Module as unknown as { FS: Fs }).FS;
const leftovers = () =>
  fsOf(db)
    .readdir('/tmp')
    .filter((f) => f.startsWith('efi-copy-'));

// Records with a quoted line break and a doubled quote; cut every 3 records.
const records = Array.from({ length: 10 }, (_, i) => (i === 4 ? `${i + 1},"two\nlines, ""q"""` : `${i + 1},r${i + 1}`));
const text = `id,v\n${records.join('\n')}\n`;
const header = Buffer.byteLength('id,v\n');

function slicedPart(body: string): LoadPart {
  const bytes = Buffer.from(body);
  const cuts: number[] = [];
  let at = header;
  let n = 0;
  for (const r of records) {
    at += Buffer.byteLength(r) + 1;
    if (++n % 3 === 0 && at < bytes.length) cuts.push(at);
  }
  return {
    bucket: 'b',
    key: 'in.csv',
    compression: 'none',
    bytes: bytes.length - header,
    records: records.length,
    firstRecord: 1,
    start: header,
    cuts,
  };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-memfs-'));
  store = new FsObjectStore(path.join(root, 's3'));
  db = await openPglite(path.join(root, 'pglite'));
  await db.exec('CREATE TABLE t (id int, v text)');
});

afterAll(async () => {
  await closePglite(path.join(root, 'pglite'));
  await fs.rm(root, { recursive: true, force: true });
});

async function copy(conn: ReturnType<typeof pgliteConnection>, part: LoadPart, transform?: () => Transform) {
  await db.exec('TRUNCATE t');
  const rows = await conn.transaction((s) => s.copyPart('t (id, v)', `FORMAT csv, QUOTE E'"'`, part, transform), {
    signal: new AbortController().signal,
  });
  const loaded = await db.query<{ id: number; v: string }>('SELECT id, v FROM t ORDER BY id');
  return { rows, loaded: loaded.rows };
}

describe('PGlite COPY from its in-memory file system', () => {
  it('loads a part slice by slice at its cuts, each slice through a /tmp file removed after it', async () => {
    await store.put('b', 'in.csv', Readable.from([Buffer.from(text)]));
    const writes = vi.spyOn(fsOf(db), 'writeFile');
    const { rows, loaded } = await copy(pgliteConnection(db, store), slicedPart(text));
    expect(rows).toBe(10);
    expect(loaded.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(loaded[4]!.v).toBe('two\nlines, "q"');
    // Four slices (cuts after records 3, 6, 9), each its own file.
    expect(writes.mock.calls.filter(([f]) => String(f).startsWith('/tmp/efi-copy-'))).toHaveLength(4);
    writes.mockRestore();
    expect(leftovers()).toEqual([]);
  });

  it('loads the chunks of a transformed part the same way', async () => {
    const upper = () =>
      new Transform({
        transform(chunk: Buffer, _e, done) {
          done(null, Buffer.from(chunk.toString().replace(/r(\d+)/g, 'R$1')));
        },
      });
    const { rows, loaded } = await copy(pgliteConnection(db, store), slicedPart(text), upper);
    expect(rows).toBe(10);
    expect(loaded[9]!.v).toBe('R10');
    expect(leftovers()).toEqual([]);
  });

  it("reports a bad row with its line in the part, and removes the slice's file", async () => {
    const bad = text.replace('\n8,r8\n', '\nx,r8\n');
    await store.put('b', 'in.csv', Readable.from([Buffer.from(bad)]));
    const failed = await copy(pgliteConnection(db, store), slicedPart(bad)).catch((e: unknown) => e);
    // Record 8 is line 2 of the third slice; the session adds the 6 rows of the slices before it
    // (the executor maps that row number to the part's line, postgres-copy-line.ts).
    expect(String((failed as { where?: string }).where)).toMatch(/COPY t, line 8\b/);
    expect(String((failed as Error).message)).toMatch(/invalid input syntax for type integer: "x"/);
    expect(leftovers()).toEqual([]);
    await store.put('b', 'in.csv', Readable.from([Buffer.from(text)]));
  });

  it('falls back to /dev/blob when the instance has no Emscripten file system', async () => {
    const withoutFs = new Proxy(db, {
      get: (target, prop) => {
        if (prop === 'Module') return {};
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const writes = vi.spyOn(fsOf(db), 'writeFile');
    const { rows, loaded } = await copy(pgliteConnection(withoutFs, store), slicedPart(text));
    expect(rows).toBe(10);
    expect(loaded[4]!.v).toBe('two\nlines, "q"');
    expect(writes.mock.calls.filter(([f]) => String(f).startsWith('/tmp/efi-copy-'))).toHaveLength(0);
    writes.mockRestore();
  });
});
