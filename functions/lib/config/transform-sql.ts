import { MAX_LOAD_STATEMENTS } from '../ports/load-spec-rules.ts';
import { backslashQuotes, namedParameters, statementCount } from '../sql/named-parameters.ts';

/**
 * What a transform's SQL may use as named parameters, and the mistakes in it
 * that `efi config validate` refuses because the Redshift Data API would fail
 * the run only after the rows are loaded. Pure: no I/O.
 */

/** The run values a transform may use, the Data API's `:name` syntax (steps/transform-parameters.ts binds them). */
export const TRANSFORM_PARAMETER_NAMES = ['run_id', 'source_file', 'loaded_at'] as const;
export type TransformParameterName = (typeof TRANSFORM_PARAMETER_NAMES)[number];

const KNOWN: ReadonlySet<string> = new Set(TRANSFORM_PARAMETER_NAMES);
const LIST = TRANSFORM_PARAMETER_NAMES.map((n) => `:${n}`).join(', ');

/**
 * Why the transform SQL would fail on Redshift, one message each; empty when it would not.
 *
 * @example transformSqlProblems('CALL p(:runid)') // [':runid is not a parameter efi sets ...']
 */
export function transformSqlProblems(sql: string): string[] {
  const problems: string[] = [];
  const uses = namedParameters(sql, null);
  const statements = statementCount(sql);
  for (const name of new Set(uses.map((u) => u.name).filter((n) => !KNOWN.has(n)))) {
    // Sent as it is, :name reaches Redshift as a syntax error at ':' (the Data API binds only what it is given).
    const lower = name.toLowerCase();
    const hint = KNOWN.has(lower) ? ` (names are lower case: :${lower})` : '';
    problems.push(
      `:${name} is not a parameter efi sets${hint}: use ${LIST}; a colon meant as text goes in a '...' literal`,
    );
  }
  if (uses.some((u) => KNOWN.has(u.name)) && statements > 1) {
    // Locally the parameters are bound with PostgreSQL's extended protocol, which runs one statement.
    problems.push(
      `with parameters (${LIST}) the transform must be one statement, and this SQL has ${statements}: put them in a stored procedure and CALL it with the parameters`,
    );
  }
  if (statements > MAX_LOAD_STATEMENTS) {
    // Several statements go to Redshift as one BatchExecuteStatement, whose Sqls hold at most 40.
    problems.push(
      `the transform has ${statements} statements; Redshift's Data API runs at most ${MAX_LOAD_STATEMENTS} in one transaction (BatchExecuteStatement): move them into a stored procedure and CALL it`,
    );
  }
  if (backslashQuotes(sql).length > 0) {
    problems.push(
      "a string literal has \\' in it: Redshift reads it as a quote inside the literal, PostgreSQL (the local warehouse) as its end, so the SQL and its :parameters differ between them; write the quote as ''",
    );
  }
  return problems;
}
