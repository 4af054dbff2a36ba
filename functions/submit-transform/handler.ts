import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { matchedRunSchema, parseInput, redriveCountSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { submitTransform } from '../lib/steps/submit-transform.ts';

const schema = z.object({ run: matchedRunSchema, redriveCount: redriveCountSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'SubmitTransform',
    deps,
    (e) => parseInput('SubmitTransform', schema, e),
    async (i) =>
      submitTransform(i, {
        warehouse: await deps.warehouse(),
        runs: await deps.runs(),
        configs: await deps.configs(),
        ...(deps.settings.polling ? { poll: deps.settings.polling } : {}),
        store: await deps.store(),
      }),
  );
}

export const handler = lambdaHandler(createHandler);
