import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { matchedRunSchema, parseInput, preparedLoadSchema, redriveCountSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { submitLoad } from '../lib/steps/submit-load.ts';

const schema = z.object({ run: matchedRunSchema, prepared: preparedLoadSchema, redriveCount: redriveCountSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'SubmitLoad',
    deps,
    (e) => parseInput('SubmitLoad', schema, e),
    async (i) =>
      submitLoad(i, {
        store: await deps.store(),
        warehouse: await deps.warehouse(),
        runs: await deps.runs(),
        configs: await deps.configs(),
        ...(deps.settings.polling ? { poll: deps.settings.polling } : {}),
      }),
  );
}

export const handler = lambdaHandler(createHandler);
