import type { RunContext } from '../contract/payloads.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import type { TargetResult } from '../ports/warehouse.ts';
import { assertNotSuperseded } from './content-claim.ts';
import { formatNotification, type NotificationInput } from './notification-format.ts';

/**
 * Notify: one message per run, status and attempt. A retried or repeated
 * Notify (or the failure-event path after the rejection path already told
 * subscribers, or a redrive after a crash once the message was out) sends
 * nothing twice: the run row's mark says what was sent, and the message's
 * idempotency key covers the gap between sending and writing the mark (the
 * outbox stores it unique; SNS/EventBridge receivers dedupe on it).
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
  if (run.status === 'RUNNING') {
    // A notification says how a run ended; a run still RUNNING has not (the redrive reset it and Audit has not run).
    throw new Error(`run ${runId} is still RUNNING; Audit must close it before Notify`);
  }
  const mark = notificationMark(run.status, redriveCount);
  if (alreadyNotified(run, mark)) return { sent: false };
  await ports.notifier.publish(
    formatNotification({ ...notificationInput(run), idempotencyKey: idempotencyKey(runId, run.status, redriveCount) }),
  );
  await ports.runs.update(runId, { notified: mark, notifyError: null });
  return { sent: true };
}

/**
 * The Notify state: a redrive that resumes here (after Audit wrote FINISHED)
 * first checks that no later `--reload` replaced the run's rows meanwhile, so
 * it never tells FINISHED for rows the run no longer has (RunSuperseded; the
 * FINISHED audit row stays as it was, as every FINISHED outcome does).
 */
export async function notifyState(
  input: { run: RunContext; redriveCount: number },
  ports: NotifyPorts,
): Promise<{ sent: boolean }> {
  const { run, redriveCount } = input;
  if (redriveCount > 0 && run.configId !== null) {
    const row = await ports.runs.get(run.runId);
    if (row?.status === 'FINISHED') await assertNotSuperseded({ ...run, configId: run.configId }, ports.runs);
  }
  return notifyRun({ runId: run.runId, redriveCount }, ports);
}

/** FINISHED and SKIPPED are final for good: told once per run, whatever redrive told them. */
const FINAL_FOR_GOOD = new Set<RunRecord['status']>(['FINISHED', 'SKIPPED']);

/** What a sent notification is remembered by: one message per status and redrive count. */
export function notificationMark(status: RunRecord['status'], redriveCount: number): string {
  return `${status}:${redriveCount}`;
}

/**
 * True when subscribers were already told this status for this attempt, or
 * (FINISHED, SKIPPED) this status at all: a redrive after a crash that
 * followed the FINISHED message must not send a second one.
 */
export function alreadyNotified(run: Pick<RunRecord, 'notified'>, mark: string): boolean {
  if (run.notified === mark) return true;
  const status = mark.slice(0, mark.indexOf(':')) as RunRecord['status'];
  return FINAL_FOR_GOOD.has(status) && run.notified?.startsWith(`${status}:`) === true;
}

/**
 * The message's deduplication key: (run, status) for FINISHED and SKIPPED,
 * (run, status, redrive count) for FAILED and ABORTED (each failed attempt is news).
 */
export function idempotencyKey(runId: string, status: RunRecord['status'], redriveCount: number): string {
  return FINAL_FOR_GOOD.has(status) ? `${runId}:${status}` : `${runId}:${status}:${redriveCount}`;
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
    loadCommitted: run.loadCommitted,
    transformCommitted: run.transformCommitted,
  };
}
