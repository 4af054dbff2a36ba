import { ConfigInvalid } from '../errors.ts';
import { assertIdentifier } from '../sql/identifiers.ts';
import type { LoadSpec, LoadTargetSpec } from './warehouse.ts';

/**
 * The rules every warehouse applies to a LoadSpec before it loads anything,
 * whatever its engine: each adapter calls `assertLoadSpec` first, then checks
 * only what its own COPY can or cannot express (delimiters, escapes, options).
 * Imports nothing but errors and identifier rules, so any adapter may use it.
 */

/**
 * A load is one BatchExecuteStatement (one transaction), which takes at most
 * 40 SQL statements; splitting it would break all-or-nothing, so a config
 * whose load would need more is refused at `efi config validate/apply`.
 */
export const MAX_LOAD_STATEMENTS = 40;

/**
 * SQL statements the load renders for one target (adapters/redshift/redshift-copy-sql.ts):
 * CREATE TEMP stage, COPY, DELETE of an earlier attempt's rows (only with a runId lineage column), INSERT.
 */
export function loadStatementsPerTarget(lineage: { runId: string | null }): number {
  return lineage.runId !== null ? 4 : 3;
}

/** Redshift's MAXERROR ceiling; the local warehouse honours the same range. */
export const MAX_MAXERROR = 100_000;

/** How messages name a target: `load target 2 (record type "D1") "stage.orders"` (1-based). */
export function loadTargetName(t: LoadTargetSpec, index: number): string {
  const rt = t.recordType === null ? '' : ` (record type ${JSON.stringify(t.recordType)})`;
  return `load target ${index + 1}${rt} ${JSON.stringify(`${t.target.schema}.${t.target.table}`)}`;
}

/**
 * Throws ConfigInvalid, naming the target and what to change, for a spec no
 * warehouse can load: no targets, a target without columns, an invalid
 * identifier, a column listed twice (file columns and lineage), a fixed-width
 * column without a positive width or with an escape, maxErrors out of range.
 */
export function assertLoadSpec(spec: LoadSpec): void {
  if (spec.targets.length === 0) {
    throw new ConfigInvalid(`load spec for run ${JSON.stringify(spec.runId)} has no targets: nothing to load`);
  }
  spec.targets.forEach((t, i) => {
    assertTarget(t, loadTargetName(t, i));
  });
}

function assertTarget(t: LoadTargetSpec, where: string): void {
  assertIdentifier(t.target.schema, `${where}: schema`);
  assertIdentifier(t.target.table, `${where}: table`);
  if (t.columns.length === 0) throw new ConfigInvalid(`${where} has no columns: list the file's columns in the config`);
  const names = t.columns.map((c) => assertIdentifier(c.name, `${where}: column`));
  const { sourceFile, runId, loadedAt } = t.lineage;
  if (sourceFile !== null) names.push(assertIdentifier(sourceFile, `${where}: lineage sourceFile column`));
  if (runId !== null) names.push(assertIdentifier(runId, `${where}: lineage runId column`));
  if (loadedAt !== null) names.push(assertIdentifier(loadedAt, `${where}: lineage loadedAt column`));
  const seen = new Set<string>();
  for (const c of names) {
    if (seen.has(c)) {
      throw new ConfigInvalid(`${where}: column ${JSON.stringify(c)} is listed twice (file columns and lineage)`);
    }
    seen.add(c);
  }
  if (t.format.layout === 'fixed_width') {
    if (t.format.escape !== null) {
      throw new ConfigInvalid(
        `${where}: escape ${JSON.stringify(t.format.escape)} cannot be used with a fixed_width layout: remove format.escape`,
      );
    }
    for (const c of t.columns) {
      if (c.width === undefined || !Number.isInteger(c.width) || c.width < 1) {
        throw new ConfigInvalid(
          `${where}: column ${JSON.stringify(c.name)} has no valid width (${String(c.width)}): fixed_width columns need a positive integer width`,
        );
      }
    }
  }
  const { maxErrors } = t.options;
  if (!Number.isInteger(maxErrors) || maxErrors < 0 || maxErrors > MAX_MAXERROR) {
    throw new ConfigInvalid(`${where}: maxErrors ${String(maxErrors)} must be an integer from 0 to ${MAX_MAXERROR}`);
  }
}
