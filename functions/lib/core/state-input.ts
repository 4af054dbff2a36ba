import { z } from 'zod';
import { InvalidStateInput } from '../errors.ts';

/**
 * Zod schemas of the state contract (contract.ts). Each handler parses its
 * input with these at the boundary, so a definition/handler mismatch fails
 * with a precise InvalidStateInput instead of an undefined deep inside.
 */

export const runContextSchema = z.object({
  runId: z.string().min(1),
  executionId: z.string().min(1),
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  configId: z.string().nullable(),
  interface: z.string().nullable(),
  hasTransform: z.boolean(),
  skip: z.boolean(),
  skipReason: z.string().nullable(),
  startedAt: z.string(),
});

export const validationSchema = z.object({
  fileBytes: z.number().int().nonnegative(),
  recordsInFile: z.number().int().nonnegative(),
  headerLines: z.number().int().nonnegative(),
  trailerCount: z.number().int().nullable(),
  lineEnding: z.enum(['lf', 'crlf', 'none']),
  bom: z.boolean(),
  recordTypes: z.record(z.string(), z.number()).nullable(),
  unknownRecords: z.number().int().nonnegative(),
  blankLines: z.number().int().nonnegative(),
  needsPreprocess: z.boolean(),
});

const partSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  compression: z.enum(['gzip', 'none']),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  firstRecord: z.number().int().positive(),
});

export const preparedSchema = z.object({
  targets: z.array(
    z
      .object({
        recordType: z.string().nullable(),
        records: z.number().int().nonnegative(),
        parts: z.array(partSchema),
        manifest: z.object({ bucket: z.string(), key: z.string() }).nullable(),
      })
      .passthrough(),
  ),
  processingPrefix: z.string().nullable(),
  skippedRecords: z.number().int().nonnegative(),
});

export const statementRefSchema = z
  .object({
    statementId: z.string().min(1),
    status: z.enum(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'FAILED', 'ABORTED']),
    attempt: z.number().int().nonnegative(),
  })
  .passthrough();

export const catchErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough();

export const redriveCountSchema = z.number().int().nonnegative().optional().default(0);

export function parseInput<T extends z.ZodType>(state: string, schema: T, input: unknown): z.output<T> {
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
