import type { FileConfig } from '../config/model.ts';
import { InvalidStateInput } from '../errors.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { recordPlan } from './record-plan.ts';
import { recordRouter } from './record-router.ts';
import { STOP } from './record-scanner.ts';
import { scanRecords } from './scan-records.ts';
import { recordBytes } from './source.ts';

/**
 * Maps "the n-th record (1-based) of this record type" (what a load error
 * and a part's firstRecord give) back to the physical line of the original
 * file, by re-scanning it with the same rules as Preprocess. Only used on
 * load errors, so it trades a re-read for not storing a line index.
 */
export async function locateRecord(
  store: ObjectStore,
  run: { bucket: string; key: string },
  config: FileConfig,
  recordType: string | null,
  ordinal: number,
): Promise<number> {
  return (await locateRecords(store, run, config, recordType, [ordinal])).get(ordinal)!;
}

/** locateRecord for several records of one type in a single pass over the original (ordinal → line). */
export async function locateRecords(
  store: ObjectStore,
  run: { bucket: string; key: string },
  config: FileConfig,
  recordType: string | null,
  ordinals: readonly number[],
): Promise<Map<number, number>> {
  for (const ordinal of ordinals) {
    if (!Number.isInteger(ordinal) || ordinal < 1) {
      throw new InvalidStateInput(`record ordinal ${ordinal} must be a positive integer`);
    }
  }
  const plan = recordPlan(config);
  if (plan.prefixLength !== null && (recordType === null || !plan.typeIndex.has(recordType))) {
    throw new InvalidStateInput(
      `record type ${JSON.stringify(recordType)} is not one of config ${config.id}'s types (${[...plan.typeIndex.keys()].join(', ')})`,
    );
  }
  // Unknown types were skipped or refused by ValidateFile; here they are just not the type asked for.
  const route = recordRouter(plan, 'skip');
  const layout = plan.prefixLength === null ? 0 : plan.typeIndex.get(recordType!)!;
  const wanted = new Set(ordinals);
  const found = new Map<number, number>();
  let seen = 0;
  const chunks = recordBytes(store, run.bucket, run.key, config, { checkEncoding: false });
  await scanRecords(chunks, plan, {
    data(buf, start, end, line) {
      if (route(buf, start, end, line) !== layout) return;
      if (!wanted.has(++seen)) return;
      found.set(seen, line);
      if (found.size === wanted.size) return STOP;
    },
  });
  const missing = [...wanted].find((o) => !found.has(o));
  if (missing !== undefined) {
    throw new InvalidStateInput(
      `${store.uri(run.bucket, run.key)} has only ${seen} data records${recordType === null ? '' : ` of type ${JSON.stringify(recordType)}`}, so record ${missing} does not exist; was the file replaced after it was loaded?`,
    );
  }
  return found;
}
