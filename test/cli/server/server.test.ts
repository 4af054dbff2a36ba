import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLockFile, runEfi, SALES_CONFIG, SALES_TABLE, salesFile, startServer, tempHome } from './efi-process.ts';

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>>;
// biome-ignore lint/suspicious/noExplicitAny: test reads API JSON loosely
const getJson = async (r: Promise<Response>): Promise<any> => (await r).json();
const post = (p: string, body?: unknown) =>
  fetch(`${server.base}${p}`, {
    method: 'POST',
    headers: { 'x-efi-client': 'test', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  dir = tempHome('efi-server-');
  home = path.join(dir, 'home');
  fs.mkdirSync(path.join(dir, 'configs'));
  fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), SALES_CONFIG);
  salesFile(dir);
  server = await startServer(home);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('efi server', () => {
  it('owns EFI_HOME: its lock names its pid, port and no token on loopback', () => {
    expect(server.lock).toMatchObject({ command: 'efi server', server: { host: '127.0.0.1', token: null } });
  });

  it('serves CLI commands for other processes, with the same output and exit codes', async () => {
    const apply = await runEfi(['config', 'apply', path.join(dir, 'configs')], { EFI_HOME: home });
    expect(apply.stdout).toContain('+ sales.daily  new config');
    expect(apply.stdout).toContain('applied: 1 created, 0 updated, 0 unchanged');
    expect(apply.code).toBe(0);
    // Relative paths mean the client's working directory.
    const ingest = await runEfi(['ingest', path.relative(process.cwd(), path.join(dir, 'daily_20261201.csv'))], {
      EFI_HOME: home,
    });
    expect(ingest.code).toBe(1);
    expect(ingest.stderr).toMatch(/FAILED CheckLoad +LoadFailed/);
    expect(ingest.stdout).toContain('FAILED  LoadFailed');
    const runs = await runEfi(['runs', '--json'], { EFI_HOME: home });
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ status: 'FAILED', redriveCount: 0 }]);
    const usage = await runEfi(['runs', '--limit', 'x'], { EFI_HOME: home });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--limit x: expected a positive whole number');
  });

  it('lists runs with filters and paging, and shows one with its failed state and redrive rule', async () => {
    const all = await getJson(fetch(`${server.base}/api/runs`));
    expect(all.total).toBe(1);
    const [run] = all.runs;
    expect(run).toMatchObject({ feed: 'sales.daily', status: 'FAILED', error: { name: 'LoadFailed' } });
    const none = await getJson(fetch(`${server.base}/api/runs?feed=nope`));
    expect(none).toEqual({ runs: [], total: 0 });
    const byFile = await getJson(fetch(`${server.base}/api/runs?file=DAILY_2026&status=FAILED&until=2999-01-01`));
    expect(byFile.total).toBe(1);
    const page2 = await getJson(fetch(`${server.base}/api/runs?offset=1`));
    expect(page2.runs).toEqual([]);
    const view = await getJson(fetch(`${server.base}/api/runs/${run.runId}`));
    expect(view.redrive).toEqual({ ok: true, reason: 'resumes at CheckLoad', state: 'CheckLoad' });
    expect(view.visits.at(-1)).toMatchObject({ state: 'CheckLoad', status: 'FAILED', error: 'LoadFailed' });
    expect(view.location).toMatchObject({ where: 'landing', key: 'landing/daily_20261201.csv' });
    const events = await getJson(fetch(`${server.base}/api/runs/${run.runId}/events`));
    expect(events.events[0].type).toBe('ExecutionStarted');
    const file = await fetch(`${server.base}/api/object?key=${encodeURIComponent(view.location.key)}`);
    expect((await file.text()).split('\n')[0]).toBe('sale_id,amount');
  });

  it('refuses POSTs without its client header, and Host names that are not loopback', async () => {
    expect((await fetch(`${server.base}/api/sql`, { method: 'POST', body: '{}' })).status).toBe(403);
    // fetch cannot set Host: a DNS-rebinding page would arrive with its own name.
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${server.base}/api/health`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(403);
  });

  it('redrives after the cause is fixed, and ingests an uploaded file', async () => {
    const { runs } = await getJson(fetch(`${server.base}/api/runs`));
    expect((await post('/api/sql', { sql: SALES_TABLE })).status).toBe(200);
    const outcome = await getJson(post(`/api/runs/${runs[0].runId}/redrive?wait=1`));
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const again = await post(`/api/runs/${runs[0].runId}/redrive`);
    expect(again.status).toBe(409);
    const upload = await fetch(`${server.base}/api/ingest?name=daily_20261202.csv&wait=1`, {
      method: 'POST',
      headers: { 'x-efi-client': 'test' },
      body: fs.readFileSync(salesFile(dir, 'daily_20261202.csv', 5)),
    });
    expect(await upload.json()).toMatchObject({ status: 'FINISHED', rowsLoaded: 5 });
    const bad = `sale_id,amount\n1,1.00\n2,abc\n3,3.00\n${'9,9.00\n'.repeat(5)}`;
    const rejected = await getJson(
      fetch(`${server.base}/api/ingest?name=daily_20261203.csv&wait=1`, {
        method: 'POST',
        headers: { 'x-efi-client': 'test' },
        body: bad,
      }),
    );
    expect(rejected).toMatchObject({ status: 'FAILED', error: { name: 'RowRejected', line: 3, column: 'amount' } });
    const view = await getJson(fetch(`${server.base}/api/runs/${rejected.runId}`));
    expect(view.offendingRecord).toBe('2,abc');
    // The page shows the place as the CLI formats it (formatLocation), sent ready-made.
    expect(view.errorPlace).toBe('line 3, field 2 (amount)');
    expect(view.location.where).toBe('rejected');
    expect(view.redrive).toMatchObject({ ok: false, state: 'FileRejected' });
    expect(view.redrive.reason).toContain('rejected for its content');
    const feeds = await getJson(fetch(`${server.base}/api/feeds`));
    expect(feeds.feeds[0]).toMatchObject({ id: 'sales.daily', runs30d: 3, failed30d: 1, lastStatus: 'FAILED' });
    expect(feeds.feeds[0].rowsPerDay[0].rows).toBe(25);
  });

  it('stops on SIGTERM, releasing EFI_HOME', async () => {
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('efi server: stopped');
    expect(readLockFile(home)).toBeNull();
  });
});
