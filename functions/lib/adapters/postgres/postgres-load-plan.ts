import { assertLoadSpec, loadTargetName } from '../../ports/load-spec-rules.ts';
import type { LoadSpec, LoadTargetSpec } from '../../ports/warehouse.ts';
import { quoteIdent, quoteTable } from '../../sql/identifiers.ts';
import { buildRewritePlan, type ColumnInfo } from './postgres-column-info.ts';
import { assertCopySupported, needsRewrite } from './postgres-copy-options.ts';
import { converterFor, type DateTimeConverter } from './postgres-date-format.ts';
import type { RewritePlan } from './postgres-part-transform.ts';

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
      dateConverter: converterFor(dateFormat, 'date', `${where}: dateFormat`, t.options.acceptAnyDate),
      timeConverter: converterFor(timeFormat, 'timestamp', `${where}: timeFormat`, t.options.acceptAnyDate),
    };
  });
}

export type { ColumnInfo };

/** What the part transform needs to know of each file column: its type, length and format. */
export function rewritePlan(plan: TargetPlan, columns: Map<string, ColumnInfo>): RewritePlan {
  return buildRewritePlan(plan.spec, columns, `load target ${plan.name}`);
}
