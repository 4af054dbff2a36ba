import * as z from 'zod/mini';
import { parseInput, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { moveOriginal } from '../lib/steps/archive.ts';

const schema = z.looseObject({ run: runContextSchema });

export const handler = defineHandler(
  'Archive',
  (e) => parseInput('Archive', schema, e),
  ({ run }, rt) => moveOriginal(rt, run, 'archive'),
);
