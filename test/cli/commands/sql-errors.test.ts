import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlCommand, sqlErrorLine } from '../../../cli/commands/sql.ts';
import { type CliHome, cliHome } from '../../support/cli-home.ts';

let h: CliHome;
beforeAll(() => {
  h = cliHome('cli-sql-errors');
});
afterAll(() => h.close());

describe('efi sql errors', () => {
  it('a syntax error is one line with where it is and what to do, exit 1', async () => {
    const r = await h.run(sqlCommand, ['SELECT 1;\nSELEC 2']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'efi sql: syntax error at or near "SELEC" (line 2, column 1; SQLSTATE 42601): fix the SQL and run it again',
    );
  });

  it('an unknown table says how to list the tables', async () => {
    const r = await h.run(sqlCommand, ['SELECT * FROM nope']);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /^efi sql: relation "nope" does not exist \(line 1, column 15; SQLSTATE 42P01\): list the tables with efi sql "SELECT table_schema/,
    );
  });

  it('the column counts characters as PostgreSQL does, an emoji as one', async () => {
    const r = await h.run(sqlCommand, ["SELECT '😀😀', nope"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('column "nope" does not exist (line 1, column 14; SQLSTATE 42703)');
  });

  it('a --file that cannot be read is a usage error naming it, not a stack', async () => {
    const r = await h.run(sqlCommand, ['--file', '/nonexistent/ddl.sql']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('cannot read --file /nonexistent/ddl.sql: ENOENT');
  });

  it('a PostgreSQL warehouse that does not answer names EFI_WAREHOUSE (password hidden) and what to do', async () => {
    const down = cliHome('cli-sql-down', { EFI_WAREHOUSE: 'postgres://u:secret@127.0.0.1:1/x' });
    try {
      const r = await down.run(sqlCommand, ['SELECT 1']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /^efi sql: cannot reach the warehouse at EFI_WAREHOUSE=postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED.*: start that server or fix EFI_WAREHOUSE/,
      );
      expect(r.err).not.toContain('secret');
    } finally {
      await down.close();
    }
  });

  it('a password given in the URL query (?password=) is hidden too, as import-legacy hides it', async () => {
    const down = cliHome('cli-sql-down-query', { EFI_WAREHOUSE: 'postgres://u@127.0.0.1:1/x?password=secret' });
    try {
      const r = await down.run(sqlCommand, ['SELECT 1']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^efi sql: cannot reach the warehouse at EFI_WAREHOUSE=postgres:\/\/u@127\.0\.0\.1:1\/x: /);
      expect(r.err).not.toContain('secret');
    } finally {
      await down.close();
    }
  });

  it('a Node socket error with a five-letter code (EPIPE) is a connection error, not a SQLSTATE', () => {
    const line = sqlErrorLine(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'SELECT 1', {
      kind: 'postgres',
      url: 'postgres://u@127.0.0.1:5432/x',
    });
    expect(line).toMatch(
      /^cannot reach the warehouse at EFI_WAREHOUSE=postgres:\/\/u@127\.0\.0\.1:5432\/x: write EPIPE: /,
    );
    expect(line).not.toContain('SQLSTATE');
  });
});
