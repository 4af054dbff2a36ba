import { getConfig } from '../config/repository.ts';
import type { PreparedLoad, RunContext } from '../contract.ts';
import type { LoadFormat, LoadRowError } from '../ports/warehouse.ts';
import type { Runtime } from '../runtime.ts';
import { locateRecord } from './locate-record.ts';
import { recordOfPartLine } from './part-record.ts';

/** A refused row as the audit and the notification report it: where it is in the original file. */
export interface LocatedRowError {
  table: string;
  line: number | null;
  column: string | null;
  reason: string;
  rawValue: string | null;
}

/**
 * Maps a warehouse row error (physical line of a part) to the line of the
 * original file: part line → record in the part → record of its type →
 * line in the original. Re-reads the part and the original, so only on errors.
 */
export async function locateRowError(
  rt: Runtime,
  run: RunContext,
  prepared: PreparedLoad,
  e: LoadRowError,
): Promise<LocatedRowError> {
  const target = prepared.targets.find((t) => t.parts.some((p) => p.key === e.partKey));
  const part = target?.parts.find((p) => p.key === e.partKey);
  let line: number | null = null;
  if (target && part) {
    const config = await getConfig(await rt.db(), run.configId!);
    const store = await rt.store();
    const quote = ((target as { format?: LoadFormat }).format ?? config.format).quote;
    const recordInPart = await recordOfPartLine(store, part, quote, e.lineInPart);
    line = await locateRecord(
      store,
      { bucket: run.bucket, key: run.key },
      config,
      target.recordType,
      part.firstRecord + recordInPart - 1,
    );
  }
  return {
    table: `${e.target.schema}.${e.target.table}`,
    line,
    column: e.column,
    reason: e.reason,
    rawValue: e.rawValue,
  };
}
