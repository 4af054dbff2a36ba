import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../ports/object-store.ts';
import type { LoadPart } from '../ports/warehouse.ts';
import { RecordScanner } from './scan/record-scanner.ts';

class Stop {}

/**
 * Warehouses report a refused row by its physical line within the part
 * (PostgreSQL's COPY "line N" and Redshift's line_number both count the line
 * breaks inside quoted fields). Records are what the part's firstRecord
 * counts, so this maps a part line to the 1-based record that contains it by
 * re-scanning the part, quote-aware, on failure only.
 */
export async function recordOfPartLine(
  store: ObjectStore,
  part: LoadPart,
  quote: string | null,
  line: number,
): Promise<number> {
  // Without quoting a record is a line: nothing to scan.
  if (quote === null) return line;
  let records = 0;
  let found = 0;
  const scanner = new RecordScanner(
    {
      record(_buf, _start, _end, recordLine) {
        if (recordLine > line) throw new Stop();
        records++;
        found = records;
      },
    },
    { quote: quote.charCodeAt(0), stripBom: false },
  );
  const raw = await store.get(part.bucket, part.key);
  const source = part.compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) scanner.push(chunk);
    scanner.end();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  } finally {
    raw.destroy();
    source.destroy();
  }
  return Math.max(found, 1);
}
