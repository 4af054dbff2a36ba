import * as z from 'zod/mini';
import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { parseInput, redriveCountSchema, runContextSchema } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { notifyState } from '../lib/steps/notify.ts';

const schema = z.looseObject({ run: runContextSchema, redriveCount: redriveCountSchema });

export function createHandler(deps: Deps) {
  return defineHandler(
    'Notify',
    deps,
    (e) => parseInput('Notify', schema, e),
    async (i) =>
      notifyState(
        { run: i.run, redriveCount: i.redriveCount },
        { runs: await deps.runs(), notifier: await deps.notifier() },
      ),
  );
}

export const handler = lambdaHandler(createHandler);
