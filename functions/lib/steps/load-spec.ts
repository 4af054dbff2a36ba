import { createHash } from 'node:crypto';
import type { FileConfig } from '../config/model.ts';
import type { PreparedLoad, PreparedTarget } from '../contract/payloads.ts';
import { ConfigInvalid } from '../errors.ts';
import type { LoadFormat, LoadPart, LoadSpec } from '../ports/warehouse.ts';
import { loadFormatOf } from './load-format.ts';

/** A prepared target with its parts read from its part list. */
export type TargetWithParts = Pick<PreparedTarget, 'recordType' | 'records' | 'manifest' | 'format'> & {
  parts: LoadPart[];
};

/**
 * Builds the structured load spec (no SQL) from the config and Preprocess's
 * output, its targets' parts already read from their part lists (`withParts`).
 */
export function buildLoadSpec(
  config: FileConfig,
  run: { runId: string; sourceFile: string; replaceRunIds?: readonly string[] },
  prepared: Omit<PreparedLoad, 'targets'> & { targets: TargetWithParts[] },
): LoadSpec {
  const replaceRunIds = (run.replaceRunIds ?? []).filter((id) => id !== run.runId);
  if (replaceRunIds.length > 0) {
    const noLineage = config.records.find((r) => r.lineage.runId === null);
    if (noLineage) {
      throw new ConfigInvalid(
        `config ${config.id} target ${noLineage.target.schema}.${noLineage.target.table} has no run-id lineage column (lineage.runId), so this reload cannot replace the rows of run(s) ${replaceRunIds.join(', ')}; set lineage.runId or reloadMode: append, then redrive`,
      );
    }
  }
  return {
    runId: run.runId,
    sourceFile: run.sourceFile,
    ...(replaceRunIds.length > 0 ? { replaceRunIds } : {}),
    // A record type with no records in this file has nothing to COPY (an empty manifest fails on Redshift).
    targets: prepared.targets
      .filter((pt) => pt.parts.length > 0)
      .map((pt) => {
        const layout =
          config.records.find((r) => r.recordType === pt.recordType) ??
          (pt.recordType === null && config.records.length === 1 ? config.records[0] : undefined);
        if (!layout) {
          throw new ConfigInvalid(
            `config ${config.id} has no record layout for record type ${JSON.stringify(pt.recordType)}; the config changed after the file was split: fix the config, then redrive`,
          );
        }
        // Preprocess may have rewritten records (e.g. a multi-character delimiter to CSV): its format wins;
        // a target without one is the original file.
        const format = (pt as { format?: LoadFormat }).format ?? loadFormatOf(config, 'original');
        // removeQuotes goes with quote: null; a quote here is Preprocess's CSV, which already took the quotes
        // off as REMOVEQUOTES would (and Redshift refuses REMOVEQUOTES with CSV).
        const options =
          config.load.removeQuotes && format.quote !== null ? { ...config.load, removeQuotes: false } : config.load;
        return {
          recordType: pt.recordType,
          target: layout.target,
          columns: layout.columns,
          lineage: layout.lineage,
          format,
          options,
          parts: pt.parts,
          manifest: pt.manifest,
        };
      }),
  };
}

/**
 * Data API ClientToken: the same run and attempt always produce the same token,
 * so a retried submit returns the statement already running instead of loading twice.
 * A redrive is a new attempt and gets a new token; so does a resubmit after a
 * transient failure (`retry` > 0), or the Data API would hand back the failed statement.
 */
export function clientToken(runId: string, purpose: 'load' | 'transform', attempt: number, retry = 0): string {
  const key = retry > 0 ? `${runId}:${purpose}:${attempt}:retry-${retry}` : `${runId}:${purpose}:${attempt}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 64);
}
