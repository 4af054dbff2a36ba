import { describe, expect, it } from 'vitest';
import { checkConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { backslashQuotes, statementCount } from '../../functions/lib/sql/named-parameters.ts';

const withTransform = (sql: string) =>
  [
    'interface: sales',
    'files:',
    '  - id: sales.daily',
    '    match: { glob: "sales/daily_*.csv" }',
    '    target: { schema: stage, table: sales }',
    '    columns: [a, b]',
    '    transform:',
    '      sql: |',
    ...sql.split('\n').map((l) => `        ${l}`),
  ].join('\n');
const problems = (sql: string) =>
  checkConfigYaml(withTransform(sql), 'feed.yaml').issues.map((i) => `${i.path}: ${i.message}`);

describe('config validate checks a transform’s :name parameters as the Data API would run them', () => {
  it('accepts the three run values next to a literal, a ::cast, a dollar-quoted body and comments holding colons', () => {
    expect(
      problems(`/* :source_file, :nope */ INSERT INTO core.audit
SELECT :run_id, :source_file, :loaded_at::timestamp, 'at :nope' || $q$ :nope; $q$ -- :nope
FROM stage.sales WHERE efi_run_id = :run_id;`),
    ).toEqual([]);
  });

  it('refuses a :name efi does not set (sent as it is, Redshift fails at the colon after the load)', () => {
    expect(problems('CALL core.promote(:runid)')).toEqual([
      "files[0].transform.sql: :runid is not a parameter efi sets: use :run_id, :source_file, :loaded_at; a colon meant as text goes in a '...' literal",
    ]);
  });

  it('says the names are lower case when one is written in capitals', () => {
    expect(problems('CALL core.promote(:RUN_ID)')[0]).toContain(
      ':RUN_ID is not a parameter efi sets (names are lower case: :run_id)',
    );
  });

  it('refuses parameters in SQL of several statements (ExecuteStatement with Parameters runs one)', () => {
    expect(problems('DELETE FROM core.s WHERE run_id = :run_id;\nINSERT INTO core.s SELECT * FROM stage.s')).toEqual([
      'files[0].transform.sql: with parameters (:run_id, :source_file, :loaded_at) the transform must be one statement, and this SQL has 2: put them in a stored procedure and CALL it with the parameters',
    ]);
  });

  it('still takes several statements without parameters', () => {
    expect(problems('DELETE FROM core.s;\nINSERT INTO core.s SELECT * FROM stage.s;')).toEqual([]);
  });

  it('refuses more statements than one BatchExecuteStatement runs (40), which Redshift would refuse after the load', () => {
    const sql = (n: number) => Array.from({ length: n }, (_, i) => `INSERT INTO core.s VALUES (${i});`).join('\n');
    expect(problems(sql(40))).toEqual([]);
    expect(problems(sql(41))).toEqual([
      expect.stringMatching(/transform\.sql: the transform has 41 statements; .* at most 40 .*stored procedure/),
    ]);
  });
});

describe('backslash before a quote in a transform literal', () => {
  it("is refused: Redshift and PostgreSQL end 'it\\'s :run_id' at different quotes", () => {
    expect(problems("INSERT INTO core.a SELECT 'it\\'s :run_id', :run_id")).toEqual([
      expect.stringMatching(
        /^files\[0\]\.transform\.sql: a string literal has \\' in it: Redshift reads it as a quote inside the literal/,
      ),
    ]);
  });

  it("is refused when PostgreSQL reads the \\' as the start of a doubled quote: 'a\\'' || 'b'", () => {
    // PostgreSQL: one literal `a\' || ` then an open one; Redshift: `a'` || `b`.
    expect(backslashQuotes("SELECT 'a\\'' || 'b'")).toEqual([7]);
    expect(backslashQuotes("SELECT 'x', 'it\\''s'")).toEqual([12]);
  });

  it("is fine as a doubled quote, or as an escaped backslash at the end ('C:\\\\')", () => {
    expect(problems("INSERT INTO core.a SELECT 'it''s', 'C:\\\\', :run_id")).toEqual([]);
    expect(backslashQuotes("SELECT 'a\\b', 'x'")).toEqual([]);
    expect(backslashQuotes("SELECT 'a\\\\''b'")).toEqual([]);
  });
});

describe('statementCount', () => {
  it('counts statements, not semicolons in literals, bodies, identifiers or comments, nor a trailing ; and comment', () => {
    expect(statementCount(`CREATE PROCEDURE p() AS $$ BEGIN x := 1; y := 2; END $$ LANGUAGE plpgsql;`)).toBe(1);
    expect(statementCount(`SELECT ';', ";x" FROM t /* ; */ ; -- done;\n`)).toBe(1);
    expect(statementCount('SELECT 1; SELECT 2')).toBe(2);
  });
});
