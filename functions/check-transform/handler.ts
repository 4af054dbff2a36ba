import * as z from 'zod/mini';
import type { StatementRef } from '../lib/contract/payloads.ts';
import { parseInput, redriveCountSchema, runContextSchema, statementRefSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { checkTransform } from '../lib/steps/statements.ts';

const schema = z.object({ run: runContextSchema, transform: statementRefSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'CheckTransform',
  (e) => parseInput('CheckTransform', schema, e),
  (i, rt) => checkTransform(rt, { ...i, transform: i.transform as StatementRef }),
);
