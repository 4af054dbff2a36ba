import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  isCountStatement,
  parseMarker,
  renderLoadStatements,
} from '../../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { csvTarget, ROLE_ARN, spec } from './fixtures.ts';

/**
 * Redshift cannot run here, but PostgreSQL with standard_conforming_strings
 * off lexes string literals the way Redshift does (backslash escapes), and it
 * understands CREATE TEMP TABLE ... (LIKE ...), DELETE and INSERT ... SELECT.
 * Running the rendered statements (all but the COPY) proves hostile values
 * stay data: they land in the rows verbatim and nothing else runs.
 */
const pgUrl = inject('pgUrl');

describe.skipIf(!pgUrl)('rendered Redshift statements on a real SQL lexer', () => {
  const schema = `rs_inject_${randomBytes(4).toString('hex')}`;
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: pgUrl! });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${schema}.daily (id text, sold_on text, amount text, efi_source_file text, efi_run_id text, efi_loaded_at timestamp)`,
    );
    await client.query(`CREATE TABLE ${schema}.y (keep int)`);
    // Redshift's GETDATE(), so the INSERT runs unchanged.
    await client.query(
      `CREATE FUNCTION ${schema}.getdate() RETURNS timestamp LANGUAGE sql AS 'SELECT now()::timestamp'`,
    );
    await client.query(`SET search_path = ${schema}, public`);
    await client.query('SET standard_conforming_strings = off');
    await client.query('SET escape_string_warning = off');
  });

  afterAll(async () => {
    if (!client) return;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('loads hostile run id and source file verbatim and replaces only its own earlier rows', async () => {
    const runId = "r'1; drop table y; --\\";
    const sourceFile = "s3://efi-data/landing/it's \\'; drop table y; --.csv";
    const s = spec([csvTarget({ target: { schema, table: 'daily' }, recordType: "*/ drop table y; /*\n'" })], {
      runId,
      sourceFile,
    });
    const sqls = renderLoadStatements(s, { iamRoleArn: ROLE_ARN });
    const byStep = (step: string) => sqls.find((q) => parseMarker(q)?.step === step)!;

    await client.query(`INSERT INTO daily (id, efi_run_id) VALUES ('old', $1), ('other', 'another-run')`, [runId]);
    await client.query('BEGIN');
    await client.query(byStep('stage'));
    // Stands in for the COPY, which only Redshift can run.
    await client.query(`INSERT INTO efi_stage_0 (id, sold_on, amount) VALUES ('1', '2024-05-01', '9.50')`);
    await client.query(byStep('delete'));
    await client.query(byStep('insert'));
    // The count statement of the same session and transaction: the staged rows, which the INSERT took.
    const counted = await client.query(sqls.find((q) => isCountStatement(q))!);
    await client.query('COMMIT');
    expect(counted.rows.map((r) => [Number(r.efi_target), Number(r.efi_rows)])).toEqual([[0, 1]]);

    const rows = await client.query(
      'SELECT id, efi_source_file, efi_run_id, efi_loaded_at IS NOT NULL AS stamped FROM daily ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { id: '1', efi_source_file: sourceFile, efi_run_id: runId, stamped: true },
      { id: 'other', efi_source_file: null, efi_run_id: 'another-run', stamped: false },
    ]);
    const y = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'y'`, [
      schema,
    ]);
    expect(y.rows[0].n).toBe(1);
  });
});
