import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { catchErrorSchema, parseInput, runContextSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { rejectFile } from '../lib/steps/reject-file.ts';

const schema = z.object({ run: runContextSchema, error: catchErrorSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'RejectFile',
    deps,
    (e) => parseInput('RejectFile', schema, e),
    async (i) =>
      rejectFile(i, {
        store: await deps.store(),
        runs: await deps.runs(),
        prefixes: deps.settings.prefixes,
        timeZone: deps.settings.timeZone,
      }),
  );
}

export const handler = lambdaHandler(createHandler);
