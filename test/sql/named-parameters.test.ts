import { describe, expect, it } from 'vitest';
import {
  namedParameters,
  nextCode,
  splitStatements,
  statementCount,
  statementEnd,
  toPositional,
} from '../../functions/lib/sql/named-parameters.ts';

const NAMES = new Set(['run_id', 'source_file', 'loaded_at']);
const names = (sql: string) => namedParameters(sql, NAMES).map((p) => p.name);

describe('named SQL parameters', () => {
  it('finds :name outside literals, quoted identifiers, comments and dollar-quoted bodies', () => {
    const sql = `SELECT ':run_id', ":run_id", $$ :run_id $$, $t$ :run_id $t$ -- :run_id
      /* :run_id /* nested :run_id */ :run_id */ , :source_file, x::text, :loaded_at`;
    expect(names(sql)).toEqual(['source_file', 'loaded_at']);
  });

  it('leaves ::casts, unknown names and names in another case alone', () => {
    expect(names('SELECT a::run_id, :other, :RUN_ID, :run_idx, :run_id')).toEqual(['run_id']);
  });

  it('treats a doubled quote as part of the literal', () => {
    expect(names("SELECT 'it''s :run_id', :run_id")).toEqual(['run_id']);
  });

  it('rewrites to $n for positional drivers, one number per use (PostgreSQL types each $n once)', () => {
    expect(
      toPositional("CALL p(:run_id, :source_file, :run_id, ':run_id')", [
        { name: 'run_id', value: 'r' },
        { name: 'source_file', value: 's3://b/k' },
      ]),
    ).toEqual({ text: "CALL p($1, $2, $3, ':run_id')", values: ['r', 's3://b/k', 'r'] });
  });

  it('leaves names without a value as written', () => {
    expect(toPositional('SELECT :loaded_at, :run_id', [{ name: 'run_id', value: 'r' }])).toEqual({
      text: 'SELECT :loaded_at, $1',
      values: ['r'],
    });
  });
});

describe('splitStatements', () => {
  it("splits at the ';' statementCount counts: not in literals, quoted identifiers, comments or $$ bodies", () => {
    const sql = `INSERT INTO a VALUES ('x;y'); -- a; comment
      UPDATE "we;ird" SET v = 1 /* ; */;
      CREATE PROCEDURE p() AS $$ BEGIN x := 1; END; $$ LANGUAGE plpgsql;
      ;  -- trailing`;
    const parts = splitStatements(sql);
    expect(parts).toEqual([
      "INSERT INTO a VALUES ('x;y')",
      '-- a; comment\n      UPDATE "we;ird" SET v = 1 /* ; */',
      'CREATE PROCEDURE p() AS $$ BEGIN x := 1; END; $$ LANGUAGE plpgsql',
    ]);
    expect(parts).toHaveLength(statementCount(sql));
  });

  it('gives one statement, as written, for SQL without a separating semicolon', () => {
    expect(splitStatements("CALL core.merge_sales(:run_id, 'a;b');")).toEqual([
      "CALL core.merge_sales(:run_id, 'a;b')",
    ]);
    expect(splitStatements('  -- only a comment ;  ')).toEqual([]);
  });
});

describe('statementEnd and nextCode: the one rule for where a statement ends', () => {
  it("statementEnd finds the ';' outside literals, identifiers, comments and dollar bodies", () => {
    const sql = `SELECT ';', "a;b", $$;$$ /* ; */ -- ;\n; SELECT 2`;
    expect(statementEnd(sql, 0)).toBe(sql.indexOf('\n;') + 1);
    expect(statementEnd(sql, sql.indexOf('\n;') + 2)).toBe(sql.length);
  });

  it("reads E'...' with backslash escapes, as PostgreSQL does, so counting and splitting agree with it", () => {
    const sql = "SELECT E'it\\'s; x'; SELECT 2";
    expect(statementEnd(sql, 0)).toBe(sql.indexOf("'; ") + 1);
    expect(statementCount(sql)).toBe(2);
    // An E at the end of an identifier starts no escape string.
    expect(statementEnd("SELECT name' \\';x", 0)).toBe(15);
  });

  it('a $ inside an identifier (a$$b) opens no dollar-quoted body', () => {
    expect(statementCount('SELECT a$$b$$; SELECT 2')).toBe(2);
  });

  it('nextCode skips blanks and comments, and stops at a literal or a semicolon', () => {
    expect(nextCode('  -- c\n /* d */ SELECT', 0)).toBe(16);
    expect(nextCode("  'x'", 0)).toBe(2);
    expect(nextCode(' ; ', 0)).toBe(1);
    expect(nextCode(' -- only a comment', 0)).toBe(18);
  });
});
