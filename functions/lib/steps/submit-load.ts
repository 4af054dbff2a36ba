import type { MatchedRun, PreparedLoad, StatementRef } from '../contract/payloads.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import type { Warehouse } from '../ports/warehouse.ts';
import { buildLoadSpec, clientToken } from './load-spec.ts';
import { withParts } from './processing.ts';
import { firstPoll, type PollPolicy } from './statement-poll.ts';

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

/**
 * SubmitLoad: build the load spec from the run's config version and the
 * prepared parts (manifests included, written by Preprocess/UseOriginalFile)
 * and submit it as one transaction. The client token makes a retried submit
 * return the statement already running.
 */
export async function submitLoad(input: SubmitLoadInput, ports: SubmitLoadPorts): Promise<StatementRef> {
  const { run } = input;
  const config = await ports.configs.get(run.configId, run.configVersion);
  const targets = await withParts(ports.store, input.prepared.targets);
  const spec = buildLoadSpec(
    config,
    { runId: run.runId, sourceFile: ports.store.uri(run.bucket, run.key) },
    { ...input.prepared, targets },
  );
  const { statementId } = await ports.warehouse.submitLoad(spec, clientToken(run.runId, 'load', input.redriveCount));
  await ports.runs.addStatementId(run.runId, statementId);
  return {
    statementId,
    status: 'SUBMITTED',
    attempt: input.redriveCount,
    ...firstPoll(input.redriveCount, ports.poll),
  };
}
