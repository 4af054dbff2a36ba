import { type Deps, lambdaHandler } from '../lib/compose.ts';
import { fetchConfigInputSchema, parseInput } from '../lib/contract/payloads.ts';
import { defineHandler } from '../lib/handler.ts';
import { fetchConfig } from '../lib/steps/fetch-config.ts';

export function createHandler(deps: Deps) {
  return defineHandler(
    'FetchConfig',
    deps,
    (e) => parseInput('FetchConfig', fetchConfigInputSchema, e),
    async (i) =>
      fetchConfig(
        {
          bucket: i.input.detail.bucket.name,
          key: i.input.detail.object.key,
          etag: i.input.detail.object.etag ?? null,
          size: i.input.detail.object.size ?? null,
          reload: i.input.efi?.reload ?? false,
          executionId: i.executionId,
          runId: i.executionName,
          startedAt: i.startTime,
        },
        {
          store: await deps.store(),
          runs: await deps.runs(),
          configs: await deps.configs(),
          prefixes: deps.settings.prefixes,
        },
      ),
    (e) => {
      const name = (e as { executionName?: unknown } | null)?.executionName;
      return typeof name === 'string' ? name : null;
    },
  );
}

export const handler = lambdaHandler(createHandler);
