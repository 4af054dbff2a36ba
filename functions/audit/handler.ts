import { z } from 'zod';
import type { AuditInput } from '../lib/contract.ts';
import { audit } from '../lib/core/audit.ts';
import {
  catchErrorSchema,
  parseInput,
  runContextSchema,
  statementRefSchema,
  validationSchema,
} from '../lib/core/state-input.ts';
import { defineHandler } from '../lib/handler.ts';

const schema = z.object({
  status: z.enum(['FINISHED', 'FAILED', 'ABORTED', 'SKIPPED']),
  run: runContextSchema,
  validation: validationSchema.optional(),
  load: statementRefSchema.optional(),
  archive: z.object({ movedTo: z.string(), partsDeleted: z.number() }).optional(),
  error: catchErrorSchema.optional(),
  redriveCount: z.number().int().nonnegative().optional(),
});

export const handler = defineHandler(
  'Audit',
  (e) => parseInput('Audit', schema, e),
  (i, rt) => audit(rt, i as AuditInput),
);
