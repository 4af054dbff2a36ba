import { describe, expect, it } from 'vitest';
import { lineOfPosition, splitSqlScript, statementKind } from '../../../cli/legacy/sql-script.ts';

describe('splitSqlScript', () => {
  it('splits at semicolons outside literals, identifiers, comments and dollar bodies, with each statement line', () => {
    const sql = [
      '-- a comment; not a statement',
      'CREATE TABLE RDSCNFG.T (a text);',
      '',
      "COMMENT ON TABLE RDSCNFG.T IS 'one; '' two';",
      "/* block /* nested; */ still comment; */ INSERT INTO \"x;y\" VALUES (E'it\\'s; fine');",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;',
      'SELECT 2',
    ].join('\n');
    const { statements } = splitSqlScript(sql);
    expect(statements.map((s) => [s.line, s.text])).toEqual([
      [2, 'CREATE TABLE RDSCNFG.T (a text)'],
      [4, "COMMENT ON TABLE RDSCNFG.T IS 'one; '' two'"],
      [5, "INSERT INTO \"x;y\" VALUES (E'it\\'s; fine')"],
      [6, 'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql'],
      // psql runs a last statement without a semicolon too.
      [7, 'SELECT 2'],
    ]);
  });

  it('reads pg_dump COPY FROM stdin data up to \\. and skips psql meta-commands', () => {
    const sql = [
      '\\restrict abc123',
      "SET client_encoding = 'UTF8';",
      'COPY rdscnfg.ext_interface (ext_interface_cid, interface_name) FROM stdin;',
      '527\tNDC_X_PA_TYPE',
      '558\t\\N',
      '\\.',
      'SELECT 1;',
      '\\unrestrict abc123',
    ].join('\n');
    const { statements, metaCommands } = splitSqlScript(sql);
    expect(statements.map((s) => [s.line, s.text, s.copyData])).toEqual([
      [2, "SET client_encoding = 'UTF8'", undefined],
      [
        3,
        'COPY rdscnfg.ext_interface (ext_interface_cid, interface_name) FROM stdin',
        '527\tNDC_X_PA_TYPE\n558\t\\N\n',
      ],
      [7, 'SELECT 1', undefined],
    ]);
    expect(metaCommands).toEqual([
      { line: 1, text: '\\restrict abc123' },
      { line: 8, text: '\\unrestrict abc123' },
    ]);
  });

  it('an E in an identifier does not start an escape string', () => {
    const { statements } = splitSqlScript("SELECT name' \\';SELECT 2;");
    expect(statements.map((s) => s.text)).toEqual(["SELECT name' \\'", 'SELECT 2']);
  });
});

describe('statementKind', () => {
  it.each([
    ['DROP TABLE IF EXISTS RDSCNFG.EXT_INTERFACE', 'ddl'],
    ['-- c\nCOMMENT ON TABLE x IS $$y$$', 'ddl'],
    ['INSERT INTO\n rdscnfg.ext_interface VALUES (1)', 'dml'],
    ['COPY t FROM stdin', 'dml'],
    ['BEGIN', 'transaction'],
    ['commit', 'transaction'],
    ['ALTER TABLE rdscnfg.ext_interface OWNER TO rds_admin', 'privilege'],
    ['ALTER TABLE rdscnfg.t RENAME COLUMN owner TO holder', 'ddl'],
    ['GRANT SELECT ON ALL TABLES IN SCHEMA rdscnfg TO app', 'privilege'],
    ["SELECT pg_catalog.set_config('search_path', '', false)", 'other'],
  ])('%j is %s', (text, kind) => {
    expect(statementKind(text)).toBe(kind);
  });
});

it('lineOfPosition counts the lines before a 1-based position in the statement', () => {
  const stmt = { text: 'ALTER TABLE a\n  ADD x\n  REFERENCES b', line: 10 };
  expect(lineOfPosition(stmt, 1)).toBe(10);
  expect(lineOfPosition(stmt, stmt.text.indexOf('REFERENCES') + 1)).toBe(12);
});

it('lineOfPosition counts characters as PostgreSQL does, an emoji as one', () => {
  // Position 16 is "y" on the second line: in UTF-16 code units the emojis would put it on the first.
  const stmt = { text: "SELECT '😀😀😀'\nx y", line: 3 };
  expect(lineOfPosition(stmt, 16)).toBe(4);
});
