import * as z from 'zod/mini';
import { catchErrorSchema, parseInput, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { moveOriginal } from '../lib/steps/archive.ts';

const schema = z.object({ run: runContextSchema, error: catchErrorSchema });

export const handler = defineHandler(
  'RejectFile',
  (e) => parseInput('RejectFile', schema, e),
  ({ run }, rt) => moveOriginal(rt, run, 'rejected'),
);
