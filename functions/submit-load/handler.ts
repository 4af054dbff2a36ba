import * as z from 'zod/mini';
import type { PreparedLoad } from '../lib/contract/payloads.ts';
import { parseInput, preparedSchema, redriveCountSchema, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { submitLoad } from '../lib/steps/statements.ts';

const schema = z.object({ run: runContextSchema, prepared: preparedSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'SubmitLoad',
  (e) => parseInput('SubmitLoad', schema, e),
  (i, rt) => submitLoad(rt, { ...i, prepared: i.prepared as PreparedLoad }),
);
