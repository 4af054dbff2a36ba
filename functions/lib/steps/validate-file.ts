import type { FileConfig } from '../config/model.ts';
import type { MatchedRun, ValidationResult } from '../contract/payloads.ts';
import {
  ConfigInvalid,
  ExtensionMismatch,
  FieldCountMismatch,
  FileTooLarge,
  FileTooSmall,
  formatLocation,
  formatValue,
  HeaderMismatch,
  MalformedRecord,
  TrailerInvalid,
  TrailerMismatch,
  TrailerMissing,
  type ValuePolicy,
  ZeroRecords,
} from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import { contentHasher } from '../records/content-hash.ts';
import { countFields, type FieldFinders, fieldStrings, fitFieldCount, strayQuote } from '../records/fields.ts';
import { stopsInsideLastColumn } from '../records/fixed-width.ts';
import { NextByte } from '../records/next-byte.ts';
import { type RecordPlan, recordPlan } from '../records/record-plan.ts';
import type { RoleHandler } from '../records/record-roles.ts';
import { type RecordRouter, recordRouter, UNKNOWN_RECORD } from '../records/record-router.ts';
import { scanRecords } from '../records/scan-records.ts';
import { recordBytes } from '../records/source.ts';
import { claimContentFor, contentHashKey, duplicatePolicy } from './content-claim.ts';
import { assertOriginalUnchanged } from './original-object.ts';

/**
 * Record-aligned cuts of a file that loads in place, about this far apart:
 * a local warehouse on PGlite COPYs one such slice at a time (a cancel takes
 * effect between slices).
 */
export const IN_PLACE_CUT_BYTES = 16 * 1024 * 1024;

export interface ValidateRun {
  bucket: string;
  key: string;
  /** Object size in bytes, as stored (compressed size for compressed files). */
  size: number;
}

export interface ValidateOptions {
  /** Longest record accepted (default 16 MiB). */
  maxRecordBytes?: number;
}

/**
 * ValidateFile: every content check in one streaming pass. Metadata checks
 * (size, extension) run first so a wrong file is refused without reading it.
 */
export async function validateFile(
  store: ObjectStore,
  run: ValidateRun,
  config: FileConfig,
  opts: ValidateOptions = {},
): Promise<ValidationResult> {
  const where = store.uri(run.bucket, run.key);
  checkExtension(run.key, config);
  checkSize(run.size, config, where);
  const plan = recordPlan(config, opts.maxRecordBytes);
  const trailerRule = config.trailer ? trailerParser(config) : null;

  // With acceptInvalidChars the warehouse replaces invalid UTF-8 as Redshift's ACCEPTINVCHARS does.
  const checkEncoding = !(config.format.encoding === 'utf-8' && config.load.acceptInvalidChars !== null);
  // The content's identity, hashed in this pass (it reads every stored byte anyway): see content-claim.ts.
  // On two cores or more it hashes in a worker thread while this thread scans (content-hash.ts).
  const hash = contentHasher(run.size);
  let storedBytes = 0;
  const onStoredBytes = (chunk: Buffer) => {
    storedBytes += chunk.length;
    return hash.update(chunk);
  };
  try {
    return await validateContent(store, run, config, plan, trailerRule, checkEncoding, onStoredBytes, () =>
      storedBytes === run.size ? hash.digest() : Promise.resolve(null),
    );
  } finally {
    // A failed pass (or one that stopped before the last byte) has no digest to wait for.
    hash.discard();
  }
}

async function validateContent(
  store: ObjectStore,
  run: ValidateRun,
  config: FileConfig,
  plan: RecordPlan,
  trailerRule: ((text: string, line: number) => ParsedTrailer) | null,
  checkEncoding: boolean,
  onStoredBytes: (chunk: Buffer) => undefined | Promise<void>,
  digest: () => Promise<string | null>,
): Promise<ValidationResult> {
  const where = store.uri(run.bucket, run.key);
  const checks = new ContentChecks(config, plan);
  // The original's own bytes can be loaded in place (after the header) only when nothing needs rewriting.
  const inPlaceable =
    config.format.compression === 'none' &&
    config.format.encoding === 'utf-8' &&
    config.format.layout === 'delimited' &&
    !plan.rewriteToCsv &&
    config.trailer === null &&
    config.split === null;
  const scan = await scanRecords(
    recordBytes(store, run.bucket, run.key, config, { checkEncoding, onStoredBytes }),
    plan,
    checks,
    undefined,
    inPlaceable ? { cutEvery: IN_PLACE_CUT_BYTES } : {},
  );
  const hasTrailer = scan.trailer;

  let trailerCount: number | null = null;
  if (trailerRule) {
    if (!hasTrailer || !checks.trailerRecord) {
      throw new TrailerMissing(
        `${where} has no records after its ${scan.headerLines} header line(s), so the trailer record config ${config.id} expects is missing; deliver the complete file (data records and trailer)`,
      );
    }
    const t = checks.trailerRecord;
    const marker = config.trailer?.marker;
    if (marker !== undefined && !t.text.startsWith(marker)) {
      throw new TrailerMissing(
        `line ${t.line}, the last record, does not start with the trailer marker ${JSON.stringify(marker)} (trailer.marker of config ${config.id}): the file has no trailer; deliver the complete file (data records and trailer)`,
        { line: t.line },
      );
    }
    const parsed = trailerRule(t.text, t.line);
    trailerCount = parsed.count;
    if (parsed.count !== checks.records) {
      throw new TrailerMismatch(
        `trailer at line ${t.line} says ${parsed.count} records (${parsed.where}) but the file has ${checks.records} data records; the file is incomplete or the trailer is wrong: re-deliver it`,
        { line: t.line },
      );
    }
  }
  if (checks.records === 0) {
    throw new ZeroRecords(
      `${where} has no data records (header lines: ${scan.headerLines}, blank lines: ${checks.blankLines}${trailerCount !== null ? ', trailer count 0' : ''}); nothing to load: deliver a file with data`,
    );
  }
  if (checks.records === checks.unknown) {
    throw new ZeroRecords(
      `all ${checks.records} data records of ${where} have record types not in config ${config.id} (known: ${[...plan.typeIndex.keys()].join(', ')}) and were skipped; nothing to load`,
    );
  }

  const lineEnding = scan.crlfRecords > 0 ? 'crlf' : scan.lfRecords > 0 ? 'lf' : 'none';
  const recordTypes = config.split
    ? Object.fromEntries(config.records.map((r, i) => [r.recordType as string, checks.typeCounts[i] ?? 0]))
    : null;
  const needsPreprocess =
    scan.headerLines > 0 ||
    config.trailer !== null ||
    scan.bom ||
    lineEnding === 'crlf' ||
    checks.blankLines > 0 ||
    config.split !== null ||
    config.format.compression !== 'none' ||
    config.format.encoding !== 'utf-8' ||
    config.format.layout !== 'delimited' ||
    plan.rewriteToCsv ||
    run.size > config.partBytes;
  const inPlace = inPlaceable && lineEnding !== 'crlf' && checks.blankLines === 0;
  return {
    ...(inPlace ? { inPlace: { dataStart: scan.dataStart, cuts: scan.cuts } } : {}),
    fileBytes: run.size,
    recordsInFile: checks.records,
    headerLines: scan.headerLines,
    trailerCount,
    lineEnding,
    bom: scan.bom,
    recordTypes,
    unknownRecords: checks.unknown,
    blankLines: checks.blankLines,
    needsPreprocess,
    // Only a hash of every byte identifies the content (a decompressor may stop before trailing bytes).
    contentSha256: await digest(),
  };
}

function checkSize(size: number, config: FileConfig, where: string): void {
  if (size < config.minSizeBytes) {
    throw new FileTooSmall(
      `${where} is ${size} bytes, below the minimum of ${config.minSizeBytes} bytes (minSizeBytes of config ${config.id}); check that the upload completed, or lower minSizeBytes`,
    );
  }
  if (config.maxSizeBytes !== null && size > config.maxSizeBytes) {
    throw new FileTooLarge(
      `${where} is ${size} bytes, above the maximum of ${config.maxSizeBytes} bytes (maxSizeBytes of config ${config.id}); split the file or raise maxSizeBytes`,
    );
  }
}

/**
 * Why the file's name has an extension the config does not accept, or null.
 * Accepts the last extension or the last two (`x.csv.gz` matches `gz` or `csv.gz`).
 * FetchConfig asks it before any duplicate skip; ValidateFile rejects on it.
 */
export function extensionProblem(key: string, config: FileConfig): string | null {
  const accepted = config.format.extensions;
  if (accepted.length === 0) return null;
  const name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  const parts = name.split('.');
  const found: string[] = [];
  if (parts.length >= 2) found.push(parts[parts.length - 1]!);
  if (parts.length >= 3) found.push(parts.slice(-2).join('.'));
  if (found.some((e) => accepted.includes(e))) return null;
  return `file name ${JSON.stringify(name)} has ${found.length ? `extension ${found.map((e) => `"${e}"`).join(' / ')}` : 'no extension'} but config ${config.id} accepts only ${accepted.map((e) => `"${e}"`).join(', ')}; rename the file or add its extension to format.extensions`;
}

function checkExtension(key: string, config: FileConfig): void {
  const problem = extensionProblem(key, config);
  if (problem !== null) throw new ExtensionMismatch(problem);
}

/** Where a field of a record is, with its column name when the layout has one. */
function fieldAt(line: number, field: number, columns: readonly { name: string }[]) {
  return { line, field, ...(columns[field - 1] ? { fieldName: columns[field - 1]!.name } : {}) };
}

interface TrailerRecord {
  text: string;
  line: number;
}

/** Record-by-record checks; holds counts only, never record contents (the trailer line excepted). */
class ContentChecks implements RoleHandler {
  records = 0;
  unknown = 0;
  blankLines = 0;
  readonly typeCounts: number[];
  trailerRecord: TrailerRecord | null = null;
  private headersSeen = 0;
  /** Records whose field count fits no column list (each one load error to Redshift). */
  private fieldCountErrors = 0;
  private readonly route: RecordRouter;
  // Per-record byte probes that search each chunk once, not once per record.
  private readonly nul = new NextByte(0);
  private readonly finders: FieldFinders;
  private readonly escapeByte: number | null;

  constructor(
    private readonly config: FileConfig,
    private readonly plan: RecordPlan,
  ) {
    this.typeCounts = plan.layouts.map(() => 0);
    this.route = recordRouter(plan);
    const esc = config.format.escape;
    this.escapeByte = esc ? esc.charCodeAt(0) : null;
    this.finders = {
      ...(plan.quote !== null ? { quote: new NextByte(plan.quote) } : {}),
      ...(this.escapeByte !== null ? { escape: new NextByte(this.escapeByte) } : {}),
      // REMOVEQUOTES keeps delimiters inside quotes: the count must see the quotes, as the load does.
      ...(config.load.removeQuotes ? { doubleQuote: new NextByte(0x22), singleQuote: new NextByte(0x27) } : {}),
    };
  }

  chunkEnd(): void {
    this.nul.reset();
    this.finders.quote?.reset();
    this.finders.escape?.reset();
    this.finders.doubleQuote?.reset();
    this.finders.singleQuote?.reset();
  }

  header(buf: Buffer, start: number, end: number, line: number): void {
    this.headersSeen++;
    const expected = this.config.header.columns;
    // Column names are on the last header line.
    if (expected && this.headersSeen === this.config.header.lines) this.checkHeader(buf, start, end, line, expected);
  }

  data(buf: Buffer, start: number, end: number, line: number): void {
    this.records++;
    const layout = this.route(buf, start, end, line);
    if (layout === UNKNOWN_RECORD) {
      this.unknown++;
      return;
    }
    this.typeCounts[layout]!++;
    const width = this.plan.widths[layout];
    if (width != null) this.checkWidth(buf, start, end, line, width, layout);
    // A blank line kept as a record (ignoreBlankLines off) loads as an all-empty row: not a field-count problem.
    else if (this.config.split === null && end > start) this.checkFields(buf, start, end, line, layout);
  }

  /**
   * A delimited record: no NUL byte, splits cleanly, and has exactly the
   * layout's field count (a delimiter inside an unquoted value shows as an
   * extra field). Located by line and 1-based field, with the column name.
   */
  private checkFields(buf: Buffer, start: number, end: number, line: number, layout: number): void {
    const { delimiter, quote } = this.plan;
    const columns = this.plan.layouts[layout]!.columns;
    const nul = this.nul.find(buf, start);
    if (nul !== -1 && nul < end) {
      const loc = fieldAt(line, countFields(buf, start, nul, delimiter, null).count, columns);
      throw new MalformedRecord(
        `${formatLocation(loc)}: the record holds a NUL byte (0x00), which the warehouse cannot load; remove it from the file, or check format.encoding (a UTF-16 file read as ${this.config.format.encoding} looks like this)`,
        loc,
      );
    }
    const { count, lastEmpty, error } = countFields(
      buf,
      start,
      end,
      delimiter,
      quote,
      this.escapeByte,
      this.finders,
      this.config.load.removeQuotes,
    );
    if (error) {
      this.refuseStrayQuote(buf, start, end, line, columns);
      const loc = fieldAt(line, error.field, columns);
      throw new MalformedRecord(
        `${formatLocation(loc)}: the field cannot be read: ${error.problem}; fix the record, or format.quote in config ${this.config.id}`,
        loc,
      );
    }
    // Without a column list the warehouse fits each record to the table's columns: only the load can tell.
    if (columns.length === 0) return;
    const fit = fitFieldCount(count, columns.length, lastEmpty, this.config.load.fillRecord);
    if (fit !== 'extra' && fit !== 'missing') return;
    // Redshift counts such a record as one load error against MAXERROR, and the local load skips it the same way.
    const { maxErrors } = this.config.load;
    if (++this.fieldCountErrors <= maxErrors) return;
    this.refuseStrayQuote(buf, start, end, line, columns);
    const first = Math.min(count, columns.length) + 1;
    const loc = fit === 'extra' ? { line, field: first } : fieldAt(line, first, columns);
    const why =
      fit === 'extra'
        ? `found ${count} fields, expected ${columns.length}: field ${first} is extra (a delimiter inside an unquoted value, or a column missing from the config)`
        : `found ${count} fields, expected ${columns.length}: field ${first}${columns[first - 1] ? ` (${columns[first - 1]!.name})` : ''} and after are missing`;
    const budget =
      maxErrors > 0
        ? ` (record ${this.fieldCountErrors} with a wrong field count; load.maxErrors allows ${maxErrors})`
        : '';
    throw new FieldCountMismatch(
      `${formatLocation(loc)}: ${why}${budget}; fix the record, or columns / format.delimiter / format.quote${fit === 'missing' ? ' / load.fillRecord' : ''} in config ${this.config.id}`,
      loc,
    );
  }

  /**
   * A record that fails to split or count, because of a quote inside an
   * unquoted field, is refused naming that quote: the count only shows what
   * followed from it (the quote paired with one further on, often lines later).
   */
  private refuseStrayQuote(
    buf: Buffer,
    start: number,
    end: number,
    line: number,
    columns: readonly { name: string }[],
  ): void {
    const { quote } = this.plan;
    if (quote === null || this.config.load.removeQuotes) return;
    const stray = strayQuote(buf, start, end, this.plan.delimiter, quote);
    if (!stray) return;
    const loc = fieldAt(line + stray.line, stray.field, columns);
    const q = String.fromCharCode(quote);
    throw new MalformedRecord(
      `${formatLocation(loc)}: a quote (${q}) inside an unquoted field: in CSV a quote opens quoting only at a field's start, so this one pairs with a later quote and the record's fields run together (Redshift documents no reading of it); quote the whole field and double the quote inside (${q}12${q}${q} pizza${q}), or set format.quote: null in config ${this.config.id} if the file never quotes fields`,
      loc,
    );
  }

  trailer(buf: Buffer, start: number, end: number, line: number): void {
    this.trailerRecord = { text: buf.toString('utf8', start, end), line };
  }

  blank(): void {
    this.blankLines++;
  }

  private checkWidth(buf: Buffer, start: number, end: number, line: number, width: number, layout: number): void {
    // Redshift FIXEDWIDTH widths count bytes (UTF-8), not characters.
    const bytes = end - start;
    if (bytes === width) return;
    if (bytes < width) {
      const columns = this.plan.layouts[layout]!.columns;
      if (stopsInsideLastColumn(bytes, width, columns[columns.length - 1]?.width ?? 0)) return;
      this.tooShort(line, bytes, width, layout);
    }
    const what = this.recordName(layout);
    for (let i = start + width; i < end; i++) {
      const b = buf[i]!;
      if (b !== 0x20 && b !== 0x09) {
        throw new MalformedRecord(
          `line ${line}, byte offset ${width}: ${what} is ${bytes} bytes, longer than the ${width} its fixed-width layout defines, and the extra is not whitespace; fix the file or the column widths (widths count bytes, as Redshift FIXEDWIDTH does)`,
          { line, byteOffset: width },
        );
      }
    }
  }

  private recordName(layout: number): string {
    const type = this.plan.layouts[layout]!.recordType;
    return type === null ? 'the record' : `record type ${JSON.stringify(type)}`;
  }

  private tooShort(line: number, chars: number, width: number, layout: number): never {
    throw new MalformedRecord(
      `line ${line}, byte offset ${chars}: ${this.recordName(layout)} is ${chars} bytes but its fixed-width layout needs ${width} (sum of the column widths, in bytes as Redshift FIXEDWIDTH counts); the record ends before its last column starts: fix the file or the column widths`,
      { line, byteOffset: chars },
    );
  }

  private checkHeader(buf: Buffer, start: number, end: number, line: number, expected: string[]): void {
    let found: string[];
    if (this.config.format.layout === 'fixed_width') {
      const text = Array.from(buf.toString('utf8', start, end));
      found = [];
      let at = 0;
      for (const c of this.plan.layouts[0]!.columns) {
        if (at >= text.length) break;
        found.push(text.slice(at, at + (c.width ?? 0)).join(''));
        at += c.width ?? 0;
      }
    } else {
      const split = fieldStrings(buf, start, end, this.plan.delimiter, this.plan.quote);
      if (split.error) {
        throw new HeaderMismatch(
          `${formatLocation({ line, field: split.error.field })}: header field cannot be read: ${split.error.problem}; fix the header line`,
          { line, field: split.error.field },
        );
      }
      found = split.fields;
    }
    const norm = (s: string) => s.trim().toLowerCase();
    const n = Math.max(expected.length, found.length);
    for (let i = 0; i < n; i++) {
      const want = expected[i];
      const got = found[i];
      if (want !== undefined && got !== undefined && norm(want) === norm(got)) continue;
      const at = { line, field: i + 1, ...(want !== undefined ? { fieldName: want } : {}) };
      const detail =
        got === undefined
          ? `expected ${JSON.stringify(want)} but the header ends after ${found.length} columns`
          : want === undefined
            ? `found extra column ${formatValue(got.trim(), valuePolicyOf(this.config))} after the ${expected.length} expected`
            : `expected ${JSON.stringify(want)} but found ${formatValue(got.trim(), valuePolicyOf(this.config))}`;
      throw new HeaderMismatch(
        `${formatLocation(at)}: header ${detail} (expected header: ${expected.join(', ')}); fix the file's header or header.columns in config ${this.config.id}`,
        at,
      );
    }
  }
}

interface ParsedTrailer {
  count: number;
  column: number;
  /** How the count was read, for messages: "columns 2-9" or "pattern /x/". */
  where: string;
}

function trailerParser(config: FileConfig): (text: string, line: number) => ParsedTrailer {
  const values = valuePolicyOf(config);
  const rule = config.trailer!.count;
  if (rule.kind === 'position') {
    const { from, to } = rule;
    if (!(from >= 1 && to >= from)) {
      throw new ConfigInvalid(
        `config ${config.id}: trailer count position ${from}-${to} is not a valid 1-based range (from >= 1, to >= from)`,
      );
    }
    const where = `columns ${from}-${to}`;
    return (text, line) => {
      const chars = Array.from(text);
      if (chars.length < to) {
        throw new TrailerInvalid(
          `trailer at line ${line} is ${chars.length} characters, too short to hold the record count at ${where} (${formatValue(text, values)}); the file may lack its trailer: re-deliver it, fix trailer.countAt / trailer.countPattern, or set trailer.marker to tell a missing trailer from a malformed one`,
          { line },
        );
      }
      const value = chars
        .slice(from - 1, to)
        .join('')
        .trim();
      return { count: digits(value, line, values, where, text), column: from, where };
    };
  }
  let re: RegExp;
  try {
    re = new RegExp(rule.regex);
  } catch (e) {
    throw new ConfigInvalid(
      `config ${config.id}: trailer pattern ${rule.regex} is not a valid regular expression: ${(e as Error).message}`,
    );
  }
  const where = `pattern /${rule.regex}/`;
  return (text, line) => {
    const m = re.exec(text);
    if (!m) {
      throw new TrailerInvalid(
        `trailer at line ${line} (${formatValue(text, values)}) does not match the trailer ${where}; the file may lack its trailer: re-deliver it, fix trailer.countAt / trailer.countPattern, or set trailer.marker to tell a missing trailer from a malformed one`,
        { line },
      );
    }
    const group = m[1] ?? m[0];
    const column = m.index + 1 + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
    return { count: digits(group.trim(), line, values, where, text), column, where };
  };
}

function digits(value: string, line: number, values: ValuePolicy, where: string, text: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new TrailerInvalid(
      `trailer at line ${line} has ${formatValue(value, values)} at ${where} where the record count should be (digits only; trailer line: ${formatValue(text, values)}); fix the trailer, or trailer.countAt / trailer.countPattern in the config`,
      { line },
    );
  }
  return Number(value);
}

/** A feed's `errors.includeValues` (default: values shown, bounded by formatValue). */
export function valuePolicyOf(config: FileConfig): ValuePolicy {
  return { includeValues: config.errors?.includeValues ?? true };
}

export interface ValidateFilePorts {
  store: ObjectStore;
  runs: RunLog;
  configs: ConfigSource;
}

/** The ValidateFile state: validate the run's file against the config version it was matched to, and note the counts on the run row. */
export async function validateRunFile(input: { run: MatchedRun }, ports: ValidateFilePorts): Promise<ValidationResult> {
  const { run } = input;
  // A re-run after a crash (or a redrive) must not count, hash and claim a newer upload under the same
  // name as this run's content: those bytes are the new upload's own run's (the rule of Preprocess and SubmitLoad).
  await assertOriginalUnchanged(run, ports.store, "ValidateFile would count and claim its bytes as this run's");
  const config = await ports.configs.get(run.configId, run.configVersion);
  const result = await validateFile(ports.store, { bucket: run.bucket, key: run.key, size: run.size }, config);
  await ports.runs.update(run.runId, {
    recordsInFile: result.recordsInFile,
    recordsSkipped: result.unknownRecords,
    fileBytes: result.fileBytes,
    contentSha256: result.contentSha256 ?? null,
  });
  if (!result.contentSha256) return { ...result, skip: false, archiveDuplicate: false };
  // Claimed only once the file passed every check: a rejected file never holds content.
  const claimed = await claimContentFor(
    ports.runs,
    { configId: run.configId, etag: contentHashKey(result.contentSha256), sizeBytes: run.size },
    run.runId,
    duplicatePolicy(config, run.key, run.reload ?? false),
  );
  if (claimed.owned) return { ...result, skip: false, archiveDuplicate: false };
  await ports.runs.update(run.runId, { skipReason: claimed.skip.reason });
  return { ...result, skip: true, archiveDuplicate: claimed.skip.archiveDuplicate };
}
