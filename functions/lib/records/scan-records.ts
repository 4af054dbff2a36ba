import { RecordRoles, type RoleHandler, type RoleOptions } from './record-roles.ts';
import { RecordScanner, type ScannerOptions } from './record-scanner.ts';

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
): Promise<RecordScanResult> {
  const roles = new RecordRoles(visitor, rules.roles);
  const scanner = new RecordScanner(roles, rules.scanner);
  for await (const chunk of chunks) {
    scanner.push(chunk);
    if (scanner.stopped) break;
    roles.chunkEnd();
    if (afterChunk) await afterChunk();
  }
  scanner.end();
  const trailer = !scanner.stopped && roles.end();
  return {
    stopped: scanner.stopped,
    trailer,
    headerLines: roles.headerLinesSeen,
    bom: scanner.bom,
    crlfRecords: scanner.crlfRecords,
    lfRecords: scanner.lfRecords,
  };
}
