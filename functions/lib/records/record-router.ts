import { UnknownRecordType } from '../errors.ts';
import { type RecordPlan, recordTypeOf } from './record-plan.ts';

/** What a router answers for a record whose type is not configured and `onUnknown` is skip. */
export const UNKNOWN_RECORD = -1;

/**
 * Picks the layout (index into `plan.layouts`) of a data record from its
 * record-type prefix, for every pass that routes records (ValidateFile,
 * Preprocess, locateRecord). A file that is not split has one layout: 0.
 */
export type RecordRouter = (buf: Buffer, start: number, end: number, line: number) => number;

/**
 * An unknown type is refused (UnknownRecordType, with its line) under
 * `onUnknown: 'reject'`, or answered with `UNKNOWN_RECORD` under `'skip'`.
 * `onUnknown` defaults to the config's (`plan.onUnknown`).
 *
 * @example
 * const route = recordRouter(plan);
 * const layout = route(buf, start, end, line);
 * if (layout === UNKNOWN_RECORD) skipped++;
 */
export function recordRouter(plan: RecordPlan, onUnknown: 'reject' | 'skip' = plan.onUnknown): RecordRouter {
  const { prefixLength, typeIndex } = plan;
  if (prefixLength === null) return () => 0;
  return (buf, start, end, line) => {
    const type = recordTypeOf(buf, start, end, prefixLength);
    const index = typeIndex.get(type);
    if (index !== undefined) return index;
    if (onUnknown === 'reject') {
      throw new UnknownRecordType(
        `line ${line}: record type ${JSON.stringify(type)}${start === end ? ' (blank line)' : ''} is not configured (known types: ${[...typeIndex.keys()].map((t) => JSON.stringify(t)).join(', ')}); add a record layout for it or set split.onUnknown to skip`,
        { line },
      );
    }
    return UNKNOWN_RECORD;
  };
}
