import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { parseInput } from '../lib/contract/payloads.ts';
import { statusChangeEventSchema } from '../lib/contract/status-change-event.ts';
import { defineHandler } from '../lib/handler.ts';
import { reportFailure } from '../lib/steps/report-failure.ts';

/** Target of the EventBridge rule on the state machine's FAILED / TIMED_OUT / ABORTED status changes. */
export function createHandler(deps: Deps) {
  return defineHandler(
    'ReportFailure',
    deps,
    (e) => parseInput('ReportFailure', statusChangeEventSchema, e),
    async (event) =>
      reportFailure(event, {
        runs: await deps.runs(),
        notifier: await deps.notifier(),
        warehouse: await deps.warehouse(),
      }),
    () => null,
  );
}

export const handler = lambdaHandler(createHandler);
