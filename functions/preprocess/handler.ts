import * as z from 'zod/mini';
import { getConfig } from '../lib/adapters/config-db/config-repository.ts';
import { parseInput, runContextSchema, validationSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { preprocess } from '../lib/steps/preprocess.ts';

const schema = z.object({ run: runContextSchema, validation: validationSchema });

export const handler = defineHandler(
  'Preprocess',
  (e) => parseInput('Preprocess', schema, e),
  async ({ run, validation }, rt) => {
    const config = await getConfig(await rt.db(), run.configId!);
    return preprocess(await rt.store(), { runId: run.runId, bucket: run.bucket, key: run.key }, config, validation, {
      processingPrefix: rt.settings.prefixes.processing,
    });
  },
);
