import type { StatementRef } from '../contract/payloads.ts';
import { isTransientStatementError, StatementStillRunning, TransientError } from '../errors.ts';
import type { StatementState, StatementStatus } from '../ports/warehouse.ts';

/**
 * Decisions CheckLoad and CheckTransform share, kept apart from I/O.
 *
 * A Step Functions redrive resumes at the failed state, which is the Check,
 * not the Submit: a statement that failed before a redrive is resubmitted by
 * the Check (new attempt, new client token).
 */

/**
 * How a polled statement stands: keep waiting, done, ended without success,
 * or FAILED by a cause that clears by itself (`transient`: Redshift error 1023,
 * a serialization failure, a lost connection; the same rule, errors.ts
 * `isTransientFailure`, that makes such an error thrown by ExecuteStatement
 * EfiTransient). An ABORTED statement was stopped on purpose: never transient.
 */
export function statementOutcome(
  status: StatementState,
  error: string | null = null,
): 'running' | 'finished' | 'failed' | 'transient' {
  if (status === 'FINISHED') return 'finished';
  if (status === 'FAILED') return isTransientStatementError(error) ? 'transient' : 'failed';
  return status === 'ABORTED' ? 'failed' : 'running';
}

/**
 * Statements a Check submits again, within one attempt, for a statement that
 * failed transiently: one submit plus these five make six tries, as the ASL's
 * Retry of EfiTransient (MaxAttempts 6) gives a submit that throws it.
 */
export const TRANSIENT_RESUBMITS = 5;

/**
 * What a Check does with a statement that FAILED transiently: the number of
 * the resubmit to make (its client token is new, so the Data API runs it
 * again), or, past TRANSIENT_RESUBMITS, the EfiTransient to fail with, as a
 * submit that kept throwing it ends once the ASL's retries are spent
 * (redrivable: a redrive resubmits with a fresh count). Retries counted under
 * an earlier RedriveCount do not count.
 */
export function transientResubmit(
  ref: Pick<StatementRef, 'statementId' | 'retries' | 'retriesUnder'>,
  redriveCount: number,
  error: string | null,
  what: string,
): { retry: number } | TransientError {
  const before = ref.retriesUnder === redriveCount ? (ref.retries ?? 0) : 0;
  if (before < TRANSIENT_RESUBMITS) return { retry: before + 1 };
  return new TransientError(
    `${what} ${ref.statementId} failed ${before + 1} times by a cause that clears by itself (${error ?? 'no reason given'}); nothing of it is committed. Redrive the run to submit it again.`,
  );
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
  if (earlier === null) return false;
  const outcome = statementOutcome(earlier.status);
  return outcome === 'running' || outcome === 'finished';
}

/** How the Wait/Check loops pace themselves (construct prop `statementPolling`, env EFI_POLL_*). */
export interface PollPolicy {
  /** First wait after a submit. */
  firstWaitSeconds: number;
  /** Cap of the doubling wait. */
  maxWaitSeconds: number;
  /** Polls of one statement per execution attempt before StatementStillRunning. */
  maxPolls: number;
}

/**
 * 5 s doubling to 5 minutes, 150 polls: ~12.1 h of waiting (under the
 * execution's 24 h timeout) and ~1,350 history events per loop, so the
 * failure comes far below the 25,000-event limit and leaves room to redrive
 * (docs/deploy.md, "History budget").
 */
export const DEFAULT_POLL_POLICY: PollPolicy = { firstWaitSeconds: 5, maxWaitSeconds: 300, maxPolls: 150 };

/** History events one Wait → Check (Lambda) → Choice round adds: Wait 2, Task 5 (entered, scheduled, started, succeeded, exited), Choice 2. */
export const HISTORY_EVENTS_PER_POLL = 9;

/**
 * Seconds to wait before poll number `polls + 1` (0 after the submit).
 *
 * @example nextWaitSeconds(0) // 5; nextWaitSeconds(3) // 40; nextWaitSeconds(20) // 300
 */
export function nextWaitSeconds(polls: number, policy: PollPolicy = DEFAULT_POLL_POLICY): number {
  const wait = policy.firstWaitSeconds * 2 ** Math.min(polls, 30);
  return Math.max(0, Math.min(policy.maxWaitSeconds, Math.round(wait)));
}

/** Seconds spent waiting over `polls` polls (what the ceiling means in time). */
export function waitedSeconds(polls: number, policy: PollPolicy = DEFAULT_POLL_POLICY): number {
  let total = 0;
  for (let i = 0; i < polls; i++) total += nextWaitSeconds(i, policy);
  return total;
}

/** The fields a Submit returns so the first Wait has its length. */
export function firstPoll(redriveCount: number, policy: PollPolicy = DEFAULT_POLL_POLICY) {
  return { polls: 0, pollsUnder: redriveCount, nextWaitSeconds: nextWaitSeconds(0, policy) };
}

/** What a Submit returns for a statement (new, reused or none): its attempt and a fresh poll budget. */
export function submittedRef(
  statementId: string,
  status: StatementRef['status'],
  redriveCount: number,
  policy: PollPolicy = DEFAULT_POLL_POLICY,
) {
  return { statementId, status, attempt: redriveCount, ...firstPoll(redriveCount, policy) };
}

/**
 * Counts one more poll of a statement still running and says how long to
 * wait next; past the ceiling, fails with StatementStillRunning (operational,
 * redrivable: a redrive counts afresh and polls the same statement).
 */
export function nextPoll(
  ref: Pick<StatementRef, 'statementId' | 'polls' | 'pollsUnder'>,
  redriveCount: number,
  policy: PollPolicy = DEFAULT_POLL_POLICY,
  what = 'statement',
): { polls: number; pollsUnder: number; nextWaitSeconds: number } {
  const before = ref.pollsUnder === redriveCount ? (ref.polls ?? 0) : 0;
  const polls = before + 1;
  if (polls >= policy.maxPolls) {
    const hours = (waitedSeconds(polls, policy) / 3600).toFixed(1);
    throw new StatementStillRunning(
      `${what} ${ref.statementId} is still running after ${polls} polls (~${hours} h); it goes on in the warehouse. Check it (e.g. a lock or a queue), then redrive to keep waiting for it, or cancel it and redrive.`,
    );
  }
  return { polls, pollsUnder: redriveCount, nextWaitSeconds: nextWaitSeconds(polls, policy) };
}
