/**
 * The next offset of one byte value in a scanner buffer, for per-record checks
 * ("does this record hold a NUL / a quote?"). `buf.indexOf(b, start)` has no
 * end bound: when the byte is rare it searches to the end of the chunk for
 * every record, which makes a pass quadratic in the chunk size (a 100 MB file
 * took seconds to validate this way). Records of a buffer arrive in order, so
 * one search answers every record before the byte's next occurrence.
 *
 * A buffer may be reused for other bytes once its chunk is scanned: call
 * `reset()` at each chunk end (RoleHandler.chunkEnd).
 *
 * @example
 * const nul = new NextByte(0);
 * const at = nul.find(buf, start); // the first NUL at or after start, or -1
 * if (at !== -1 && at < end) ...   // the record holds one
 */
export class NextByte {
  private buf: Buffer | null = null;
  private from = 0;
  private at = -1;

  constructor(private readonly byte: number) {}

  /** The first offset >= `from` of the byte in `buf`, or -1. */
  find(buf: Buffer, from: number): number {
    // The cached answer holds for a later `from` of the same buffer until it is passed.
    if (buf !== this.buf || from < this.from || (this.at !== -1 && this.at < from)) {
      this.buf = buf;
      this.at = buf.indexOf(this.byte, from);
    }
    this.from = from;
    return this.at;
  }

  /** Whether the byte occurs in [start, end) of `buf`. */
  within(buf: Buffer, start: number, end: number): boolean {
    const at = this.find(buf, start);
    return at !== -1 && at < end;
  }

  /** Forgets the buffer (its memory may hold other bytes next). */
  reset(): void {
    this.buf = null;
  }
}
