import type { StatementRef } from '../contract/payloads.ts';
import type { StatementState, StatementStatus } from '../ports/warehouse.ts';

/**
 * Decisions CheckLoad and CheckTransform share, kept apart from I/O.
 *
 * A Step Functions redrive resumes at the failed state, which is the Check,
 * not the Submit: a statement that failed before a redrive is resubmitted by
 * the Check (new attempt, new client token).
 */

/** How a polled statement stands: keep waiting, done, or ended without success. */
export function statementOutcome(status: StatementState): 'running' | 'finished' | 'failed' {
  if (status === 'FINISHED') return 'finished';
  return status === 'FAILED' || status === 'ABORTED' ? 'failed' : 'running';
}

/**
 * True when a failed statement was submitted under an earlier attempt than
 * the execution's current RedriveCount: the operator fixed the cause and
 * redrove, so submit it again instead of failing again.
 */
export function resubmitAfterRedrive(ref: Pick<StatementRef, 'attempt'>, redriveCount: number): boolean {
  return ref.attempt < redriveCount;
}

/**
 * How long a Check may let the warehouse hold its answer for a running
 * statement (a long poll: the local warehouse answers as soon as the statement
 * settles; the Data API answers at once). Keeps a long load to one poll cycle
 * of history events per few seconds. Well within the Checks' TimeoutSeconds.
 */
export const DESCRIBE_WAIT_MS = 5_000;

/**
 * Whether a submit must return the run's earlier statement instead of
 * submitting a new one: it committed (a load is never repeated) or it is still
 * running (in Redshift a statement outlives the Lambda that submitted it).
 * Only a statement that ended FAILED or ABORTED is submitted again. This is
 * what makes a Submit state safe to re-run after a crash or a redrive, whose
 * new RedriveCount gives a new client token.
 */
export function reuseEarlierStatement(earlier: Pick<StatementStatus, 'status'> | null): boolean {
  return earlier !== null && statementOutcome(earlier.status) !== 'failed';
}
