import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { matchedRunSchema, parseInput, validationSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { prepareLoad } from '../lib/steps/preprocess.ts';

const schema = z.object({ run: matchedRunSchema, validation: validationSchema });

/** Preprocess and UseOriginalFile: ValidateFile's `needsPreprocess` picks the path. */
export function createHandler(deps: Deps) {
  return defineHandler(
    'Preprocess',
    deps,
    (e) => parseInput('Preprocess', schema, e),
    async (i) =>
      prepareLoad(i, {
        store: await deps.store(),
        configs: await deps.configs(),
        processingPrefix: deps.settings.prefixes.processing,
        compressParts: deps.settings.partCompression !== 'none',
        loadInPlace: deps.settings.warehouse.kind !== 'redshift',
      }),
  );
}

export const handler = lambdaHandler(createHandler);
