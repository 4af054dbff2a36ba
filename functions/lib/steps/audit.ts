import type { AuditInput, AuditResult } from '../contract/payloads.ts';
import { serializeError } from '../errors.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import { assertNotSuperseded } from './content-claim.ts';

/** Step Functions' Cause for a Lambda error is JSON {errorType, errorMessage}; locally it is the message. */
export function parseCatch(e: { Error: string; Cause?: string | undefined }): { name: string; message: string } {
  let message = e.Cause ?? '';
  try {
    const c = JSON.parse(message) as { errorMessage?: string };
    if (typeof c?.errorMessage === 'string') message = c.errorMessage;
  } catch {
    // not JSON: the cause is the message itself
  }
  return { name: e.Error, message };
}

/** Audit: close the run row (upsert by run id, so a second run of the state changes nothing). */
export async function audit(input: AuditInput, ports: { runs: RunLog }): Promise<AuditResult> {
  const { runs } = ports;
  const run = input.run;
  await runs.register({
    runId: run.runId,
    executionId: run.executionId,
    bucket: run.bucket,
    key: run.key,
    etag: run.etag || null,
    size: run.size,
    startedAt: run.startedAt,
  });
  // A redrive resuming here after a later --reload replaced this run's rows must not close it FINISHED.
  if (input.status === 'FINISHED' && run.configId !== null) {
    await assertNotSuperseded({ ...run, configId: run.configId }, runs);
  }
  if (input.error) {
    const before = await runs.get(run.runId);
    const caught = parseCatch(input.error);
    // Keep the located error the failing state recorded (it has line/column); else record the caught one.
    if (before?.error?.name !== caught.name) {
      await runs.recordError(
        run.runId,
        serializeError(Object.assign(new Error(caught.message), { name: caught.name })),
        'unknown',
      );
    }
  }
  await runs.update(run.runId, {
    status: input.status,
    configId: run.configId,
    interface: run.interface,
    ...(input.validation
      ? {
          recordsInFile: input.validation.recordsInFile,
          recordsSkipped: input.validation.unknownRecords,
          fileBytes: input.validation.fileBytes,
        }
      : {}),
    ...(input.load?.rowsLoaded !== undefined ? { rowsLoaded: input.load.rowsLoaded } : {}),
    ...(input.load?.rowsRejected !== undefined ? { rowsRejected: input.load.rowsRejected } : {}),
    ...(input.archive ? { archivedTo: input.archive.movedTo } : {}),
    ...(input.status === 'FINISHED' || input.status === 'SKIPPED' ? { clearError: true } : {}),
    // FINISHED means the load committed, and the transform when there was one: a redrive that
    // finished replaces what an earlier failed attempt recorded (transformCommitted false).
    ...(input.status === 'FINISHED' && input.load
      ? { loadCommitted: true, transformCommitted: run.hasTransform ? true : null }
      : {}),
    ...(input.redriveCount !== undefined ? { redriveCount: input.redriveCount } : {}),
    finished: true,
  });
  return toAuditResult((await runs.get(run.runId))!);
}

export function toAuditResult(r: RunRecord): AuditResult {
  return {
    runId: r.runId,
    status: r.status,
    recordsInFile: r.recordsInFile,
    rowsLoaded: r.rowsLoaded,
    rowsRejected: r.rowsRejected,
    error: r.error
      ? {
          name: r.error.name,
          message: r.error.message,
          line: r.error.line ?? null,
          column: r.error.column ?? null,
          location: r.error.location ?? null,
        }
      : null,
  };
}
