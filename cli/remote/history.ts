import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { SerializedError } from '../../functions/lib/errors.ts';
import type { ExecutionStatus, StateStep } from '../model.ts';

/**
 * Folds a Step Functions execution history into the per-state steps the
 * local runner records (cli/local/history.ts), so `efi show` prints the same
 * thing whichever backend ran the file.
 */

/** Events that end one attempt of a Task (Lambda invoked directly, an SDK integration, or an activity). */
const ATTEMPT_FAILED = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);
const ATTEMPT_SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'ActivityScheduled']);
const STATE_ABORTED = new Set(['TaskStateAborted', 'WaitStateAborted', 'MapStateAborted', 'ParallelStateAborted']);

export function parseJson(v: string | undefined | null): unknown {
  if (v === undefined || v === null || v === '') return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

/** The `*EventDetails` member of an event that carries error and cause, whichever its type. */
function errorDetails(e: HistoryEvent): { error: string | null; cause: string | null } {
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object' && ('error' in v || 'cause' in v)) {
      const d = v as { error?: string; cause?: string };
      return { error: d.error ?? null, cause: d.cause ?? null };
    }
  }
  return { error: null, cause: null };
}

export interface FoldedHistory {
  steps: StateStep[];
  /**
   * The step that explains the latest unsuccessful end: the failed Task, or,
   * when the execution ended in a Fail state (a rejected file ends in
   * FileRejected), the step of that attempt whose error was caught.
   */
  reason: StateStep | null;
}

export function foldHistory(events: readonly HistoryEvent[]): FoldedHistory {
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
    };
    steps.push(step);
    open.set(name, step);
    current = step;
    return step;
  };

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
    const type = e.type ?? '';
    const at = iso(e.timestamp);
    if (type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
      const step = enter(e.stateEnteredEventDetails.name, parseJson(e.stateEnteredEventDetails.input), at);
      if (type === 'FailStateEntered') failStates.add(step);
    } else if (type.endsWith('StateExited') && e.stateExitedEventDetails?.name) {
      const step = open.get(e.stateExitedEventDetails.name);
      if (!step) continue;
      step.status = attemptFailed.has(step) ? 'CAUGHT' : 'SUCCEEDED';
      step.output = parseJson(e.stateExitedEventDetails.output);
      step.exitedAt = at;
      open.delete(step.name);
      if (current === step) current = null;
    } else if (ATTEMPT_SCHEDULED.has(type)) {
      // A redrive may resume a Task without a new StateEntered: reopen the state that failed.
      const step: StateStep | null = current ?? (lastFailed ? enter(lastFailed.name, lastFailed.input, at) : null);
      if (step && attemptFailed.has(step)) {
        step.status = 'RETRIED';
        attemptFailed.delete(step);
      }
    } else if (ATTEMPT_FAILED.has(type)) {
      const step = current as StateStep | null;
      if (!step) continue;
      const d = errorDetails(e);
      step.status = 'FAILED';
      step.error = d.error ?? (type.endsWith('TimedOut') ? 'States.Timeout' : type);
      step.cause = d.cause;
      step.exitedAt = at;
      attemptFailed.add(step);
      lastFailed = step;
    } else if (type === 'EvaluationFailed') {
      const d = e.evaluationFailedEventDetails;
      const step = (d?.state ? open.get(d.state) : null) ?? current;
      if (step) {
        step.status = 'FAILED';
        step.error = d?.error ?? 'States.Runtime';
        step.cause = d?.cause ?? null;
        step.exitedAt = at;
        lastFailed = step;
      }
    } else if (STATE_ABORTED.has(type)) {
      const step = current as StateStep | null;
      if (step) {
        step.status = 'FAILED';
        step.error = step.error ?? 'States.Aborted';
        step.exitedAt = at;
      }
    } else if (type === 'ExecutionFailed') {
      const d = errorDetails(e);
      const ending = current as StateStep | null;
      if (ending && failStates.has(ending)) {
        const caught = steps.findLast((s) => s.redriveCount === redriveCount && s.status === 'CAUGHT');
        reason = caught ?? ending;
      } else reason = lastFailed ?? ending;
      failOpenSteps(d.error, d.cause, at);
    } else if (type === 'ExecutionAborted') {
      const d = errorDetails(e);
      reason = null;
      failOpenSteps(d.error ?? 'States.Aborted', d.cause ?? 'the execution was stopped', at);
    } else if (type === 'ExecutionTimedOut') {
      const d = errorDetails(e);
      reason = null;
      failOpenSteps(d.error ?? 'States.Timeout', d.cause ?? 'the execution exceeded its TimeoutSeconds', at);
    } else if (type === 'ExecutionRedriven') {
      redriveCount = e.executionRedrivenEventDetails?.redriveCount ?? redriveCount + 1;
    }
  }
  return { steps, reason };
}

/**
 * Error and message from a Catch/ExecutionFailed cause: a Lambda error's cause
 * is JSON (`{"errorType","errorMessage",...}`), a Fail state's is plain text.
 */
export function errorFromCause(error: string, cause: string | null): SerializedError {
  const parsed = parseJson(cause);
  if (parsed && typeof parsed === 'object') {
    const c = parsed as { errorType?: unknown; errorMessage?: unknown; line?: unknown; column?: unknown };
    return {
      name: typeof c.errorType === 'string' ? c.errorType : error,
      message: typeof c.errorMessage === 'string' ? c.errorMessage : (cause ?? ''),
      line: typeof c.line === 'number' ? c.line : null,
      column: typeof c.column === 'number' || typeof c.column === 'string' ? c.column : null,
    };
  }
  return { name: error, message: cause ?? '', line: null, column: null };
}

/**
 * The error a person needs: from the step that explains an unsuccessful end
 * (see FoldedHistory.reason), else the execution's own error; null while
 * running or once a redrive succeeded.
 */
export function runError(
  executionStatus: ExecutionStatus,
  folded: FoldedHistory,
  execution: { error?: string | undefined; cause?: string | undefined },
): SerializedError | null {
  if (executionStatus === 'SUCCEEDED' || executionStatus === 'RUNNING') return null;
  const step = folded.reason;
  if (step?.error) return errorFromCause(step.error, step.cause);
  if (execution.error) return errorFromCause(execution.error, execution.cause ?? null);
  return null;
}
