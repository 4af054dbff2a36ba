import * as z from 'zod/mini';
import { parseInput, redriveCountSchema, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { submitTransform } from '../lib/steps/statements.ts';

const schema = z.object({ run: runContextSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'SubmitTransform',
  (e) => parseInput('SubmitTransform', schema, e),
  (i, rt) => submitTransform(rt, i),
);
