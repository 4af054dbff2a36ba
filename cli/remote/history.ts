import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { SerializedError } from '../../functions/lib/errors.ts';
import { type FoldEvent, type FoldedHistory, foldExecution, parseJson } from '../history/fold.ts';
import type { ExecutionStatus } from '../model.ts';

/**
 * Step Functions' execution history in the vocabulary of the one fold
 * (cli/history/fold.ts), so `efi show` prints the same steps whichever
 * backend ran the file.
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

export type { FoldedHistory };
export { parseJson };

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

/** GetExecutionHistory events → fold events (events the fold has no use for are left out). */
export function* sfnFoldEvents(events: Iterable<HistoryEvent>): Generator<FoldEvent> {
  for (const e of events) {
    const type = e.type ?? '';
    const at = iso(e.timestamp);
    if (type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
      const d = e.stateEnteredEventDetails;
      yield { kind: 'entered', state: d.name!, input: parseJson(d.input), at, failState: type === 'FailStateEntered' };
    } else if (type.endsWith('StateExited') && e.stateExitedEventDetails?.name) {
      const d = e.stateExitedEventDetails;
      yield { kind: 'exited', state: d.name!, output: parseJson(d.output), at };
    } else if (ATTEMPT_SCHEDULED.has(type)) {
      yield { kind: 'attemptStarted', at };
    } else if (ATTEMPT_FAILED.has(type)) {
      const d = errorDetails(e);
      yield {
        kind: 'attemptFailed',
        error: d.error ?? (type.endsWith('TimedOut') ? 'States.Timeout' : type),
        cause: d.cause,
        at,
      };
    } else if (type === 'EvaluationFailed') {
      const d = e.evaluationFailedEventDetails;
      yield {
        kind: 'evaluationFailed',
        state: d?.state ?? null,
        error: d?.error ?? 'States.Runtime',
        cause: d?.cause ?? null,
        at,
      };
    } else if (STATE_ABORTED.has(type)) {
      yield { kind: 'stateAborted', at };
    } else if (type === 'ExecutionFailed' || type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      const kind =
        type === 'ExecutionFailed'
          ? 'executionFailed'
          : type === 'ExecutionAborted'
            ? 'executionAborted'
            : 'executionTimedOut';
      yield { kind, ...errorDetails(e), at };
    } else if (type === 'ExecutionRedriven') {
      yield { kind: 'redriven', redriveCount: e.executionRedrivenEventDetails?.redriveCount ?? null, at };
    }
  }
}

/** Folds a Step Functions execution history into per-state steps (see cli/history/fold.ts). */
export function foldHistory(events: readonly HistoryEvent[]): FoldedHistory {
  return foldExecution(sfnFoldEvents(events));
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
