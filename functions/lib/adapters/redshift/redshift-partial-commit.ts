import { splitStatements } from '../../sql/named-parameters.ts';

/**
 * Statements after which a FAILED or ABORTED Redshift statement may still have committed part of
 * its work (Developer Guide, *Managing transactions*): a CALLed procedure can COMMIT, ROLLBACK or
 * TRUNCATE inside, or be NONATOMIC (every statement commits); TRUNCATE "commits the transaction
 * in which it is run"; COMMIT / END / ROLLBACK / ABORT end the batch's transaction, so what
 * follows runs in another one.
 */
const COMMITS_ON_ITS_OWN = new Set(['CALL', 'TRUNCATE', 'COMMIT', 'END', 'ROLLBACK', 'ABORT']);

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * Whether SQL that FAILED or was ABORTED on Redshift may have committed part of its work, so
 * "nothing committed" would be a guess. Literals, quoted names and comments are not read as
 * statements (the scanner `splitStatements` counts with).
 *
 * @example mayHaveCommittedPart('CALL core.merge_sales(:run_id)') // true
 * @example mayHaveCommittedPart("DELETE FROM core.t WHERE note = 'truncate'; INSERT INTO core.t SELECT 1") // false
 */
export function mayHaveCommittedPart(sql: string): boolean {
  return splitStatements(sql).some((statement) => {
    const word = /^[A-Za-z]+/.exec(statement.replace(LEADING_COMMENTS, ''))?.[0];
    return word !== undefined && COMMITS_ON_ITS_OWN.has(word.toUpperCase());
  });
}
