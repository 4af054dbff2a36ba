import type { z } from 'zod';
import { loadStatementsPerTarget, MAX_LOAD_STATEMENTS } from '../ports/load-spec-rules.ts';
import { isIdentifier } from '../sql/identifiers.ts';
import { crossFieldIssues } from './cross-field-checks.ts';
import { localRefusals } from './local-capabilities.ts';
import { DEFAULT_LINEAGE, type DefaultsPreset, type LineageColumns } from './model.ts';
import type { FileEntry } from './schema.ts';
import { type ColumnInput, IDENTIFIER_RULE, type LineageInput } from './schema-fields.ts';

/**
 * Rules of the config format that span several fields (a file entry as a
 * whole); each issue points at the field to fix. Also the two resolutions
 * both validation and normalising need: the delimited defaults and lineage.
 */

function columnName(c: ColumnInput): string {
  return typeof c === 'string' ? c : c.name;
}

// Rules that span several fields; each issue points at the field to fix.
export function checkFileEntry(f: FileEntry, ctx: z.RefinementCtx): void {
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const layout = f.format?.layout ?? 'delimited';
  checkLoadStatements(f, add);

  if (layout === 'fixed_width') {
    for (const k of ['delimiter', 'quote', 'escape'] as const) {
      if (f.format?.[k] !== undefined) add(['format', k], `${k} does not apply to layout fixed_width: remove it`);
    }
    if (f.load?.removeQuotes) {
      add(
        ['load', 'removeQuotes'],
        'removeQuotes does not apply to layout fixed_width (Redshift refuses it with FIXEDWIDTH)',
      );
    }
  } else {
    const { delimiter, quote } = delimitedDefaults(f);
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
    if (f.load?.removeQuotes && quote !== null) {
      add(
        ['load', 'removeQuotes'],
        'removeQuotes cannot be used with a quote character: Redshift COPY refuses REMOVEQUOTES with CSV; set format.quote: null',
      );
    }
    if (delimiter === '') add(['format', 'delimiter'], 'delimiter must not be empty');
    else if (/[\r\n]/.test(delimiter)) add(['format', 'delimiter'], 'delimiter must not contain a line break');
    else if (quote !== null && delimiter.includes(quote)) {
      add(
        ['format', 'delimiter'],
        `delimiter ${JSON.stringify(delimiter)} must not contain the quote character ${JSON.stringify(quote)}`,
      );
    }
  }

  // What the local warehouse cannot load the way Redshift does is refused here, with the reason (local-capabilities.ts).
  const separators = layout === 'fixed_width' ? null : { ...delimitedDefaults(f), escape: f.format?.escape ?? null };
  for (const r of localRefusals(f, separators)) add(r.path, r.message);

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
    // No columns (and no header.columns): the table's columns in order, read at load time, as COPY
    // without a column list. Fixed width needs the widths, so there they are required.
    if (!f.columns && !headerColumns && layout === 'fixed_width') {
      add([], 'columns with widths are required for layout fixed_width');
    }
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

/** The delimiter and quote a delimited entry gets when it leaves them out (depends on `defaults`). */
export function delimitedDefaults(f: FileEntry): { delimiter: string; quote: string | null } {
  const preset: DefaultsPreset = f.defaults ?? 'efi';
  const quote = f.format?.quote === undefined ? (preset === 'redshift' ? null : '"') : f.format.quote;
  // Redshift: '|' unless CSV (a quote character), then ','.
  const delimiter = f.format?.delimiter ?? (preset === 'redshift' && quote === null ? '|' : ',');
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

/**
 * A load is one BatchExecuteStatement of at most 40 statements (one
 * transaction, never split): refuse at validate a config whose record types
 * would need more, instead of failing every file at load time.
 */
function checkLoadStatements(f: FileEntry, add: (path: (string | number)[], message: string) => void): void {
  const lineages = f.split ? f.split.records.map((r) => r.lineage ?? f.lineage) : [f.lineage];
  const statements = lineages.reduce((n, l) => n + loadStatementsPerTarget(resolveLineage(l)), 0);
  if (statements > MAX_LOAD_STATEMENTS) {
    add(
      f.split ? ['split', 'records'] : [],
      `${lineages.length} record types need ${statements} SQL statements in the load, and one load (one BatchExecuteStatement, one transaction) takes at most ${MAX_LOAD_STATEMENTS}: at most 10 record types with a runId lineage column, 13 without (lineage: { runId: null })`,
    );
  }
}
