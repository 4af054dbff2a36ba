import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryWriter } from '../../../cli/local/history-writer.ts';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { migrateToLatest } from '../../../functions/lib/adapters/config-db/migrate.ts';
import type { EfiDatabase } from '../../../functions/lib/adapters/config-db/schema.ts';
import { closePglite } from '../../../functions/lib/adapters/postgres/pglite.ts';
import type { Settings } from '../../../functions/lib/settings.ts';

let dir: string;
let cfg: Settings['configDb'];
let db: Kysely<EfiDatabase>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-history-'));
  cfg = { kind: 'pglite', dataDir: path.join(dir, 'pglite') };
  db = await openConfigDb(cfg);
  await migrateToLatest(db);
});

afterAll(async () => {
  await closeConfigDb(cfg);
  if (cfg.kind === 'pglite') await closePglite(cfg.dataDir);
  fs.rmSync(dir, { recursive: true, force: true });
});

const events = (id: string) =>
  db
    .selectFrom('efi.execution_events')
    .select(['seq', 'type', 'state_name'])
    .where('execution_id', '=', id)
    .orderBy('seq')
    .execute();

describe('HistoryWriter', () => {
  it('after close, a Task the library abandoned (abort, timeout) writes no exit: its seq stays free for a redrive', async () => {
    const id = 'exec-closed';
    const w = new HistoryWriter(db, id, 0, 0, () => {});
    await w.append({ type: 'StateEntered', state: 'ValidateFile', input: {}, at: Date.now() });
    await w.append({ type: 'ExecutionAborted', state: null, at: Date.now() });
    await w.flush();
    w.close();
    // The abandoned handler finishes late and reports its exit.
    await w.exited('ValidateFile', { Type: 'Task' }, { ok: true });
    await w.flush();
    expect(await events(id)).toEqual([
      { seq: 1, type: 'StateEntered', state_name: 'ValidateFile' },
      { seq: 2, type: 'ExecutionAborted', state_name: null },
    ]);
    // A redrive's writer continues from the persisted history without a clash.
    const redrive = new HistoryWriter(db, id, 1, 2, () => {});
    await redrive.append({ type: 'ExecutionRedriven', state: null, at: Date.now() });
    await redrive.flush();
    expect((await events(id)).map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});
