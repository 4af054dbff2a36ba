import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redriveCommand } from '../../cli/commands/runs.ts';
import type { CliContext } from '../../cli/context.ts';
import { applyConfigs } from '../../functions/lib/adapters/config-db/config-repository.ts';
import { closeConfigDb } from '../../functions/lib/adapters/config-db/connect.ts';
import { closePglite } from '../../functions/lib/adapters/postgres/pglite.ts';
import { createDeps, type Deps } from '../../functions/lib/compose.ts';
import { loadConfigFiles } from '../../functions/lib/config/load-yaml.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

/**
 * The crash suite (docs/truth-model.md row 9 and "after any of 4-9"): a
 * spawned `efi ingest` is killed (SIGKILL) inside a state, at two points of
 * the local task wrapper (entry persisted, handler not run; handler done, its
 * exit not yet persisted, so the redrive runs the state again), driven by
 * EFI_TEST_CRASH_AT, never by sleeps. Then `efi redrive
 * RUN` alone recovers it: the rows exactly once, one FINISHED audit, one
 * FINISHED notification, the original archived once, `processing/` empty.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SAMPLES = path.join(ROOT, 'samples');
const BUCKET = 'efi-local';

type Kind = 'sales' | 'customers' | 'flavors';
interface Case {
  state: string;
  when: 'before' | 'after';
  kind: Kind;
}

const SALES_STATES = [
  'FetchConfig',
  'ValidateFile',
  'Preprocess',
  'SubmitLoad',
  'CheckLoad',
  'Archive',
  'Audit',
  'Notify',
];
export const CASES: Case[] = [
  ...SALES_STATES.flatMap((state) =>
    (['before', 'after'] as const).map((when) => ({ state, when, kind: 'sales' as const })),
  ),
  ...(['before', 'after'] as const).map((when) => ({ state: 'UseOriginalFile', when, kind: 'customers' as const })),
  ...['SubmitTransform', 'CheckTransform'].flatMap((state) =>
    (['before', 'after'] as const).map((when) => ({ state, when, kind: 'flavors' as const })),
  ),
];

/** A file of `kind` whose content is this case's alone (content dedupe would otherwise skip it). */
function writeCaseFile(dir: string, kind: Kind, n: number): { file: string; rows: number; marker: string } {
  const day = `2027${String(1000 + n).slice(-4)}`;
  if (kind === 'sales') {
    const text = fs
      .readFileSync(path.join(SAMPLES, 'files', 'sales_pos_20261121.csv'), 'utf8')
      .replace(/^20261121/gm, day);
    const file = path.join(dir, `sales_pos_${day}.csv`);
    fs.writeFileSync(file, text);
    return { file, rows: 1200, marker: day };
  }
  if (kind === 'customers') {
    const text = fs
      .readFileSync(path.join(SAMPLES, 'files', 'customers_20261122.txt'), 'utf8')
      .replace(/^C0001/gm, `X${String(n).padStart(4, '0')}`);
    const file = path.join(dir, `customers_${day}.txt`);
    fs.writeFileSync(file, text);
    return { file, rows: 800, marker: `X${String(n).padStart(4, '0')}` };
  }
  const marker = `FX${String(n).padStart(3, '0')}`;
  const lines = Array.from(
    { length: 20 },
    (_, i) => `${marker}${String(i).padStart(3, '0')}|Crash ${n} ${i}|0.50|2026-11-01`,
  );
  const file = path.join(dir, `flavors_${day}.csv`);
  fs.writeFileSync(file, `flavor_code|flavor_name|price|valid_from\n${lines.join('\n')}\n`);
  return { file, rows: 20, marker };
}

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Environment of a case's process (EFI_HOME and, for PostgreSQL, the URLs). */
  env(home: string): Record<string, string>;
}

export function runChild(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'efi.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** A home with the sample configs and target tables, built once and copied per case (PGlite start-up is seconds). */
export async function prepareHome(env: Record<string, string>): Promise<void> {
  const rt = createDeps(loadSettings(env));
  const wh = await rt.warehouse();
  await wh.query(fs.readFileSync(path.join(SAMPLES, 'warehouse.sql'), 'utf8'));
  const loaded = await loadConfigFiles([path.join(SAMPLES, 'configs')]);
  await applyConfigs(await rt.db(), loaded.configs, { source: 'test', interfaces: loaded.interfaces });
  await closeDeps(rt);
}

export async function closeDeps(rt: Deps): Promise<void> {
  await (await rt.warehouse()).close();
  await closeConfigDb();
  await closePglite();
}

export function quietContext(env: Record<string, string>): CliContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    settings: loadSettings(env),
    json: true,
    tty: false,
    out: (s) => lines.push(s),
    err: (s) => lines.push(s),
    lines,
  };
}

/** What the truth model promises of a run that ended FINISHED, read from warehouse, audit, outbox and store. */
export async function expectFinishedOnce(
  rt: Deps,
  home: string,
  c: { kind: Kind; rows: number; marker: string; file: string },
): Promise<string> {
  const db = await rt.db();
  const base = path.basename(c.file);
  const runs = (await db.selectFrom('efi.runs').selectAll().execute()).filter((r) => r.object_key.endsWith(base));
  expect(runs.map((r) => r.status)).toEqual(['FINISHED']);
  const run = runs[0]!;
  const wh = await rt.warehouse();
  const n = async (q: string) => Number((await wh.query(q)).rows[0]!['n']);
  if (c.kind === 'sales') {
    expect(await n(`select count(*)::int as n from stage.pos_sales where sale_id::text like '${c.marker}%'`)).toBe(
      c.rows,
    );
  } else if (c.kind === 'customers') {
    expect(await n(`select count(*)::int as n from stage.customers where customer_id like '${c.marker}%'`)).toBe(
      c.rows,
    );
  } else {
    expect(await n(`select count(*)::int as n from core.flavor where flavor_code like '${c.marker}%'`)).toBe(c.rows);
  }
  const outbox = await db.selectFrom('efi.outbox').select('status').where('run_id', '=', run.run_id).execute();
  expect(outbox.filter((o) => o.status === 'FINISHED')).toHaveLength(1);
  const s3 = path.join(home, 's3', BUCKET);
  const archived = fs
    .readdirSync(path.join(s3, 'archive'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(base));
  expect(archived).toHaveLength(1);
  expect(fs.existsSync(path.join(s3, 'landing', base))).toBe(false);
  const processing = path.join(s3, 'processing');
  expect(fs.existsSync(path.join(processing, run.run_id))).toBe(false);
  // Every case has a home of its own, so nothing at all may be left in processing/.
  expect(fs.existsSync(processing) ? fs.readdirSync(processing) : []).toEqual([]);
  return run.run_id;
}

/** The execution of a file (by its landing key), whatever state the dead process left it in. */
async function executionOf(rt: Deps, base: string): Promise<{ name: string; status: string }> {
  const rows = await (await rt.db()).selectFrom('efi.executions').select(['name', 'status', 'input']).execute();
  const mine = rows.filter((r) => {
    const input = (typeof r.input === 'string' ? JSON.parse(r.input) : r.input) as {
      detail?: { object?: { key?: string } };
    };
    return input.detail?.object?.key?.endsWith(base);
  });
  expect(mine).toHaveLength(1);
  return mine[0]!;
}

async function pool<T>(items: T[], size: number, f: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) await f(t);
    }),
  );
}

/**
 * One home per case (copied from a template), the children killed in
 * parallel, then each redriven in this process in turn. On PostgreSQL the
 * homes share one database, every case a file of its own.
 */
export function crashSuite(backend: Backend, opts: { cases?: Case[] } = {}) {
  const cases = opts.cases ?? CASES;
  describe(`crash recovery on ${backend.name}: killed inside a state, \`efi redrive\` alone ends FINISHED exactly once`, () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `efi-crash-${backend.name}-`));
    const template = path.join(work, 'template');
    const killed = new Map<
      string,
      { home: string; file: string; rows: number; marker: string; kind: Kind; signal: string | null; stderr: string }
    >();

    beforeAll(async () => {
      fs.mkdirSync(template);
      await prepareHome(backend.env(template));
      await pool(
        cases.map((c, i) => ({ c, i })),
        4,
        async ({ c, i }) => {
          const id = `${c.state}:${c.when}`;
          // One home per case on both backends: one efi process owns an EFI_HOME at a time (cli/local/home-lock.ts).
          const home = path.join(work, `case-${i}`);
          fs.cpSync(template, home, { recursive: true });
          const f = writeCaseFile(work, c.kind, i + (backend.name === 'postgres' ? 500 : 0));
          const r = await runChild(['ingest', f.file, '--json'], { ...backend.env(home), EFI_TEST_CRASH_AT: id });
          killed.set(id, { home, ...f, kind: c.kind, signal: r.signal, stderr: r.stderr });
        },
      );
      // One child per case: about 3.5 s each on an idle 2-core machine, several times that when it is shared.
    }, 600_000);

    afterAll(() => {
      fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 });
    });

    for (const c of cases) {
      const id = `${c.state}:${c.when}`;
      it(`killed ${c.when === 'after' ? `after ${c.state} did its work, before it was recorded` : `when ${c.state} was entered`}: redrive resumes there and ends FINISHED once`, async () => {
        const k = killed.get(id)!;
        expect(k.signal, k.stderr).toBe('SIGKILL');
        const env = backend.env(k.home);
        const rt = createDeps(loadSettings(env));
        try {
          const ex = await executionOf(rt, path.basename(k.file));
          // The dead process's execution is RUNNING (or already recovered by a later process on a shared database).
          expect(['RUNNING', 'FAILED']).toContain(ex.status);
          const ctx = quietContext(env);
          const code = await redriveCommand([ex.name, '--json'], ctx);
          expect(code, ctx.lines.join('\n')).toBe(0);
          await expectFinishedOnce(rt, k.home, k);
          const died = await (await rt.db())
            .selectFrom('efi.execution_events')
            .select(['error', 'cause'])
            .where('execution_id', 'like', `%${ex.name}`)
            .where('type', '=', 'ExecutionFailed')
            .execute();
          expect(died.map((d) => d.error)).toEqual(['ProcessDied']);
          // History never lags: the redrive resumes at the very state the process died in.
          const resumed = await (await rt.db())
            .selectFrom('efi.execution_events')
            .select('state_name')
            .where('execution_id', 'like', `%${ex.name}`)
            .where('redrive_count', '=', 1)
            .where('type', '=', 'StateEntered')
            .orderBy('seq')
            .executeTakeFirst();
          expect(resumed?.state_name).toBe(c.state);
          // The dead attempt was told FAILED at most once (not when it died after the FINISHED audit).
          const failed = await (await rt.db())
            .selectFrom('efi.outbox')
            .select('status')
            .where('run_id', '=', ex.name)
            .where('status', '=', 'FAILED')
            .execute();
          expect(failed.length).toBeLessThanOrEqual(1);
        } finally {
          await closeDeps(rt);
        }
      });
    }
  });
}
