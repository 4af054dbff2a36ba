import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { matchedRunSchema, parseInput } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { validateRunFile } from '../lib/steps/validate-file.ts';

const schema = z.object({ run: matchedRunSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'ValidateFile',
    deps,
    (e) => parseInput('ValidateFile', schema, e),
    async (i) =>
      validateRunFile(i, { store: await deps.store(), runs: await deps.runs(), configs: await deps.configs() }),
  );
}

export const handler = lambdaHandler(createHandler);
