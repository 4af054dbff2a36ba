import { assertLoadSpec, loadTargetName } from '../../ports/load-spec-rules.ts';
import type { LoadSpec, LoadTargetSpec } from '../../ports/warehouse.ts';
import { quoteIdent, quoteTable } from '../../sql/identifiers.ts';
import { assertCopySupported, needsRewrite } from './postgres-copy-options.ts';
import { type DateTimeConverter, dateTimeConverter, isNativeDateTimeFormat } from './postgres-date-format.ts';
import type { ColumnRule, RewritePlan } from './postgres-part-transform.ts';

/**
 * Load planning for the local warehouse, before anything is recorded: each
 * target of a LoadSpec with its identifiers validated and quoted, its COPY
 * format checked and its date patterns compiled (`planLoad`); and, once the
 * target table's columns are known, what the part transform must do to each
 * column (`rewritePlan`).
 */

/** One target of a load, with every identifier validated and quoted up front. */
export interface TargetPlan {
  spec: LoadTargetSpec;
  name: string;
  table: string;
  stage: string;
  stageName: string;
  columnNames: string[];
  columns: string;
  lineage: { sourceFile: string | null; runId: string | null; loadedAt: string | null };
  /** Records are rewritten as canonical CSV by the part transform. */
  rewrite: boolean;
  dateConverter: DateTimeConverter | null;
  timeConverter: DateTimeConverter | null;
}

export function planLoad(spec: LoadSpec): TargetPlan[] {
  // What no warehouse can load is refused by the shared rules; what follows is PostgreSQL's own.
  assertLoadSpec(spec);
  return spec.targets.map((t, i) => {
    const name = `${t.target.schema}.${t.target.table}`;
    const where = loadTargetName(t, i);
    const table = quoteTable(t.target);
    const columnNames = t.columns.map((c) => c.name);
    assertCopySupported(t.format, t.options, where);
    const { dateFormat, timeFormat } = t.options;
    const lineageIdent = (c: string | null, what: string) => (c === null ? null : quoteIdent(c, `${where}: ${what}`));
    const stageName = `efi_stage_${i}`;
    return {
      spec: t,
      name,
      table,
      stage: quoteIdent(stageName),
      stageName,
      columnNames,
      columns: columnNames.map((c) => quoteIdent(c)).join(', '),
      lineage: {
        sourceFile: lineageIdent(t.lineage.sourceFile, 'lineage column sourceFile'),
        runId: lineageIdent(t.lineage.runId, 'lineage column runId'),
        loadedAt: lineageIdent(t.lineage.loadedAt, 'lineage column loadedAt'),
      },
      rewrite: needsRewrite(t.format, t.options),
      // Compiled here so a bad pattern is refused before anything is recorded.
      dateConverter:
        dateFormat === null || isNativeDateTimeFormat(dateFormat)
          ? null
          : dateTimeConverter(dateFormat, 'date', `${where}: dateFormat`),
      timeConverter:
        timeFormat === null || isNativeDateTimeFormat(timeFormat)
          ? null
          : dateTimeConverter(timeFormat, 'timestamp', `${where}: timeFormat`),
    };
  });
}

export interface ColumnInfo {
  name: string;
  not_null: boolean;
  category: string;
  type_name: string;
  /** Characters a varchar(n)/char(n) holds; null for unbounded types. */
  max_chars: number | string | null;
}

/** What the part transform needs to know of each file column: its type, length and format. */
export function rewritePlan(plan: TargetPlan, columns: Map<string, ColumnInfo>): RewritePlan {
  const o = plan.spec.options;
  const rules: ColumnRule[] = plan.spec.columns.map((c) => {
    const info = columns.get(c.name);
    const type = info?.type_name ?? '';
    let convert: ColumnRule['convert'] = null;
    if (type === 'date' && plan.dateConverter) {
      convert = { fn: plan.dateConverter, option: 'dateFormat', format: o.dateFormat ?? '' };
    } else if ((type === 'timestamp' || type === 'timestamptz') && plan.timeConverter) {
      convert = { fn: plan.timeConverter, option: 'timeFormat', format: o.timeFormat ?? '' };
    }
    return {
      name: c.name,
      // An unknown column fails the COPY itself (42703); treat it as text meanwhile.
      isText: info ? info.category === 'S' : true,
      maxChars: info?.max_chars == null ? null : Number(info.max_chars),
      convert,
      width: c.width ?? null,
    };
  });
  return {
    layout: plan.spec.format.layout,
    columns: rules,
    emptyAsNull: o.emptyAsNull,
    blanksAsNull: o.blanksAsNull,
    nullAs: o.nullAs,
    truncateColumns: o.truncateColumns,
  };
}
