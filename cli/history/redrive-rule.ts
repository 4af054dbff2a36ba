/**
 * The one rule of whether a local execution may be redriven, and where it
 * resumes: used by the runner (`efi redrive`, cli/local/runner.ts) and told
 * before the button is pressed by the console (cli/server/queries.ts). Pure.
 */

/** Whether a redrive is allowed; `reason` completes "run <name> …" in words. */
export interface RedriveDecision {
  ok: boolean;
  reason: string;
  /** The state a redrive resumes at (or the Fail state a rejected file ended in). */
  state: string | null;
}

/**
 * @param executionStatus the execution's status (SUCCEEDED, RUNNING, FAILED, ABORTED, TIMED_OUT)
 * @param resumeFrom the latest attempt's unfinished state (`foldExecution(...).resumeFrom?.name`)
 * @param isFailState whether a state is a Fail state (a rejected file ends in one)
 * @example redriveDecision('FAILED', 'CheckLoad', () => false) // { ok: true, reason: 'resumes at CheckLoad', state: 'CheckLoad' }
 */
export function redriveDecision(
  executionStatus: string,
  resumeFrom: string | null,
  isFailState: (state: string) => boolean,
): RedriveDecision {
  if (executionStatus === 'SUCCEEDED' || executionStatus === 'RUNNING') {
    return {
      ok: false,
      reason: `is ${executionStatus}: only FAILED, ABORTED or TIMED_OUT runs can be redriven`,
      state: null,
    };
  }
  if (!resumeFrom) return { ok: false, reason: 'has no failed state to resume from', state: null };
  if (isFailState(resumeFrom)) {
    return {
      ok: false,
      reason: `ended at ${resumeFrom}: the file was rejected for its content, and a redrive would reject it again. Send a corrected file.`,
      state: resumeFrom,
    };
  }
  return { ok: true, reason: `resumes at ${resumeFrom}`, state: resumeFrom };
}
