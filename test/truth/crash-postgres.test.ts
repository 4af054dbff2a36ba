import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redriveCommand } from '../../cli/commands/runs.ts';
import { createDeps } from '../../functions/lib/compose.ts';
import { loadSettings } from '../../functions/lib/settings.ts';
import { findPgBinDir, startThrowawayPostgres, type ThrowawayPostgres } from '../setup/throwaway-postgres.ts';
import { createFreshDatabase } from '../support/fresh-database.ts';
import {
  CASES,
  closeDeps,
  crashSuite,
  expectFinishedOnce,
  prepareHome,
  quietContext,
  runChild,
} from './crash.suite.ts';

const pgUrl = inject('pgUrl');
const only = process.env['EFI_CRASH_CASES']?.split(',');
/**
 * PostgreSQL runs the states whose work is in the database (the statement
 * log, the run row, the outbox) by default; EFI_CRASH_FULL=1 runs every state
 * as the PGlite file does (about 3 minutes more on a shared 2-core machine).
 */
const PG_STATES = new Set(['SubmitLoad', 'CheckLoad', 'CheckTransform', 'Notify']);
const pgCases = process.env['EFI_CRASH_FULL'] === '1' ? CASES : CASES.filter((c) => PG_STATES.has(c.state));

if (!pgUrl) {
  describe.skip('crash recovery on postgres (EFI_SKIP_POSTGRES=1)', () => it('skipped', () => {}));
} else {
  let db: { url: string; drop(): Promise<void> } | null = null;
  beforeAll(async () => {
    db = await createFreshDatabase(pgUrl, 'efi_crash');
  });
  afterAll(async () => db?.drop());
  crashSuite(
    {
      name: 'postgres',
      env: (home) => ({ EFI_HOME: home, EFI_OUTBOX_ECHO: '0', EFI_WAREHOUSE: db!.url, EFI_CONFIG_DB: db!.url }),
    },
    { cases: only ? CASES.filter((c) => only.includes(`${c.state}:${c.when}`)) : pgCases },
  );

  describe('the PostgreSQL server stopped and restarted inside a state: efi redrive recovers to exactly once', () => {
    let server: ThrowawayPostgres;
    let home: string;
    const env = () => ({ EFI_HOME: home, EFI_OUTBOX_ECHO: '0', EFI_WAREHOUSE: server.url, EFI_CONFIG_DB: server.url });

    beforeAll(async () => {
      server = await startThrowawayPostgres(findPgBinDir()!);
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-pg-restart-'));
      await prepareHome(env());
    });
    afterAll(() => {
      server?.stop();
      fs.rmSync(home, { recursive: true, force: true });
    });

    // SubmitLoad after its load committed but before that was recorded; CheckLoad as it starts.
    const points = [
      ['SubmitLoad', 'after'],
      ['CheckLoad', 'before'],
    ] as const;
    for (const [i, [state, when]] of points.entries()) {
      it(`restarted inside ${state} (${when === 'after' ? 'its work done, not yet recorded' : 'as it starts'}): the rows exactly once, with a redrive if the run did not finish`, async () => {
        const day = `2028010${i}`;
        const file = path.join(home, `sales_pos_${day}.csv`);
        fs.writeFileSync(
          file,
          fs
            .readFileSync(path.resolve(import.meta.dirname, '../../samples/files/sales_pos_20261121.csv'), 'utf8')
            .replace(/^20261121/gm, day),
        );
        const pause = path.join(home, `pause-${state}`);
        const child = runChild(['ingest', file, '--json'], {
          ...env(),
          EFI_TEST_PAUSE_AT: `${state}:${when}`,
          EFI_TEST_PAUSE_FILE: pause,
        });
        // Driven by the child's hook: it writes the file when it is inside the state, and waits for its removal.
        while (!fs.existsSync(pause)) await new Promise((r) => setTimeout(r, 20));
        server.restart();
        fs.rmSync(pause);
        const ended = await child;
        // Either the process rode out the restart (its pool reconnects) or it failed/died: both must end exactly once.
        expect([0, 1, null]).toContain(ended.code);
        const rt = createDeps(loadSettings(env()));
        try {
          const run = await (await rt.db())
            .selectFrom('efi.runs')
            .select(['run_id', 'status'])
            .where('object_key', 'like', `%${day}.csv`)
            .executeTakeFirst();
          if (run?.status !== 'FINISHED') {
            const ctx = quietContext(env());
            const code = await redriveCommand([run!.run_id, '--json'], ctx);
            expect(code, `${ended.stderr}\n${ctx.lines.join('\n')}`).toBe(0);
          }
          await expectFinishedOnce(rt, home, { kind: 'sales', rows: 1200, marker: day, file });
        } finally {
          await closeDeps(rt);
        }
      });
    }
  });
}
