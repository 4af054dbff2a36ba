import { classifyError, errorKindOf, serializeError } from './errors.ts';
import { emitFailureMetric } from './failure-metric.ts';
import type { RunLog } from './ports/run-log.ts';

/** What the wrapper needs of the deps: the run log, to record where a run failed. */
export interface HandlerDeps {
  runs(): Promise<RunLog>;
}

/**
 * Wraps a state's step into a Lambda handler: parse the input at the
 * boundary, run the step, and on failure record where it failed on the run
 * row through the RunLog port (Step Functions carries only error name and
 * message, not line/column) before rethrowing with the typed name Retry/Catch
 * match. A transient error is not recorded: the retry decides.
 */
export function defineHandler<I, O>(
  stateName: string,
  deps: HandlerDeps,
  parse: (event: unknown) => I,
  run: (input: I) => Promise<O>,
  runIdOf: (event: unknown) => string | null = defaultRunId,
): (event: unknown) => Promise<O> {
  return async (event: unknown) => {
    try {
      return await run(parse(event));
    } catch (e) {
      const err = classifyError(e);
      // Alarms count operational failures only (infra/lib/alarms.ts); Lambda's Errors metric counts every throw.
      emitFailureMetric(errorKindOf(err.name), stateName, err.name);
      const runId = runIdOf(event);
      if (runId && (err as { kind?: string }).kind !== 'transient') {
        try {
          await (await deps.runs()).recordError(runId, serializeError(err), stateName);
        } catch (recordErr) {
          // The original error matters more than the bookkeeping; say so in the log and go on.
          console.error(`[${stateName}] could not record the error on run ${runId}:`, (recordErr as Error).message);
        }
      }
      throw err;
    }
  };
}

function defaultRunId(event: unknown): string | null {
  const run = (event as { run?: { runId?: unknown } } | null)?.run;
  return typeof run?.runId === 'string' ? run.runId : null;
}
