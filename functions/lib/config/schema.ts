import { z } from 'zod';
import { fieldRules } from './field-rules.ts';
import { DEFAULT_MIN_SIZE_BYTES } from './model.ts';
import {
  CONFIG_ID,
  ColumnsSchema,
  FormatSchema,
  HeaderSchema,
  INTERFACE_NAME,
  LineageSchema,
  LoadSchema,
  MatchSchema,
  PartSizeSchema,
  SplitSchema,
  TableRefSchema,
  TrailerSchema,
} from './schema-fields.ts';
import { FILE_ENTRY_RULES } from './schema-rules.ts';

/**
 * The YAML config format: one document describes one interface (feed) and its
 * file configs. Field schemas are in schema-fields.ts, rules across fields in
 * schema-rules.ts, defaults and normalising (`toFileConfigs`) in normalise.ts.
 * sql/efi-config.schema.json is generated from `InterfaceDocSchema`
 * (scripts/gen-config-schema.ts), so the `.describe()` texts are what editors show.
 */

export { toFileConfigs } from './normalise.ts';
export { parseSize } from './schema-fields.ts';

export const FileEntrySchema = z
  .object({
    id: z
      .string()
      .regex(CONFIG_ID, {
        message: 'a config id is 1-128 characters of a-z, 0-9, _, . or -, starting with a letter or digit',
      })
      .describe('Unique config id, e.g. sales.daily ([a-z0-9_.-])'),
    description: z.string().optional().describe('What this file is'),
    defaults: z
      .enum(['efi', 'redshift'])
      .optional()
      .meta({ default: 'efi' })
      .describe(
        "Defaults for unset format/load options: efi (CSV: ',' and '\"', emptyAsNull, dateFormat auto) or redshift (what a COPY without the option does: '|', no quoting, NULL AS '\\N' only, strict YYYY-MM-DD dates)",
      ),
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
  // Not superRefine: zod would skip it once any field failed, hiding these problems until the next run.
  .check(fieldRules(FILE_ENTRY_RULES));

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
  .check(
    fieldRules<{ files: { id: string }[] }>([
      {
        reads: ['files[*].id'],
        check: (doc, add) => {
          const seen = new Map<string, number>();
          doc.files?.forEach((f, i) => {
            const first = seen.get(f.id);
            if (first !== undefined) add(['files', i, 'id'], `duplicate config id ${f.id} (also files[${first}])`);
            else seen.set(f.id, i);
          });
        },
      },
    ]),
  );

export type InterfaceDoc = z.infer<typeof InterfaceDocSchema>;
export type FileEntry = z.infer<typeof FileEntrySchema>;

/** The JSON Schema published at sql/efi-config.schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(InterfaceDocSchema, { io: 'input', target: 'draft-7' }),
    title: 'efi interface config',
  };
}
