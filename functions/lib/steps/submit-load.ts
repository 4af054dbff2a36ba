import type { MatchedRun, PreparedLoad, StatementRef } from '../contract/payloads.ts';
import { ContentClaimLost } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import type { Warehouse } from '../ports/warehouse.ts';
import { buildLoadSpec, clientToken } from './load-spec.ts';

export interface SubmitLoadInput {
  run: MatchedRun;
  prepared: PreparedLoad;
  redriveCount: number;
}

export interface SubmitLoadPorts {
  /** Only renders the lineage `s3://` URI of the original; SubmitLoad writes no object. */
  store: ObjectStore;
  warehouse: Warehouse;
  runs: RunLog;
  configs: ConfigSource;
}

/**
 * A redrive resumes after FetchConfig, so it re-checks here, before any row is
 * written, that this run still owns its content: a `--reload` of the same bytes
 * may have taken the claim over while it was FAILED (the take-over requires the
 * owner not RUNNING, and a redrive sets it RUNNING before it gets here).
 * No claim row (a run from before content claims) means nobody else took it.
 */
export async function assertStillOwnsContent(run: MatchedRun, runs: RunLog): Promise<void> {
  const owner = await runs.contentOwner({ configId: run.configId, etag: run.etag, sizeBytes: run.size });
  if (owner !== null && owner !== run.runId) {
    throw new ContentClaimLost(
      `run ${run.runId} no longer owns the content of ${run.key}: run ${owner} took it over (a --reload of the same bytes) and loads it instead; nothing was loaded by this run, and redriving it again will not load it`,
    );
  }
}

/**
 * SubmitLoad: build the load spec from the run's config version and the
 * prepared parts (manifests included, written by Preprocess/UseOriginalFile)
 * and submit it as one transaction. The client token makes a retried submit
 * return the statement already running.
 */
export async function submitLoad(input: SubmitLoadInput, ports: SubmitLoadPorts): Promise<StatementRef> {
  const { run } = input;
  const config = await ports.configs.get(run.configId, run.configVersion);
  await assertStillOwnsContent(run, ports.runs);
  const spec = buildLoadSpec(
    config,
    { runId: run.runId, sourceFile: ports.store.uri(run.bucket, run.key), replaceRunIds: run.replaceRunIds },
    input.prepared,
  );
  const { statementId } = await ports.warehouse.submitLoad(spec, clientToken(run.runId, 'load', input.redriveCount));
  await ports.runs.addStatementId(run.runId, statementId);
  return { statementId, status: 'SUBMITTED', attempt: input.redriveCount };
}
