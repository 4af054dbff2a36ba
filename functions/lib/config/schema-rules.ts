import { loadStatementsPerTarget, MAX_LOAD_STATEMENTS } from '../ports/load-spec-rules.ts';
import { isIdentifier } from '../sql/identifiers.ts';
import { CROSS_FIELD_RULES } from './cross-field-checks.ts';
import type { AddIssue, FieldRule } from './field-rules.ts';
import { LOCAL_CAPABILITIES } from './local-capabilities.ts';
import { DEFAULT_LINEAGE, type DefaultsPreset, type LineageColumns } from './model.ts';
import type { FileEntry } from './schema.ts';
import { type ColumnInput, IDENTIFIER_RULE, type LineageInput } from './schema-fields.ts';

/**
 * Rules of the config format that span several fields (a file entry as a
 * whole), `FILE_ENTRY_RULES`; each declares what it reads (field-rules.ts runs
 * it once those fields are valid) and points at the field to fix. Also the two
 * resolutions both validation and normalising need: the delimited defaults and lineage.
 */

function columnName(c: ColumnInput): string {
  return typeof c === 'string' ? c : c.name;
}

type Rule = FieldRule<FileEntry>;

// What delimitedDefaults reads: the quote, then the delimiter (whose default depends on the quote).
const QUOTE_READS = ['defaults', 'format.quote'];
const SEPARATOR_READS = [...QUOTE_READS, 'format.delimiter'];

const fixedWidth = (f: FileEntry) => f.format?.layout === 'fixed_width';

/** Options of a delimited file that a fixed-width one must not set. */
const NOT_FOR_FIXED_WIDTH: Rule[] = (['delimiter', 'quote', 'escape'] as const).map((k) => ({
  reads: ['format.layout', `format.${k}`],
  check: (f, add) => {
    if (fixedWidth(f) && f.format?.[k] !== undefined) {
      add(['format', k], `${k} does not apply to layout fixed_width: remove it`);
    }
  },
}));

const SEPARATOR_RULES: Rule[] = [
  {
    reads: ['format.layout', 'load.removeQuotes'],
    check: (f, add) => {
      if (fixedWidth(f) && f.load?.removeQuotes) {
        add(
          ['load', 'removeQuotes'],
          'removeQuotes does not apply to layout fixed_width (Redshift refuses it with FIXEDWIDTH)',
        );
      }
    },
  },
  {
    reads: ['format.layout', 'format.escape', ...QUOTE_READS],
    check: (f, add) => {
      if (fixedWidth(f)) return;
      const quote = defaultQuote(f);
      const esc = f.format?.escape ?? null;
      if (esc !== null && quote !== null && esc !== quote) {
        add(
          ['format', 'escape'],
          `escape ${JSON.stringify(esc)} cannot be used with quote ${JSON.stringify(quote)}: Redshift COPY refuses ESCAPE with CSV (a doubled quote escapes a quote there); remove format.escape, or set quote: null for backslash escaping`,
        );
      }
      if (esc !== null && quote === null && esc !== '\\') {
        add(
          ['format', 'escape'],
          `escape ${JSON.stringify(esc)} is not supported: Redshift's ESCAPE always means backslash; use "\\\\" or null`,
        );
      }
    },
  },
  {
    reads: ['format.layout', 'load.removeQuotes', ...QUOTE_READS],
    check: (f, add) => {
      if (!fixedWidth(f) && f.load?.removeQuotes && defaultQuote(f) !== null) {
        add(
          ['load', 'removeQuotes'],
          'removeQuotes cannot be used with a quote character: Redshift COPY refuses REMOVEQUOTES with CSV; set format.quote: null',
        );
      }
    },
  },
  {
    reads: ['format.layout', ...SEPARATOR_READS],
    check: (f, add) => {
      if (fixedWidth(f)) return;
      const { delimiter, quote } = delimitedDefaults(f);
      if (delimiter === '') add(['format', 'delimiter'], 'delimiter must not be empty');
      else if (/[\r\n]/.test(delimiter)) add(['format', 'delimiter'], 'delimiter must not contain a line break');
      else if (quote !== null && delimiter.includes(quote)) {
        add(
          ['format', 'delimiter'],
          `delimiter ${JSON.stringify(delimiter)} must not contain the quote character ${JSON.stringify(quote)}`,
        );
      }
    },
  },
];

/** What the local warehouse cannot load the way Redshift does is refused here, with the reason (local-capabilities.ts). */
const LOCAL_REFUSAL_RULES: Rule[] = LOCAL_CAPABILITIES.flatMap(({ refuse, reads = [], readsSeparators }) =>
  refuse === undefined
    ? []
    : [
        {
          reads: readsSeparators ? [...reads, 'format.layout', 'format.escape', ...SEPARATOR_READS] : reads,
          check: (f: FileEntry, add: AddIssue) => {
            const separators =
              !readsSeparators || fixedWidth(f) ? null : { ...delimitedDefaults(f), escape: f.format?.escape ?? null };
            const r = refuse(f, separators);
            if (r) add(r.path, r.message);
          },
        },
      ],
);

/** The columns of one target: unique names, widths as the layout needs, no lineage column among them. */
function checkColumns(
  f: FileEntry,
  columns: ColumnInput[],
  lineage: LineageInput | undefined,
  base: (string | number)[],
  add: AddIssue,
): void {
  const layout = f.format?.layout ?? 'delimited';
  const columnsPath = [...base, 'columns'];
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
}

const TARGET_RULES: Rule[] = [
  {
    reads: ['split?', 'target?', 'columns?'],
    check: (f, add) => {
      if (!f.split) {
        if (!f.target) add([], 'target is required (or split with records)');
        return;
      }
      if (f.target) add(['target'], 'with split, each split.records entry has its own target: remove this one');
      if (f.columns) add(['columns'], 'with split, each split.records entry has its own columns: remove these');
    },
  },
  {
    reads: ['split.prefixLength', 'split.records[*].type'],
    check: (f, add) => {
      f.split?.records.forEach((r, i) => {
        if ([...r.type].length !== f.split!.prefixLength) {
          add(
            ['split', 'records', i, 'type'],
            `record type ${JSON.stringify(r.type)} must be exactly prefixLength (${f.split!.prefixLength}) characters`,
          );
        }
      });
    },
  },
  {
    reads: ['split.records[*].type'],
    check: (f, add) => {
      const types = new Map<string, number>();
      f.split?.records.forEach((r, i) => {
        const prev = types.get(r.type);
        if (prev !== undefined) {
          add(
            ['split', 'records', i, 'type'],
            `duplicate record type ${JSON.stringify(r.type)} (also records[${prev}])`,
          );
        } else types.set(r.type, i);
      });
    },
  },
  {
    reads: ['format.layout', 'lineage', 'split.records[*].columns', 'split.records[*].lineage'],
    check: (f, add) => {
      f.split?.records.forEach((r, i) => {
        checkColumns(f, r.columns, r.lineage, ['split', 'records', i], add);
      });
    },
  },
  {
    // No columns (and no header.columns): the table's columns in order, read at load time, as COPY
    // without a column list. Fixed width needs the widths, so there they are required.
    reads: ['split?', 'columns?', 'format.layout'],
    check: (f, add) => {
      if (!f.split && !f.columns && fixedWidth(f)) add([], 'columns with widths are required for layout fixed_width');
    },
  },
  {
    reads: ['split?', 'columns?', 'header.columns'],
    check: (f, add) => {
      const headerColumns = typeof f.header === 'object' ? f.header.columns : undefined;
      if (f.split || f.columns || !headerColumns) return;
      headerColumns.forEach((c, i) => {
        if (!isIdentifier(c)) {
          add(
            ['header', 'columns', i],
            `${JSON.stringify(c)} is not a valid column name (columns default to header.columns): write columns explicitly or use ${IDENTIFIER_RULE}`,
          );
        }
      });
    },
  },
  {
    reads: ['split?', 'columns', 'format.layout', 'lineage'],
    check: (f, add) => {
      if (!f.split && f.columns) checkColumns(f, f.columns, undefined, [], add);
    },
  },
];

/**
 * A load is one BatchExecuteStatement of at most 40 statements (one
 * transaction, never split): refuse at validate a config whose record types
 * would need more, instead of failing every file at load time.
 */
const LOAD_STATEMENTS_RULE: Rule = {
  reads: ['lineage', 'split.records[*].lineage'],
  check: (f, add) => {
    const lineages = f.split ? f.split.records.map((r) => r.lineage ?? f.lineage) : [f.lineage];
    const statements = lineages.reduce((n, l) => n + loadStatementsPerTarget(resolveLineage(l)), 0);
    if (statements > MAX_LOAD_STATEMENTS) {
      add(
        f.split ? ['split', 'records'] : [],
        `${lineages.length} record types need ${statements} SQL statements in the load, and one load (one BatchExecuteStatement, one transaction) takes at most ${MAX_LOAD_STATEMENTS}: at most 10 record types with a runId lineage column, 13 without (lineage: { runId: null })`,
      );
    }
  },
};

const SIZE_RULE: Rule = {
  reads: ['minSizeBytes', 'maxSizeBytes'],
  check: (f, add) => {
    if (f.minSizeBytes !== undefined && f.maxSizeBytes != null && f.maxSizeBytes < f.minSizeBytes) {
      add(['maxSizeBytes'], `maxSizeBytes (${f.maxSizeBytes}) must be >= minSizeBytes (${f.minSizeBytes})`);
    }
  },
};

/**
 * Every rule across the fields of a file entry, in the order their issues are listed for one path.
 * Each points at the field to fix and runs once the fields it reads are valid (field-rules.ts).
 */
export const FILE_ENTRY_RULES: readonly Rule[] = [
  LOAD_STATEMENTS_RULE,
  ...NOT_FOR_FIXED_WIDTH,
  ...SEPARATOR_RULES,
  ...LOCAL_REFUSAL_RULES,
  SIZE_RULE,
  ...CROSS_FIELD_RULES,
  ...TARGET_RULES,
];

const preset = (f: FileEntry): DefaultsPreset => f.defaults ?? 'efi';

/** The quote a delimited entry gets when it leaves it out (depends on `defaults`). */
function defaultQuote(f: FileEntry): string | null {
  return f.format?.quote === undefined ? (preset(f) === 'redshift' ? null : '"') : f.format.quote;
}

/** The delimiter and quote a delimited entry gets when it leaves them out (depends on `defaults`). */
export function delimitedDefaults(f: FileEntry): { delimiter: string; quote: string | null } {
  const quote = defaultQuote(f);
  // Redshift: '|' unless CSV (a quote character), then ','.
  const delimiter = f.format?.delimiter ?? (preset(f) === 'redshift' && quote === null ? '|' : ',');
  return { delimiter, quote };
}

export function resolveLineage(l: LineageInput | undefined): LineageColumns {
  if (l === false) return { sourceFile: null, runId: null, loadedAt: null };
  return {
    sourceFile: l?.sourceFile === undefined ? DEFAULT_LINEAGE.sourceFile : l.sourceFile,
    runId: l?.runId === undefined ? DEFAULT_LINEAGE.runId : l.runId,
    loadedAt: l?.loadedAt === undefined ? DEFAULT_LINEAGE.loadedAt : l.loadedAt,
    ...(l?.sourceFileAs === 'basename' ? { sourceFileAs: 'basename' as const } : {}),
  };
}
