import { getConfig } from '../adapters/config-db/config-repository.ts';
import { addStatementId, updateRun } from '../adapters/config-db/run-log.ts';
import type { Runtime } from '../compose.ts';
import type { FileConfig } from '../config/model.ts';
import type { PreparedLoad, RunContext, StatementRef } from '../contract/payloads.ts';
import { LoadFailed, RowRejected, StatementAborted, TransformFailed } from '../errors.ts';
import type { LoadRowError, StatementStatus, TargetResult } from '../ports/warehouse.ts';
import { buildLoadSpec, clientToken } from './load-spec.ts';
import { type LocatedRowError, locateRowErrors } from './locate-row-error.ts';
import { transformParameters } from './transform-parameters.ts';

/**
 * SubmitLoad / CheckLoad / SubmitTransform / CheckTransform. A statement that
 * failed before a redrive is resubmitted by the Check state (new attempt, new
 * client token), because a Step Functions redrive resumes at the failed state,
 * which is the Check, not the Submit.
 */

async function configOf(rt: Runtime, run: RunContext): Promise<FileConfig> {
  return getConfig(await rt.db(), run.configId!);
}

export async function submitLoad(
  rt: Runtime,
  input: { run: RunContext; prepared: PreparedLoad; redriveCount: number },
): Promise<StatementRef> {
  const config = await configOf(rt, input.run);
  const store = await rt.store();
  const prepared = await withManifests(rt, input.run, input.prepared);
  const spec = buildLoadSpec(
    config,
    { runId: input.run.runId, sourceFile: store.uri(input.run.bucket, input.run.key) },
    prepared,
  );
  const wh = await rt.warehouse();
  const { statementId } = await wh.submitLoad(spec, clientToken(input.run.runId, 'load', input.redriveCount));
  await addStatementId(await rt.db(), input.run.runId, statementId);
  return { statementId, status: 'SUBMITTED', attempt: input.redriveCount };
}

export async function checkLoad(
  rt: Runtime,
  input: { run: RunContext; prepared: PreparedLoad; load: StatementRef; redriveCount: number },
): Promise<StatementRef> {
  const wh = await rt.warehouse();
  const st = await wh.describe(input.load.statementId);
  if (st.status === 'FINISHED') {
    // The Data API reports rows inserted, not rows COPY skipped under MAXERROR: rejected = records - loaded.
    const targets = (st.targets ?? []).map((t) => {
      const pt = input.prepared.targets.find((p) => p.recordType === t.recordType);
      return pt ? { ...t, rowsRejected: Math.max(t.rowsRejected, pt.records - t.rowsLoaded) } : t;
    });
    const rowsLoaded = targets.reduce((n, t) => n + t.rowsLoaded, 0);
    const rowsRejected = targets.reduce((n, t) => n + t.rowsRejected, 0);
    const audited = rowsRejected > 0 ? await withRejectedRows(rt, input, st.statementId, targets) : targets;
    await updateRun(await rt.db(), input.run.runId, { rowsLoaded, rowsRejected, targets: audited });
    return { ...input.load, status: 'FINISHED', targets, rowsLoaded, rowsRejected };
  }
  if (st.status !== 'FAILED' && st.status !== 'ABORTED') return { ...input.load, status: st.status };

  // Rows the warehouse refused are the file's fault: no redrive will fix them.
  if (st.status === 'FAILED') await throwIfRowsRejected(rt, input, st);
  if (input.load.attempt < input.redriveCount) return submitLoad(rt, input);
  if (st.status === 'ABORTED') {
    throw new StatementAborted(
      `load statement ${st.statementId} was aborted${st.error ? `: ${st.error}` : ''}. Redrive the run to submit it again.`,
    );
  }
  throw new LoadFailed(
    `load statement ${st.statementId} failed: ${st.error ?? 'no reason given'}. Fix the cause (e.g. create the target table or grant access), then redrive: efi redrive ${input.run.runId}`,
  );
}

/** Rows rejected within maxErrors, kept with the run (first 10 per target, located in the original file). */
const REJECTED_ROWS_KEPT = 10;

async function withRejectedRows(
  rt: Runtime,
  input: { run: RunContext; prepared: PreparedLoad },
  statementId: string,
  targets: TargetResult[],
): Promise<(TargetResult & { rejected?: LocatedRowError[] })[]> {
  const errors = await (await rt.warehouse()).loadErrors(statementId);
  const same = (e: LoadRowError, t: TargetResult) =>
    e.target.schema === t.target.schema && e.target.table === t.target.table;
  const kept = targets.flatMap((t) => errors.filter((e) => same(e, t)).slice(0, REJECTED_ROWS_KEPT));
  const located = await locateRowErrors(rt, input.run, input.prepared, kept);
  return targets.map((t) => {
    const rejected = located.filter((_, i) => same(kept[i]!, t));
    return rejected.length > 0 ? { ...t, rejected } : t;
  });
}

/**
 * COPY without a manifest loads every key that starts with the object's key
 * (`x.csv` would also pick up `x.csv.bak`), so a target that loads the
 * original as is gets a one-entry manifest too, at a deterministic key.
 */
async function withManifests(rt: Runtime, run: RunContext, prepared: PreparedLoad): Promise<PreparedLoad> {
  if (prepared.targets.every((t) => t.manifest)) return prepared;
  const store = await rt.store();
  const targets = [];
  for (const [i, t] of prepared.targets.entries()) {
    if (t.manifest) {
      targets.push(t);
      continue;
    }
    const key = `${rt.settings.prefixes.processing}${run.runId}/original-${i}/manifest.json`;
    const entries = t.parts.map((p) => ({
      url: store.uri(p.bucket, p.key),
      mandatory: true,
      meta: { content_length: p.bytes },
    }));
    await store.put(run.bucket, key, JSON.stringify({ entries }));
    targets.push({ ...t, manifest: { bucket: run.bucket, key } });
  }
  return { ...prepared, targets };
}

async function throwIfRowsRejected(
  rt: Runtime,
  input: { run: RunContext; prepared: PreparedLoad },
  st: StatementStatus,
): Promise<void> {
  const errors = await (await rt.warehouse()).loadErrors(st.statementId);
  const first = errors[0];
  if (!first) return;
  const row = (await locateRowErrors(rt, input.run, input.prepared, [first]))[0]!;
  const where = [row.line !== null ? `line ${row.line}` : null, row.column ? `column ${row.column}` : null]
    .filter(Boolean)
    .join(', ');
  const value = row.rawValue !== null ? ` (value ${JSON.stringify(row.rawValue.slice(0, 80))})` : '';
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  throw new RowRejected(
    `${row.table} refused the row at ${where || 'an unknown position'}: ${row.reason}${value}${more}. Nothing was loaded; send a corrected file.`,
    { ...(row.line !== null ? { line: row.line } : {}), ...(row.column ? { column: row.column } : {}) },
  );
}

export async function submitTransform(
  rt: Runtime,
  input: { run: RunContext; redriveCount: number },
): Promise<StatementRef> {
  const config = await configOf(rt, input.run);
  if (!config.transform) return { statementId: 'none', status: 'FINISHED', attempt: input.redriveCount };
  const wh = await rt.warehouse();
  const store = await rt.store();
  const parameters = transformParameters(config.transform.sql, {
    runId: input.run.runId,
    sourceFile: store.uri(input.run.bucket, input.run.key),
    startedAt: input.run.startedAt,
  });
  const { statementId } = await wh.submitSql(
    config.transform.sql,
    clientToken(input.run.runId, 'transform', input.redriveCount),
    parameters,
  );
  await addStatementId(await rt.db(), input.run.runId, statementId);
  return { statementId, status: 'SUBMITTED', attempt: input.redriveCount };
}

export async function checkTransform(
  rt: Runtime,
  input: { run: RunContext; transform: StatementRef; redriveCount: number },
): Promise<StatementRef> {
  if (input.transform.statementId === 'none') return input.transform;
  const st = await (await rt.warehouse()).describe(input.transform.statementId);
  if (st.status === 'FINISHED') return { ...input.transform, status: 'FINISHED' };
  if (st.status !== 'FAILED' && st.status !== 'ABORTED') return { ...input.transform, status: st.status };
  // The data is loaded already: a redrive reruns only the transform.
  if (input.transform.attempt < input.redriveCount) return submitTransform(rt, input);
  throw new TransformFailed(
    `post-load transform (statement ${st.statementId}) ${st.status === 'ABORTED' ? 'was aborted' : 'failed'}: ${st.error ?? 'no reason given'}. The rows are loaded; fix the SQL or its objects, then redrive: efi redrive ${input.run.runId}`,
  );
}
