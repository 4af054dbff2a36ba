import type { MatchedRun, PreparedLoad, StatementRef } from '../contract/payloads.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import { STATUS_ONLY, type StatementStatus, type Warehouse } from '../ports/warehouse.ts';
import { ownedContent } from './content-claim.ts';
import { buildLoadSpec, clientToken } from './load-spec.ts';
import { assertOriginalUnchanged } from './original-object.ts';
import { withParts } from './processing.ts';
import { type PollPolicy, reuseEarlierStatement, submittedRef } from './statement-poll.ts';

export interface SubmitLoadInput {
  run: MatchedRun;
  prepared: PreparedLoad;
  redriveCount: number;
}

export interface SubmitLoadPorts {
  /** Reads the targets' part lists and renders the lineage `s3://` URI of the original; SubmitLoad writes no object. */
  store: ObjectStore;
  warehouse: Warehouse;
  runs: RunLog;
  configs: ConfigSource;
  /** Pace of the Wait/Check loop (default DEFAULT_POLL_POLICY). */
  poll?: PollPolicy;
}

/** A Check's resubmit after a transient failure: its number (a new client token) is kept on the ref. */
export interface ResubmitOptions {
  retry?: number;
}

/** The ref fields that count transient resubmits (none on a first submit). */
export function retriesOf(
  redriveCount: number,
  retry: number | undefined,
): Pick<StatementRef, 'retries' | 'retriesUnder'> {
  return retry ? { retries: retry, retriesUnder: redriveCount } : {};
}

/**
 * A redrive resumes after FetchConfig, so it re-checks here, before any row is
 * written, that this run still owns its content (by ETag and by hash): a
 * `--reload` of the same bytes may have taken a claim over while it was FAILED
 * (the take-over requires the owner not RUNNING, and a redrive sets it RUNNING
 * before it gets here).
 */
export async function assertStillOwnsContent(run: MatchedRun, runs: RunLog): Promise<void> {
  await ownedContent(run, runs);
}

/**
 * SubmitLoad: build the load spec from the run's config version and the
 * prepared parts (manifests included, written by Preprocess/UseOriginalFile)
 * and submit it as one transaction. The client token makes a retried submit
 * return the statement already running; a re-run after a crash or a redrive
 * (a new token) first reads the run's earlier load statement and returns it
 * when it committed or still runs, so a committed load is never submitted again.
 */
export async function submitLoad(
  input: SubmitLoadInput,
  ports: SubmitLoadPorts,
  opts: ResubmitOptions = {},
): Promise<StatementRef> {
  const { run } = input;
  const earlier = await earlierStatement(ports, run.runId, 'load');
  if (earlier) {
    return submittedRef(earlier.statementId, earlier.status, input.redriveCount, ports.poll);
  }
  const config = await ports.configs.get(run.configId, run.configVersion);
  // The claims are the durable record of what this load replaces (a take-over by hash in ValidateFile
  // never reaches $.run), so a resubmit by CheckLoad replaces the same runs.
  const replaces = await ownedContent(run, ports.runs);
  const replaceRunIds = [...new Set([...(run.replaceRunIds ?? []), ...replaces])];
  const targets = await withParts(ports.store, input.prepared.targets);
  await assertOriginalStillThere(run, targets, ports.store);
  const spec = buildLoadSpec(
    config,
    { runId: run.runId, sourceFile: ports.store.uri(run.bucket, run.key), replaceRunIds },
    { ...input.prepared, targets },
  );
  const { statementId } = await ports.warehouse.submitLoad(
    spec,
    clientToken(run.runId, 'load', input.redriveCount, opts.retry),
  );
  await ports.runs.addStatementId(run.runId, statementId);
  await ports.runs.update(run.runId, { loadStatementId: statementId });
  return {
    ...submittedRef(statementId, 'SUBMITTED', input.redriveCount, ports.poll),
    ...retriesOf(input.redriveCount, opts.retry),
  };
}

/**
 * A load that reads the original in place (UseOriginalFile, or a local load from
 * past its header) reads whatever landing holds now: once the object was
 * replaced (a new upload under the same name while this run waited for a
 * redrive) it would load the new file's bytes as this run's rows, cut where
 * the old file's records ended, and the new file's own run would load them
 * again. Checked before the submit; parts Preprocess wrote are the run's own copy
 * (Preprocess checks the original before it cuts them).
 */
async function assertOriginalStillThere(
  run: MatchedRun,
  targets: readonly { parts: readonly { bucket: string; key: string }[] }[],
  store: ObjectStore,
): Promise<void> {
  const inPlace = targets.some((t) => t.parts.some((p) => p.bucket === run.bucket && p.key === run.key));
  if (inPlace) await assertOriginalUnchanged(run, store, 'this run loads it in place');
}

/** The run's latest load or transform statement when a submit must return it (reuseEarlierStatement), else null. */
export async function earlierStatement(
  ports: { runs: RunLog; warehouse: Warehouse },
  runId: string,
  kind: 'load' | 'transform',
): Promise<StatementStatus | null> {
  const row = await ports.runs.get(runId);
  const id = kind === 'load' ? row?.loadStatementId : row?.transformStatementId;
  if (!id) return null;
  let st: StatementStatus;
  try {
    st = await ports.warehouse.describe(id, STATUS_ONLY);
  } catch (e) {
    // A statement the log never kept (its load died uncommitted with its session, when the statement row is
    // written in the load's own transaction) is no earlier statement: submit.
    if ((e as Error).name === 'InvalidStateInput') return null;
    throw e;
  }
  return reuseEarlierStatement(st) ? st : null;
}
