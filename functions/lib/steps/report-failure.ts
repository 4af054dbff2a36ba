import type { StatusChangeEvent } from '../contract/status-change-event.ts';
import { serializeError } from '../errors.ts';
import { parseCatch } from './audit.ts';
import { type NotifyPorts, notifyRun } from './notify.ts';

/**
 * ReportFailure, the target of the execution's status-change event
 * (EventBridge rule in AWS; the local runner emits the same shape).
 * Operational failures fail the execution at the failing state so it stays
 * redrivable; this closes the run as FAILED/ABORTED and tells subscribers,
 * reusing the audit and notify steps.
 */
export async function reportFailure(
  event: StatusChangeEvent,
  ports: NotifyPorts,
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

function safeJson(s: string | null | undefined): Record<string, unknown> | null {
  if (!s) return null;
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return null;
  }
}
