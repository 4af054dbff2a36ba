import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readLock } from '../cli/local/home-lock.ts';
import { closeConfigDb, openConfigDb } from '../functions/lib/adapters/config-db/connect.ts';
import { migrateToLatest } from '../functions/lib/adapters/config-db/migrate.ts';
import { closePglite } from '../functions/lib/adapters/postgres/pglite.ts';
import { loadSettings } from '../functions/lib/settings.ts';
import type { BenchCase, BenchCheck, BenchRow } from './cases.ts';

/**
 * CLI latency: `efi runs` and `efi show` against a local history of 1,000
 * runs (rows inserted directly in efi.executions / efi.execution_events /
 * efi.runs, the schema the runner writes), each command a fresh client
 * process of the compiled CLI, as a script calling efi in a loop would see
 * it. Median wall time and peak RSS (from /usr/bin/time) of the client.
 * Without the server every command opens the embedded database itself; with
 * `efi server` up on the same EFI_HOME, the commands are its clients (POST
 * /api/cli): what is measured is the client process, as a script sees it.
 */

const RUNS = 1000;
const STATES = [
  'FetchConfig',
  'ValidateFile',
  'Preprocess',
  'SubmitLoad',
  'WaitForLoad',
  'CheckLoad',
  'Archive',
  'Audit',
  'Notify',
];
const ARN = 'arn:aws:states:local:000000000000:execution:efi:';

/** Fills a fresh EFI_HOME with `runs` finished runs (every 10th FAILED), nine states each. */
export async function seedHistory(home: string, runs = RUNS): Promise<string[]> {
  const settings = loadSettings({ EFI_HOME: home });
  const db = await openConfigDb(settings.configDb);
  try {
    await migrateToLatest(db);
    const names: string[] = [];
    const t0 = Date.UTC(2026, 10, 1);
    for (let from = 0; from < runs; from += 250) {
      const executions = [];
      const runRows = [];
      const events = [];
      for (let i = from; i < Math.min(runs, from + 250); i++) {
        const name = `20261101-${String(i).padStart(6, '0')}-bench`;
        names.push(name);
        const started = new Date(t0 + i * 60_000);
        const stopped = new Date(started.getTime() + 900);
        const failed = i % 10 === 9;
        const input = JSON.stringify({
          detail: { bucket: { name: 'efi-local' }, object: { key: `landing/bench_${i}.csv` } },
        });
        executions.push({
          execution_id: `${ARN}${name}`,
          name,
          status: failed ? ('FAILED' as const) : ('SUCCEEDED' as const),
          input,
          output: failed ? null : JSON.stringify({ audit: { status: 'FINISHED' } }),
          error: failed ? 'FileRejected' : null,
          cause: failed ? 'The file was rejected' : null,
          started_at: started,
          stopped_at: stopped,
        });
        runRows.push({
          run_id: name,
          execution_id: `${ARN}${name}`,
          config_id: 'bench.rows',
          interface_name: 'bench',
          bucket: 'efi-local',
          object_key: `landing/bench_${i}.csv`,
          etag: `etag${i}`,
          file_bytes: 12_345,
          status: failed ? ('FAILED' as const) : ('FINISHED' as const),
          records_in_file: 100,
          rows_loaded: failed ? null : 100,
          rows_rejected: null,
          targets: JSON.stringify(null) as never,
          statement_ids: JSON.stringify([]) as never,
          archived_to: `s3://efi-local/${failed ? 'rejected' : 'archive'}/bench/bench_${i}.csv`,
          skip_reason: null,
          error_name: failed ? 'RowRejected' : null,
          error_message: failed ? 'stage.rows refused the row at line 7, column day' : null,
          error_line: failed ? 7 : null,
          error_column: failed ? 'day' : null,
          error_state: failed ? 'CheckLoad' : null,
          notified: null,
          started_at: started,
          finished_at: stopped,
        });
        let seq = 0;
        const at = (k: number) => new Date(started.getTime() + k * 50);
        events.push({
          execution_id: `${ARN}${name}`,
          seq: ++seq,
          redrive_count: 0,
          type: 'ExecutionStarted',
          state_name: null,
          input: null,
          output: null,
          error: null,
          cause: null,
          at: at(0),
        });
        STATES.forEach((s, k) => {
          const data = JSON.stringify({ run: { runId: name, key: `landing/bench_${i}.csv` }, state: s });
          events.push({
            execution_id: `${ARN}${name}`,
            seq: ++seq,
            redrive_count: 0,
            type: 'StateEntered',
            state_name: s,
            input: data,
            output: null,
            error: null,
            cause: null,
            at: at(k),
          });
          events.push({
            execution_id: `${ARN}${name}`,
            seq: ++seq,
            redrive_count: 0,
            type: 'StateExited',
            state_name: s,
            input: data,
            output: data,
            error: null,
            cause: null,
            at: at(k + 1),
          });
        });
        events.push({
          execution_id: `${ARN}${name}`,
          seq: ++seq,
          redrive_count: 0,
          type: 'ExecutionSucceeded',
          state_name: null,
          input: null,
          output: null,
          error: null,
          cause: null,
          at: at(10),
        });
      }
      await db.insertInto('efi.executions').values(executions).execute();
      await db.insertInto('efi.runs').values(runRows).execute();
      for (let k = 0; k < events.length; k += 1000)
        await db
          .insertInto('efi.execution_events')
          .values(events.slice(k, k + 1000))
          .execute();
    }
    return names;
  } finally {
    await closeConfigDb();
    await closePglite();
  }
}

const TIME = '/usr/bin/time';

/** One client process: wall ms and peak RSS (MB) of `node bin/efi.js ...args`. */
function timeCli(home: string, args: string[]): { ms: number; rssMB: number | null } {
  const env = { ...process.env, EFI_HOME: home, NO_COLOR: '1' };
  const t0 = performance.now();
  if (fs.existsSync(TIME)) {
    const r = spawnSync(TIME, ['-f', 'EFI_RSS_KB=%M', process.execPath, 'bin/efi.js', ...args], {
      env,
      encoding: 'utf8',
    });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`efi ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const kb = /EFI_RSS_KB=(\d+)/.exec(r.stderr)?.[1];
    return { ms, rssMB: kb ? Number(kb) / 1024 : null };
  }
  const r = spawnSync(process.execPath, ['bin/efi.js', ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`efi ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms: performance.now() - t0, rssMB: null };
}

/** Starts the compiled `efi server --port 0` on `home`; resolves once its lock names the port. */
async function startServer(home: string): Promise<{ stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, ['bin/efi.js', 'server', '--port', '0'], {
    env: { ...process.env, EFI_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (c) => {
    err += c;
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`efi server exited: ${err}`);
    const lock = readLock(home);
    if (lock?.server && lock.pid === proc.pid) break;
    if (Date.now() > deadline) throw new Error(`efi server did not listen within 120 s: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

function measure(
  home: string,
  name: string,
  args: string[],
  repeat: number,
): { row: BenchRow; ms: number; rss?: number; load: string } {
  timeCli(home, args); // warm the page cache
  const load0 = os.loadavg()[0] ?? 0;
  const samples = Array.from({ length: Math.max(3, repeat) }, () => timeCli(home, args));
  const load = `load average ${load0.toFixed(1)}-${(os.loadavg()[0] ?? 0).toFixed(1)} on ${os.cpus().length} cores`;
  const ms = median(samples.map((s) => s.ms));
  const rss = samples.every((s) => s.rssMB !== null) ? median(samples.map((s) => s.rssMB!)) : undefined;
  return {
    row: {
      name,
      file: `${RUNS} runs`,
      ms,
      mbPerSec: null,
      ...(rss === undefined ? {} : { maxRssMB: rss }),
      note: `median of ${samples.length} client processes, ${load}`,
    },
    ms,
    load,
    ...(rss === undefined ? {} : { rss }),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const cliLatency: BenchCase = {
  name: 'cli latency (1,000 runs, with and without efi server)',
  async run({ repeat }) {
    // The compiled CLI is what users run; build it so the bench measures the current sources.
    execFileSync(process.execPath, ['scripts/build-cli.mjs']);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-bench-cli-'));
    try {
      const names = await seedHistory(home);
      const show = names[RUNS / 2]!;
      const commands = (mode: string): [string, string[], boolean][] => [
        [`efi runs (${mode})`, ['runs'], true],
        [`efi runs --json (${mode})`, ['runs', '--limit', '1000', '--json'], false],
        [`efi show (${mode})`, ['show', show], true],
      ];
      const rows: BenchRow[] = [measure(home, 'efi --help', ['--help'], repeat).row];
      const checks: BenchCheck[] = [];
      for (const [name, args, checked] of commands('no server')) {
        const m = measure(home, name, args, repeat);
        rows.push(m.row);
        if (checked)
          checks.push({
            target: `${name.replace(' (no server)', '')}: median <= 1.5 s without the server`,
            measured: `${(m.ms / 1000).toFixed(2)} s, ${m.rss?.toFixed(0) ?? '?'} MB peak RSS (${m.load})`,
            ok: m.ms <= 1500,
          });
      }
      const server = await startServer(home);
      try {
        for (const [name, args, checked] of commands('server up')) {
          const m = measure(home, name, args, repeat);
          rows.push({ ...m.row, note: `${m.row.note}, clients of efi server` });
          if (checked)
            checks.push({
              target: `${name.replace(' (server up)', '')}: median <= 0.3 s, <= 100 MB (client) with the server`,
              measured: `${(m.ms / 1000).toFixed(2)} s, ${m.rss?.toFixed(0) ?? '?'} MB peak RSS (${m.load})`,
              ok: m.ms <= 300 && (m.rss === undefined || m.rss <= 100),
            });
        }
      } finally {
        await server.stop();
      }
      return { rows, checks };
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
};
