import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('PostgreSQL test server', () => {
  it('accepts connections', async () => {
    const client = new pg.Client({ connectionString: pgUrl! });
    await client.connect();
    const r = await client.query('select 1 + 1 as two');
    await client.end();
    expect(r.rows[0].two).toBe(2);
  });
});
