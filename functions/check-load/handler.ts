import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import {
  matchedRunSchema,
  parseInput,
  preparedLoadSchema,
  redriveCountSchema,
  statementRefSchema,
} from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { checkLoad } from '../lib/steps/check-load.ts';

const schema = z.object({
  run: matchedRunSchema,
  prepared: preparedLoadSchema,
  load: statementRefSchema,
  redriveCount: redriveCountSchema,
});

export function createHandler(deps: Deps) {
  return defineHandler(
    'CheckLoad',
    deps,
    (e) => parseInput('CheckLoad', schema, e),
    async (i) =>
      checkLoad(i, {
        store: await deps.store(),
        warehouse: await deps.warehouse(),
        runs: await deps.runs(),
        configs: await deps.configs(),
        ...(deps.settings.polling ? { poll: deps.settings.polling } : {}),
      }),
  );
}

export const handler = lambdaHandler(createHandler);
