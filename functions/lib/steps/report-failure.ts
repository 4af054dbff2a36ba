import type { StatusChangeEvent } from '../contract/status-change-event.ts';
import { serializeError } from '../errors.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import { STATUS_ONLY, type Warehouse } from '../ports/warehouse.ts';
import { parseCatch } from './audit.ts';
import { type NotifyPorts, notifyRun } from './notify.ts';
import { statementOutcome } from './statement-poll.ts';

export interface ReportFailurePorts extends NotifyPorts {
  /** To cancel a statement still running when the execution was stopped or timed out, and read what committed. */
  warehouse: Pick<Warehouse, 'describe' | 'cancel'>;
}

/**
 * ReportFailure, the target of the execution's status-change event
 * (EventBridge rule in AWS; the local runner emits the same shape).
 * Operational failures fail the execution at the failing state so it stays
 * redrivable; this closes the run as FAILED/ABORTED and tells subscribers,
 * reusing the audit and notify steps.
 *
 * The truth it records (docs/truth-model.md rows 4-9): an execution stopped
 * (ABORTED, TIMED_OUT, a Task's States.Timeout) while a statement runs has
 * that statement cancelled (Data API CancelStatement; the execution stopping
 * does not stop it), then whether the load and the transform had committed is
 * read from the statement log onto the run row. A run already audited
 * FINISHED (Notify failed, or the process died after Audit) keeps its outcome:
 * the failure is recorded as `notifyError` and a redrive sends the message.
 */
export async function reportFailure(
  event: StatusChangeEvent,
  ports: ReportFailurePorts,
): Promise<{ runId: string; notified: boolean }> {
  const d = event.detail;
  const { runs } = ports;
  let run = await runs.getByExecution(d.executionArn);
  if (!run) {
    // Failed before FetchConfig registered the run (e.g. bad input): audit it from the execution input.
    const detail = safeJson(d.input)?.detail as { bucket?: { name?: string }; object?: { key?: string } } | undefined;
    run = await runs.register({
      runId: d.name,
      executionId: d.executionArn,
      bucket: detail?.bucket?.name ?? 'unknown',
      key: detail?.object?.key ?? 'unknown',
      etag: null,
      size: null,
      startedAt: new Date(d.startDate ?? Date.now()).toISOString(),
    });
  }
  const stopped = d.status === 'ABORTED' || d.status === 'TIMED_OUT' || d.error === 'States.Timeout';
  const committed = await settleStatements(run, stopped, ports.warehouse);
  if (committed) await runs.update(run.runId, committed);

  if (run.status === 'FINISHED' || run.status === 'SKIPPED') {
    // Loaded, archived and audited: the outcome is true and stays; only the message is owed.
    const caught = d.error ? parseCatch({ Error: d.error, Cause: d.cause ?? undefined }) : null;
    await runs.update(run.runId, {
      notifyError: caught ? `${caught.name}: ${caught.message}`.slice(0, 4000) : `execution ${d.status}`,
      clearError: true,
    });
    return { runId: run.runId, notified: false };
  }

  const status = d.status === 'ABORTED' ? 'ABORTED' : 'FAILED';
  if (!run.error && d.error) {
    const caught = parseCatch({ Error: d.error, Cause: d.cause ?? undefined });
    const message = d.status === 'TIMED_OUT' ? `execution timed out: ${caught.message}` : caught.message;
    await runs.recordError(
      run.runId,
      serializeError(Object.assign(new Error(message), { name: caught.name })),
      'execution',
    );
  }
  // The rejection path already closed the run; a later status event must not rewrite it.
  if (run.status !== 'FAILED' || status === 'ABORTED') {
    await runs.update(run.runId, { status, redriveCount: d.redriveCount ?? 0, finished: true });
  }
  const { sent } = await notifyRun({ runId: run.runId, redriveCount: d.redriveCount ?? 0 }, ports);
  return { runId: run.runId, notified: sent };
}

/**
 * Cancels what still runs (when the execution was stopped) and reads whether
 * the load and the transform committed. A statement log that cannot answer
 * leaves the fields unknown (null) rather than failing the report.
 */
async function settleStatements(
  run: RunRecord,
  stopped: boolean,
  warehouse: ReportFailurePorts['warehouse'],
): Promise<Pick<Parameters<RunLog['update']>[1], 'loadCommitted' | 'transformCommitted'> | null> {
  const committed = async (id: string | null): Promise<boolean | null> => {
    if (!id) return null;
    try {
      let st = await warehouse.describe(id, STATUS_ONLY);
      if (stopped && statementOutcome(st.status) === 'running') {
        // It may finish between the two calls: the Data API then refuses the cancel; read it again either way.
        await warehouse.cancel(id).catch((e: unknown) => {
          console.error(`[ReportFailure] cancel of statement ${id} of run ${run.runId}:`, (e as Error).message);
        });
        st = await warehouse.describe(id, STATUS_ONLY);
      }
      // Still running (StatementStillRunning left it to the warehouse, or a cancel did not take):
      // it may yet commit, so "not committed" would be a guess. Unknown, and the error says it runs.
      if (statementOutcome(st.status) === 'running') return null;
      // A failed CALL may have committed inside (a procedure's COMMIT, a TRUNCATE): not known.
      if (st.status !== 'FINISHED' && st.partialCommit) return null;
      return st.status === 'FINISHED';
    } catch (e) {
      console.error(`[ReportFailure] could not read statement ${id} of run ${run.runId}:`, (e as Error).message);
      return null;
    }
  };
  if (!run.loadStatementId && !run.transformStatementId) return null;
  const loadCommitted = await committed(run.loadStatementId);
  const transformCommitted = await committed(run.transformStatementId);
  return {
    ...(loadCommitted !== null ? { loadCommitted } : {}),
    ...(transformCommitted !== null ? { transformCommitted } : {}),
  };
}

function safeJson(s: string | null | undefined): Record<string, unknown> | null {
  if (!s) return null;
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return null;
  }
}
