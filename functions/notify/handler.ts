import * as z from 'zod/mini';
import { notifyRun } from '../lib/core/notify.ts';
import { parseInput, redriveCountSchema, runContextSchema } from '../lib/core/state-input.ts';
import { defineHandler } from '../lib/handler.ts';

const schema = z.looseObject({ run: runContextSchema, redriveCount: redriveCountSchema });

export const handler = defineHandler(
  'Notify',
  (e) => parseInput('Notify', schema, e),
  (i, rt) => notifyRun(rt, i.run.runId, i.redriveCount),
);
