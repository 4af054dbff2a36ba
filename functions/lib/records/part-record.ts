import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../ports/object-store.ts';
import type { LoadPart } from '../ports/warehouse.ts';
import { STOP } from './record-scanner.ts';
import { ALL_RECORDS_ARE_DATA, scanRecords } from './scan-records.ts';

/**
 * Warehouses report a refused row by its physical line within the part
 * (PostgreSQL's COPY "line N" and Redshift's line_number both count the line
 * breaks inside quoted fields). Records are what the part's firstRecord
 * counts, so this maps part lines to the 1-based records that contain them by
 * re-scanning the part once, quote-aware, on failure only (line → record).
 */
export async function recordsOfPartLines(
  store: ObjectStore,
  part: LoadPart,
  quote: string | null,
  lines: readonly number[],
  /** Redshift ESCAPE byte (recordEscapeByte): an escaped line feed is inside its record, as a quoted one is. */
  escapeByte: number | null = null,
): Promise<Map<number, number>> {
  // Without quoting or escaping a record is a line: nothing to scan.
  if (quote === null && escapeByte === null) return new Map(lines.map((l) => [l, l]));
  const pending = [...new Set(lines)].sort((a, b) => a - b);
  const result = new Map<number, number>();
  let records = 0;
  let i = 0;
  // A part read in place is a byte range of the original (past its header).
  const raw =
    part.start !== undefined
      ? await store.get(part.bucket, part.key, { start: part.start, end: part.start + part.bytes - 1 })
      : await store.get(part.bucket, part.key);
  const source = part.compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  try {
    await scanRecords(
      source as AsyncIterable<Buffer>,
      {
        scanner: {
          quote: quote === null ? null : quote.charCodeAt(0),
          stripBom: false,
          escape: quote === null ? escapeByte : null,
        },
        roles: ALL_RECORDS_ARE_DATA,
      },
      {
        data(_buf, _start, _end, recordLine) {
          // Every pending line before this record's first line belongs to the record before it.
          while (i < pending.length && pending[i]! < recordLine) result.set(pending[i++]!, Math.max(records, 1));
          if (i === pending.length) return STOP;
          records++;
        },
      },
    );
  } finally {
    raw.destroy();
    source.destroy();
  }
  while (i < pending.length) result.set(pending[i++]!, Math.max(records, 1));
  return result;
}
