import { MalformedRecord } from '../errors.ts';

const LF = 0x0a;
const CR = 0x0d;

/** Records longer than this are almost always a wrong delimiter/line ending or an unclosed quote. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** What a record visitor returns: `'stop'` ends the scan after this record; nothing (or undefined) goes on. */
export type ScanControl = 'stop' | undefined;

/** Returned by a visitor to end the scan after the current record (see `scanRecords`). */
export const STOP = 'stop' as const;

/**
 * Receives each record as a byte range of `buf`, line terminator and trailing CR excluded.
 * The range is only valid during the call: copy it to keep it. Returning `STOP`
 * ends the scan: no further record is delivered and `end()` does nothing.
 */
export interface RecordSink {
  // biome-ignore lint/suspicious/noConfusingVoidType: a sink that returns nothing goes on scanning
  record(buf: Buffer, start: number, end: number, line: number): ScanControl | void;
}

export interface ScannerOptions {
  /** CSV quote byte; newlines between quotes do not end a record. null = no quoting. */
  quote: number | null;
  /** Strip a leading UTF-8 byte order mark (only meaningful for UTF-8 input). */
  stripBom: boolean;
  maxRecordBytes?: number;
  /** Field delimiter: only read on the failure path, to say in which field an unclosed quote opened. */
  delimiter?: Buffer;
  /**
   * Redshift ESCAPE byte (text mode, no quote): a line feed after an odd run of
   * it is data, so the record goes on (the docs' nlTest2.txt). null = none.
   */
  escape?: number | null;
}

/**
 * Splits a byte stream into records without building strings: Buffer.indexOf
 * finds line ends (and quote bytes when quoting is on), and only a record that
 * spans a chunk boundary is ever copied.
 */
export class RecordScanner {
  /** A UTF-8 BOM was found and stripped. */
  bom = false;
  /** Records ended by CRLF / by a bare LF. */
  crlfRecords = 0;
  lfRecords = 0;
  /** Physical lines started so far (1-based number of the line being read). */
  private line = 1;
  /** Line where the pending (carried) record starts. */
  private recordLine = 1;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private inQuotes = false;
  private bomPending: boolean;
  private head: Buffer | null = null;
  private halted = false;
  /** Input bytes before the chunk being scanned (the BOM included), and where that chunk's offset 0 is in the input. */
  private consumed = 0;
  private chunkBase = 0;
  private at = 0;
  private readonly quote: number | null;
  private readonly maxRecordBytes: number;
  private readonly delimiter: Buffer | null;
  private readonly escapeByte: number | null;

  constructor(
    private readonly sink: RecordSink,
    opts: ScannerOptions,
  ) {
    this.quote = opts.quote;
    this.bomPending = opts.stripBom;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.delimiter = opts.delimiter ?? null;
    this.escapeByte = opts.quote === null ? (opts.escape ?? null) : null;
  }

  /**
   * During a sink call: the input's byte offset just past the record being
   * delivered and its line end (the BOM counts). A record-aligned place to
   * cut the input.
   */
  get position(): number {
    return this.at;
  }

  /** Input bytes pushed so far. */
  get inputBytes(): number {
    return this.consumed;
  }

  /** A sink returned `STOP`: the rest of the input is not read. */
  get stopped(): boolean {
    return this.halted;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.halted) return;
    // Offset 0 of the chunk scanned below, in the input (a held-back head or a stripped BOM shifts it).
    this.chunkBase = this.consumed - (this.head ? this.head.length : 0);
    this.consumed += chunk.length;
    if (this.bomPending) {
      // The BOM may be split over tiny first chunks: wait for 3 bytes.
      const joined = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (joined.length < 3) {
        this.head = joined;
        return;
      }
      this.head = null;
      this.bomPending = false;
      if (joined[0] === 0xef && joined[1] === 0xbb && joined[2] === 0xbf) {
        this.bom = true;
        chunk = joined.subarray(3);
        this.chunkBase += 3;
      } else chunk = joined;
      if (chunk.length === 0) return;
    }
    this.pushAny(chunk);
  }

  private pushAny(chunk: Buffer): void {
    if (this.quote !== null) this.pushQuoted(chunk, this.quote);
    else if (this.escapeByte !== null) this.pushEscaped(chunk, this.escapeByte);
    else this.pushPlain(chunk);
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(): void {
    if (this.halted) return;
    if (this.bomPending && this.head) {
      const head = this.head;
      this.head = null;
      this.bomPending = false;
      if (head.length > 0) {
        this.chunkBase = this.consumed - head.length;
        this.pushAny(head);
        if (this.halted) return;
      }
    }
    if (this.inQuotes) {
      const open =
        this.delimiter && this.quote !== null ? unclosedQuote(this.takeCarry(), this.delimiter, this.quote) : null;
      const where = open ? `line ${this.recordLine}, field ${open.field}` : `line ${this.recordLine}`;
      const what = open?.stray
        ? `a stray quote inside field ${open.field} (not at its start) opens a quoted section that is never closed`
        : 'a quoted field opened in this record is never closed';
      throw new MalformedRecord(
        `${where}: ${what} (reached the end of the file); close the quote, or check format.quote in the config`,
        { line: this.recordLine, ...(open ? { field: open.field } : {}) },
      );
    }
    if (this.carryBytes > 0) {
      const rec = this.takeCarry();
      let end = rec.length;
      if (end > 0 && rec[end - 1] === CR) end--;
      this.at = this.consumed;
      if (this.sink.record(rec, 0, end, this.recordLine) === STOP) this.halt();
    }
  }

  private pushPlain(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    if (this.carryBytes > 0) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.addCarry(chunk, 0, len);
        return;
      }
      this.addCarry(chunk, 0, nl);
      this.at = this.chunkBase + nl + 1;
      if (this.emitCarry() === STOP) {
        this.halt();
        return;
      }
      pos = nl + 1;
    }
    const sink = this.sink;
    let line = this.line;
    while (pos < len) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) break;
      let end = nl;
      if (end > pos && chunk[end - 1] === CR) {
        end--;
        this.crlfRecords++;
      } else this.lfRecords++;
      if (end - pos > this.maxRecordBytes) this.tooLong(line);
      this.at = this.chunkBase + nl + 1;
      if (sink.record(chunk, pos, end, line) === STOP) {
        this.halt();
        return;
      }
      line++;
      pos = nl + 1;
    }
    this.line = line;
    this.recordLine = line;
    if (pos < len) this.addCarry(chunk, pos, len);
  }

  private pushQuoted(chunk: Buffer, quote: number): void {
    const len = chunk.length;
    let scan = 0;
    let recStart = 0;
    let q = chunk.indexOf(quote);
    for (;;) {
      const nl = chunk.indexOf(LF, scan);
      const stop = nl === -1 ? len : nl;
      // Quote parity decides whether a newline ends the record; "" keeps parity.
      while (q !== -1 && q < stop) {
        this.inQuotes = !this.inQuotes;
        q = chunk.indexOf(quote, q + 1);
      }
      if (nl === -1) break;
      this.line++;
      scan = nl + 1;
      if (this.inQuotes) continue;
      if (this.endRecord(chunk, recStart, nl) === STOP) return;
      recStart = scan;
      this.recordLine = this.line;
    }
    if (recStart < len) this.addCarry(chunk, recStart, len);
  }

  /** As pushQuoted, with "an escaped line feed" in place of "a line feed inside quotes". */
  private pushEscaped(chunk: Buffer, escapeByte: number): void {
    const len = chunk.length;
    let scan = 0;
    let recStart = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, scan);
      if (nl === -1) break;
      this.line++;
      scan = nl + 1;
      if (this.escapedAt(chunk, recStart, nl, escapeByte)) continue;
      if (this.endRecord(chunk, recStart, nl) === STOP) return;
      recStart = scan;
      this.recordLine = this.line;
    }
    if (recStart < len) this.addCarry(chunk, recStart, len);
  }

  /** Whether the line feed at `nl` follows an odd run of escape bytes of this record (carried bytes included). */
  private escapedAt(chunk: Buffer, recStart: number, nl: number, escapeByte: number): boolean {
    let run = 0;
    let i = nl - 1;
    while (i >= recStart && chunk[i] === escapeByte) {
      run++;
      i--;
    }
    if (i < recStart) {
      // The run reaches the start of this chunk's part of the record: go on into the carried bytes.
      for (let c = this.carry.length - 1; c >= 0; c--) {
        const piece = this.carry[c]!;
        let j = piece.length - 1;
        while (j >= 0 && piece[j] === escapeByte) {
          run++;
          j--;
        }
        if (j >= 0) break;
      }
    }
    return run % 2 === 1;
  }

  /**
   * Ends the record that started at `recStart` (or in the carried bytes) at the
   * line feed `nl`: pushQuoted and pushEscaped differ only in which line feeds
   * end a record, so both hand the record to the sink here.
   */
  private endRecord(chunk: Buffer, recStart: number, nl: number): ScanControl | undefined {
    let rec: Buffer;
    let start: number;
    let end: number;
    if (this.carryBytes > 0) {
      this.addCarry(chunk, recStart, nl);
      rec = this.takeCarry();
      start = 0;
      end = rec.length;
    } else {
      rec = chunk;
      start = recStart;
      end = nl;
    }
    if (end > start && rec[end - 1] === CR) {
      end--;
      this.crlfRecords++;
    } else this.lfRecords++;
    if (end - start > this.maxRecordBytes) this.tooLong(this.recordLine);
    this.at = this.chunkBase + nl + 1;
    if (this.sink.record(rec, start, end, this.recordLine) === STOP) {
      this.halt();
      return STOP;
    }
    return undefined;
  }

  private addCarry(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.carryBytes += end - start;
    if (this.carryBytes > this.maxRecordBytes) this.tooLong(this.recordLine);
    // Copy: the caller may reuse its chunk once push returns.
    this.carry.push(Buffer.from(chunk.subarray(start, end)));
  }

  private takeCarry(): Buffer {
    const rec = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryBytes);
    this.carry = [];
    this.carryBytes = 0;
    return rec;
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: the sink's answer, passed on
  private emitCarry(): ScanControl | void {
    const rec = this.takeCarry();
    let end = rec.length;
    if (end > 0 && rec[end - 1] === CR) {
      end--;
      this.crlfRecords++;
    } else this.lfRecords++;
    const control = this.sink.record(rec, 0, end, this.line);
    this.line++;
    this.recordLine = this.line;
    return control;
  }

  /** Stops for good: what is carried is dropped, later input is ignored. */
  private halt(): void {
    this.halted = true;
    this.carry = [];
    this.carryBytes = 0;
    this.inQuotes = false;
  }

  private tooLong(line: number): never {
    const mib = Math.round(this.maxRecordBytes / 1024 / 1024);
    const limit = mib >= 1 ? `${mib} MiB` : `${this.maxRecordBytes} bytes`;
    throw new MalformedRecord(
      `line ${line}: record is longer than ${limit} without a line end${this.quote !== null ? ' (an unclosed quote makes the rest of the file one record)' : ''}; check the line endings, format.quote and format.delimiter in the config`,
      { line },
    );
  }
}

/**
 * Failure path: the 1-based field in which the record's never-closed quote
 * opened, and whether it opened mid-field (a stray quote) rather than at the
 * start of a quoted field.
 */
function unclosedQuote(rec: Buffer, delimiter: Buffer, quote: number): { field: number; stray: boolean } | null {
  let field = 1;
  let fieldStart = 0;
  let inQuotes = false;
  let opened: { field: number; stray: boolean } | null = null;
  for (let i = 0; i < rec.length; i++) {
    const b = rec[i]!;
    if (b === quote) {
      inQuotes = !inQuotes;
      if (inQuotes) opened = { field, stray: i !== fieldStart };
      continue;
    }
    if (!inQuotes && b === delimiter[0] && rec.subarray(i, i + delimiter.length).equals(delimiter)) {
      field++;
      i += delimiter.length - 1;
      fieldStart = i + 1;
    }
  }
  return inQuotes ? opened : null;
}
