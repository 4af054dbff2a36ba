import type { StateStep } from '../model.ts';

/**
 * The one fold over an execution's history, for both backends: Step
 * Functions' GetExecutionHistory (cli/remote/history.ts translates it) and
 * the local runner's event log (cli/local/history.ts translates it). Pure:
 * events in, steps out; no I/O, no SDK.
 *
 * The vocabulary is the intersection of the two logs, by what happened
 * rather than how each backend spells it:
 * - `entered` / `exited`: a state starts / ends (an exit after a failed
 *   attempt is a caught error: the step ends CAUGHT);
 * - `attemptStarted`: a Task attempt starts (remote `LambdaFunctionScheduled`,
 *   local `StateRetried`); after a failed attempt it marks the step RETRIED;
 * - `attemptFailed`: a Task attempt or a Fail state fails with an error;
 * - `evaluationFailed`: a path or template could not be evaluated;
 * - `stateAborted`, `executionFailed`, `executionAborted`, `executionTimedOut`:
 *   the end of an unsuccessful execution;
 * - `redriven`: a redrive starts (the steps after it carry its redrive count).
 */
export type FoldEvent =
  | { kind: 'entered'; state: string; input: unknown; at: string | null; failState?: boolean }
  | { kind: 'exited'; state: string; output: unknown; at: string | null }
  | { kind: 'attemptStarted'; state?: string | null; at: string | null }
  | { kind: 'attemptFailed'; state?: string | null; error: string; cause: string | null; at: string | null }
  | { kind: 'evaluationFailed'; state?: string | null; error: string; cause: string | null; at: string | null }
  | { kind: 'stateAborted'; at: string | null }
  | {
      kind: 'executionFailed' | 'executionAborted' | 'executionTimedOut';
      error: string | null;
      cause: string | null;
      at: string | null;
    }
  | { kind: 'redriven'; redriveCount?: number | null; at: string | null };

export interface FoldedHistory {
  /** One step per time a state was entered, in order; a redrive's steps carry its redrive count. */
  steps: StateStep[];
  /**
   * The step that explains the latest unsuccessful end: the failed Task, or,
   * when the execution ended in a Fail state (a rejected file ends in
   * FileRejected), the step of that attempt whose error was caught.
   */
  reason: StateStep | null;
  /** The redrive count of the latest attempt (0 when never redriven). */
  redriveCount: number;
  /**
   * Where a redrive resumes: the latest attempt's last step, when it did not
   * end (RUNNING, RETRIED or FAILED); null when that step succeeded or was
   * caught. It may be a Fail state: whether to redrive is the caller's call.
   */
  resumeFrom: StateStep | null;
}

const ENDED = new Set<StateStep['status']>(['SUCCEEDED', 'CAUGHT']);

/**
 * Folds execution events into per-state steps.
 *
 * @example
 * const { steps, resumeFrom } = foldExecution([
 *   { kind: 'entered', state: 'CheckLoad', input: { run: {} }, at: null },
 *   { kind: 'attemptFailed', state: 'CheckLoad', error: 'LoadFailed', cause: null, at: null },
 *   { kind: 'executionFailed', error: 'LoadFailed', cause: null, at: null },
 * ]);
 * // steps[0].status === 'FAILED'; resumeFrom === steps[0]
 */
export function foldExecution(
  events: Iterable<FoldEvent>,
  opts: { failStates?: ReadonlySet<string> } = {},
): FoldedHistory {
  const steps: StateStep[] = [];
  const failStates = new WeakSet<StateStep>();
  let reason: StateStep | null = null;
  const open = new Map<string, StateStep>();
  // Whether the last attempt of an open step failed: decides SUCCEEDED vs CAUGHT on exit.
  const attemptFailed = new WeakSet<StateStep>();
  let current: StateStep | null = null;
  let lastFailed: StateStep | null = null;
  let redriveCount = 0;

  const enter = (name: string, input: unknown, at: string | null): StateStep => {
    const step: StateStep = {
      name,
      status: 'RUNNING',
      enteredAt: at,
      exitedAt: null,
      input,
      output: null,
      error: null,
      cause: null,
      redriveCount,
      attempts: 1,
    };
    steps.push(step);
    open.set(name, step);
    current = step;
    return step;
  };
  const stepOf = (name: string | null | undefined): StateStep | null => (name ? open.get(name) : null) ?? current;

  const failOpenSteps = (error: string | null, cause: string | null, at: string | null): void => {
    for (const step of open.values()) {
      if (step.status === 'RUNNING' || step.status === 'RETRIED') {
        step.status = 'FAILED';
        step.error = step.error ?? error;
        step.cause = step.cause ?? cause;
        step.exitedAt = step.exitedAt ?? at;
      }
    }
    open.clear();
    current = null;
  };

  for (const e of events) {
    switch (e.kind) {
      case 'entered': {
        const step = enter(e.state, e.input, e.at);
        if (e.failState || opts.failStates?.has(e.state)) failStates.add(step);
        break;
      }
      case 'exited': {
        const step = open.get(e.state);
        if (!step) break;
        step.status = attemptFailed.has(step) ? 'CAUGHT' : 'SUCCEEDED';
        step.output = e.output;
        step.exitedAt = e.at;
        open.delete(step.name);
        if (current === step) current = null;
        break;
      }
      case 'attemptStarted': {
        // A redrive may resume a Task without a new `entered`: reopen the state that failed.
        const step = stepOf(e.state) ?? (lastFailed ? enter(lastFailed.name, lastFailed.input, e.at) : null);
        if (step && attemptFailed.has(step)) {
          step.status = 'RETRIED';
          step.attempts += 1;
          attemptFailed.delete(step);
        }
        break;
      }
      case 'attemptFailed':
      case 'evaluationFailed': {
        const step = stepOf(e.state);
        if (!step) break;
        step.status = 'FAILED';
        step.error = e.error;
        step.cause = e.cause;
        step.exitedAt = e.at;
        // Only a failed Task attempt makes a later exit a caught error.
        if (e.kind === 'attemptFailed') attemptFailed.add(step);
        lastFailed = step;
        break;
      }
      case 'stateAborted': {
        const step = current as StateStep | null;
        if (step) {
          step.status = 'FAILED';
          step.error = step.error ?? 'States.Aborted';
          step.exitedAt = e.at;
        }
        break;
      }
      case 'executionFailed': {
        const ending = current as StateStep | null;
        if (ending && failStates.has(ending)) {
          const caught = steps.findLast((s) => s.redriveCount === redriveCount && s.status === 'CAUGHT');
          reason = caught ?? ending;
        } else reason = lastFailed ?? ending;
        failOpenSteps(e.error, e.cause, e.at);
        break;
      }
      case 'executionAborted':
        reason = null;
        failOpenSteps(e.error ?? 'States.Aborted', e.cause ?? 'the execution was stopped', e.at);
        break;
      case 'executionTimedOut':
        reason = null;
        failOpenSteps(e.error ?? 'States.Timeout', e.cause ?? 'the execution exceeded its TimeoutSeconds', e.at);
        break;
      case 'redriven':
        redriveCount = e.redriveCount ?? redriveCount + 1;
        // A new attempt: what was open belongs to the one before.
        open.clear();
        current = null;
        break;
    }
  }
  const last = steps.at(-1);
  const resumeFrom = last && last.redriveCount === redriveCount && !ENDED.has(last.status) ? last : null;
  return { steps, reason, redriveCount, resumeFrom };
}

/** Parses a JSON text from a history event; a non-JSON text stays as it is, absent is null. */
export function parseJson(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
