import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEfi, SALES_CONFIG, SALES_TABLE, startServer, tempHome } from './efi-process.ts';

/**
 * An operator stops efi server (SIGTERM) while it runs a file uploaded through
 * its API: the run ends ABORTED saying why (the server's stop, not "Ctrl-C" nor
 * "the run was aborted"), nothing of it is in the warehouse, and a redrive
 * without the server loads every row once.
 */

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>> | undefined;
const ROWS = 200_000;

beforeAll(async () => {
  dir = tempHome('efi-server-stop-');
  home = path.join(dir, 'home');
  fs.mkdirSync(path.join(dir, 'configs'));
  fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), SALES_CONFIG);
  expect((await runEfi(['config', 'apply', path.join(dir, 'configs')], { EFI_HOME: home })).code).toBe(0);
  expect((await runEfi(['sql', SALES_TABLE], { EFI_HOME: home })).code).toBe(0);
  const out = fs.createWriteStream(path.join(dir, 'daily_big.csv'));
  out.write('sale_id,amount\n');
  for (let i = 1; i <= ROWS; i += 100_000) {
    let block = '';
    for (let j = i; j < i + 100_000; j++) block += `${j},${j % 1000}.50\n`;
    out.write(block);
  }
  await new Promise((r) => out.end(r));
  server = await startServer(home);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('efi server stopped while it runs a file', () => {
  it('ends the run ABORTED with the stop as its reason, nothing committed; a redrive loads every row once', async () => {
    const res = await fetch(`${server!.base}/api/ingest?name=daily_big.csv`, {
      method: 'POST',
      headers: { 'x-efi-client': 'test' },
      body: fs.readFileSync(path.join(dir, 'daily_big.csv')),
    });
    // 202 once the run has its name: it is executing when the stop comes.
    const { runId } = (await res.json()) as { runId: string };
    expect(await server!.stop()).toBe(0);
    server = undefined;

    const runs = await runEfi(['runs', '--json'], { EFI_HOME: home });
    const [run] = JSON.parse(runs.stdout);
    expect(run).toMatchObject({ runId, status: 'ABORTED', rowsLoaded: null });
    expect(run.error.message).toContain('efi server stopped (SIGTERM)');
    const count = async () =>
      Number(
        JSON.parse(
          (
            await runEfi(
              ['sql', `select count(*)::int as n from stage.sales where efi_run_id = '${runId}'`, '--json'],
              {
                EFI_HOME: home,
              },
            )
          ).stdout,
        ).rows[0][0],
      );
    expect(await count()).toBe(0);

    const redrive = await runEfi(['redrive', runId], { EFI_HOME: home });
    expect(redrive.code).toBe(0);
    expect(await count()).toBe(ROWS);
  });
});
