import type { MatchedRun, StatementRef } from '../contract/payloads.ts';
import { TransformFailed, TransientError } from '../errors.ts';
import {
  DESCRIBE_WAIT_MS,
  nextPoll,
  resubmitAfterRedrive,
  statementOutcome,
  transientResubmit,
} from './statement-poll.ts';
import { type SubmitTransformPorts, submitTransform } from './submit-transform.ts';

export interface CheckTransformInput {
  run: MatchedRun;
  transform: StatementRef;
  redriveCount: number;
}

export type CheckTransformPorts = SubmitTransformPorts;

/** CheckTransform: poll the transform; a failure is operational and a redrive reruns only the transform. */
export async function checkTransform(input: CheckTransformInput, ports: CheckTransformPorts): Promise<StatementRef> {
  if (input.transform.statementId === 'none') return input.transform;
  const st = await ports.warehouse.describe(input.transform.statementId, { waitMs: DESCRIBE_WAIT_MS });
  const outcome = statementOutcome(st.status, st.error);
  if (outcome === 'finished') return { ...input.transform, status: 'FINISHED' };
  if (outcome === 'running') {
    return {
      ...input.transform,
      status: st.status,
      ...nextPoll(input.transform, input.redriveCount, ports.poll, 'post-load transform statement'),
    };
  }
  // The data is loaded already: a redrive reruns only the transform.
  if (resubmitAfterRedrive(input.transform, input.redriveCount)) return submitTransform(input, ports);
  if (outcome === 'transient') {
    // It rolled back whole, so running it again is safe (a committed transform is never resubmitted).
    const next = transientResubmit(input.transform, input.redriveCount, st.error, 'post-load transform statement');
    if (next instanceof TransientError) throw next;
    return submitTransform(input, ports, next);
  }
  const rolledBack = st.partialCommit
    ? ' It may have committed part of its work first (a CALLed procedure can COMMIT, TRUNCATE commits): check the target before the redrive runs it again.'
    : ' It rolled back whole.';
  throw new TransformFailed(
    `post-load transform (statement ${st.statementId}) ${st.status === 'ABORTED' ? 'was aborted' : 'failed'}: ${st.error ?? 'no reason given'}.${rolledBack} The rows are loaded; fix the SQL or its objects, then redrive: efi redrive ${input.run.runId}`,
  );
}
