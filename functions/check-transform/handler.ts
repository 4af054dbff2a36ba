import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { matchedRunSchema, parseInput, redriveCountSchema, statementRefSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { checkTransform } from '../lib/steps/check-transform.ts';

const schema = z.object({ run: matchedRunSchema, transform: statementRefSchema, redriveCount: redriveCountSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'CheckTransform',
    deps,
    (e) => parseInput('CheckTransform', schema, e),
    async (i) =>
      checkTransform(i, {
        warehouse: await deps.warehouse(),
        runs: await deps.runs(),
        configs: await deps.configs(),
        ...(deps.settings.polling ? { poll: deps.settings.polling } : {}),
        store: await deps.store(),
      }),
  );
}

export const handler = lambdaHandler(createHandler);
