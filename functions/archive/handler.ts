import * as z from 'zod/mini';
import { moveOriginal } from '../lib/core/archive.ts';
import { parseInput, runContextSchema } from '../lib/core/state-input.ts';
import { defineHandler } from '../lib/handler.ts';

const schema = z.looseObject({ run: runContextSchema });

export const handler = defineHandler(
  'Archive',
  (e) => parseInput('Archive', schema, e),
  ({ run }, rt) => moveOriginal(rt, run, 'archive'),
);
