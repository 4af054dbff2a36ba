import * as z from 'zod/mini';
import type { PreparedLoad, StatementRef } from '../lib/contract/payloads.ts';
import {
  parseInput,
  preparedSchema,
  redriveCountSchema,
  runContextSchema,
  statementRefSchema,
} from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { checkLoad } from '../lib/steps/statements.ts';

const schema = z.object({
  run: runContextSchema,
  prepared: preparedSchema,
  load: statementRefSchema,
  redriveCount: redriveCountSchema,
});

export const handler = defineHandler(
  'CheckLoad',
  (e) => parseInput('CheckLoad', schema, e),
  (i, rt) => checkLoad(rt, { ...i, prepared: i.prepared as PreparedLoad, load: i.load as StatementRef }),
);
