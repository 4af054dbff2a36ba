import { getRun, type RunRecord, updateRun } from '../adapters/config-db/run-log.ts';
import type { Runtime } from '../compose.ts';
import type { TargetResult } from '../ports/warehouse.ts';
import { formatNotification, type NotificationInput } from './notification-format.ts';

/**
 * Notify: one message per run, status and attempt. A retried or repeated
 * Notify (or the failure-event path after the rejection path already told
 * subscribers) sends nothing twice.
 */
export async function notifyRun(rt: Runtime, runId: string, redriveCount: number): Promise<{ sent: boolean }> {
  const db = await rt.db();
  const run = await getRun(db, runId);
  if (!run) throw new Error(`run ${runId} has no audit row; Audit must run before Notify`);
  const mark = `${run.status}:${redriveCount}`;
  if (run.notified === mark) return { sent: false };
  await (await rt.notifier()).publish(formatNotification(notificationInput(run)));
  await updateRun(db, runId, { notified: mark });
  return { sent: true };
}

export function notificationInput(run: RunRecord): NotificationInput {
  return {
    runId: run.runId,
    status: run.status,
    interface: run.interface,
    configId: run.configId,
    bucket: run.bucket,
    key: run.key,
    recordsInFile: run.recordsInFile,
    rowsLoaded: run.rowsLoaded,
    rowsRejected: run.rowsRejected,
    targets: (run.targets ?? []) as TargetResult[],
    archivedTo: run.archivedTo,
    skipReason: run.skipReason,
    error: run.error,
    executionId: run.executionId,
    at: run.finishedAt ?? new Date().toISOString(),
  };
}
