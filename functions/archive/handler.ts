import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { parseInput, runContextSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { archive } from '../lib/steps/archive.ts';

const schema = z.looseObject({ run: runContextSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'Archive',
    deps,
    (e) => parseInput('Archive', schema, e),
    async (i) =>
      archive(i, {
        store: await deps.store(),
        runs: await deps.runs(),
        prefixes: deps.settings.prefixes,
        timeZone: deps.settings.timeZone,
      }),
  );
}

export const handler = lambdaHandler(createHandler);
