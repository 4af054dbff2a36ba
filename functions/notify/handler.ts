import * as z from 'zod/mini';
import { parseInput, redriveCountSchema, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { notifyRun } from '../lib/steps/notify.ts';

const schema = z.looseObject({ run: runContextSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'Notify',
  (e) => parseInput('Notify', schema, e),
  (i, rt) => notifyRun(rt, i.run.runId, i.redriveCount),
);
