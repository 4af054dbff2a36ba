import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../cli/commands/config.ts';
import { ingestCommand } from '../../../cli/commands/ingest.ts';
import { sqlCommand } from '../../../cli/commands/sql.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

const SAMPLES = path.resolve('samples');
let h: CliHome;

beforeAll(async () => {
  h = cliHome('cli-ingest-progress');
  await h.run((argv, ctx) => configCommand(argv, ctx), ['apply', path.join(SAMPLES, 'configs')]);
  await h.run(sqlCommand, ['--file', path.join(SAMPLES, 'warehouse.sql')]);
});

afterAll(() => h.close());

const stateLines = (err: string, state: string) =>
  err.split('\n').filter((l) => new RegExp(`^ {2}\\S+ ${state} `).test(l));

describe('efi ingest progress', () => {
  it('a load that finishes prints its CheckLoad once, as ok', async () => {
    const r = await h.run(ingestCommand, [path.join(SAMPLES, 'files', 'customers_20261122.txt')]);
    expect(r.code).toBe(0);
    expect(stateLines(r.err, 'CheckLoad')).toEqual([expect.stringMatching(/^ {2}ok CheckLoad +\d+ ms$/)]);
  });

  it('a CheckLoad whose row was rejected prints FAILED and caught, never ok', async () => {
    const r = await h.run(ingestCommand, [path.join(SAMPLES, 'files', 'customers_20261123.txt')]);
    expect(r.code).toBe(1);
    const lines = stateLines(r.err, 'CheckLoad');
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual(['FAILED', 'caught']);
    expect(lines[0]).toContain('RowRejected');
  });
});
