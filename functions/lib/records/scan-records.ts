import { RecordRoles, type RoleHandler, type RoleOptions } from './record-roles.ts';
import { RecordScanner, type RecordSink, type ScannerOptions } from './record-scanner.ts';

/** The rules of one pass: how records end and which are header, trailer and blank (a RecordPlan has both). */
export interface ScanRules {
  scanner: ScannerOptions;
  roles: RoleOptions;
}

/** Every record is data: no header, no trailer, blank records counted (a part, as the warehouse reads it). */
export const ALL_RECORDS_ARE_DATA: RoleOptions = { headerLines: 0, hasTrailer: false, ignoreBlankLines: false };

export interface RecordScanResult {
  /** A visitor returned `STOP`: the rest of the input was not read and no trailer was handed over. */
  stopped: boolean;
  /** The trailer record was handed to `visitor.trailer`. */
  trailer: boolean;
  headerLines: number;
  /** A UTF-8 byte order mark was stripped. */
  bom: boolean;
  crlfRecords: number;
  lfRecords: number;
  /** Input byte offset of the first record after the header lines (past a BOM). */
  dataStart: number;
  /**
   * With `cutEvery`: input offsets just past a record's line end, the first
   * at or after every `cutEvery` bytes since the last, ascending, all past
   * `dataStart` and before the input's end (where to cut it for COPY).
   */
  cuts: number[];
}

export interface ScanOptions {
  /** Record-aligned cut offsets about this many bytes apart (RecordScanResult.cuts); none when absent. */
  cutEvery?: number;
}

/**
 * The one record-scan loop: feeds `chunks` through the byte-level scanner and
 * the record roles to `visitor`, chunk by chunk. A visitor method returning
 * `STOP` ends the pass after that record; the source is then closed (its
 * iterator's `return`), as when it ends.
 *
 * `afterChunk` runs once a chunk's records are delivered, before the next is
 * read (Preprocess flushes and waits for its part writers there).
 *
 * @example
 * let n = 0;
 * await scanRecords(chunks, plan, { data: () => (++n === 10 ? STOP : undefined) });
 */
export async function scanRecords(
  chunks: AsyncIterable<Buffer>,
  rules: ScanRules,
  visitor: RoleHandler,
  afterChunk?: () => void | Promise<void>,
  opts: ScanOptions = {},
): Promise<RecordScanResult> {
  const roles = new RecordRoles(visitor, rules.roles);
  const headerLines = rules.roles.headerLines;
  const cutEvery = opts.cutEvery ?? 0;
  const cuts: number[] = [];
  let dataStart = -1;
  let lastCut = 0;
  let seen = 0;
  // Between the scanner and the roles: where records end in the input (dataStart, cuts).
  const sink: RecordSink = {
    record(buf, start, end, line) {
      // A stripped BOM is before the first record.
      if (seen === 0 && scanner.bom) recordStart = 3;
      if (seen++ === headerLines) dataStart = lastCut = recordStart;
      recordStart = scanner.position;
      if (cutEvery > 0 && dataStart >= 0 && recordStart - lastCut >= cutEvery) {
        cuts.push(recordStart);
        lastCut = recordStart;
      }
      return roles.record(buf, start, end, line);
    },
  };
  let recordStart = 0;
  const scanner = new RecordScanner(sink, rules.scanner);
  for await (const chunk of chunks) {
    scanner.push(chunk);
    if (scanner.stopped) break;
    roles.chunkEnd();
    if (afterChunk) await afterChunk();
  }
  scanner.end();
  const trailer = !scanner.stopped && roles.end();
  // A cut at the input's very end cuts nothing.
  while (cuts.length > 0 && cuts[cuts.length - 1]! >= scanner.inputBytes) cuts.pop();
  return {
    dataStart: dataStart >= 0 ? dataStart : recordStart,
    stopped: scanner.stopped,
    trailer,
    headerLines: roles.headerLinesSeen,
    bom: scanner.bom,
    crlfRecords: scanner.crlfRecords,
    lfRecords: scanner.lfRecords,
    cuts,
  };
}
