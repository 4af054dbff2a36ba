import * as z from 'zod/mini';
import { parseInput } from '../lib/contract/schemas.ts';
import { defineHandler } from '../lib/handler.ts';
import { fetchConfig } from '../lib/steps/fetch-config.ts';

const schema = z.object({
  input: z.object({
    detail: z.object({
      bucket: z.object({ name: z.string().check(z.minLength(1)) }),
      object: z.object({
        key: z.string().check(z.minLength(1)),
        size: z.optional(z.int().check(z.nonnegative())),
        etag: z.optional(z.string()),
      }),
    }),
    efi: z.optional(z.object({ reload: z.optional(z.boolean()) })),
  }),
  executionId: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1)),
  startTime: z.string().check(z.minLength(1)),
});

export const handler = defineHandler(
  'FetchConfig',
  (e) => parseInput('FetchConfig', schema, e),
  (i, rt) =>
    fetchConfig(rt, {
      bucket: i.input.detail.bucket.name,
      // S3 event keys are URL-encoded in notifications; EventBridge delivers them decoded.
      key: i.input.detail.object.key,
      etag: i.input.detail.object.etag ?? null,
      size: i.input.detail.object.size ?? null,
      reload: i.input.efi?.reload ?? false,
      executionId: i.executionId,
      runId: i.executionName,
      startedAt: i.startTime,
    }),
  (e) => {
    const name = (e as { executionName?: unknown } | null)?.executionName;
    return typeof name === 'string' ? name : null;
  },
);
