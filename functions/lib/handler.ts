import { getRuntime, type Runtime } from './compose.ts';
import { classifyError, serializeError } from './errors.ts';

/**
 * Wraps a state's core into a Lambda handler: parse the input at the
 * boundary, run the core, and on failure record where it failed on the run
 * row (Step Functions carries only error name and message, not line/column)
 * before rethrowing with the typed name Retry/Catch match.
 */
export function defineHandler<I, O>(
  stateName: string,
  parse: (event: unknown) => I,
  run: (input: I, rt: Runtime) => Promise<O>,
  runIdOf: (event: unknown) => string | null = defaultRunId,
): (event: unknown) => Promise<O> {
  return async (event: unknown) => {
    const rt = getRuntime();
    try {
      return await run(parse(event), rt);
    } catch (e) {
      const err = classifyError(e);
      const runId = runIdOf(event);
      if (runId && (err as { kind?: string }).kind !== 'transient') {
        try {
          const { recordRunError } = await import('./adapters/config-db/run-log.ts');
          await recordRunError(await rt.db(), runId, serializeError(err), stateName);
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
