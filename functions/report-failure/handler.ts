import { reportFailure, statusChangeEventSchema } from '../lib/core/report-failure.ts';
import { parseInput } from '../lib/core/state-input.ts';
import { defineHandler } from '../lib/handler.ts';

/** Target of the EventBridge rule on the state machine's FAILED / TIMED_OUT / ABORTED status changes. */
export const handler = defineHandler(
  'ReportFailure',
  (e) => parseInput('ReportFailure', statusChangeEventSchema, e),
  (event, rt) => reportFailure(rt, event),
  () => null,
);
