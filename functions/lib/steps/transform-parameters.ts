import { TRANSFORM_PARAMETER_NAMES, type TransformParameterName } from '../config/transform-sql.ts';
import { namedParameters, type SqlParameter } from '../sql/named-parameters.ts';

export interface TransformRunValues {
  runId: string;
  sourceFile: string;
  /** ISO 8601 instant (RunContext.startedAt). */
  startedAt: string;
}

/**
 * The run's values a transform's SQL may use as named parameters, the Redshift
 * Data API's `:name` syntax: `:run_id`, `:source_file` (`s3://bucket/key`) and
 * `:loaded_at` (the run's start, `YYYY-MM-DD HH:MI:SS.SSS` UTC, the same on every
 * redrive). Values are always bound, never spliced into the SQL text. Only the
 * names the SQL uses are passed: the Data API refuses a parameter the SQL
 * does not reference.
 *
 * @example
 *   transformParameters("CALL core.promote(:run_id, :source_file)", run)
 *   // [{ name: 'run_id', value: 'r-1' }, { name: 'source_file', value: 's3://b/k.csv' }]
 */
export function transformParameters(sql: string, run: TransformRunValues): SqlParameter[] {
  const used = new Set(namedParameters(sql, new Set(TRANSFORM_PARAMETER_NAMES)).map((p) => p.name));
  const values: Record<TransformParameterName, string> = {
    run_id: run.runId,
    source_file: run.sourceFile,
    loaded_at: warehouseTimestamp(run.startedAt),
  };
  return TRANSFORM_PARAMETER_NAMES.filter((n) => used.has(n)).map((name) => ({ name, value: values[name] }));
}

/** `2026-12-01T10:27:27.123Z` → `2026-12-01 10:27:27.123`: a literal Redshift and PostgreSQL both read as a timestamp. */
export function warehouseTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not an ISO timestamp: ${JSON.stringify(iso)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
