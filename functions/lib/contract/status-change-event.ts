import * as z from 'zod/mini';

/**
 * EventBridge's "Step Functions Execution Status Change" event, the input of
 * functions/report-failure (the rule in infra/ matches FAILED, TIMED_OUT and
 * ABORTED; the local runner builds the same shape). Declared once: the
 * handler parses with it and the step takes its inferred type.
 * Dates are epoch milliseconds; `input`/`output` are the execution's JSON as text.
 * Envelope fields other than `detail` are optional so a hand-made test event
 * (`{ detail }`) still parses.
 */
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

const ms = () => z.optional(z.nullable(z.number()));
const text = () => z.optional(z.nullable(z.string()));

export const statusChangeDetailSchema = z.object({
  executionArn: z.string().check(z.minLength(1)),
  stateMachineArn: text(),
  name: z.string().check(z.minLength(1)),
  status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: ms(),
  stopDate: ms(),
  input: text(),
  output: text(),
  error: text(),
  cause: text(),
  redriveCount: z.optional(z.nullable(z.int().check(z.nonnegative()))),
  redriveDate: ms(),
  redriveStatus: text(),
  redriveStatusReason: text(),
});

export const statusChangeEventSchema = z.object({
  version: text(),
  id: text(),
  'detail-type': z.optional(z.literal(STATUS_CHANGE_DETAIL_TYPE)),
  source: z.optional(z.literal('aws.states')),
  account: text(),
  time: text(),
  region: text(),
  resources: z.optional(z.array(z.string())),
  detail: statusChangeDetailSchema,
});

export type StatusChangeDetail = z.infer<typeof statusChangeDetailSchema>;
export type StatusChangeEvent = z.infer<typeof statusChangeEventSchema>;
