import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runEfi, SALES_CONFIG, SALES_TABLE, salesFile, startServer, tempHome } from './efi-process.ts';

/**
 * The operator's console in a real browser: Debian's Chromium driven by
 * puppeteer-core (which never downloads a browser). Screenshots go to
 * test/artifacts/console/. Without Chromium the suite is skipped, loudly.
 */

const CHROMIUM = process.env['EFI_CHROMIUM'] ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n*** SKIPPED the console browser test: no Chromium at ${CHROMIUM}. ` +
      'Install it with scripts/ensure-chromium.sh (apt-get install chromium) or set EFI_CHROMIUM. ***\n',
  );
}
/** What the page functions read of an element (the test compiles without the DOM lib). */
type Shown = { innerText: string };
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts', 'console');

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let page: Page;
let runId: string;

describe.skipIf(!hasChromium)('the web console in Chromium', () => {
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    dir = tempHome('efi-console-');
    home = path.join(dir, 'home');
    fs.mkdirSync(path.join(dir, 'configs'));
    fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), SALES_CONFIG);
    server = await startServer(home);
    expect((await runEfi(['config', 'apply', path.join(dir, 'configs')], { EFI_HOME: home })).code).toBe(0);
    // The target table does not exist yet: the load fails operationally, at CheckLoad.
    const ingest = await runEfi(['ingest', '--json', salesFile(dir)], { EFI_HOME: home });
    runId = JSON.parse(ingest.stdout).runId;
    expect(JSON.parse(ingest.stdout)).toMatchObject({ status: 'FAILED', error: { name: 'LoadFailed' } });
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      userDataDir: fs.mkdtempSync(path.join(dir, 'chromium-')),
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('favicon')) errors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the failed run with its feed, file and error', async () => {
    await page.goto(`${server.base}/#/runs`);
    const row = await page.waitForSelector(`tr[data-run="${runId}"]`);
    const text = await row!.evaluate((el) => (el as unknown as Shown).innerText);
    expect(text).toContain('FAILED');
    expect(text).toContain('sales.daily');
    expect(text).toContain('daily_20261201.csv');
    expect(text).toContain('LoadFailed at CheckLoad');
    await page.screenshot({ path: path.join(ARTIFACTS, '1-executions.png'), fullPage: true });
  });

  it('opens the run: CheckLoad is highlighted as failed in the graph, with its error', async () => {
    await page.click(`tr[data-run="${runId}"] a`);
    await page.waitForSelector('svg.graph .node[data-state="CheckLoad"][data-status="FAILED"]');
    const succeeded = await page.$$eval('svg.graph .node[data-status="SUCCEEDED"]', (ns) =>
      ns.map((n) => n.getAttribute('data-state')),
    );
    expect(succeeded).toEqual(expect.arrayContaining(['FetchConfig', 'ValidateFile', 'SubmitLoad']));
    const notRun = await page.$$eval('svg.graph .node[data-status="NOT_RUN"]', (ns) =>
      ns.map((n) => n.getAttribute('data-state')),
    );
    expect(notRun).toEqual(expect.arrayContaining(['Archive', 'RejectFile', 'Done']));
    expect(await page.$eval('#run-error', (e) => (e as unknown as Shown).innerText)).toContain('stage.sales');
    // The state panel opens on the failed state: its error and cause.
    expect(await page.$eval('#state-name', (e) => e.textContent)).toBe('CheckLoad');
    expect(await page.$eval('.state-error', (e) => (e as unknown as Shown).innerText)).toContain('LoadFailed');
    expect(await page.$eval('#location', (e) => (e as unknown as Shown).innerText)).toContain('landing');
    expect(await page.$eval('#redrive', (e) => (e as unknown as Shown).innerText)).toContain('resumes at CheckLoad');
    await page.screenshot({ path: path.join(ARTIFACTS, '2-failed-run.png'), fullPage: true });
    // The README's picture (docs/console.png) is this one, the first screenful.
    await page.screenshot({ path: path.join(ARTIFACTS, '2-failed-run-top.png') });
  });

  it('shows a clicked state’s input', async () => {
    await page.click('svg.graph .node[data-state="ValidateFile"]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): Shown | null } }).document.querySelector(
          '#state-name',
        )?.innerText === 'ValidateFile',
    );
    expect(await page.$eval('#state-panel', (e) => (e as unknown as Shown).innerText)).toContain('Input');
  });

  it('redrives once the table exists, and the run ends FINISHED', async () => {
    const fix = await fetch(`${server.base}/api/sql`, {
      method: 'POST',
      headers: { 'x-efi-client': 'test' },
      body: JSON.stringify({ sql: SALES_TABLE }),
    });
    expect(fix.status).toBe(200);
    await page.click('#redrive-btn');
    await page.waitForSelector('h1 .status[data-status="FINISHED"]', { timeout: 60_000 });
    await page.waitForSelector('svg.graph .node[data-state="Done"][data-status="SUCCEEDED"]');
    expect(await page.$eval('#location', (e) => (e as unknown as Shown).innerText)).toContain('archive');
    expect(await page.$('#redrive-btn')).toBeNull();
    await page.screenshot({ path: path.join(ARTIFACTS, '3-redriven-finished.png'), fullPage: true });
  });

  it('shows the feed with its last file and status', async () => {
    await page.goto(`${server.base}/#/feeds`);
    const feed = await page.waitForSelector('.feed[data-feed="sales.daily"]');
    const text = await feed!.evaluate((el) => (el as unknown as Shown).innerText);
    expect(text).toContain('daily_20261201.csv');
    expect(text).toContain('FINISHED');
    expect(text).toContain('glob: daily_*.csv');
    await page.screenshot({ path: path.join(ARTIFACTS, '4-feeds.png'), fullPage: true });
  });

  it('shows a count the run record does not know (Redshift, ResultRows -1 under maxErrors) as ?, never 0', async () => {
    // The run row as CheckLoad leaves it when the warehouse reported no count.
    const unknown = await fetch(`${server.base}/api/sql`, {
      method: 'POST',
      headers: { 'x-efi-client': 'test' },
      body: JSON.stringify({
        sql: `update efi.runs set rows_loaded = null, rows_rejected = null where run_id = '${runId}'`,
      }),
    });
    expect(unknown.status).toBe(200);
    const api = (await (await fetch(`${server.base}/api/runs`)).json()) as { runs: { runId: string }[] };
    expect(api.runs.find((r) => r.runId === runId)).toMatchObject({
      rowsLoaded: null,
      rowsRejected: null,
      loadCommitted: true,
      rowsShown: '?',
    });
    await page.goto(`${server.base}/#/runs`);
    const row = await page.waitForSelector(`tr[data-run="${runId}"]`);
    const cells = await row!.$$eval('td', (tds) => tds.map((td) => (td as unknown as Shown).innerText));
    expect(cells[4]).toBe('?');
    await page.click(`tr[data-run="${runId}"] a`);
    const rows = await page.waitForSelector('#rows');
    expect(await rows!.evaluate((el) => (el as unknown as Shown).innerText)).toMatch(
      /records in the file, \? loaded, \? rejected$/,
    );
    await page.goto(`${server.base}/#/feeds`);
    const feed = await page.waitForSelector('.feed[data-feed="sales.daily"]');
    expect(await feed!.evaluate((el) => (el as unknown as Shown).innerText)).toContain('+ ? (1 run(s) uncounted)');
  });
});
