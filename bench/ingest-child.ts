import { createReadStream, openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalRunner } from '../cli/local/runner.ts';
import { applyConfigs } from '../functions/lib/adapters/config-db/config-repository.ts';
import { closeConfigDb } from '../functions/lib/adapters/config-db/connect.ts';
import { closePglite, openPglite } from '../functions/lib/adapters/postgres/pglite.ts';
import type { PostgresWarehouse } from '../functions/lib/adapters/postgres/postgres-warehouse.ts';
import { createDeps } from '../functions/lib/compose.ts';
import { loadSettings } from '../functions/lib/settings.ts';
import { BENCH_CONFIG } from './workloads.ts';

/**
 * One end-to-end ingest of a file on the embedded default (PGlite), in a
 * fresh process so its peak RSS is its own:
 * `tsx bench/ingest-child.ts <file> finish|abort` prints one JSON line.
 * `abort` stops the run (as Ctrl-C does) once half the bytes reached the
 * warehouse, and reports how long the cancel took to roll the load back.
 */
const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'finish' && mode !== 'abort')) {
  console.error('usage: tsx bench/ingest-child.ts <file> finish|abort');
  process.exit(2);
}

const TABLE = `id bigint, code varchar(8), name varchar(40), email varchar(80), amount numeric(12,2),
  day date, note varchar(80), country char(2), efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp`;

const home = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-bench-1gb-'));
const settings = loadSettings({ EFI_HOME: home, EFI_OUTBOX_ECHO: '0' });
const rt = createDeps(settings);
try {
  const wh = (await rt.warehouse()) as PostgresWarehouse;
  await wh.query(`CREATE SCHEMA IF NOT EXISTS stage; CREATE TABLE stage.rows (${TABLE})`);
  await applyConfigs(await rt.db(), [BENCH_CONFIG], { source: 'bench' });
  const store = await rt.store();
  const key = `${settings.prefixes.landing}${path.basename(file)}`;
  await store.put(settings.bucket, key, createReadStream(file));
  const head = (await store.head(settings.bucket, key))!;
  const runner = LocalRunner.create(rt);

  let abort: ((reason?: string) => void) | null = null;
  let abortAt: number | null = null;
  let abortedAtBytes = 0;
  let settledAt: number | null = null;
  let progressLines = 0;
  if (mode === 'abort') {
    wh.hooks.onProgress = (id, p) => {
      if (abortAt === null && p.bytesDone >= p.bytesTotal / 2) {
        abortAt = performance.now();
        abortedAtBytes = p.bytesDone;
        abort?.('bench abort');
        void wh.settled(id).then(() => {
          settledAt = performance.now();
        });
      }
    };
  }
  const t0 = performance.now();
  const outcome = await runner.start(
    { detail: { bucket: { name: settings.bucket }, object: { key, size: head.size, etag: head.etag } } },
    {
      onAbortable: (a) => {
        abort = a;
      },
      onStatement: () => {
        progressLines++;
      },
    },
  );
  const ms = performance.now() - t0;
  const rows = Number((await wh.query('select count(*)::int as n from stage.rows')).rows[0]?.['n']);
  const events = Number(
    (
      await (
        await rt.db()
      )
        .selectFrom('efi.execution_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('execution_id', '=', outcome.executionId)
        .executeTakeFirstOrThrow()
    ).n,
  );
  const run = await (await rt.runs()).get(outcome.name);
  // The reference: a bare COPY of the same file into the same database, in 16 MiB slices cut at line
  // ends (the bench file has no quoted line breaks) in one transaction, as the load slices it.
  let bareCopyMs: number | null = null;
  if (mode === 'finish') {
    await wh.query(`CREATE TABLE stage.rows_bare (${TABLE.slice(0, TABLE.indexOf(', efi_source_file'))})`);
    const db = await openPglite(`${settings.home}/pglite`);
    const t1 = performance.now();
    const blob = await openAsBlob(file);
    const handle = await fs.open(file);
    const window = Buffer.alloc(64 * 1024);
    const lineEndAfter = async (at: number) => {
      const { bytesRead } = await handle.read(window, 0, window.length, at);
      const nl = window.subarray(0, bytesRead).indexOf(10);
      return nl === -1 ? blob.size : at + nl + 1;
    };
    try {
      await db.transaction(async (tx) => {
        let pos = await lineEndAfter(0);
        while (pos < blob.size) {
          const end = pos + 16 * 1024 * 1024 >= blob.size ? blob.size : await lineEndAfter(pos + 16 * 1024 * 1024);
          await tx.query(`COPY stage.rows_bare FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: blob.slice(pos, end) });
          pos = end;
        }
      });
    } finally {
      await handle.close();
    }
    bareCopyMs = performance.now() - t1;
  }
  console.log(
    JSON.stringify({
      mode,
      status: run?.status ?? outcome.status,
      ms,
      bareCopyMs,
      rows,
      bytes: head.size,
      historyEvents: events,
      progressReports: progressLines,
      cancelMs: abortAt !== null && settledAt !== null ? settledAt - abortAt : null,
      abortedAtBytes,
      fileInLanding: (await store.head(settings.bucket, key)) !== null,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  await (await rt.warehouse().catch(() => null))?.close();
  await closeConfigDb();
  await closePglite();
  await fs.rm(home, { recursive: true, force: true });
}
