import * as z from 'zod/mini';
import { moveOriginal } from '../lib/core/archive.ts';
import { catchErrorSchema, parseInput, runContextSchema } from '../lib/core/state-input.ts';
import { defineHandler } from '../lib/handler.ts';

const schema = z.object({ run: runContextSchema, error: catchErrorSchema });

export const handler = defineHandler(
  'RejectFile',
  (e) => parseInput('RejectFile', schema, e),
  ({ run }, rt) => moveOriginal(rt, run, 'rejected'),
);
