import { parseInput } from '../lib/contract/schemas.ts';
import { statusChangeEventSchema } from '../lib/contract/status-change-event.ts';
import { defineHandler } from '../lib/handler.ts';
import { reportFailure } from '../lib/steps/report-failure.ts';

/** Target of the EventBridge rule on the state machine's FAILED / TIMED_OUT / ABORTED status changes. */
export const handler = defineHandler(
  'ReportFailure',
  (e) => parseInput('ReportFailure', statusChangeEventSchema, e),
  (event, rt) => reportFailure(rt, event),
  () => null,
);
