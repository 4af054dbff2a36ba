import type { FileConfig } from '../config/model.ts';
import { InvalidStateInput } from '../errors.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { recordPlan, recordTypeOf } from './record-plan.ts';
import { RecordRoles } from './record-roles.ts';
import { RecordScanner } from './record-scanner.ts';
import { recordBytes } from './source.ts';

/** Thrown inside the scan to stop reading as soon as every record asked for is found. */
class AllFound {}

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
  const prefixLength = plan.prefixLength;
  const wanted = new Set(ordinals);
  const found = new Map<number, number>();
  let seen = 0;
  const ignore = () => undefined;
  const roles = new RecordRoles(
    {
      header: ignore,
      trailer: ignore,
      blank: ignore,
      data(buf, start, end, line) {
        if (prefixLength !== null && recordTypeOf(buf, start, end, prefixLength) !== recordType) return;
        if (!wanted.has(++seen)) return;
        found.set(seen, line);
        if (found.size === wanted.size) throw new AllFound();
      },
    },
    plan.roles,
  );
  const scanner = new RecordScanner(roles, plan.scanner);
  try {
    for await (const chunk of recordBytes(store, run.bucket, run.key, config, { checkEncoding: false })) {
      scanner.push(chunk);
      roles.chunkEnd();
    }
    scanner.end();
    roles.end();
  } catch (e) {
    if (!(e instanceof AllFound)) throw e;
  }
  const missing = [...wanted].find((o) => !found.has(o));
  if (missing !== undefined) {
    throw new InvalidStateInput(
      `${store.uri(run.bucket, run.key)} has only ${seen} data records${recordType === null ? '' : ` of type ${JSON.stringify(recordType)}`}, so record ${missing} does not exist; was the file replaced after it was loaded?`,
    );
  }
  return found;
}
