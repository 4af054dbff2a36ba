import type { MatchedRun, PreparedLoad } from '../contract/payloads.ts';
import { boundedValue, formatValue, redactValue, type ValuePolicy } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { LoadPart, LoadRowError } from '../ports/warehouse.ts';
import { locateRecords } from '../records/locate-record.ts';
import { recordsOfPartLines } from '../records/part-record.ts';
import { recordEscapeByte } from '../records/record-plan.ts';
import { withParts } from './processing.ts';

/** A refused row as the audit and the notification report it: where it is in the original file. */
export interface LocatedRowError {
  table: string;
  line: number | null;
  /** 1-based field number of `column` in the record's layout, when the warehouse named a column of it. */
  field: number | null;
  /** Column name as the warehouse reported it. */
  column: string | null;
  /** The warehouse's reason, with the value bounded or hidden (errors.includeValues). */
  reason: string;
  /** The refused value, at most 64 characters (with an ellipsis), or null when absent or hidden. */
  rawValue: string | null;
  /** The value as messages show it (formatValue), or null when there is none. */
  valueShown: string | null;
}

/**
 * Maps warehouse row errors (physical lines of parts) to lines of the
 * original file: part line → record in the part → record of its type → line
 * in the original. Re-reads each part involved and the original once per
 * record type, whatever the number of errors, and only on errors.
 */
export async function locateRowErrors(
  ports: { store: ObjectStore; configs: ConfigSource },
  run: MatchedRun,
  prepared: PreparedLoad,
  errors: readonly LoadRowError[],
): Promise<LocatedRowError[]> {
  // The part lists are in S3: read them only when there is a row to place.
  const targets = errors.length > 0 ? await withParts(ports.store, prepared.targets) : [];
  const located = errors.map((e) => ({
    e,
    target: targets.find((t) => t.parts.some((p) => p.key === e.partKey)),
    part: undefined as LoadPart | undefined,
    ordinal: 0,
  }));
  for (const x of located) x.part = x.target?.parts.find((p) => p.key === x.e.partKey);
  const placed = located.filter((x) => x.target && x.part);
  const lines = new Map<(typeof located)[number], number>();
  const config = errors.length > 0 ? await ports.configs.get(run.configId, run.configVersion) : null;
  const fieldOf = (recordType: string | null | undefined, column: string | null): number | null => {
    if (!config || column === null) return null;
    const layout = config.records.find((r) => r.recordType === (recordType ?? null)) ?? config.records[0];
    const i = layout?.columns.findIndex((c) => c.name === column) ?? -1;
    return i >= 0 ? i + 1 : null;
  };
  const policy = { includeValues: config?.errors?.includeValues ?? true };
  if (placed.length > 0 && config) {
    const store = ports.store;
    for (const part of new Set(placed.map((x) => x.part!))) {
      const here = placed.filter((x) => x.part === part);
      const format = here[0]!.target!.format ?? config.format;
      const records = await recordsOfPartLines(
        store,
        part,
        format.quote,
        here.map((x) => x.e.lineInPart),
        recordEscapeByte(format),
      );
      for (const x of here) x.ordinal = part.firstRecord + records.get(x.e.lineInPart)! - 1;
    }
    for (const recordType of new Set(placed.map((x) => x.target!.recordType))) {
      const ofType = placed.filter((x) => x.target!.recordType === recordType);
      const found = await locateRecords(
        store,
        { bucket: run.bucket, key: run.key },
        config,
        recordType,
        ofType.map((x) => x.ordinal),
      );
      for (const x of ofType) lines.set(x, found.get(x.ordinal)!);
    }
  }
  return located.map((x) => ({
    table: `${x.e.target.schema}.${x.e.target.table}`,
    line: lines.get(x) ?? null,
    field: fieldOf(x.target?.recordType, x.e.column),
    column: x.e.column,
    reason: redactValue(x.e.reason, x.e.rawValue, policy),
    rawValue: boundedValue(x.e.rawValue, policy),
    valueShown: x.e.rawValue === null ? null : formatValue(x.e.rawValue, policy),
  }));
}

/**
 * CheckLoad runs 300 s and a timed-out Task is neither retried nor caught:
 * locating refused rows in a multi-GB original must never turn a rejected
 * file into an operational failure. Past the budget the rows are reported
 * where the warehouse saw them (part key and line in the part), saying so.
 */
export const LOCATE_BUDGET_MS = 120_000;

export async function locateRowErrorsWithin(
  ports: { store: ObjectStore; configs: ConfigSource },
  run: MatchedRun,
  prepared: PreparedLoad,
  errors: readonly LoadRowError[],
  budgetMs: number = LOCATE_BUDGET_MS,
): Promise<LocatedRowError[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), budgetMs);
  });
  try {
    const found = await Promise.race([locateRowErrors(ports, run, prepared, errors).catch(() => null), late]);
    if (found) return found;
    // The fallback still honours errors.includeValues; when even the config cannot be read, values stay hidden.
    const config = await Promise.resolve()
      .then(() => ports.configs.get(run.configId, run.configVersion))
      .catch(() => null);
    const policy = { includeValues: config === null ? false : (config.errors?.includeValues ?? true) };
    return errors.map((e) => unlocated(e, policy));
  } finally {
    clearTimeout(timer);
  }
}

/** A refused row placed only in its part: the line in the original was not found within the budget. */
function unlocated(e: LoadRowError, policy: ValuePolicy): LocatedRowError {
  return {
    table: `${e.target.schema}.${e.target.table}`,
    line: null,
    field: null,
    column: e.column,
    reason: `${redactValue(e.reason, e.rawValue, policy)} (line ${e.lineInPart} of part ${e.partKey}; not located in the original within the time budget)`,
    rawValue: boundedValue(e.rawValue, policy),
    valueShown: e.rawValue === null ? null : formatValue(e.rawValue, policy),
  };
}
