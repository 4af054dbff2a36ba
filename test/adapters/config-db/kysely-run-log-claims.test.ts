import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { KyselyRunLog } from '../../../functions/lib/adapters/config-db/kysely-run-log.ts';
import { migrateToLatest } from '../../../functions/lib/adapters/config-db/migrate.ts';
import type { EfiDatabase } from '../../../functions/lib/adapters/config-db/schema.ts';
import { createFreshDatabase } from '../../support/fresh-database.ts';

const pgUrl = inject('pgUrl');

/** Content claims are atomic in the database (issue 8, C8): real concurrent claims on PostgreSQL. */
describe.skipIf(!pgUrl)('KyselyRunLog content claims on PostgreSQL', () => {
  let db: Kysely<EfiDatabase>;
  let drop: () => Promise<void>;
  let url: string;
  let runs: KyselyRunLog;
  const content = { configId: 'sales.daily', etag: 'e1', sizeBytes: 1234 };
  const register = (runId: string) =>
    runs.register({
      runId,
      executionId: `x-${runId}`,
      bucket: 'b',
      key: `landing/${runId}.csv`,
      etag: 'e1',
      size: 1234,
      startedAt: new Date().toISOString(),
    });

  beforeAll(async () => {
    const fresh = await createFreshDatabase(pgUrl!);
    drop = fresh.drop;
    url = fresh.url;
    db = await openConfigDb({ kind: 'postgres', url });
    await migrateToLatest(db);
    runs = new KyselyRunLog(db);
  });
  afterAll(async () => {
    await closeConfigDb({ kind: 'postgres', url });
    await drop?.();
  });

  it('of 12 runs claiming the same content at once, exactly one owns it and all agree which', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${i}`);
    await Promise.all(ids.map(register));
    const owners = await Promise.all(ids.map((runId) => runs.claimContent({ ...content, runId })));
    const distinct = new Set(owners.map((o) => o.owner));
    expect(distinct.size).toBe(1);
    expect(ids).toContain([...distinct][0]);
  });

  it('a take-over succeeds once, only from the expected owner and status', async () => {
    const owner = (await runs.contentOwner(content))!;
    await runs.update(owner, { status: 'FINISHED' });
    await Promise.all(['t1', 't2', 't3'].map(register));
    const results = await Promise.all(
      ['t1', 't2', 't3'].map((to) =>
        runs.transferContent({ ...content, from: owner, fromStatus: 'FINISHED', to, replaces: [owner] }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const now = await runs.claimContent({ ...content, runId: 'nobody' });
    expect(['t1', 't2', 't3']).toContain(now.owner);
    expect(now.replaces).toEqual([owner]);
    // The owner is RUNNING (a redrive set it so): no take-over.
    await runs.update(now.owner, { status: 'RUNNING' });
    expect(
      await runs.transferContent({ ...content, from: now.owner, fromStatus: 'FAILED', to: 'x', replaces: [] }),
    ).toBe(false);
  });
});
