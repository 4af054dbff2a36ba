import { z } from 'zod';
import { isIdentifier } from '../sql/identifiers.ts';
import { crossFieldIssues } from './cross-field-checks.ts';
import { compileGlob, compileRegex } from './match.ts';
import {
  type ColumnSpec,
  DEFAULT_LINEAGE,
  DEFAULT_LOAD_OPTIONS,
  DEFAULT_MIN_SIZE_BYTES,
  DEFAULT_PART_BYTES,
  type FileConfig,
  type LineageColumns,
  type RecordLayout,
  type TableRef,
} from './model.ts';

/**
 * The YAML config format: one document describes one interface (feed) and its
 * file configs. The zod schema validates what people write (every rule that
 * needs a message lives here, with the offending path); `toFileConfigs` then
 * applies the defaults from config/model.ts. sql/efi-config.schema.json is
 * generated from `InterfaceDocSchema` (scripts/gen-config-schema.ts), so the
 * `.describe()` texts are what editors show.
 */

const IDENTIFIER_RULE = 'lower-case letters, digits, _ or $, starting with a letter or _, at most 127 characters';

const identifier = (what: string) =>
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

const CONFIG_ID = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
const INTERFACE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

const singleChar = (what: string) =>
  z
    .string()
    .describe(what)
    .refine((v) => [...v].length === 1 && v !== '\n' && v !== '\r', {
      message: `${what} must be one character, not a line break`,
    });

const TableRefSchema = z
  .object({
    schema: identifier('target schema'),
    table: identifier('target table'),
  })
  .strict()
  .describe('Target table in the warehouse (must exist; efi does not create tables)');

const ColumnSchema = z
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

const ColumnsSchema = z
  .array(ColumnSchema)
  .min(1)
  .describe('Target columns in file order (fields map to them by position)');

const LineageSchema = z
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
      })
      .strict(),
  ])
  .describe(
    `Lineage columns set on every loaded row; false = none; null for one = not recorded. Defaults: ${JSON.stringify(DEFAULT_LINEAGE)}`,
  );

const MatchSchema = z
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
  .superRefine((m, ctx) => {
    const given = (['glob', 'regex', 'token'] as const).filter((k) => m[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'expected exactly one of glob, regex or token'
            : `expected exactly one of glob, regex or token, got ${given.join(' and ')}`,
      });
      return;
    }
    const kind = given[0]!;
    const pattern = m[kind]!;
    if (kind === 'token') {
      if (!/^[^_/.]+$/.test(pattern)) {
        ctx.addIssue({ code: 'custom', path: [kind], message: 'a token is non-empty and contains no _, / or .' });
      }
      return;
    }
    try {
      if (kind === 'glob') compileGlob(pattern);
      else compileRegex(pattern);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: [kind], message: (e as Error).message });
    }
  });

const FormatSchema = z
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
      .enum(['none', 'gzip', 'bzip2', 'zstd'])
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

const HeaderSchema = z
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

const TrailerSchema = z
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
      .superRefine((t, ctx) => {
        if ((t.countAt === undefined) === (t.countPattern === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'expected exactly one of countAt or countPattern' });
          return;
        }
        if (t.countPattern !== undefined) {
          try {
            const groups = (new RegExp(`${t.countPattern}|`).exec('')?.length ?? 1) - 1;
            if (groups < 1) {
              ctx.addIssue({
                code: 'custom',
                path: ['countPattern'],
                message: 'the pattern needs a capture group around the count, e.g. "^T\\|(\\d+)$"',
              });
            }
          } catch (e) {
            ctx.addIssue({
              code: 'custom',
              path: ['countPattern'],
              message: `regex does not compile: ${(e as Error).message}`,
            });
          }
        }
      }),
  ])
  .describe('Trailer line with the record count: omitted/false = no trailer');

const LoadSchema = z
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
      .regex(/^[\x21-\x7e]$/, { message: 'one printable ASCII character' })
      .nullable()
      .optional()
      .describe('Replacement for invalid UTF-8 characters; null = reject the row'),
    ignoreBlankLines: z.boolean().optional().describe('Skip blank lines'),
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

const PartSizeSchema = z
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

const SplitSchema = z
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

export const FileEntrySchema = z
  .object({
    id: z
      .string()
      .regex(CONFIG_ID, {
        message: 'a config id is 1-128 characters of a-z, 0-9, _, . or -, starting with a letter or digit',
      })
      .describe('Unique config id, e.g. sales.daily ([a-z0-9_.-])'),
    description: z.string().optional().describe('What this file is'),
    active: z.boolean().optional().meta({ default: true }).describe('Inactive configs never match'),
    match: MatchSchema,
    format: FormatSchema.optional(),
    header: HeaderSchema.optional(),
    trailer: TrailerSchema.optional(),
    minSizeBytes: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ default: DEFAULT_MIN_SIZE_BYTES })
      .describe('Files smaller than this are rejected'),
    maxSizeBytes: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .describe('Files larger than this are rejected; null = no limit'),
    target: TableRefSchema.optional(),
    columns: ColumnsSchema.optional(),
    lineage: LineageSchema.optional(),
    load: LoadSchema.optional(),
    split: SplitSchema.optional(),
    partSize: PartSizeSchema.optional(),
    duplicates: z
      .enum(['skip', 'reload'])
      .optional()
      .meta({ default: 'skip' })
      .describe('Re-uploading a file with content already loaded: skip it or load it again'),
    reloadMode: z
      .enum(['replace', 'append'])
      .optional()
      .meta({ default: 'replace' })
      .describe(
        'A reload (--reload or duplicates: reload) of content already loaded: replace the earlier rows (by the run-id lineage column) or append a second copy',
      ),
    errors: z
      .object({
        includeValues: z
          .boolean()
          .optional()
          .meta({ default: true })
          .describe(
            'Show values from the file (at most 64 characters) in error messages, the audit and notifications; false = only their length',
          ),
      })
      .strict()
      .optional()
      .describe('How errors report the file'),
    transform: z
      .object({ sql: z.string().trim().min(1).describe('SQL run after the load, e.g. CALL core.load_sales()') })
      .strict()
      .nullable()
      .optional()
      .describe('Post-load SQL, run and polled like the load'),
  })
  .strict()
  .describe('One file config: how to recognise, check and load one kind of file')
  .superRefine(checkFileEntry);

export const InterfaceDocSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema (for editors)'),
    interface: z
      .string()
      .regex(INTERFACE_NAME, {
        message: 'an interface name is 1-63 characters of a-z, 0-9, _, . or -, starting with a letter or digit',
      })
      .describe('Interface (feed) name; also the archive folder name'),
    description: z.string().optional().describe('What this feed is'),
    active: z.boolean().optional().meta({ default: true }).describe('An inactive interface matches no files'),
    files: z.array(FileEntrySchema).min(1).describe('The file configs of this interface'),
  })
  .strict()
  .describe('efi config: one interface (feed) and its file configs')
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.files.forEach((f, i) => {
      const first = seen.get(f.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'id'],
          message: `duplicate config id ${f.id} (also files[${first}])`,
        });
      } else seen.set(f.id, i);
    });
  });

export type InterfaceDoc = z.infer<typeof InterfaceDocSchema>;
type FileEntry = z.infer<typeof FileEntrySchema>;
type ColumnInput = z.infer<typeof ColumnSchema>;
type LineageInput = z.infer<typeof LineageSchema>;

function columnName(c: ColumnInput): string {
  return typeof c === 'string' ? c : c.name;
}

// Rules that span several fields; each issue points at the field to fix.
function checkFileEntry(f: FileEntry, ctx: z.RefinementCtx): void {
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const layout = f.format?.layout ?? 'delimited';

  if (layout === 'fixed_width') {
    for (const k of ['delimiter', 'quote', 'escape'] as const) {
      if (f.format?.[k] !== undefined) add(['format', k], `${k} does not apply to layout fixed_width: remove it`);
    }
  } else {
    const delimiter = f.format?.delimiter ?? ',';
    const quote = f.format?.quote === undefined ? '"' : f.format.quote;
    if (delimiter === '') add(['format', 'delimiter'], 'delimiter must not be empty');
    else if (/[\r\n]/.test(delimiter)) add(['format', 'delimiter'], 'delimiter must not contain a line break');
    else if (quote !== null && delimiter.includes(quote)) {
      add(
        ['format', 'delimiter'],
        `delimiter ${JSON.stringify(delimiter)} must not contain the quote character ${JSON.stringify(quote)}`,
      );
    }
  }

  if (f.minSizeBytes !== undefined && f.maxSizeBytes != null && f.maxSizeBytes < f.minSizeBytes) {
    add(['maxSizeBytes'], `maxSizeBytes (${f.maxSizeBytes}) must be >= minSizeBytes (${f.minSizeBytes})`);
  }

  for (const issue of crossFieldIssues(f)) add(issue.path, issue.message);

  const headerColumns = typeof f.header === 'object' ? f.header.columns : undefined;
  const checkRecord = (
    base: (string | number)[],
    columns: ColumnInput[] | undefined,
    lineage: LineageInput | undefined,
    columnsPath: (string | number)[],
  ) => {
    if (!columns) return;
    const names = new Map<string, number>();
    columns.forEach((c, i) => {
      const name = columnName(c);
      const at = [...columnsPath, i];
      const prev = names.get(name);
      if (prev !== undefined) add(at, `duplicate column ${name} (also position ${prev + 1})`);
      else names.set(name, i);
      const width = typeof c === 'string' ? undefined : c.width;
      if (layout === 'fixed_width' && width === undefined) {
        add(at, `column ${name} needs a width for layout fixed_width: write { name: ${name}, width: N }`);
      }
      if (layout !== 'fixed_width' && width !== undefined) {
        add([...at, 'width'], `width applies only to layout fixed_width (this file is ${layout}): remove it`);
      }
    });
    const lin = resolveLineage(lineage ?? f.lineage);
    for (const [k, v] of Object.entries(lin)) {
      if (v !== null && names.has(v)) {
        add(
          [...base, ...(lineage ? ['lineage', k] : ['columns', names.get(v)!])],
          `lineage column ${v} is also a file column`,
        );
      }
    }
  };

  if (f.split) {
    if (f.target) add(['target'], 'with split, each split.records entry has its own target: remove this one');
    if (f.columns) add(['columns'], 'with split, each split.records entry has its own columns: remove these');
    const types = new Map<string, number>();
    f.split.records.forEach((r, i) => {
      const at = ['split', 'records', i];
      if ([...r.type].length !== f.split!.prefixLength) {
        add(
          [...at, 'type'],
          `record type ${JSON.stringify(r.type)} must be exactly prefixLength (${f.split!.prefixLength}) characters`,
        );
      }
      const prev = types.get(r.type);
      if (prev !== undefined)
        add([...at, 'type'], `duplicate record type ${JSON.stringify(r.type)} (also records[${prev}])`);
      else types.set(r.type, i);
      checkRecord(at, r.columns, r.lineage, [...at, 'columns']);
    });
  } else {
    if (!f.target) add([], 'target is required (or split with records)');
    if (!f.columns && !headerColumns) add([], 'columns is required (or header.columns to take them from)');
    if (!f.columns && headerColumns && layout === 'fixed_width') {
      add([], 'columns with widths are required for layout fixed_width');
    }
    if (!f.columns && headerColumns) {
      headerColumns.forEach((c, i) => {
        if (!isIdentifier(c)) {
          add(
            ['header', 'columns', i],
            `${JSON.stringify(c)} is not a valid column name (columns default to header.columns): write columns explicitly or use ${IDENTIFIER_RULE}`,
          );
        }
      });
    }
    checkRecord([], f.columns, undefined, ['columns']);
  }
}

function resolveLineage(l: LineageInput | undefined): LineageColumns {
  if (l === false) return { sourceFile: null, runId: null, loadedAt: null };
  return {
    sourceFile: l?.sourceFile === undefined ? DEFAULT_LINEAGE.sourceFile : l.sourceFile,
    runId: l?.runId === undefined ? DEFAULT_LINEAGE.runId : l.runId,
    loadedAt: l?.loadedAt === undefined ? DEFAULT_LINEAGE.loadedAt : l.loadedAt,
  };
}

function toColumns(cols: ColumnInput[]): ColumnSpec[] {
  return cols.map((c) =>
    typeof c === 'string' ? { name: c } : c.width === undefined ? { name: c.name } : { name: c.name, width: c.width },
  );
}

function normaliseExtension(e: string): string {
  return e.replace(/^\./, '').toLowerCase();
}

/** A validated document → normalised FileConfigs with every default applied. */
export function toFileConfigs(doc: InterfaceDoc): FileConfig[] {
  return doc.files.map((f) => toFileConfig(doc, f));
}

function toFileConfig(doc: InterfaceDoc, f: FileEntry): FileConfig {
  const layout = f.format?.layout ?? 'delimited';
  const delimited = layout === 'delimited';
  const kind = f.match.glob !== undefined ? 'glob' : f.match.regex !== undefined ? 'regex' : 'token';
  const header =
    f.header === undefined || f.header === false
      ? { lines: 0, columns: null }
      : f.header === true
        ? { lines: 1, columns: null }
        : { lines: f.header.lines ?? 1, columns: f.header.columns ?? null };

  let trailer: FileConfig['trailer'] = null;
  if (f.trailer) {
    trailer = f.trailer.countAt
      ? { count: { kind: 'position', from: f.trailer.countAt.from, to: f.trailer.countAt.to } }
      : { count: { kind: 'pattern', regex: f.trailer.countPattern! } };
    if (f.trailer.marker !== undefined) trailer.marker = f.trailer.marker;
  }

  let records: RecordLayout[];
  if (f.split) {
    records = f.split.records.map((r) => ({
      recordType: r.type,
      target: { schema: r.target.schema, table: r.target.table } satisfies TableRef,
      columns: toColumns(r.columns),
      lineage: resolveLineage(r.lineage ?? f.lineage),
    }));
  } else {
    records = [
      {
        recordType: null,
        target: { schema: f.target!.schema, table: f.target!.table },
        columns: toColumns(f.columns ?? header.columns ?? []),
        lineage: resolveLineage(f.lineage),
      },
    ];
  }

  return {
    id: f.id,
    interface: doc.interface,
    description: f.description ?? null,
    active: f.active ?? true,
    match: { kind, pattern: f.match[kind]! },
    format: {
      layout,
      delimiter: delimited ? (f.format?.delimiter ?? ',') : '',
      quote: delimited ? (f.format?.quote === undefined ? '"' : f.format.quote) : null,
      escape: delimited ? (f.format?.escape ?? null) : null,
      encoding: f.format?.encoding ?? 'utf-8',
      compression: f.format?.compression ?? 'none',
      extensions: [...new Set((f.format?.extensions ?? []).map(normaliseExtension))],
    },
    header,
    trailer,
    minSizeBytes: f.minSizeBytes ?? DEFAULT_MIN_SIZE_BYTES,
    maxSizeBytes: f.maxSizeBytes ?? null,
    records,
    split: f.split ? { prefixLength: f.split.prefixLength, onUnknown: f.split.onUnknown ?? 'reject' } : null,
    load: { ...DEFAULT_LOAD_OPTIONS, ...stripUndefined(f.load ?? {}) },
    partBytes: f.partSize === undefined ? DEFAULT_PART_BYTES : parseSize(f.partSize)!,
    duplicates: f.duplicates ?? 'skip',
    reloadMode: f.reloadMode ?? 'replace',
    transform: f.transform ? { sql: f.transform.sql } : null,
    ...(f.errors ? { errors: { includeValues: f.errors.includeValues ?? true } } : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The JSON Schema published at sql/efi-config.schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(InterfaceDocSchema, { io: 'input', target: 'draft-7' }),
    title: 'efi interface config',
  };
}
