import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { ingestCommand } from '../../../cli/commands/ingest.ts';
import { logsCommand } from '../../../cli/commands/logs.ts';
import { redriveCommand, runsCommand, showCommand } from '../../../cli/commands/runs.ts';
import { sqlCommand } from '../../../cli/commands/sql.ts';
import type { HistoryEventRow, RunDetail, RunSummary } from '../../../cli/model.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

const SAMPLES = path.resolve('samples');
const TODAY = new Date().toISOString().slice(0, 10);
let h: CliHome;
let good: string;
let bad: string;
let redriven: string;

async function ingest(file: string): Promise<string> {
  const r = await h.run(ingestCommand, [path.join(SAMPLES, 'files', file), '--json']);
  return JSON.parse(r.out).runId as string;
}

beforeAll(async () => {
  h = cliHome('cli-runs');
  await h.run((argv, ctx) => configCommand(argv, ctx), ['apply', path.join(SAMPLES, 'configs')]);
  await h.run(sqlCommand, ['--file', path.join(SAMPLES, 'warehouse.sql')]);
  good = await ingest('sales_pos_20261122.csv');
  bad = await ingest('customers_20261123.txt');
  // An operational failure (missing table), fixed, then redriven.
  await h.run(sqlCommand, ['drop table stage.support_tickets']);
  redriven = await ingest('tickets_20261122.csv');
  await h.run(sqlCommand, ['--file', path.join(SAMPLES, 'warehouse.sql')]);
  await h.run(redriveCommand, [redriven, '--json']);
});

afterAll(() => h.close());

describe('efi runs', () => {
  it('lists feed, status, duration, rows, file and error, newest first', async () => {
    const r = await h.run(runsCommand, []);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^RUN +STATUS +FEED +STARTED \(UTC\) +TOOK +ROWS +REDRIVES +FILE +ERROR$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${redriven} +FINISHED +support .* 250 +1 +landing/tickets_20261122.csv$`));
    expect(lines[2]).toMatch(
      new RegExp(
        `^${bad} +FAILED +crm .* landing/customers_20261123.txt +RowRejected at line 57, field 5 \\(created_on\\)$`,
      ),
    );
    expect(lines[3]).toMatch(new RegExp(`^${good} +FINISHED +sales .* 1500 .*landing/sales_pos_20261122.csv`));
  });

  it('--json carries every field show has: configId, feed, rows, duration, error', async () => {
    const runs = JSON.parse((await h.run(runsCommand, ['--json'])).out) as RunSummary[];
    const failed = runs.find((r) => r.runId === bad)!;
    expect(failed).toMatchObject({
      status: 'FAILED',
      executionStatus: 'FAILED',
      configId: 'crm.customers',
      feed: 'crm',
      recordsInFile: 300,
      rowsLoaded: null,
      error: { name: 'RowRejected', line: 57, column: 'created_on' },
    });
    expect(failed.archivedTo).toMatch(/^s3:\/\/efi-local\/rejected\/crm\//);
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
    expect(runs.find((r) => r.runId === good)).toMatchObject({ rowsLoaded: 1500, configId: 'sales.pos_daily' });
  });

  it.each([
    [['--feed', 'crm'], () => [bad]],
    [['--feed', 'sales.pos_daily'], () => [good]],
    [['--status', 'finished'], () => [redriven, good]],
    [['--file', 'customers'], () => [bad]],
    [['--file', 'sales_*.csv'], () => [good]],
    [['--file', 'landing/t*'], () => [redriven]],
    [['--since', '1h'], () => [redriven, bad, good]],
    [['--until', '2000-01-01'], () => []],
    // A bare date as --until includes that day, as the server API reads it.
    [['--since', TODAY, '--until', TODAY], () => [redriven, bad, good]],
    [['--since', '2000-01-01T00:00Z', '--status', 'FAILED', '--feed', 'crm'], () => [bad]],
    [['--limit', '1'], () => [redriven]],
  ])('filters: %j', async (argv, want) => {
    const runs = JSON.parse((await h.run(runsCommand, [...argv, '--json'])).out) as RunSummary[];
    expect(runs.map((r) => r.runId)).toEqual(want());
  });

  it('says when no run matches the filters', async () => {
    expect((await h.run(runsCommand, ['--feed', 'nope'])).out).toBe('no runs match these filters');
  });

  it.each([
    [['--status', 'DONE'], '--status DONE: expected one of FINISHED, FAILED'],
    [['--limit', '0'], '--limit 0: expected a positive whole number'],
    [['--limit', '2x'], '--limit 2x: expected a positive whole number'],
    [['--since', 'yesterday'], '--since yesterday: expected an ISO date (2026-12-01, 2026-12-01T10:00Z) or an age'],
    [['--since', '2026-02-30'], '--since 2026-02-30: not a real date'],
    [['--since', '1h', '--until', '2h'], '--since 1h is not before --until 2h'],
    [['--file', ''], '--file needs a value'],
    [['stray'], 'efi runs takes no arguments, got stray'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 on bad arguments: %j', async (argv, message) => {
    const r = await h.run(runsCommand, argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('efi show', () => {
  it("shows the feed, the file's current location, durations and the error", async () => {
    const r = await h.run(showCommand, [bad]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('feed      crm (config crm.customers)');
    expect(r.out).toContain('file      s3://efi-local/landing/customers_20261123.txt');
    expect(r.out).toMatch(
      /now at {4}s3:\/\/efi-local\/rejected\/crm\/\d{4}\/\d{2}\/\d{2}\/customers_20261123.txt \(rejected\)/,
    );
    expect(r.out).toContain('rows      300 records in the file, 0 loaded');
    // The message names the place itself: said once.
    expect(r.out).toMatch(
      /^error {5}RowRejected: stage\.customers refused the row at line 57, field 5 \(created_on\): /m,
    );
    const errorRow = r.out.split('\n').find((l) => l.startsWith('error '))!;
    expect(errorRow.match(/line 57, field 5/g)?.length).toBe(1);
    expect(r.out).toMatch(/^STATE +STATUS +TOOK +OUTPUT \/ ERROR$/m);
    expect(r.out).toMatch(/^ValidateFile +SUCCEEDED +\d+ ms +\{"validation"/m);
    expect(r.out).toMatch(/^CheckLoad +CAUGHT +\d+ ms +RowRejected:/m);
  });

  it('a finished file is found in archive/', async () => {
    const d = JSON.parse((await h.run(showCommand, [good, '--json'])).out) as RunDetail;
    expect(d.location).toMatchObject({ where: 'archive' });
    expect(d.location!.uri).toMatch(/^s3:\/\/efi-local\/archive\/sales\/.*sales_pos_20261122.csv$/);
    expect(d.states.every((s) => typeof s.durationMs === 'number')).toBe(true);
  });

  it('groups a redriven run by attempt', async () => {
    const r = await h.run(showCommand, [redriven]);
    expect(r.out).toMatch(/^original run \(.* UTC\)$/m);
    expect(r.out).toMatch(/^redrive 1, resumed at (SubmitLoad|CheckLoad) \(.* UTC\)$/m);
    expect(r.out).toContain(', redriven 1x');
    const original = r.out.slice(r.out.indexOf('original run'), r.out.indexOf('redrive 1,'));
    expect(original).toMatch(/FAILED/);
    expect(r.out.slice(r.out.indexOf('redrive 1,'))).toMatch(/^Archive +SUCCEEDED/m);
  });

  it('--full prints whole inputs and outputs, untruncated', async () => {
    const r = await h.run(showCommand, [bad, '--full']);
    expect(r.out).not.toContain('...');
    expect(r.out).toMatch(/^FetchConfig {2}SUCCEEDED, \d+ ms$/m);
    expect(r.out).toContain('"key": "landing/customers_20261123.txt"');
    expect(r.out).toContain('(SQLSTATE 22008)');
  });

  it('--state NAME shows only that state, in full; --json too', async () => {
    const r = await h.run(showCommand, [bad, '--state', 'CheckLoad']);
    expect(r.out.split('\n')[1]).toMatch(/^CheckLoad {2}CAUGHT, \d+ ms$/);
    expect(r.out).toContain('error: RowRejected');
    expect(r.out).not.toContain('ValidateFile');
    const steps = JSON.parse((await h.run(showCommand, [bad, '--state', 'CheckLoad', '--json'])).out);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ name: 'CheckLoad', status: 'CAUGHT', error: 'RowRejected' });
  });

  it('refuses an unknown state with the states it has (exit 2), an unknown run with exit 1', async () => {
    const r = await h.run(showCommand, [bad, '--state', 'Nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('has no state "Nope"; its states: FetchConfig, IsDuplicate, ValidateFile');
    expect(await h.run(showCommand, ['no-such-run'])).toMatchObject({
      code: 1,
      err: 'no run no-such-run; list them with: efi runs',
    });
    expect((await h.run(showCommand, [])).code).toBe(2);
  });
});

describe('efi logs', () => {
  it('prints the event history with id, timestamp, type, state and details', async () => {
    const r = await h.run(logsCommand, [bad]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ID +TIMESTAMP \(UTC\) +TYPE +STATE +REDRIVE +DETAILS$/);
    expect(lines[1]).toMatch(/^1 +\d{4}-\d{2}-\d{2} [\d:.]+ +ExecutionStarted/);
    expect(lines[2]).toMatch(/^2 .* StateEntered +FetchConfig +\{"time"/);
    expect(lines.at(-1)).toMatch(/ExecutionFailed +FileRejected: The file was rejected/);
  });

  it('--reverse and --json', async () => {
    const { events } = JSON.parse((await h.run(logsCommand, [redriven, '--json', '--reverse'])).out) as {
      events: HistoryEventRow[];
    };
    expect(events[0]!.type).toBe('ExecutionSucceeded');
    expect(events.at(-1)).toMatchObject({ id: 1, type: 'ExecutionStarted', redriveCount: 0 });
    expect(events.some((e) => e.redriveCount === 1 && e.type === 'StateEntered')).toBe(true);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => b - a));
  });

  it('usage and unknown runs', async () => {
    expect((await h.run(logsCommand, [])).code).toBe(2);
    expect((await h.run(logsCommand, ['a', 'b'])).code).toBe(2);
    expect(await h.run(logsCommand, ['nope'])).toMatchObject({ code: 1, err: 'no run nope; list them with: efi runs' });
  });
});
