import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEfi, SALES_CONFIG, salesFile, spawnEfi, startServer, tempHome, until } from './efi-process.ts';

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>>;
// biome-ignore lint/suspicious/noExplicitAny: test reads API JSON loosely
const runs = async (): Promise<any[]> => ((await (await fetch(`${server.base}/api/runs?limit=50`)).json()) as any).runs;
const runFor = async (name: string) => (await runs()).find((r) => r.file?.endsWith(name));

/** Polls an async `check` until it returns a value (a bounded wait on a condition, as `until`). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = tempHome('efi-server-watch-');
  home = path.join(dir, 'home');
  for (const d of ['configs', 'drop', 'other']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), SALES_CONFIG);
  server = await startServer(home, ['--watch', path.join(dir, 'drop'), '--interval', '100']);
  const apply = await runEfi(['config', 'apply', path.join(dir, 'configs')], { EFI_HOME: home });
  expect(apply.code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('efi server --watch DIR', () => {
  it('runs the folder watcher in the server: a file dropped in DIR becomes a run', async () => {
    salesFile(path.join(dir, 'drop'), 'daily_20261201.csv');
    const run = await waitFor('the dropped file to be run', async () => {
      const r = await runFor('daily_20261201.csv');
      return r && r.status !== 'RUNNING' ? r : undefined;
    });
    expect(run).toMatchObject({ feed: 'sales.daily', file: 'landing/daily_20261201.csv' });
    expect(server.stderr()).toContain(`watching ${path.join(dir, 'drop')}`);
  });

  it('serves efi watch from another process: its watch runs in the server until the client stops', async () => {
    const client = spawnEfi(['watch', path.join(dir, 'other'), '--interval', '100'], { EFI_HOME: home });
    await until('the client watch to start', () => client.stderr().includes('watching'), 90_000);
    salesFile(path.join(dir, 'other'), 'daily_20261202.csv');
    await waitFor('the client-watched file to be run', async () => {
      const r = await runFor('daily_20261202.csv');
      return r && r.status !== 'RUNNING' ? r : undefined;
    });
    await until('the client to print the result', () => client.stderr().includes('daily_20261202.csv'), 30_000);
    client.proc.kill('SIGINT');
    expect(await client.exit).not.toBe(0);
    // The server goes on serving (and its own --watch goes on watching).
    const health = await fetch(`${server.base}/api/health`);
    expect(health.status).toBe(200);
  });
});
