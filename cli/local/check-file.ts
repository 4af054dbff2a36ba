import type { DryRunOutcome, PostgresWarehouse } from '../../functions/lib/adapters/postgres/postgres-warehouse.ts';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import type { MatchedRun, PreparedLoad, ValidationResult } from '../../functions/lib/contract/payloads.ts';
import { EfiError, type SerializedError, serializeError } from '../../functions/lib/errors.ts';
import type { ConfigSource } from '../../functions/lib/ports/config-source.ts';
import type { ObjectStore } from '../../functions/lib/ports/object-store.ts';
import { recordPlan } from '../../functions/lib/records/record-plan.ts';
import { STOP } from '../../functions/lib/records/record-scanner.ts';
import { scanRecords } from '../../functions/lib/records/scan-records.ts';
import { recordBytes } from '../../functions/lib/records/source.ts';
import { rowRejectedOf } from '../../functions/lib/steps/check-load.ts';
import { buildLoadSpec } from '../../functions/lib/steps/load-spec.ts';
import { preprocess, useOriginal } from '../../functions/lib/steps/preprocess.ts';
import { withParts } from '../../functions/lib/steps/processing.ts';
import { validateFile } from '../../functions/lib/steps/validate-file.ts';
import { DryRunStore } from './dry-run-store.ts';

/**
 * `efi check`: what a run would say about a file, without a run. The whole
 * file goes through the real ValidateFile step (the same errors, line and
 * column); then the first N data records go through a dry run of the real
 * local load: the run's own Preprocess (or UseOriginalFile) path writes its
 * parts into memory (`DryRunStore`), SubmitLoad's load spec is built from
 * them, and the local warehouse runs that load with its own plan and executor
 * in a transaction it always rolls back (`PostgresWarehouse.dryRunLoad`). A
 * refused row is located in the original and worded by CheckLoad's own
 * function (`rowRejectedOf`). So the check has no rules of its own: it says
 * what the load says. Nothing is kept: the file is never moved, nothing is
 * committed, no statement, run or audit row is written.
 */

export interface CheckOutcome {
  ok: boolean;
  validation: ValidationResult | null;
  /** Data records given to the dry-run load (at most `records`). */
  recordsChecked: number;
  /** Targets the dry-run load reached (their column types checked); none without a local warehouse. */
  typedTargets: string[];
  /** The error a run would end with (RowRejected, TrailerMismatch...), with line and column. */
  error: SerializedError | null;
  /** What a run would trip over that is not the file's fault (missing table): the run would fail, redrivably. */
  warnings: string[];
}

export interface CheckTarget {
  bucket: string;
  key: string;
  config: FileConfig;
  /** How many data records to load in the dry run (the whole file is always validated). */
  records: number;
  /** The local warehouse the dry run loads into; null (Redshift) = validation and Preprocess only. */
  warehouse: Pick<PostgresWarehouse, 'dryRunLoad'> | null;
}

/** The dry run's run id: it names the in-memory run folder and the lineage of rows that are rolled back. */
const CHECK_RUN_ID = 'efi-check';
const PROCESSING_PREFIX = 'processing/';

export async function checkFile(store: ObjectStore, t: CheckTarget): Promise<CheckOutcome> {
  const out: CheckOutcome = {
    ok: false,
    validation: null,
    recordsChecked: 0,
    typedTargets: [],
    error: null,
    warnings: [],
  };
  const head = await store.head(t.bucket, t.key);
  try {
    const validation = await validateFile(store, { bucket: t.bucket, key: t.key, size: head?.size ?? 0 }, t.config);
    out.validation = validation;
    const run: MatchedRun = {
      runId: CHECK_RUN_ID,
      executionId: CHECK_RUN_ID,
      bucket: t.bucket,
      key: t.key,
      etag: head?.etag ?? '',
      size: head?.size ?? 0,
      configId: t.config.id,
      configVersion: 1,
      interface: t.config.interface,
      hasTransform: t.config.transform !== null,
      skip: false,
      skipReason: null,
      startedAt: new Date().toISOString(),
    };
    const dry = new DryRunStore(store);
    const prepared = await prepareFirstRecords(dry, run, t, validation);
    out.recordsChecked = prepared.targets.reduce((n, x) => n + x.records, 0);
    if (t.warehouse) {
      const spec = buildLoadSpec(
        t.config,
        { runId: run.runId, sourceFile: store.uri(t.bucket, t.key), replaceRunIds: [] },
        { ...prepared, targets: await withParts(dry, prepared.targets) },
      );
      const outcome = await t.warehouse.dryRunLoad(spec, dry);
      if (!outcome.ok) {
        const rejected = await rowRejectedOf(
          { store: dry, configs: oneConfig(t.config) },
          run,
          prepared,
          outcome.rowErrors ?? [],
        );
        if (rejected) throw rejected;
        out.warnings.push(loadWarning(outcome));
      } else out.typedTargets = spec.targets.map((x) => `${x.target.schema}.${x.target.table}`);
    }
    out.ok = out.warnings.length === 0;
  } catch (e) {
    if (!(e instanceof EfiError)) throw e;
    // The same shape a real run records (serializeError), without the stack.
    const { stack: _stack, location, ...serialized } = serializeError(e) as SerializedError & { stack?: string };
    out.error = location ? { ...serialized, location } : serialized;
  }
  return out;
}

/**
 * The run's own Preprocess or UseOriginalFile over the first `records` data
 * records, written to the dry-run store. UseOriginalFile loads the original
 * itself (plain LF UTF-8 records, no header, trailer or blank line, or
 * ValidateFile would have asked for Preprocess), so its first records are
 * shadowed over the original's key.
 */
async function prepareFirstRecords(
  dry: DryRunStore,
  run: MatchedRun,
  t: CheckTarget,
  validation: ValidationResult,
): Promise<PreparedLoad> {
  const where = { runId: run.runId, bucket: run.bucket, key: run.key };
  if (validation.needsPreprocess) {
    return preprocess(dry, where, t.config, validation, {
      processingPrefix: PROCESSING_PREFIX,
      firstRecords: t.records,
    });
  }
  if (validation.recordsInFile <= t.records) {
    return useOriginal(dry, where, validation, { processingPrefix: PROCESSING_PREFIX });
  }
  const lines: Buffer[] = [];
  let n = 0;
  await scanRecords(recordBytes(dry, run.bucket, run.key, t.config, { checkEncoding: false }), recordPlan(t.config), {
    data(buf, start, end) {
      // Copied: the scanner's buffer is not ours to keep.
      lines.push(Buffer.from(buf.subarray(start, end)), NEWLINE);
      return ++n >= t.records ? STOP : undefined;
    },
  });
  const first = Buffer.concat(lines);
  dry.shadow(run.bucket, run.key, first);
  return useOriginal(
    dry,
    where,
    { ...validation, fileBytes: first.length, recordsInFile: t.records },
    {
      processingPrefix: PROCESSING_PREFIX,
    },
  );
}

const NEWLINE = Buffer.from('\n');

/** The config being checked as the only config (it may be YAML not applied yet: `--config`). */
function oneConfig(config: FileConfig): ConfigSource {
  return {
    listActive: async () => [{ config, version: 1 }],
    get: async () => config,
  };
}

/** A load failure that is not the file's fault: a run would fail at CheckLoad, redrivably once it is fixed. */
function loadWarning(o: Extract<DryRunOutcome, { ok: false }>): string {
  if (o.code === '42P01' && o.target) {
    return `target table ${o.target} does not exist in the warehouse: a run would fail at the load (redrivable once you create it); column types not checked`;
  }
  return `${o.error}: a run would fail at the load (redrivable once that is fixed); column types not checked`;
}
