import type { Notifier } from '../ports/notifier.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import type { TargetResult } from '../ports/warehouse.ts';
import { formatNotification, type NotificationInput } from './notification-format.ts';

/**
 * Notify: one message per run, status and attempt. A retried or repeated
 * Notify (or the failure-event path after the rejection path already told
 * subscribers) sends nothing twice.
 */
export interface NotifyPorts {
  runs: RunLog;
  notifier: Notifier;
}

export async function notifyRun(
  input: { runId: string; redriveCount: number },
  ports: NotifyPorts,
): Promise<{ sent: boolean }> {
  const { runId, redriveCount } = input;
  const run = await ports.runs.get(runId);
  if (!run) throw new Error(`run ${runId} has no audit row; Audit must run before Notify`);
  const mark = notificationMark(run.status, redriveCount);
  if (alreadyNotified(run, mark)) return { sent: false };
  await ports.notifier.publish(formatNotification(notificationInput(run)));
  await ports.runs.update(runId, { notified: mark });
  return { sent: true };
}

/** What a sent notification is remembered by: one message per status and redrive count. */
export function notificationMark(status: RunRecord['status'], redriveCount: number): string {
  return `${status}:${redriveCount}`;
}

/** True when subscribers were already told this status for this attempt. */
export function alreadyNotified(run: Pick<RunRecord, 'notified'>, mark: string): boolean {
  return run.notified === mark;
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
