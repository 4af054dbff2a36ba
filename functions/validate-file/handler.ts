import * as z from 'zod/mini';
import { getConfig } from '../lib/adapters/config-db/config-repository.ts';
import { updateRun } from '../lib/adapters/config-db/run-log.ts';
import { parseInput, runContextSchema } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { validateFile } from '../lib/steps/validate-file.ts';

const schema = z.object({ run: runContextSchema });

export const handler = defineHandler(
  'ValidateFile',
  (e) => parseInput('ValidateFile', schema, e),
  async ({ run }, rt) => {
    const db = await rt.db();
    const config = await getConfig(db, run.configId!);
    const result = await validateFile(await rt.store(), { bucket: run.bucket, key: run.key, size: run.size }, config);
    await updateRun(db, run.runId, {
      recordsInFile: result.recordsInFile,
      recordsSkipped: result.unknownRecords,
      fileBytes: result.fileBytes,
    });
    return result;
  },
);
