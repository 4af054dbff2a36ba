import { type RecordSink, type ScanControl, STOP } from './record-scanner.ts';

// biome-ignore lint/suspicious/noConfusingVoidType: a visitor that returns nothing goes on scanning
type Control = ScanControl | void;

/**
 * What each record is, decided the same way by ValidateFile, Preprocess and
 * locateRecord (so ordinals agree between them). Ranges are valid only during
 * the call. Any method may return `STOP` to end the scan after that record.
 */
export interface RoleHandler {
  header?(buf: Buffer, start: number, end: number, line: number): Control;
  /** A data record; blank records arrive here too (start === end) when blank lines count. */
  data(buf: Buffer, start: number, end: number, line: number): Control;
  /** The last non-blank record, when the config has a trailer. Called from end(). */
  trailer?(buf: Buffer, start: number, end: number, line: number): void;
  /** Every blank record, counted or not. */
  blank?(line: number): Control;
  /** The chunk's records are all delivered: ranges of its buffer are not valid after this. */
  chunkEnd?(): void;
}

export interface RoleOptions {
  headerLines: number;
  hasTrailer: boolean;
  ignoreBlankLines: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The first `headerLines` records are the header; with a trailer, the last
 * non-blank record is the trailer, which is only known at EOF, so one non-blank
 * record (and the blank lines after it) is held back. Blank lines after the
 * trailer are never data.
 */
export class RecordRoles implements RecordSink {
  private headersSeen = 0;
  private held: Buffer | null = null;
  private heldStart = 0;
  private heldEnd = 0;
  private heldLine = 0;
  private heldOwned = false;
  /** Blank records after the held one: consecutive physical lines, so a first line and a count say it all. */
  private pendingBlankFirst = 0;
  private pendingBlanks = 0;
  private readonly countBlanks: boolean;

  constructor(
    private readonly handler: RoleHandler,
    private readonly opts: RoleOptions,
  ) {
    this.countBlanks = !opts.ignoreBlankLines;
  }

  get headerLinesSeen(): number {
    return this.headersSeen;
  }

  record(buf: Buffer, start: number, end: number, line: number): Control {
    if (this.headersSeen < this.opts.headerLines) {
      this.headersSeen++;
      return this.handler.header?.(buf, start, end, line);
    }
    if (start === end) {
      if (this.handler.blank?.(line) === STOP) return STOP;
      if (!this.countBlanks) return;
      if (!this.opts.hasTrailer) return this.handler.data(buf, start, end, line);
      if (this.held) {
        if (this.pendingBlanks === 0) this.pendingBlankFirst = line;
        this.pendingBlanks++;
        return;
      }
      return this.handler.data(buf, start, end, line);
    }
    if (!this.opts.hasTrailer) return this.handler.data(buf, start, end, line);
    if (this.releaseHeld() === STOP) return STOP;
    this.held = buf;
    this.heldStart = start;
    this.heldEnd = end;
    this.heldLine = line;
    this.heldOwned = false;
  }

  /** Call after each chunk: the held record must outlive its chunk. */
  chunkEnd(): void {
    this.handler.chunkEnd?.();
    if (this.held && !this.heldOwned) {
      this.held = Buffer.from(this.held.subarray(this.heldStart, this.heldEnd));
      this.heldStart = 0;
      this.heldEnd = this.held.length;
      this.heldOwned = true;
    }
  }

  /** Call after the scanner's end(): hands over the trailer, if any. Returns whether there was one. */
  end(): boolean {
    if (!this.opts.hasTrailer || !this.held) return false;
    this.handler.trailer?.(this.held, this.heldStart, this.heldEnd, this.heldLine);
    this.held = null;
    return true;
  }

  private releaseHeld(): Control {
    if (!this.held) return;
    const held = this.held;
    const blanks = this.pendingBlanks;
    this.held = null;
    this.pendingBlanks = 0;
    if (this.handler.data(held, this.heldStart, this.heldEnd, this.heldLine) === STOP) return STOP;
    for (let i = 0; i < blanks; i++)
      if (this.handler.data(EMPTY, 0, 0, this.pendingBlankFirst + i) === STOP) return STOP;
  }
}
