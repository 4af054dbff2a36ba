import * as z from 'zod/mini';
import { InvalidStateInput } from '../errors.ts';

/**
 * Zod schemas of the state contract (contract.ts). Each handler parses its
 * input with these at the boundary, so a definition/handler mismatch fails
 * with a precise InvalidStateInput instead of an undefined deep inside.
 * zod/mini (tree-shakable) keeps every Lambda bundle small; the YAML config
 * schema, which only the CLI uses, is on full zod.
 */

const text = () => z.string().check(z.minLength(1));
const count = () => z.int().check(z.nonnegative());

export const runContextSchema = z.object({
  runId: text(),
  executionId: text(),
  bucket: text(),
  key: text(),
  etag: z.string(),
  size: count(),
  configId: z.nullable(z.string()),
  interface: z.nullable(z.string()),
  hasTransform: z.boolean(),
  skip: z.boolean(),
  skipReason: z.nullable(z.string()),
  archiveDuplicate: z.optional(z.boolean()),
  startedAt: z.string(),
});

export const validationSchema = z.object({
  fileBytes: count(),
  recordsInFile: count(),
  headerLines: count(),
  trailerCount: z.nullable(z.int()),
  lineEnding: z.enum(['lf', 'crlf', 'none']),
  bom: z.boolean(),
  recordTypes: z.nullable(z.record(z.string(), z.number())),
  unknownRecords: count(),
  blankLines: count(),
  needsPreprocess: z.boolean(),
});

const partSchema = z.object({
  bucket: text(),
  key: text(),
  compression: z.enum(['gzip', 'none']),
  bytes: count(),
  records: count(),
  firstRecord: z.int().check(z.positive()),
});

export const preparedSchema = z.object({
  targets: z.array(
    z.looseObject({
      recordType: z.nullable(z.string()),
      records: count(),
      parts: z.array(partSchema),
      manifest: z.nullable(z.object({ bucket: z.string(), key: z.string() })),
    }),
  ),
  processingPrefix: z.nullable(z.string()),
  skippedRecords: count(),
});

export const statementRefSchema = z.looseObject({
  statementId: text(),
  status: z.enum(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'FAILED', 'ABORTED']),
  attempt: count(),
});

export const catchErrorSchema = z.looseObject({ Error: z.string(), Cause: z.optional(z.string()) });

export const redriveCountSchema = z._default(count(), 0);

export function parseInput<T extends z.ZodMiniType>(state: string, schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`)
      .join('; ');
    throw new InvalidStateInput(`${state}: state input does not match the state contract: ${issues}`);
  }
  return r.data;
}
