import { effectiveNullAs, type FileConfig } from '../config/model.ts';
import type { MatchedRun, PreparedLoad, ValidationResult } from '../contract/payloads.ts';
import { formatLocation, InvalidStateInput, MalformedRecord } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { CsvRewriter } from '../records/fields.ts';
import { recordPlan } from '../records/record-plan.ts';
import type { RoleHandler } from '../records/record-roles.ts';
import { recordRouter, UNKNOWN_RECORD } from '../records/record-router.ts';
import { STOP } from '../records/record-scanner.ts';
import { scanRecords } from '../records/scan-records.ts';
import { recordBytes } from '../records/source.ts';
import { loadFormatOf } from './load-format.ts';
import { assertOriginalUnchanged } from './original-object.ts';
import { DEFAULT_GZIP_PART_OPTIONS } from './preprocess/gzip-part-writer.ts';
import { TargetOutput } from './preprocess/target-output.ts';
import { runFolder, targetFolder, writeManifest, writePartList } from './processing.ts';

export interface PreprocessRun {
  runId: string;
  bucket: string;
  key: string;
}

export interface PreprocessOptions {
  /** Where run folders go, e.g. 'processing/'; parts land under `${processingPrefix}${runId}/`. */
  processingPrefix: string;
  /** Compression blocks in flight per part and parts finishing at once (default 4). */
  concurrency?: number;
  /** Uncompressed bytes per compression block (default 1 MiB). */
  blockBytes?: number;
  maxRecordBytes?: number;
  /**
   * Stop once this many records were written (`efi check`'s dry run loads the
   * first N records); a run never sets it and always writes the whole file.
   */
  firstRecords?: number;
  /** false = parts are written uncompressed (Settings.partCompression 'none': a local warehouse on a folder store). */
  compressParts?: boolean;
}

/**
 * Preprocess: one streaming pass over the original that writes what COPY can
 * load as is: header, trailer, BOM and (optionally) blank lines removed, LF
 * line ends, UTF-8, single-character delimiter, one stream per record type,
 * each cut into gzip parts at record boundaries with a Redshift manifest.
 * Keys are deterministic and the run folder is cleared first, so a rerun
 * replaces its earlier output instead of adding to it.
 */
export async function preprocess(
  store: ObjectStore,
  run: PreprocessRun,
  config: FileConfig,
  validation: ValidationResult,
  opts: PreprocessOptions,
): Promise<PreparedLoad> {
  const runPrefix = runPrefixOf(run, opts.processingPrefix);
  const plan = recordPlan(config, opts.maxRecordBytes);
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const gzip = {
    ...DEFAULT_GZIP_PART_OPTIONS,
    maxInFlight: concurrency,
    ...(opts.blockBytes ? { blockBytes: opts.blockBytes } : {}),
    compress: opts.compressParts !== false,
  };
  const format = loadFormatOf(config, 'preprocessed');

  await store.deletePrefix(run.bucket, runPrefix);
  const targets = plan.layouts.map(
    (layout) =>
      new TargetOutput(store, run.bucket, layout.recordType, format, {
        dir: targetFolder(runPrefix, layout.recordType),
        partBytes: config.partBytes,
        gzip,
        maxFinishingParts: concurrency,
      }),
  );
  const escapeByte = plan.scanner.escape ?? null;
  const rewriter = plan.rewriteToCsv
    ? new CsvRewriter(
        plan.delimiter,
        plan.quote,
        config.load.removeQuotes,
        escapeByte === null ? null : { byte: escapeByte, nullAs: effectiveNullAs(config.load) },
      )
    : null;
  const route = recordRouter(plan);
  let skipped = 0;
  let written = 0;
  const limit = opts.firstRecords ?? Number.POSITIVE_INFINITY;
  const router: RoleHandler = {
    data(buf, start, end, line) {
      if (written >= limit) return STOP;
      const layout = route(buf, start, end, line);
      if (layout === UNKNOWN_RECORD) {
        skipped++;
        return;
      }
      written++;
      const target = targets[layout]!;
      if (rewriter && end > start) {
        const r = rewriter.rewrite(buf, start, end);
        if (r.error) {
          throw new MalformedRecord(
            `${formatLocation({ line, field: r.error.field })}: the field cannot be read: ${r.error.problem}; fix the record or format.quote in the config`,
            { line, field: r.error.field },
          );
        }
        target.record(r.bytes, 0, r.bytes.length, false);
      } else target.record(buf, start, end, true);
    },
  };

  const prepared: PreparedLoad = { targets: [], processingPrefix: runPrefix, skippedRecords: 0 };
  try {
    const chunks = recordBytes(store, run.bucket, run.key, config, { checkEncoding: false });
    await scanRecords(chunks, plan, router, async () => {
      for (const t of targets) t.flushRun();
      await Promise.all(targets.map((t) => t.ready()));
    });
    for (const t of targets) t.flushRun();
    prepared.targets = await Promise.all(targets.map((t) => t.finish()));
  } catch (e) {
    await Promise.all(targets.map((t) => t.abort(e)));
    throw e;
  }
  prepared.skippedRecords = skipped;

  const counted = prepared.targets.reduce((n, t) => n + t.records, 0) + skipped;
  // Stopped at `firstRecords`: the rest of the file was not read, so there is nothing to compare.
  if (written < limit && counted !== validation.recordsInFile) {
    throw new InvalidStateInput(
      `${store.uri(run.bucket, run.key)} has ${counted} data records now but ValidateFile counted ${validation.recordsInFile}: the object changed after validation; start a new run for the new object`,
    );
  }
  return prepared;
}

function runPrefixOf(run: PreprocessRun, processingPrefix: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(run.runId)) {
    throw new InvalidStateInput(
      `run id ${JSON.stringify(run.runId)} cannot name a folder (letters, digits, '.', '_', '-' only)`,
    );
  }
  return runFolder(processingPrefix, run.runId);
}

/**
 * UseOriginalFile: the original loads as is (ValidateFile found nothing to
 * rewrite), so no byte is copied: one part, the original itself, and its
 * one-entry COPY manifest under the run folder.
 */
export async function useOriginal(
  store: ObjectStore,
  run: PreprocessRun,
  validation: ValidationResult,
  opts: Pick<PreprocessOptions, 'processingPrefix'>,
): Promise<PreparedLoad> {
  const runPrefix = runPrefixOf(run, opts.processingPrefix);
  // In place: the records start past the BOM and header lines; ValidateFile's cuts say where they may be sliced.
  const start = validation.inPlace?.dataStart ?? 0;
  const part = {
    bucket: run.bucket,
    key: run.key,
    compression: 'none' as const,
    bytes: validation.fileBytes - start,
    records: validation.recordsInFile,
    firstRecord: 1,
    ...(start > 0 ? { start } : {}),
    ...(validation.inPlace && validation.inPlace.cuts.length > 0 ? { cuts: validation.inPlace.cuts } : {}),
  };
  const folder = targetFolder(runPrefix, null);
  const [manifest, partList] = await Promise.all([
    writeManifest(store, run.bucket, folder, [part], [part.bytes]),
    writePartList(store, run.bucket, folder, [part]),
  ]);
  return {
    targets: [
      { recordType: null, records: validation.recordsInFile, partCount: 1, bytes: part.bytes, partList, manifest },
    ],
    processingPrefix: runPrefix,
    skippedRecords: 0,
  };
}

export interface PrepareLoadPorts {
  store: ObjectStore;
  configs: ConfigSource;
  processingPrefix: string;
  /** See PreprocessOptions.compressParts. */
  compressParts?: boolean;
  /**
   * The warehouse can read a part in place from the original (a local
   * warehouse: PostgreSQL/PGlite COPY of a byte range). Then a file whose
   * only rewrite would be dropping its BOM and header lines, or cutting it
   * into parts, is not rewritten: its one part is the original from the first
   * data record on. Never for Redshift, whose COPY reads whole objects.
   */
  loadInPlace?: boolean;
}

/**
 * Preprocess and UseOriginalFile (one function, two states): the one author
 * of `PreparedLoad`. ValidateFile's `needsPreprocess` picks the path.
 */
export async function prepareLoad(
  input: { run: MatchedRun; validation: ValidationResult },
  ports: PrepareLoadPorts,
): Promise<PreparedLoad> {
  const { run, validation } = input;
  const where = { runId: run.runId, bucket: run.bucket, key: run.key };
  if (!validation.needsPreprocess || (ports.loadInPlace === true && validation.inPlace !== undefined)) {
    return useOriginal(ports.store, where, validation, { processingPrefix: ports.processingPrefix });
  }
  // ValidateFile checked (and hashed) the bytes of the version the run matched; a re-run here after a
  // crash must not cut a newer upload under the same name into this run's parts.
  await assertOriginalUnchanged(run, ports.store, "Preprocess would cut it into this run's parts");
  const config = await ports.configs.get(run.configId, run.configVersion);
  return preprocess(ports.store, where, config, validation, {
    processingPrefix: ports.processingPrefix,
    ...(ports.compressParts === false ? { compressParts: false } : {}),
  });
}
