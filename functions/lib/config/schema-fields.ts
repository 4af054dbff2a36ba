import { z } from 'zod';
import { isIdentifier } from '../sql/identifiers.ts';
import { fieldRules } from './field-rules.ts';
import { compileGlob, compileRegex } from './match.ts';
import { DEFAULT_LINEAGE, DEFAULT_LOAD_OPTIONS } from './model.ts';

/**
 * The field schemas of the YAML config format: one zod schema per key, each
 * with its own message and its `.describe()` text (what editors show via
 * sql/efi-config.schema.json). Rules across fields are in schema-rules.ts,
 * defaults and normalising in normalise.ts, the document in schema.ts.
 */

export const IDENTIFIER_RULE =
  'lower-case letters, digits, _ or $, starting with a letter or _, at most 127 characters';

export const identifier = (what: string) =>
  z
    .string()
    .describe(`${what}: a SQL identifier (${IDENTIFIER_RULE})`)
    .superRefine((v, ctx) => {
      if (!isIdentifier(v)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(v)} is not a valid ${what}: use ${IDENTIFIER_RULE}`,
        });
      }
    });

export const CONFIG_ID = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
export const INTERFACE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

const singleChar = (what: string) =>
  z
    .string()
    .describe(what)
    .refine((v) => [...v].length === 1 && v !== '\n' && v !== '\r', {
      message: `${what} must be one character, not a line break`,
    });

export const TableRefSchema = z
  .object({
    schema: identifier('target schema'),
    table: identifier('target table'),
  })
  .strict()
  .describe('Target table in the warehouse (must exist; efi does not create tables)');

export const ColumnSchema = z
  .union([
    identifier('column name'),
    z
      .object({
        name: identifier('column name'),
        width: z.number().int().positive().optional().describe('Width in characters (fixed_width layouts only)'),
      })
      .strict(),
  ])
  .describe('A target column: its name, or { name, width } for fixed-width files');

export const ColumnsSchema = z
  .array(ColumnSchema)
  .min(1)
  .describe('Target columns in file order (fields map to them by position)');

export const LineageSchema = z
  .union([
    z.literal(false),
    z
      .object({
        sourceFile: identifier('lineage column')
          .nullable()
          .optional()
          .describe('Column that receives the source file key'),
        runId: identifier('lineage column').nullable().optional().describe('Column that receives the run id'),
        loadedAt: identifier('lineage column')
          .nullable()
          .optional()
          .describe('Column that receives the load timestamp'),
        sourceFileAs: z
          .enum(['uri', 'basename'])
          .optional()
          .meta({ default: 'uri' })
          .describe(
            "What sourceFile receives: 'uri' (s3://bucket/key) or 'basename' (the object's name without its folders, as the original framework's file_name)",
          ),
      })
      .strict(),
  ])
  .describe(
    `Lineage columns set on every loaded row; false = none; null for one = not recorded. Defaults: ${JSON.stringify(DEFAULT_LINEAGE)}`,
  );

const MATCH_KINDS = ['glob', 'regex', 'token'] as const;

export const MatchSchema = z
  .object({
    glob: z
      .string()
      .optional()
      .describe('Glob on the key relative to the landing prefix: * (one segment), ** (any), ?, {a,b}, [abc]'),
    regex: z
      .string()
      .optional()
      .describe(
        'JavaScript regular expression tested against the key relative to the landing prefix; anchor it yourself',
      ),
    token: z
      .string()
      .optional()
      .describe(
        'Legacy: the last _-separated token of the file name before its first dot (SALES_20240101_527.txt → 527)',
      ),
  })
  .strict()
  .meta({ oneOf: [{ required: ['glob'] }, { required: ['regex'] }, { required: ['token'] }] })
  .describe('How object keys are matched to this config: exactly one of glob, regex, token')
  .check(
    fieldRules<{ glob?: string; regex?: string; token?: string }>([
      {
        reads: ['glob?', 'regex?', 'token?'],
        check: (m, add) => {
          const given = MATCH_KINDS.filter((k) => m[k] !== undefined);
          if (given.length !== 1) {
            add(
              [],
              given.length === 0
                ? 'expected exactly one of glob, regex or token'
                : `expected exactly one of glob, regex or token, got ${given.join(' and ')}`,
            );
          }
        },
      },
      {
        reads: ['glob', 'regex', 'token'],
        check: (m, add) => {
          const given = MATCH_KINDS.filter((k) => m[k] !== undefined);
          if (given.length !== 1) return;
          const kind = given[0]!;
          const pattern = m[kind]!;
          if (kind === 'token') {
            if (!/^[^_/.]+$/.test(pattern)) add([kind], 'a token is non-empty and contains no _, / or .');
            return;
          }
          try {
            if (kind === 'glob') compileGlob(pattern);
            else compileRegex(pattern);
          } catch (e) {
            add([kind], (e as Error).message);
          }
        },
      },
    ]),
  );

export const FormatSchema = z
  .object({
    layout: z
      .enum(['delimited', 'fixed_width'])
      .optional()
      .meta({ default: 'delimited' })
      .describe('delimited (CSV-like) or fixed_width'),
    delimiter: z
      .string()
      .optional()
      .meta({ default: ',' })
      .describe('Field delimiter (delimited only); may be several characters'),
    quote: singleChar('quote character')
      .nullable()
      .optional()
      .meta({ default: '"' })
      .describe('Quote character (delimited only); null = fields are never quoted'),
    escape: singleChar('escape character')
      .nullable()
      .optional()
      .meta({ default: null })
      .describe('Escape character inside quoted fields; null = none (a doubled quote escapes a quote)'),
    encoding: z
      .enum(['utf-8', 'latin1', 'windows-1252'])
      .optional()
      .meta({ default: 'utf-8' })
      .describe('Text encoding'),
    compression: z
      .enum(['none', 'gzip', 'bzip2', 'zstd'], {
        error: (iss) =>
          iss.input === 'lzop'
            ? 'lzop is not supported: neither Preprocess nor the local warehouse can read lzop (Redshift COPY LZOP has no local equivalent); recompress the file as gzip, bzip2 or zstd'
            : undefined,
      })
      .optional()
      .meta({ default: 'none' })
      .describe('Compression of the file as uploaded'),
    extensions: z
      .array(z.string().regex(/^\.?[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/, { message: 'an extension is letters and digits' }))
      .optional()
      .meta({ default: [] })
      .describe('Accepted file extensions (without the dot); empty or omitted = any'),
  })
  .strict()
  .describe('File layout');

export const HeaderSchema = z
  .union([
    z.boolean(),
    z
      .object({
        lines: z.number().int().min(1).max(100).optional().meta({ default: 1 }).describe('Header lines to skip'),
        columns: z
          .array(z.string())
          .min(1)
          .optional()
          .describe('Expected header fields, checked against the first header line; also the default for `columns`'),
      })
      .strict(),
  ])
  .describe('Header lines: false/omitted = none, true = one line, or { lines, columns }');

export const TrailerSchema = z
  .union([
    z.literal(false),
    z
      .object({
        countAt: z
          .object({
            from: z.number().int().min(1).describe('First character of the count, 1-based'),
            to: z.number().int().min(1).describe('Last character of the count, 1-based, inclusive'),
          })
          .strict()
          .superRefine((p, ctx) => {
            if (p.from > p.to) {
              ctx.addIssue({ code: 'custom', path: ['to'], message: `to (${p.to}) must be >= from (${p.from})` });
            }
          })
          .optional()
          .describe('The record count sits at fixed character positions of the last line'),
        countPattern: z
          .string()
          .optional()
          .describe('A regular expression matching the last line whose first capture group is the record count'),
        marker: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Text the trailer line starts with, e.g. "TRL|": a last line without it is a missing trailer (TrailerMissing), one with it but no readable count a malformed trailer (TrailerInvalid)',
          ),
      })
      .strict()
      .check(
        fieldRules<{ countAt?: unknown; countPattern?: string }>([
          {
            reads: ['countAt?', 'countPattern?'],
            check: (t, add) => {
              if ((t.countAt === undefined) === (t.countPattern === undefined)) {
                add([], 'expected exactly one of countAt or countPattern');
              }
            },
          },
          {
            reads: ['countAt?', 'countPattern'],
            check: (t, add) => {
              if (t.countPattern === undefined || t.countAt !== undefined) return;
              try {
                const groups = (new RegExp(`${t.countPattern}|`).exec('')?.length ?? 1) - 1;
                if (groups < 1) {
                  add(['countPattern'], 'the pattern needs a capture group around the count, e.g. "^T\\|(\\d+)$"');
                }
              } catch (e) {
                add(['countPattern'], `regex does not compile: ${(e as Error).message}`);
              }
            },
          },
        ]),
      ),
  ])
  .describe('Trailer line with the record count: omitted/false = no trailer');

export const LoadSchema = z
  .object({
    dateFormat: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe("DATEFORMAT: 'auto', a pattern like 'YYYY-MM-DD', or null"),
    timeFormat: z.string().min(1).nullable().optional().describe("TIMEFORMAT: 'auto', a pattern, 'epochsecs', or null"),
    emptyAsNull: z.boolean().optional().describe('Empty fields load as NULL'),
    blanksAsNull: z.boolean().optional().describe('Whitespace-only fields load as NULL'),
    nullAs: z.string().nullable().optional().describe('A literal string that means NULL'),
    maxErrors: z.number().int().min(0).max(100000).optional().describe('Rows the load may reject before it fails'),
    truncateColumns: z.boolean().optional().describe('Truncate values longer than their column'),
    acceptInvalidChars: z
      .string()
      // Redshift: "The replacement character can be any ASCII character except NULL" (COPY data conversion parameters).
      .regex(/^[\x01-\x7f]$/, { message: 'one ASCII character other than NUL (Redshift ACCEPTINVCHARS)' })
      .nullable()
      .optional()
      .describe('Replacement for invalid UTF-8 characters; null = reject the row'),
    ignoreBlankLines: z.boolean().optional().describe('Skip blank lines'),
    acceptAnyDate: z
      .boolean()
      .optional()
      .describe('ACCEPTANYDATE: a DATE/TIMESTAMP value that does not match its format loads as NULL'),
    removeQuotes: z
      .boolean()
      .optional()
      .describe('REMOVEQUOTES (quote: null only): surrounding \' or " are removed, delimiters inside kept'),
    fillRecord: z.boolean().optional().describe('FILLRECORD: missing trailing columns load as empty fields'),
    trimBlanks: z.boolean().optional().describe('TRIMBLANKS: trailing white space is removed from VARCHAR values'),
    roundDecimals: z
      .boolean()
      .optional()
      .describe('ROUNDEC: extra decimals are rounded (default: truncated, as Redshift COPY does)'),
  })
  .strict()
  .describe(`Load options; defaults: ${JSON.stringify(DEFAULT_LOAD_OPTIONS)}`);

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const MIN_PART_BYTES = 1024;
const MAX_PART_BYTES = 4 * 1024 ** 3;

/** `64MiB` → 67108864; numbers are bytes. Undefined when the text is not a size. */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  const m = SIZE.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2] ?? 'B']!);
}

export const PartSizeSchema = z
  .union([z.number().int(), z.string()])
  .meta({ default: '64MiB' })
  .describe('Uncompressed bytes per load part: a number of bytes or a size like 64MiB, 256MB, 1GiB')
  .superRefine((v, ctx) => {
    const n = parseSize(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size: write bytes or e.g. 64MiB, 256MB` });
    } else if (n < MIN_PART_BYTES || n > MAX_PART_BYTES) {
      ctx.addIssue({ code: 'custom', message: `part size ${n} bytes is outside ${MIN_PART_BYTES} bytes .. 4GiB` });
    }
  });

const SplitRecordSchema = z
  .object({
    type: z.string().min(1).describe('The record-type prefix (exactly prefixLength characters)'),
    description: z.string().optional(),
    target: TableRefSchema,
    columns: ColumnsSchema,
    lineage: LineageSchema.optional(),
  })
  .strict();

export const SplitSchema = z
  .object({
    prefixLength: z
      .number()
      .int()
      .min(1)
      .max(32)
      .describe('Characters at the start of each line that name its record type'),
    onUnknown: z
      .enum(['reject', 'skip'])
      .optional()
      .meta({ default: 'reject' })
      .describe('A line whose record type is not listed: reject the file or skip the line'),
    records: z.array(SplitRecordSchema).min(1).describe('One entry per record type, each loaded into its own target'),
  })
  .strict()
  .describe('Multi-record-type files: split lines by record-type prefix; replaces target and columns');

export type ColumnInput = z.infer<typeof ColumnSchema>;
export type LineageInput = z.infer<typeof LineageSchema>;
