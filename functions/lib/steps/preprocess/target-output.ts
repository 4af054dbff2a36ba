import type { PreparedTarget } from '../../contract/payloads.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { LoadFormat, LoadPart } from '../../ports/warehouse.ts';
import { partKey, writeManifest, writePartList } from '../processing.ts';
import { DEFAULT_GZIP_PART_OPTIONS, type GzipPartOptions, GzipPartWriter } from './gzip-part-writer.ts';

const NL = Buffer.from('\n');

export interface TargetOutputOptions {
  /** Folder of this target's parts and manifest, ending in '/'. */
  dir: string;
  /** Uncompressed bytes per part; a part is closed at the first record boundary at or past it. */
  partBytes: number;
  gzip?: GzipPartOptions;
  /** Parts still compressing/uploading while the next one fills. */
  maxFinishingParts?: number;
}

/**
 * The record stream of one load target, cut into gzip parts at record
 * boundaries, with a Redshift manifest listing them. Adjacent records that
 * are already `record\n` in the source chunk are written as one range, so an
 * LF file costs one copy per chunk instead of two per record.
 */
export class TargetOutput {
  records = 0;
  private readonly parts: LoadPart[] = [];
  private readonly compressed: number[] = [];
  private writer: GzipPartWriter | null = null;
  private partRecords = 0;
  private partBytes = 0;
  private runBuf: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private finishing: Promise<void>[] = [];
  private readonly settling: Promise<void>[] = [];
  private failure: unknown = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    readonly recordType: string | null,
    private readonly format: LoadFormat,
    private readonly opts: TargetOutputOptions,
  ) {}

  /**
   * Appends a record (bytes [start, end) of buf, no line end). `inPlace` means
   * buf is a source chunk that stays intact until flushRun(), so a following
   * '\n' byte may be written in the same range.
   */
  record(buf: Buffer, start: number, end: number, inPlace: boolean): void {
    const writer = this.writer ?? this.openPart();
    this.records++;
    this.partRecords++;
    this.partBytes += end - start + 1;
    const lf = inPlace && end < buf.length && buf[end] === 0x0a;
    if (lf && buf === this.runBuf && start === this.runEnd) this.runEnd = end + 1;
    else {
      this.flushRun();
      if (lf) {
        this.runBuf = buf;
        this.runStart = start;
        this.runEnd = end + 1;
      } else {
        writer.write(buf, start, end);
        writer.write(NL, 0, 1);
      }
    }
    if (this.partBytes >= this.opts.partBytes) this.closePart();
  }

  /** Writes the pending range; call before the source chunk goes away. */
  flushRun(): void {
    if (this.runBuf && this.writer) this.writer.write(this.runBuf, this.runStart, this.runEnd);
    this.runBuf = null;
  }

  async ready(): Promise<void> {
    if (this.writer) await this.writer.ready();
    const max = this.opts.maxFinishingParts ?? 2;
    while (this.finishing.length > max) await this.finishing.shift();
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<PreparedTarget> {
    if (this.writer) this.closePart();
    await Promise.all(this.finishing);
    this.finishing = [];
    if (this.failure) throw this.failure;
    const parts = this.parts;
    const none = parts.length === 0;
    const [manifest, partList] = none
      ? [null, null]
      : await Promise.all([
          writeManifest(this.store, this.bucket, this.opts.dir, parts, this.compressed),
          writePartList(this.store, this.bucket, this.opts.dir, parts),
        ]);
    return {
      recordType: this.recordType,
      records: this.records,
      partCount: parts.length,
      bytes: parts.reduce((n, p) => n + p.bytes, 0),
      partList,
      manifest,
      format: this.format,
    };
  }

  /** Stops the open part's upload and waits until every upload has settled. */
  async abort(reason: unknown): Promise<void> {
    this.writer?.abort(reason);
    this.writer = null;
    await Promise.all([...this.settling, ...this.finishing.map((p) => p.catch(() => undefined))]);
  }

  private openPart(): GzipPartWriter {
    const index = this.parts.length;
    const key = partKey(this.opts.dir, index, this.opts.gzip?.compress !== false);
    const writer = new GzipPartWriter(this.store, this.bucket, key, this.opts.gzip ?? DEFAULT_GZIP_PART_OPTIONS);
    this.settling.push(writer.settled());
    this.writer = writer;
    this.parts.push({
      bucket: this.bucket,
      key,
      compression: this.opts.gzip?.compress === false ? 'none' : 'gzip',
      bytes: 0,
      records: 0,
      firstRecord: this.records + 1,
    });
    this.partRecords = 0;
    this.partBytes = 0;
    return writer;
  }

  private closePart(): void {
    this.flushRun();
    const writer = this.writer!;
    const index = this.parts.length - 1;
    const part = this.parts[index]!;
    part.bytes = this.partBytes;
    part.records = this.partRecords;
    const done = writer.finish().then(
      (r) => {
        this.compressed[index] = r.compressedBytes;
      },
      (e) => {
        this.failure ??= e;
      },
    );
    this.finishing.push(done);
    this.writer = null;
  }
}
