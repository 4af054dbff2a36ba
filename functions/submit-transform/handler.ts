import * as z from 'zod/mini';
import { parseInput, redriveCountSchema, runContextSchema } from '../lib/core/state-input.ts';
import { submitTransform } from '../lib/core/statements.ts';
import { defineHandler } from '../lib/handler.ts';

const schema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'SubmitTransform',
  (e) => parseInput('SubmitTransform', schema, e),
  (i, rt) => submitTransform(rt, i),
);
