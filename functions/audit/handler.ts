import * as z from 'zod/mini';
import type { AuditInput } from '../lib/contract/payloads.ts';
import {
  catchErrorSchema,
  parseInput,
  runContextSchema,
  statementRefSchema,
  validationSchema,
} from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { audit } from '../lib/steps/audit.ts';

const schema = z.object({
  status: z.enum(['FINISHED', 'FAILED', 'ABORTED', 'SKIPPED']),
  run: runContextSchema,
  validation: z.optional(validationSchema),
  load: z.optional(statementRefSchema),
  archive: z.optional(z.object({ movedTo: z.string(), partsDeleted: z.number() })),
  error: z.optional(catchErrorSchema),
  redriveCount: z.optional(z.int().check(z.nonnegative())),
});

export const handler = defineHandler(
  'Audit',
  (e) => parseInput('Audit', schema, e),
  (i, rt) => audit(rt, i as AuditInput),
);
