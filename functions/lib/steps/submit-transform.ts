import type { MatchedRun, StatementRef } from '../contract/payloads.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import type { Warehouse } from '../ports/warehouse.ts';
import { clientToken } from './load-spec.ts';
import { type PollPolicy, submittedRef } from './statement-poll.ts';
import { earlierStatement, type ResubmitOptions, retriesOf } from './submit-load.ts';
import { transformParameters } from './transform-parameters.ts';

export interface SubmitTransformInput {
  run: MatchedRun;
  redriveCount: number;
}

export interface SubmitTransformPorts {
  warehouse: Warehouse;
  runs: RunLog;
  configs: ConfigSource;
  /** Renders the run's source URI for `:source_file`. */
  store: ObjectStore;
  /** Pace of the Wait/Check loop (default DEFAULT_POLL_POLICY). */
  poll?: PollPolicy;
}

/** SubmitTransform: submit the post-load SQL of the run's config version (statement id 'none' when it has none). */
export async function submitTransform(
  input: SubmitTransformInput,
  ports: SubmitTransformPorts,
  opts: ResubmitOptions = {},
): Promise<StatementRef> {
  const { run } = input;
  const config = await ports.configs.get(run.configId, run.configVersion);
  if (!config.transform) {
    return submittedRef('none', 'FINISHED', input.redriveCount, ports.poll);
  }
  // A transform that committed (or still runs) is never submitted again: it is not idempotent (a stage → core MERGE/INSERT).
  const earlier = await earlierStatement(ports, run.runId, 'transform');
  if (earlier) {
    return submittedRef(earlier.statementId, earlier.status, input.redriveCount, ports.poll);
  }
  const parameters = transformParameters(config.transform.sql, {
    runId: run.runId,
    sourceFile: ports.store.uri(run.bucket, run.key),
    startedAt: run.startedAt,
  });
  const { statementId } = await ports.warehouse.submitSql(
    config.transform.sql,
    clientToken(run.runId, 'transform', input.redriveCount, opts.retry),
    parameters,
  );
  await ports.runs.addStatementId(run.runId, statementId);
  await ports.runs.update(run.runId, { transformStatementId: statementId });
  return {
    ...submittedRef(statementId, 'SUBMITTED', input.redriveCount, ports.poll),
    ...retriesOf(input.redriveCount, opts.retry),
  };
}
