import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { auditInputSchema, parseInput } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { audit } from '../lib/steps/audit.ts';

export function createHandler(deps: Deps) {
  return defineHandler(
    'Audit',
    deps,
    (e) => parseInput('Audit', auditInputSchema, e),
    async (i) => audit(i, { runs: await deps.runs() }),
  );
}

export const handler = lambdaHandler(createHandler);
