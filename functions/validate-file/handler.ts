import * as z from 'zod/mini';
import { getConfig } from '../lib/config/repository.ts';
import { updateRun } from '../lib/core/runs.ts';
import { parseInput, runContextSchema } from '../lib/core/state-input.ts';
import { validateFile } from '../lib/core/validate-file.ts';
import { defineHandler } from '../lib/handler.ts';

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
