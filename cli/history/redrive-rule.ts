import type { StateStep } from '../model.ts';
import type { FoldedHistory } from './fold.ts';

/**
 * The one rule of whether a local execution may be redriven, and where it
 * resumes: used by the runner (`efi redrive`, cli/local/runner.ts), by the
 * dead-process recovery to say where a run stopped (cli/local/recovery.ts),
 * and told before the button is pressed by the console (cli/server/queries.ts).
 * Pure.
 */

/** The execution error the runner writes for a RUNNING execution whose process died (cli/local/recovery.ts). */
export const PROCESS_DIED = 'ProcessDied';

/** The parts of an ASL definition the rule reads (cli/local/definition.ts `AslDefinition` is one). */
export interface RedriveGraph {
  StartAt: string;
  States: Record<string, { Type: string; Next?: unknown }>;
}

/** Where a redrive resumes: a state, and the input it starts with. */
export interface ResumePoint {
  state: string;
  input: unknown;
}

/** Whether a redrive is allowed; `reason` completes "run <name> …" in words. */
export interface RedriveDecision {
  ok: boolean;
  reason: string;
  /** The state a redrive resumes at (or the Fail state a rejected file ended in). */
  state: string | null;
  /** The input the resumed state starts with (null when refused). */
  input: unknown;
}

/** The execution as the rule sees it: its row's status, error and input, and its folded history. */
export interface RedriveSubject {
  /** SUCCEEDED, RUNNING, FAILED, ABORTED or TIMED_OUT. */
  status: string;
  /** The execution's error name (`ProcessDied` when its process died). */
  error: string | null;
  /** The execution's original input (a run that never entered a state resumes at StartAt with it). */
  input: unknown;
  history: Pick<FoldedHistory, 'steps' | 'resumeFrom'>;
}

/**
 * The resume point of an interrupted attempt from its folded steps: a step
 * that did not end resumes itself; after a completed step, its Next with its
 * output (a Choice re-evaluates with its input); no step at all: the start.
 */
export function resumePoint(
  steps: readonly StateStep[],
  definition: RedriveGraph,
  executionInput: unknown,
  redriveInput: unknown = executionInput,
): ResumePoint | null {
  const last = steps.at(-1);
  if (!last) return { state: definition.StartAt, input: redriveInput };
  if (last.status !== 'SUCCEEDED' && last.status !== 'CAUGHT') return { state: last.name, input: last.input };
  const s = definition.States[last.name];
  if (s?.Type === 'Choice') return { state: last.name, input: last.input };
  if (typeof s?.Next !== 'string') return null;
  return { state: s.Next, input: last.output };
}

/**
 * A failed, aborted or timed-out execution resumes at its latest attempt's
 * unfinished state. A dead process may have completed its last state before
 * dying (each exit is persisted before the next state begins), and a stop or
 * an execution timeout may come between two states, so a `ProcessDied`,
 * ABORTED or TIMED_OUT execution with no unfinished state resumes after the
 * state it completed (`resumePoint`). A rejected file (ended in a Fail state)
 * is never redriven.
 *
 * @example
 * redriveDecision({ status: 'FAILED', error: 'LoadFailed', input, history: foldExecution(events) }, definition)
 * // { ok: true, reason: 'resumes at CheckLoad', state: 'CheckLoad', input: <CheckLoad's input> }
 */
export function redriveDecision(execution: RedriveSubject, definition: RedriveGraph): RedriveDecision {
  const { status, history } = execution;
  // Each refusal names what to do instead: an operator asking to redrive a good run wants its file loaded again.
  if (status === 'SUCCEEDED') {
    return {
      ok: false,
      reason:
        'is SUCCEEDED (FINISHED or SKIPPED): nothing failed, so there is nothing to redrive; to load its file again, ingest it with --reload',
      state: null,
      input: null,
    };
  }
  if (status === 'RUNNING') {
    return {
      ok: false,
      reason:
        'is RUNNING: wait for it to end (efi show RUN follows it); only FAILED, ABORTED or TIMED_OUT runs can be redriven',
      state: null,
      input: null,
    };
  }
  const open = history.resumeFrom;
  // A dead process, a stop or a timeout can land between two states (after one's exit
  // was persisted, before the next began); a state's own failure always leaves it open.
  const betweenStates = execution.error === PROCESS_DIED || status === 'ABORTED' || status === 'TIMED_OUT';
  const resume = open
    ? { state: open.name, input: open.input }
    : betweenStates
      ? resumePoint(history.steps, definition, execution.input)
      : null;
  if (!resume) return { ok: false, reason: 'has no failed state to resume from', state: null, input: null };
  if (definition.States[resume.state]?.Type === 'Fail') {
    return {
      ok: false,
      reason: `ended at ${resume.state}: the file was rejected for its content, and a redrive would reject it again. Send a corrected file.`,
      state: resume.state,
      input: null,
    };
  }
  return { ok: true, reason: `resumes at ${resume.state}`, state: resume.state, input: resume.input };
}
